/**
 * `slow_close`: passes data through; when the source closes its side (FIN), waits `delay` ms
 * before passing the FIN on. Removing or updating the toxic during that wait passes the FIN at once.
 */
import { LedgerCounter } from '../../core/ledger.js';
import { defineStreamToxic } from '../types.js';
import { MAX_DELAY_MS } from '../attributes.js';

export const slowClose = defineStreamToxic({
  type: 'slow_close',
  summary: 'Delays the FIN (close) by delay ms; data is unaffected.',
  attributes: {
    delay: { kind: 'number', unit: 'ms', default: 0, min: 0, max: MAX_DELAY_MS, search: { upTo: 10_000, scale: 'log' }, description: 'How long the FIN is held after the last byte' },
  },
  // Holds only the FIN: every byte arrives, on time.
  effects: () => [],
  create(attributes) {
    const delayMs = attributes.delay;
    return async function* slowCloseToxic(input, ctx) {
      yield* input;
      if (ctx.signal.aborted || delayMs <= 0) return;
      ctx.count(LedgerCounter.delayed);
      await ctx.clock.sleep(delayMs, ctx.signal);
    };
  },
});

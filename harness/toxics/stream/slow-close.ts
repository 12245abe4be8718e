/**
 * `slow_close`: passes data through; when the source closes its side (FIN), waits `delay` ms
 * before passing the FIN on. Removing or updating the toxic during that wait passes the FIN at once.
 */
import { LedgerCounter } from '../../core/ledger.js';
import type { StreamToxicType } from '../types.js';
import { MAX_DELAY_MS } from '../attributes.js';

export const slowClose: StreamToxicType = {
  type: 'slow_close',
  protocol: 'tcp',
  summary: 'Delays the FIN (close) by delay ms; data is unaffected.',
  attributes: {
    delay: { kind: 'number', unit: 'ms', default: 0, min: 0, max: MAX_DELAY_MS, description: 'How long the FIN is held after the last byte' },
  },
  create(attributes) {
    const delayMs = attributes.delay ?? 0;
    return async function* slowCloseToxic(input, ctx) {
      yield* input;
      if (ctx.signal.aborted || delayMs <= 0) return;
      ctx.count(LedgerCounter.delayed);
      await ctx.clock.sleep(delayMs, ctx.signal);
    };
  },
};

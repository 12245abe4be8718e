/**
 * `timeout`: a blackholed path. While the toxic is present, nothing passes: data (and a FIN) is
 * held, not dropped, because a TCP stream has no holes — on a blackholed path TCP keeps
 * retransmitting until it gives up. Held bytes count toward the link's backpressure limit, so
 * the sender eventually stalls on a full window, as it would on a real blackhole.
 *
 * With `timeout` > 0 the connection is closed `timeout` ms after the toxic became active on it
 * (as TCP giving up); what it held is discarded with the connection. This is a fixed timer:
 * Toxiproxy re-arms its timer on every chunk, which makes it an idle timeout that a chatty client
 * never reaches. An update keeps the activation time, so a new `timeout` counts from the same
 * start. With `timeout` 0 the connection is never closed by the toxic.
 *
 * Removing the toxic releases everything it held, in order, and the connection carries on
 * (Toxiproxy drops the data and closes the connection instead).
 *
 * The toxic never pulls its input: the engine keeps unread chunks queued and passes them on when
 * the toxic is removed, which is exactly "hold, then release in order".
 */
import { LedgerCounter } from '../../core/ledger.js';
import { defineStreamToxic } from '../types.js';
import { MAX_DELAY_MS } from '../attributes.js';

interface TimeoutState {
  /** When the toxic became active on this connection (monotonic ms). */
  activatedAtMs?: number;
}

export const timeout = defineStreamToxic({
  type: 'timeout',
  summary: 'Holds all data (a blackhole); closes the connection timeout ms after activation (0 = never).',
  attributes: {
    timeout: {
      kind: 'number',
      unit: 'ms',
      default: 0,
      min: 0,
      max: MAX_DELAY_MS,
      search: 'default',
      description: 'Close the connection this long after the toxic became active on it; 0 = hold until removed',
    },
  },
  effects: (a) => [{ kind: 'connection-loss', how: a.timeout > 0 ? `holds all data and closes the connection after ${a.timeout} ms` : 'holds all data while present', reset: false }],
  create(attributes) {
    const timeoutMs = attributes.timeout;
    return async function* timeoutToxic(_input, ctx) {
      const state = ctx.state as TimeoutState;
      state.activatedAtMs ??= ctx.clock.now();
      if (timeoutMs <= 0) {
        await abortion(ctx.signal);
        return;
      }
      if ((await ctx.clock.sleepUntil(state.activatedAtMs + timeoutMs, ctx.signal)) === 'aborted') return;
      ctx.count(LedgerCounter.closes);
      ctx.connection.close();
    };
  },
});

/** Resolves when `signal` aborts: a wait with no deadline. */
function abortion(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

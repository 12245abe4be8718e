/**
 * `bandwidth`: limits one direction of one connection to `rate` KB/s (1 KB = 1000 bytes, as in
 * Toxiproxy: 1 KB/s is 1 byte per ms).
 *
 * Pacing is store-and-forward on an absolute schedule, as a link of that rate would transmit:
 * a chunk starts transmitting when both it has arrived and the previous bytes are done, each piece
 * of `n` bytes finishes `n / rate` ms later and is emitted then. The toxic sleeps only when it is
 * more than SLEEP_THRESHOLD_MS ahead of that schedule, and falling behind (a busy event loop) is
 * caught up rather than forgiven, so timer lateness never accumulates, never limits high rates,
 * and the long-run rate is exact. Idle time is not a burst allowance: a chunk that arrives at an
 * idle link starts its own schedule. Chunks are cut into pieces of at most PIECE_MS worth of
 * bytes, so a large chunk at a low rate trickles out instead of arriving late in one lump. The
 * schedule lives in `ctx.state`, so an update changes the rate without a burst.
 *
 * Unlike Toxiproxy, `rate` must be > 0 (Toxiproxy's rate 0, also its default, never forwards a
 * byte). When the toxic is removed or updated, the rest of the current chunk is released at once.
 */
import { LedgerCounter } from '../../core/ledger.js';
import { defineStreamToxic } from '../types.js';
import { MIN_RATE_KB_PER_S, RATE_HINT } from '../attributes.js';

/** Sleep only when this far ahead of the schedule (below, emit now: ~1 ms granularity is free). */
const SLEEP_THRESHOLD_MS = 1;
/** Largest piece, in ms of transmission time at the configured rate. */
const PIECE_MS = 20;

interface PacingState {
  /** Monotonic ms at which the bytes taken so far are "transmitted" (the link is free again). */
  nextAtMs?: number;
}

export const bandwidth = defineStreamToxic({
  type: 'bandwidth',
  summary: 'Limits throughput to rate KB/s (1 KB = 1000 bytes), per connection.',
  attributes: {
    rate: { kind: 'number', unit: 'KB/s', default: 1000, min: MIN_RATE_KB_PER_S, search: { upTo: 100_000, milder: 'higher', scale: 'log' }, description: 'Throughput limit per connection and direction (1 KB/s = 1000 bytes/s)', rangeHint: RATE_HINT },
  },
  effects: (a) => [{ kind: 'rate-limit', bytesPerSec: a.rate * 1000, per: 'connection' }],
  create(attributes) {
    const bytesPerMs = attributes.rate;
    const pieceBytes = Math.max(1, Math.floor(bytesPerMs * PIECE_MS));
    return async function* bandwidthToxic(input, ctx) {
      const state = ctx.state as PacingState;
      for await (const chunk of input) {
        const { data } = chunk;
        let delayed = false;
        // The link cannot start on a chunk before it arrived (this is where idle time is dropped).
        let nextAtMs = Math.max(state.nextAtMs ?? chunk.receivedAt, chunk.receivedAt);
        for (let offset = 0; offset < data.length; ) {
          const piece = data.subarray(offset, offset + pieceBytes);
          const now = ctx.clock.now();
          nextAtMs += piece.length / bytesPerMs;
          state.nextAtMs = nextAtMs;
          if (nextAtMs - now > SLEEP_THRESHOLD_MS) {
            delayed = true;
            if ((await ctx.clock.sleepUntil(nextAtMs, ctx.signal)) === 'aborted') {
              yield { data: data.subarray(offset), receivedAt: chunk.receivedAt };
              return;
            }
          }
          yield { data: piece, receivedAt: chunk.receivedAt };
          offset += piece.length;
        }
        if (delayed) ctx.count(LedgerCounter.delayed);
      }
    };
  },
});

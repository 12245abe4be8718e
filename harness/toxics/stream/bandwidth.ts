/**
 * `bandwidth`: limits one direction of one connection to `rate` KB/s (1 KB = 1000 bytes, as in
 * Toxiproxy: 1 KB/s is 1 byte per ms).
 *
 * Pacing is on an absolute schedule: each piece of `n` bytes moves the next emission time forward
 * by `n / rate` ms, and the toxic sleeps only when it is more than SLEEP_THRESHOLD_MS ahead of
 * that schedule. Timer lateness therefore never accumulates and never limits high rates, and the
 * long-run rate is exact. After an idle spell (more than CATCH_UP_MS behind) the schedule restarts
 * from now, so idle time does not become a burst allowance. Chunks are cut into pieces of at most
 * PIECE_MS worth of bytes, so a large chunk at a low rate trickles out instead of arriving late in
 * one lump. The schedule lives in `ctx.state`, so an update changes the rate without a burst.
 *
 * Unlike Toxiproxy, `rate` must be > 0 (Toxiproxy's rate 0, also its default, never forwards a
 * byte). When the toxic is removed or updated, the rest of the current chunk is released at once.
 */
import { LedgerCounter } from '../../core/ledger.js';
import type { StreamToxicType } from '../types.js';

/** Sleep only when this far ahead of the schedule (below, emit now: ~1 ms granularity is free). */
const SLEEP_THRESHOLD_MS = 1;
/** Behind the schedule by more than this, the link was idle: restart the schedule from now. */
const CATCH_UP_MS = 10;
/** Largest piece, in ms of transmission time at the configured rate. */
const PIECE_MS = 20;

interface PacingState {
  /** Monotonic ms at which the bytes emitted so far have been "transmitted". */
  nextAtMs?: number;
}

export const bandwidth: StreamToxicType = {
  type: 'bandwidth',
  protocol: 'tcp',
  summary: 'Limits throughput to rate KB/s (1 KB = 1000 bytes), per connection.',
  attributes: {
    rate: { kind: 'number', unit: 'KB/s', default: 1000, above: 0, description: 'Throughput limit per connection and direction (1 KB/s = 1000 bytes/s)' },
  },
  create(attributes) {
    const bytesPerMs = attributes.rate ?? 1000;
    const pieceBytes = Math.max(1, Math.floor(bytesPerMs * PIECE_MS));
    return async function* bandwidthToxic(input, ctx) {
      const state = ctx.state as PacingState;
      for await (const chunk of input) {
        const { data } = chunk;
        let delayed = false;
        for (let offset = 0; offset < data.length; ) {
          const piece = data.subarray(offset, offset + pieceBytes);
          const now = ctx.clock.now();
          let nextAtMs = state.nextAtMs ?? now;
          if (nextAtMs < now - CATCH_UP_MS) nextAtMs = now;
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
};

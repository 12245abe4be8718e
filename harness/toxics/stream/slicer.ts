/**
 * `slicer`: cuts each chunk into pieces of `average_size` ± `size_variation` bytes (uniform,
 * seeded), with `delay` µs between pieces. Bytes are unchanged; receivers see many small reads,
 * which flushes out framing bugs that assume one read = one message.
 *
 * Pieces are paced on an absolute schedule (piece k of a burst is due `k · delay` after the
 * first), so sub-millisecond delays add up correctly instead of each costing a timer tick. Idle
 * time between chunks is not banked: a chunk arriving late starts its own schedule.
 *
 * Unlike Toxiproxy, `average_size` must be ≥ 1 (Toxiproxy's 0, also its default, recurses until
 * the whole server dies of a stack overflow) and `size_variation` must be below `average_size`.
 * When removed or updated, the rest of the current chunk is released at once.
 */
import { defineStreamToxic } from '../types.js';
import { MAX_DELAY_MS } from '../attributes.js';

interface SlicerState {
  /** When the next piece may leave (monotonic ms). */
  nextAtMs?: number;
}

export const slicer = defineStreamToxic({
  type: 'slicer',
  summary: 'Cuts chunks into pieces of average_size ± size_variation bytes, delay µs apart.',
  attributes: {
    average_size: { kind: 'int', unit: 'bytes', default: 64, min: 1, search: { upTo: 4096, milder: 'higher', scale: 'log' }, description: 'Mean piece size' },
    size_variation: { kind: 'int', unit: 'bytes', default: 0, min: 0, search: { upTo: 4096, scale: 'log' }, description: 'Pieces vary uniformly by up to this much; below average_size' },
    delay: { kind: 'number', unit: 'µs', default: 0, min: 0, max: MAX_DELAY_MS * 1000, search: { upTo: 10_000, scale: 'log' }, description: 'Pause between pieces, in microseconds' },
  },
  check(attributes) {
    const average = attributes.average_size;
    const variation = attributes.size_variation;
    if (variation < average) return [];
    return [{ path: 'size_variation', message: `must be less than average_size (${average} bytes), got ${variation}` }];
  },
  // Re-cuts and paces the stream; every byte arrives, in order.
  effects: () => [],
  create(attributes) {
    const average = attributes.average_size;
    const variation = attributes.size_variation;
    const delayMs = (attributes.delay) / 1000;
    return async function* slicerToxic(input, ctx) {
      const state = ctx.state as SlicerState;
      for await (const chunk of input) {
        const { data } = chunk;
        let first = true;
        for (let offset = 0; offset < data.length; ) {
          const size = variation > 0 ? average + ctx.rng.int(-variation, variation) : average;
          if (delayMs > 0) {
            const now = ctx.clock.now();
            // A chunk cannot start before it arrived; within a chunk, lateness is caught up.
            const dueMs = first ? Math.max(state.nextAtMs ?? chunk.receivedAt, chunk.receivedAt) : state.nextAtMs!;
            if (dueMs > now && (await ctx.clock.sleepUntil(dueMs, ctx.signal)) === 'aborted') {
              yield { data: data.subarray(offset), receivedAt: chunk.receivedAt };
              return;
            }
            state.nextAtMs = dueMs + delayMs;
          }
          first = false;
          yield { data: data.subarray(offset, offset + size), receivedAt: chunk.receivedAt };
          offset += size;
        }
      }
    };
  },
});

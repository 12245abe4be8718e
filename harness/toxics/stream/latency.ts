/**
 * `latency`: delays every chunk by `latency` ± a uniform `jitter`, in order.
 *
 * Each chunk leaves at `receivedAt + delay`, where `receivedAt` is when it reached this toxic:
 * time spent queued behind earlier chunks counts toward its delay, so a latency toxic delays
 * bytes without capping throughput (a 50 ms path still carries a full-speed stream, 50 ms late).
 * Chunks stay in order: a chunk drawn a shorter delay than the one before it waits for it.
 *
 * The jitter draw is continuous (Toxiproxy draws whole ms), one per chunk and only when jitter is
 * on, so a seed replays the same delays. A delay below zero (jitter > latency) is clamped to 0,
 * so with jitter > latency the distribution has a spike at 0 rather than being uniform (as in
 * Toxiproxy, whose docs do not say so). When the toxic is removed or updated, the chunk it is
 * holding is released at once.
 */
import { LedgerCounter } from '../../core/ledger.js';
import { drawDelayMs } from '../jittered-delay.js';
import { defineStreamToxic } from '../types.js';
import { MAX_DELAY_MS } from '../attributes.js';

export const latency = defineStreamToxic({
  type: 'latency',
  summary: 'Delays every chunk by latency ± uniform jitter, keeping byte order.',
  attributes: {
    latency: { kind: 'number', unit: 'ms', default: 0, min: 0, max: MAX_DELAY_MS, search: { upTo: 2000, scale: 'log' }, description: 'Added delay per chunk, one direction' },
    jitter: { kind: 'number', unit: 'ms', default: 0, min: 0, max: MAX_DELAY_MS, search: { upTo: 500, scale: 'log' }, description: 'Half-width of the uniform spread around latency (delay clamped at 0)' },
  },
  effects: (a) => [{ kind: 'delay', latencyMs: a.latency, jitterMs: a.jitter }],
  create(attributes) {
    const latencyMs = attributes.latency;
    const jitterMs = attributes.jitter;
    return async function* latencyToxic(input, ctx) {
      for await (const chunk of input) {
        const delayMs = drawDelayMs(latencyMs, jitterMs, ctx.rng);
        const dueMs = chunk.receivedAt + delayMs;
        if (dueMs > ctx.clock.now()) {
          ctx.count(LedgerCounter.delayed);
          if ((await ctx.clock.sleepUntil(dueMs, ctx.signal)) === 'aborted') {
            yield chunk;
            return;
          }
        }
        yield chunk;
      }
    };
  },
});

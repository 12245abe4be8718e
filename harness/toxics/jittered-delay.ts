/**
 * The delay of one chunk or datagram under a `latency` toxic, TCP and UDP alike:
 * `latency` + a uniform draw in [−`jitter`, +`jitter`], clamped at 0 (nothing leaves before it
 * arrived, so with jitter > latency the distribution has a spike at 0 rather than being uniform).
 * Exactly one draw when jitter is on and none when it is off, so a seed replays the same delays.
 */
import type { Rng } from '../core/rng.js';

export function drawDelayMs(latencyMs: number, jitterMs: number, rng: Rng): number {
  return jitterMs > 0 ? Math.max(0, latencyMs + (2 * rng.next() - 1) * jitterMs) : latencyMs;
}

/**
 * Waiting for something with a time limit, without leaving the timer behind: when the awaited
 * promise wins, the sleep is cancelled (a forgotten `clock.sleep` would hold a timer, and an abort
 * listener on the workload's signal, until it fired).
 */
import type { Clock } from '../core/clock.js';

/** Resolves 'done' when `promise` settles, 'timeout' after `timeoutMs`, 'aborted' when `signal` aborts. */
export async function waitFor(promise: Promise<unknown>, clock: Clock, timeoutMs: number, signal?: AbortSignal): Promise<'done' | 'timeout' | 'aborted'> {
  const cancel = new AbortController();
  const onAbort = () => cancel.abort();
  // An abort listener added to a signal that has already aborted never runs.
  if (signal?.aborted) cancel.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const slept = clock.sleep(timeoutMs, cancel.signal).then((outcome) => (outcome === 'elapsed' ? ('timeout' as const) : ('aborted' as const)));
    const settled = promise.then(
      () => 'done' as const,
      () => 'done' as const,
    );
    return await Promise.race([settled, slept]);
  } finally {
    signal?.removeEventListener('abort', onAbort);
    cancel.abort();
  }
}

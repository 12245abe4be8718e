/**
 * A one-slot wake-up for loops that wait for "something changed" (a reply, a close, a timeout)
 * without a promise per event: waiters share one promise until the next `notify`.
 */
export class SignalBox {
  private pending: Promise<void> | null = null;
  private release: (() => void) | null = null;

  /** Resolves at the next `notify` (or at once if `signal` is already aborted). */
  wait(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.resolve();
    if (this.pending === null) {
      this.pending = new Promise((resolve) => {
        this.release = resolve;
      });
    }
    if (signal === undefined) return this.pending;
    return new Promise((resolve) => {
      const onAbort = () => resolve();
      signal.addEventListener('abort', onAbort, { once: true });
      void this.pending!.then(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      });
    });
  }

  notify(): void {
    const release = this.release;
    this.pending = null;
    this.release = null;
    release?.();
  }
}

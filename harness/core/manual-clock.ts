/**
 * A clock that moves only when a test says so, for exact unit tests of anything that waits.
 *
 * `advance(ms)` fires due callbacks in deadline order, setting `now()` to each deadline as it
 * fires, and lets promise continuations run between firings, so an async generator that awaits
 * `sleep` resumes at the virtual instant it asked for.
 */
import { BaseClock, DeadlineHeap, type Millis, type Timer } from './clock.js';

export class ManualClock extends BaseClock {
  readonly realTime = false;
  private current: Millis;
  private readonly heap = new DeadlineHeap();

  constructor(startMs: Millis = 0) {
    super();
    this.current = startMs;
  }

  now(): Millis {
    return this.current;
  }

  scheduleAt(atMs: Millis, callback: () => void): Timer {
    const entry = this.heap.push(atMs, callback);
    return {
      cancel: () => {
        entry.callback = null;
      },
    };
  }

  /** Number of callbacks still waiting (cancelled ones excluded). */
  pending(): number {
    return this.heap.countLive();
  }

  /** Moves time forward by `ms`, firing everything due on the way. */
  async advance(ms: Millis): Promise<void> {
    await this.advanceTo(this.current + ms);
  }

  /** Moves time to `atMs`, firing everything due on the way. */
  async advanceTo(atMs: Millis): Promise<void> {
    await settle();
    for (;;) {
      const top = this.heap.peek();
      if (top === undefined || top.atMs > atMs) break;
      this.heap.pop();
      if (top.callback === null) continue;
      this.current = Math.max(this.current, top.atMs);
      const callback = top.callback;
      top.callback = null;
      callback();
      await settle();
    }
    this.current = Math.max(this.current, atMs);
    await settle();
  }

  /** Fires everything scheduled, including what firing schedules, up to `limitMs` ahead. */
  async runAll(limitMs: Millis = 3_600_000): Promise<void> {
    await this.advanceTo(this.current + limitMs);
  }
}

/** Lets queued microtasks and one macrotask turn run, so awaited continuations catch up. */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/**
 * At most N scenario runs at once (`--parallel`), whoever starts them: the search's schedules and
 * a failure's confirmation runs share the same slots. Each run has its own backend, targets and
 * ports (the embedded backend's per-scenario isolation), so runs never interfere by name.
 */
export class RunSlots {
  private free: number;
  private readonly waiting: Array<() => void> = [];

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`run slots: expected a positive integer, got ${size}`);
    this.free = size;
  }

  /** Runs `task` once a slot is free, and frees it after. */
  async use<T>(task: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    }
  }
}

/**
 * What a long-running process holds, sampled from inside it for the soak benchmark: resident
 * memory, the JavaScript heap still in use after a full garbage collection (when the process runs
 * with --expose-gc: the one figure a leak cannot hide in, since RSS swings with collection), open
 * file descriptors, and how late its event loop ran since the previous sample
 * (`perf_hooks.monitorEventLoopDelay`, which wakes every 10 ms and records how late it woke).
 */
import { readdirSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';

export interface ProcessUsage {
  rssBytes: number;
  heapUsedBytes: number;
  /** Heap in use right after a full collection; 0 without --expose-gc. */
  heapAfterGcBytes: number;
  /** Open file descriptors (Linux: /proc/self/fd), -1 where that cannot be read. */
  fds: number;
  /** Event loop delay since the previous sample, ms. */
  loopDelayP50Ms: number;
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
}

/** Starts measuring the event loop; each `sample()` reports and starts a new interval. */
export function createUsageMeter(): { sample(): ProcessUsage } {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  return {
    sample() {
      const memory = process.memoryUsage();
      const gc = (globalThis as { gc?: () => void }).gc;
      gc?.();
      const usage: ProcessUsage = {
        rssBytes: memory.rss,
        heapUsedBytes: memory.heapUsed,
        heapAfterGcBytes: gc ? process.memoryUsage().heapUsed : 0,
        fds: openFds(),
        loopDelayP50Ms: delay.percentile(50) / 1e6,
        loopDelayP99Ms: delay.percentile(99) / 1e6,
        loopDelayMaxMs: delay.max / 1e6,
      };
      delay.reset();
      return usage;
    },
  };
}

/** Open file descriptors now (Linux: /proc/self/fd), -1 where that cannot be read. */
export function openFds(): number {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return -1;
  }
}

/** Runs a side task (side-tasks.ts) in a worker inside one side of a wire path. */
import type { Worker } from 'node:worker_threads';
import type { WireSide } from './topology.js';
import type { SideTask } from './side-tasks.js';

export interface RunningTask<R> {
  worker: Worker;
  /** The listening port, for servers. */
  ready: Promise<number>;
  /** The next result the task posts. */
  result(): Promise<R>;
  /** Asks a sink for its report and waits for it. */
  report(): Promise<R>;
}

export function runTask<R = Record<string, unknown>>(side: WireSide, task: SideTask): RunningTask<R> {
  const worker = side.startWorker(new URL('./side-tasks.js', import.meta.url), task);
  const failed = new Promise<never>((_, reject) => {
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`side task ${task.task} exited (${code}) without an answer`)));
  });
  failed.catch(() => {});
  const next = <T>(key: 'ready' | 'result') =>
    Promise.race([
      new Promise<T>((resolve) => {
        const listener = (message: Record<string, unknown>) => {
          if (!(key in message)) return;
          worker.off('message', listener);
          resolve(message[key] as T);
        };
        worker.on('message', listener);
      }),
      failed,
    ]);
  const ready = next<{ port: number }>('ready').then((r) => r.port);
  ready.catch(() => {});
  return {
    worker,
    ready,
    result: () => next<R>('result'),
    report: () => {
      const answer = next<R>('result');
      worker.postMessage({ report: true });
      return answer;
    },
  };
}

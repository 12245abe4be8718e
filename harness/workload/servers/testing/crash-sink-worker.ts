/**
 * The test side of crashing-sink-worker.ts: the module to start the sink with, and the call that
 * makes its worker thread throw `message`.
 */
import { BroadcastChannel } from 'node:worker_threads';

export const CRASH_CHANNEL = 'faultline-test:crash-sink-worker';

/** The worker entry to pass as `createSinkServer({ workerModule })`. */
export const CRASHING_SINK_WORKER = new URL('./crashing-sink-worker.js', import.meta.url);

/** Makes every crashing sink worker of this process throw `message`. */
export function crashSinkWorkers(message: string): void {
  const channel = new BroadcastChannel(CRASH_CHANNEL);
  channel.postMessage(message);
  channel.close();
}

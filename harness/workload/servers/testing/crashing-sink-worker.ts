/**
 * The sink's worker thread, plus a way for a test to crash it as a bug in it would: the real
 * worker module runs unchanged, and a message on the CRASH_CHANNEL broadcast channel makes the
 * thread throw. Start it with `createSinkServer({ workerModule: CRASHING_SINK_WORKER })`.
 */
import { BroadcastChannel } from 'node:worker_threads';
import { CRASH_CHANNEL } from './crash-sink-worker.js';
import '../sink-worker.js';

const channel = new BroadcastChannel(CRASH_CHANNEL);
channel.onmessage = (event) => {
  // Thrown from a message handler, as an uncaught exception in the worker's own code would be.
  setImmediate(() => {
    throw new Error(String((event as MessageEvent).data));
  });
};
// The channel must not keep the thread alive once the sink has closed it.
(channel as unknown as { unref(): void }).unref();

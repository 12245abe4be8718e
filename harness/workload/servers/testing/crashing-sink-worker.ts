/**
 * The sink's worker thread, plus a way for a test to crash it as a bug in it would: the real
 * worker module runs unchanged, and a message on the CRASH_CHANNEL broadcast channel makes the
 * thread throw. Start it with `createSinkServer({ workerModule: CRASHING_SINK_WORKER })`.
 */
import { BroadcastChannel } from 'node:worker_threads';
import { CRASH_CHANNEL } from './crash-sink-worker.js';

// Listen before the real worker starts (it tells the sink it is listening as soon as it loads),
// so that a crash asked for right after createSinkServer resolves is never missed.
const channel = new BroadcastChannel(CRASH_CHANNEL);
channel.onmessage = (event) => {
  // Thrown from a message handler, as an uncaught exception in the worker's own code would be.
  setImmediate(() => {
    throw new Error(String((event as MessageEvent).data));
  });
};
// The channel must not keep the thread alive once the sink has closed it.
(channel as unknown as { unref(): void }).unref();
await import('../sink-worker.js');

/**
 * Entry point of the sink's worker thread (started by createSinkServer): listens, verifies every
 * frame (sink-sockets.ts) and streams records to the main thread (sink-events.ts). It answers
 * `flush` (post everything so far, then say so) and `close` (close every socket, post the last
 * records, say so, and let the thread end).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { isFaultlineError } from '../../core/errors.js';
import { SinkEventWriter, type SinkControlMessage, type SinkListenOptions, type SinkWorkerMessage } from './sink-events.js';
import { SinkSockets } from './sink-sockets.js';

const port = parentPort;
if (port === null) throw new Error('sink-worker.ts runs as a worker thread (createSinkServer starts it)');
const send = (message: SinkWorkerMessage, transfer?: ArrayBuffer[]) => port.postMessage(message, transfer);

const writer = new SinkEventWriter((batch) => send({ type: 'events', ...batch }, [batch.events.buffer as ArrayBuffer]));
const sockets = new SinkSockets(writer);

port.on('message', (message: SinkControlMessage) => {
  switch (message.type) {
    case 'flush':
      writer.flush();
      send({ type: 'flushed', id: message.id });
      return;
    case 'close':
      void sockets.close().then(() => {
        writer.flush();
        send({ type: 'closed' });
        port.close();
      });
      return;
  }
});

try {
  await sockets.listen(workerData as SinkListenOptions);
  send({ type: 'listening', ...(sockets.tcp ? { tcp: sockets.tcp } : {}), ...(sockets.udp ? { udp: sockets.udp } : {}) });
} catch (error) {
  await sockets.close();
  const failure = isFaultlineError(error)
    ? { faultlineCode: error.code, message: error.message, ...(error.hint ? { hint: error.hint } : {}) }
    : { message: error instanceof Error ? error.message : String(error) };
  send({ type: 'listen-failed', failure });
  port.close();
}

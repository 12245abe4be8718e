/**
 * A UDP sender or receiver in its own process, for benchmarks: a flat-out dgram sender starves a
 * receiver on the same event loop (limits.md: 313k sent, 13.5 % received in one process), so the
 * UDP benchmark puts sender, receiver and proxy in three processes and drives them over IPC.
 *
 *   receiver: listen() → { port };  count() → { count }
 *   sender:   send({ port, size, durationMs, rate?, sockets? }) → { sent, elapsedMs }
 *             (rate: datagrams/s in total, absent = as fast as possible; sockets: spread the
 *             load round-robin over this many client sockets, i.e. proxy sessions)
 */
import { createSocket, type Socket } from 'node:dgram';
import { serveChild } from './ipc-child.js';

export interface SendOptions {
  port: number;
  size: number;
  durationMs: number;
  rate?: number;
  sockets?: number;
}

let received = 0;
let receiver: Socket | null = null;

async function send({ port, size, durationMs, rate, sockets: socketCount = 1 }: SendOptions) {
  const sockets: Socket[] = [];
  for (let i = 0; i < socketCount; i++) {
    const socket = createSocket({ type: 'udp4', sendBufferSize: 8 * 1024 * 1024 });
    await new Promise<void>((resolve) => socket.connect(port, '127.0.0.1', resolve));
    sockets.push(socket);
  }
  const payload = Buffer.alloc(size, 0x5a);
  const start = performance.now();
  const end = start + durationMs;
  let sent = 0;
  // Send in batches and wait for the last send of each batch: dgram queues sends in memory
  // otherwise, and the sender would measure its own queue instead of the network path.
  const batch = 64;
  while (performance.now() < end) {
    let due = batch;
    if (rate !== undefined) {
      const shouldHaveSent = Math.floor(((performance.now() - start) / 1000) * rate);
      due = Math.min(batch, shouldHaveSent - sent);
      if (due <= 0) {
        await new Promise((resolve) => setImmediate(resolve));
        continue;
      }
    }
    await new Promise<void>((resolve) => {
      for (let i = 0; i < due; i++) {
        const socket = sockets[sent % socketCount]!;
        sent++;
        if (i === due - 1) socket.send(payload, () => resolve());
        else socket.send(payload);
      }
    });
  }
  const elapsedMs = performance.now() - start;
  await Promise.all(sockets.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  return { sent, elapsedMs };
}

serveChild(
  {
    async listen() {
      receiver = createSocket({ type: 'udp4', recvBufferSize: 16 * 1024 * 1024 });
      receiver.on('message', () => {
        received++;
      });
      await new Promise<void>((resolve) => receiver!.bind(0, '127.0.0.1', resolve));
      return { port: receiver.address().port };
    },
    count: () => ({ count: received }),
    send,
  },
  () => {
    receiver?.close();
  },
);

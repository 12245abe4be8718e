import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { flushStream } from './flush.js';

let server: Server | undefined;
const sockets: Socket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** A loopback connection whose receiving end does not read until told to. */
async function stalledConnection(): Promise<{ client: Socket; received: () => number; startReading: () => void }> {
  let peer: Socket | undefined;
  let received = 0;
  const accepted = new Promise<Socket>((resolve) => {
    server = createServer((socket) => {
      socket.pause();
      socket.on('data', (chunk: Buffer) => (received += chunk.length));
      resolve(socket);
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', () => resolve()));
  const port = (server!.address() as { port: number }).port;
  const client = createConnection({ host: '127.0.0.1', port });
  await new Promise<void>((resolve) => client.once('connect', () => resolve()));
  peer = await accepted;
  sockets.push(client, peer);
  return { client, received: () => received, startReading: () => peer!.resume() };
}

describe('flushStream', () => {
  it('waits for a tail smaller than the high-water mark that the kernel could not take yet', async () => {
    const { client, received, startReading } = await stalledConnection();
    // Fill the kernel's buffers until a write has to wait in the stream, but stop well below the
    // high-water mark: no 'drain' will ever be announced for this tail.
    const line = Buffer.alloc(1024, 0x61);
    let written = 0;
    while (client.writableLength === 0) {
      client.write(line);
      written += line.length;
      // Let libuv attempt the write before checking again.
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(client.writableLength).toBeLessThan(client.writableHighWaterMark);
    expect(client.writableNeedDrain).toBe(false);

    setTimeout(startReading, 50);
    await flushStream(client);
    expect(client.writableLength).toBe(0);
    client.end();
    await new Promise<void>((resolve) => client.once('finish', () => resolve()));
    for (let i = 0; i < 200 && received() < written; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(received()).toBe(written);
  });

  it('resolves at once when nothing is pending', async () => {
    const { client } = await stalledConnection();
    await flushStream(client);
    expect(client.writableLength).toBe(0);
  });
});

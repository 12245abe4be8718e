/**
 * A TCP relay for tests that splits what the client sends into `fragmentBytes` pieces — a
 * stand-in for a slicer toxic, so the raw workloads can be tested against a server with a framing
 * bug without the proxy. After each piece it waits until the server has answered something (or
 * `pauseMs` passed), so a server that answers every recv() sees exactly one piece per recv()
 * whatever the machine's load. Replies pass through untouched.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { HostPort } from '../../core/address.js';

export interface SlicingRelay {
  address: HostPort;
  close(): Promise<void>;
}

export async function startSlicingRelay(upstream: HostPort, fragmentBytes: number, pauseMs: number): Promise<SlicingRelay> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const server = connect({ host: upstream.host, port: upstream.port, noDelay: true });
    client.setNoDelay(true);
    for (const s of [client, server]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        server.destroy();
      });
    }
    let replied: () => void = () => {};
    server.on('data', (chunk: Buffer) => {
      client.write(chunk);
      replied();
    });
    server.on('end', () => client.end());
    const answerOrPause = () =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, pauseMs);
        replied = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    let chain = Promise.resolve();
    client.on('data', (chunk: Buffer) => {
      for (let i = 0; i < chunk.length; i += fragmentBytes) {
        const piece = chunk.subarray(i, i + fragmentBytes);
        chain = chain.then(async () => {
          if (server.destroyed) return;
          const answered = answerOrPause();
          server.write(piece);
          await answered;
        });
      }
    });
    client.on('end', () => void chain.then(() => server.end()));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    address: { host: '127.0.0.1', port },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

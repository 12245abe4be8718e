/**
 * Small TCP servers that fail in one specific way, for error classification tests.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { HostPort } from '../../core/address.js';

export interface TestServer {
  address: HostPort;
  close(): Promise<void>;
}

export type Misbehaviour =
  /** Resets the connection (RST) when the first bytes arrive. */
  | 'reset'
  /** Reads the first bytes, then closes cleanly (FIN) without answering. */
  | 'close-early'
  /** Accepts and reads, never answers. */
  | 'silent';

export async function startMisbehavingServer(kind: Misbehaviour): Promise<TestServer> {
  return listen((socket) => {
    socket.on('error', () => {});
    socket.once('data', () => {
      if (kind === 'reset') socket.resetAndDestroy();
      else if (kind === 'close-early') socket.end();
    });
    socket.on('data', () => {});
  });
}

/** Forwards to `upstream`, then resets both sides once `limitBytes` have gone upstream. */
export async function startCuttingRelay(upstream: HostPort, limitBytes: number): Promise<TestServer> {
  return listen((client) => {
    const server = connect({ host: upstream.host, port: upstream.port });
    let forwarded = 0;
    const kill = () => {
      client.resetAndDestroy();
      server.destroy();
    };
    client.on('error', kill);
    server.on('error', kill);
    server.pipe(client);
    client.on('data', (chunk: Buffer) => {
      const room = limitBytes - forwarded;
      if (room <= 0) return;
      server.write(chunk.subarray(0, room));
      forwarded += Math.min(room, chunk.length);
      if (forwarded >= limitBytes) server.end(() => setTimeout(kill, 20));
    });
  });
}

/** A port that was just free: nothing listens there. */
export async function closedPort(): Promise<HostPort> {
  const server = await listen(() => {});
  await server.close();
  return server.address;
}

async function listen(onConnection: (socket: Socket) => void): Promise<TestServer> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = { host: '127.0.0.1', port: (server.address() as { port: number }).port };
  return {
    address,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

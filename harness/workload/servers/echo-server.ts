/**
 * The built-in echo server: TCP echoes every byte back on the same connection (with
 * backpressure), UDP sends every datagram back to its sender. It neither parses nor checks
 * anything, so what the client gets back is exactly what the path delivered, twice.
 */
import type dgram from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import type { HostPort } from '../../core/address.js';
import type { NetworkPlace } from '../../core/network-place.js';
import { bindUdp, listenTcp, openServerSocket } from './listen.js';

export interface BuiltinServerOptions {
  /** Default 127.0.0.1 (a `place`'s own address when given). */
  host?: string;
  /** Where the sockets live: a wire path's target side. Default: where faultline runs. */
  place?: NetworkPlace;
  /** TCP port (0: a free one), or false for no TCP listener. Default 0. */
  tcp?: number | false;
  /** UDP port (0: a free one), or false for no UDP socket. Default 0. */
  udp?: number | false;
}

export interface EchoServer {
  readonly tcp?: HostPort;
  readonly udp?: HostPort;
  /** Closes the listeners and every connection. Idempotent. */
  close(): Promise<void>;
}

export async function createEchoServer(options: BuiltinServerOptions = {}): Promise<EchoServer> {
  const { place } = options;
  const host = options.host ?? place?.address ?? '127.0.0.1';
  const connections = new Set<Socket>();
  let server: Server | undefined;
  let udpSocket: dgram.Socket | undefined;
  let tcp: HostPort | undefined;
  let udp: HostPort | undefined;

  const close = async () => {
    for (const socket of connections) socket.destroy();
    connections.clear();
    const pending: Array<Promise<void>> = [];
    if (server?.listening) pending.push(new Promise((resolve) => server!.close(() => resolve())));
    if (udpSocket) {
      const socket = udpSocket;
      udpSocket = undefined;
      pending.push(new Promise((resolve) => socket.close(() => resolve())));
    }
    await Promise.all(pending);
  };

  try {
    if (options.tcp !== false) {
      server = createServer({ noDelay: true }, (socket) => {
        connections.add(socket);
        socket.on('error', () => socket.destroy());
        socket.on('close', () => connections.delete(socket));
        socket.pipe(socket);
      });
      const port = options.tcp ?? 0;
      const fd = place && openServerSocket(place, 'tcp', host, port, 'echo server (tcp)');
      tcp = await listenTcp(server, host, port, 'echo server (tcp)', fd);
    }
    if (options.udp !== false) {
      const port = options.udp ?? 0;
      const fd = place && openServerSocket(place, 'udp', host, port, 'echo server (udp)');
      const bound = await bindUdp(host, port, 'echo server (udp)', fd);
      udpSocket = bound.socket;
      udp = bound.address;
      const socket = udpSocket;
      // A send can fail (ICMP unreachable came back, buffer full): the datagram is lost, as on a network.
      const ignore = () => {};
      socket.on('error', ignore);
      socket.on('message', (message, remote) => socket.send(message, remote.port, remote.address, ignore));
    }
  } catch (error) {
    await close();
    throw error;
  }
  return {
    ...(tcp ? { tcp } : {}),
    ...(udp ? { udp } : {}),
    close,
  };
}

/**
 * `tcp: auto` / `udp: auto`: a port that is free right now on 127.0.0.1, found by binding port 0
 * and closing the socket again. Another process could take it before the target binds it (the
 * usual race of this technique); the target then fails to start with "address in use" in its
 * output, which the start error shows.
 */
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import type { Protocol } from '../core/spec.js';

export async function allocateFreePort(protocol: Protocol, host = '127.0.0.1'): Promise<number> {
  if (protocol === 'udp') {
    const socket = createSocket('udp4');
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind(0, host, () => resolve());
      });
      return socket.address().port;
    } finally {
      await new Promise<void>((resolve) => socket.close(() => resolve()));
    }
  }
  const server = createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, host, () => resolve());
    });
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('a TCP server on port 0 reported no port');
    return address.port;
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

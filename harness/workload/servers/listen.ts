/**
 * Binding the built-in servers' sockets, with bind failures turned into user-facing errors
 * (a busy port is the environment's problem, exit 3, not a crash). A server on a wire path's
 * target side listens on a socket its place opened (`openServerSocket`), handed over as `fd`.
 */
import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { Server } from 'node:net';
import type { HostPort } from '../../core/address.js';
import { formatHostPort } from '../../core/address.js';
import { FaultlineError } from '../../core/errors.js';
import type { NetworkPlace } from '../../core/network-place.js';
import type { Protocol } from '../../core/spec.js';

/** Socket buffer size the servers ask for, bytes (the kernel caps it at net.core.[rw]mem_max). */
export const SERVER_SOCKET_BUFFER_BYTES = 8 * 1024 * 1024;

/** A socket bound to host:port in `place`, for listenTcp / bindUdp's `fd`; bind failures as bindUdp's. */
export function openServerSocket(place: NetworkPlace, protocol: Protocol, host: string, port: number, what: string): number {
  try {
    return place.openSocket(protocol, { host, port }).fd;
  } catch (error) {
    throw bindError(error as NodeJS.ErrnoException, { host, port }, what);
  }
}

export function listenTcp(server: Server, host: string, port: number, what: string, fd?: number): Promise<HostPort> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => reject(bindError(error, { host, port }, what));
    server.once('error', onError);
    server.listen(fd === undefined ? { host, port } : { fd }, () => {
      server.off('error', onError);
      const address = server.address();
      if (address === null || typeof address === 'string') {
        reject(new Error(`${what}: unexpected listen address ${String(address)}`));
        return;
      }
      resolve({ host, port: address.port });
    });
  });
}

/** Creates and binds a UDP socket of the right family with large buffers (on `fd` when given). */
export function bindUdp(host: string, port: number, what: string, fd?: number): Promise<{ socket: dgram.Socket; address: HostPort }> {
  const socket = dgram.createSocket({
    type: isIPv6(host) ? 'udp6' : 'udp4',
    recvBufferSize: SERVER_SOCKET_BUFFER_BYTES,
    sendBufferSize: SERVER_SOCKET_BUFFER_BYTES,
  });
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      socket.close();
      reject(bindError(error, { host, port }, what));
    };
    socket.once('error', onError);
    socket.bind(fd === undefined ? { address: host, port } : { fd }, () => {
      socket.off('error', onError);
      resolve({ socket, address: { host, port: socket.address().port } });
    });
  });
}

function bindError(error: NodeJS.ErrnoException, at: HostPort, what: string): Error {
  const where = formatHostPort(at);
  if (error.code === 'EADDRINUSE') {
    return new FaultlineError('ADDRESS_IN_USE', `${what}: ${where} is already in use`, {
      hint: 'pick another port, or 0 for a free one',
      cause: error,
    });
  }
  if (error.code === 'EADDRNOTAVAIL' || error.code === 'EACCES' || error.code === 'ENOTFOUND' || error.code === 'EAFNOSUPPORT') {
    return new FaultlineError('ADDRESS_UNAVAILABLE', `${what}: cannot listen on ${where} (${error.code})`, {
      hint: 'listen on a local address such as 127.0.0.1 or ::1, on a port above 1023',
      cause: error,
    });
  }
  return error;
}

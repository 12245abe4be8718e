/**
 * Creating and binding the UDP proxy's sockets: explicit kernel buffer sizes, and bind errors
 * turned into FaultlineErrors that name the address.
 *
 * Why explicit buffers: a UDP socket whose receive buffer fills drops datagrams silently (only
 * `Udp_RcvbufErrors` in /proc/net/snmp moves). The Linux default (212 992 bytes, which holds
 * about 250 small datagrams because each costs ~800 bytes of kernel bookkeeping) overflows
 * within milliseconds whenever the event loop is busy elsewhere — and that loss would look
 * injected. 4 MiB held, measured on loopback, about 10 000 datagrams of 64 bytes (200 ms at
 * 50 000/s) or 3 600 of 1200 bytes. The kernel caps the request at
 * `net.core.rmem_max`/`wmem_max` (and Linux reports back double what it granted), so what was
 * granted is read back and the caller warns when it is smaller than asked.
 */
import { createSocket, type Socket, type SocketType } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { formatHostPort } from '../core/address.js';
import { FaultlineError } from '../core/errors.js';

/** Receive and send buffer requested for every proxy socket, in bytes. */
export const UDP_SOCKET_BUFFER_BYTES = 4 * 1024 * 1024;

/** `udp6` for IPv6 literals, `udp4` for everything else (IPv4 literals and host names). */
export function udpSocketType(host: string): SocketType {
  return isIPv6(host) ? 'udp6' : 'udp4';
}

/** A socket that asks for `UDP_SOCKET_BUFFER_BYTES` in both directions once bound. */
export function createProxySocket(type: SocketType): Socket {
  return createSocket({
    type,
    recvBufferSize: UDP_SOCKET_BUFFER_BYTES,
    sendBufferSize: UDP_SOCKET_BUFFER_BYTES,
  });
}

/** Linux grants (and reports) twice the size asked for, to cover its bookkeeping overhead. */
const REPORTED_PER_REQUESTED = process.platform === 'linux' ? 2 : 1;

export interface GrantedBuffers {
  /** As the kernel reports them: on Linux, twice the size set. */
  recvBytes: number;
  sendBytes: number;
  /** The kernel capped the request (net.core.rmem_max / wmem_max). */
  short: boolean;
}

/** Judges buffer sizes as the kernel reported them against `UDP_SOCKET_BUFFER_BYTES`. */
export function describeGranted(recvBytes: number, sendBytes: number): GrantedBuffers {
  const wanted = UDP_SOCKET_BUFFER_BYTES * REPORTED_PER_REQUESTED;
  return { recvBytes, sendBytes, short: recvBytes < wanted || sendBytes < wanted };
}

/** What the kernel granted a bound dgram socket, or undefined where the platform will not say. */
export function grantedBuffers(socket: Socket): GrantedBuffers | undefined {
  try {
    return describeGranted(socket.getRecvBufferSize(), socket.getSendBufferSize());
  } catch {
    return undefined;
  }
}

/**
 * Binds `socket` to `host:port` (port 0 = any free port). Rejects with ADDRESS_IN_USE or
 * ADDRESS_UNAVAILABLE naming the address; the caller closes the socket on rejection.
 */
export function bindProxySocket(socket: Socket, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      socket.off('listening', onListening);
      reject(bindError(error, formatHostPort({ host, port })));
    };
    const onListening = () => {
      socket.off('error', onError);
      resolve();
    };
    socket.once('error', onError);
    socket.once('listening', onListening);
    // exclusive: never share the port with cluster workers or another proxy.
    socket.bind({ port, address: host, exclusive: true });
  });
}

/** Maps a bind failure to the user-facing error for `address`. */
export function bindError(error: NodeJS.ErrnoException, address: string): FaultlineError {
  if (error.code === 'EADDRINUSE') {
    return new FaultlineError('ADDRESS_IN_USE', `cannot listen on ${address} (UDP): the address is already in use`, {
      hint: 'pick another port, or 0 for a free one',
      cause: error,
    });
  }
  return new FaultlineError('ADDRESS_UNAVAILABLE', `cannot listen on ${address} (UDP): ${error.code ?? error.message}`, {
    hint: 'listen on an address of this machine, e.g. 127.0.0.1:0',
    cause: error,
  });
}

/**
 * A UDP flow's socket: its own ephemeral port, connected to the endpoint so the kernel filters
 * replies to that peer and reports ICMP errors (ECONNREFUSED when nothing listens) on the socket.
 */
import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { HostPort } from '../core/address.js';
import type { NetworkPlace } from '../core/network-place.js';
import { classifyError, type ClassifiedError } from './classify-error.js';

/** Socket buffers the workloads ask for, bytes (the kernel caps them at net.core.[rw]mem_max). */
export const UDP_SOCKET_BUFFER_BYTES = 8 * 1024 * 1024;

export type UdpOpenOutcome = { ok: true; socket: dgram.Socket } | { ok: false; error: ClassifiedError };

/** With a `place`, the socket is opened there (the client side of a wire path). */
export function openUdpFlow(endpoint: HostPort, place?: NetworkPlace): Promise<UdpOpenOutcome> {
  const socket = dgram.createSocket({
    type: isIPv6(endpoint.host) ? 'udp6' : 'udp4',
    recvBufferSize: UDP_SOCKET_BUFFER_BYTES,
    sendBufferSize: UDP_SOCKET_BUFFER_BYTES,
  });
  return new Promise((resolve) => {
    const onError = (error: Error) => {
      socket.close();
      resolve({ ok: false, error: classifyError(error) });
    };
    socket.once('error', onError);
    const connect = () =>
      socket.connect(endpoint.port, endpoint.host, () => {
        socket.off('error', onError);
        resolve({ ok: true, socket });
      });
    if (!place) return connect();
    try {
      socket.bind({ fd: place.openSocket('udp').fd }, connect);
    } catch (error) {
      onError(error as Error);
    }
  });
}

/** Closes a socket once; resolves when it is closed. */
export function closeUdp(socket: dgram.Socket): Promise<void> {
  return new Promise((resolve) => {
    try {
      socket.close(() => resolve());
    } catch {
      resolve(); // already closed
    }
  });
}

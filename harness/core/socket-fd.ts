/**
 * The descriptor under a Node socket, read from its libuv handle (`_handle.fd`). Not a public API,
 * but there on every Unix since Node 0.x; its users (the native TCP I/O, TCP_INFO on a wire path)
 * do without when it is missing.
 */
import type { Socket } from 'node:net';

/** The socket's descriptor, or undefined (no handle yet or any more, or not a descriptor). */
export function socketFd(socket: Socket): number | undefined {
  const fd = (socket as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}

/**
 * UDP I/O over Node's dgram: portable, one system call and one callback per datagram. The
 * fallback where the native addon is not built (udp-io.ts).
 */
import type { Socket, SocketType } from 'node:dgram';
import { formatHostPort, type HostPort } from '../core/address.js';
import type { UdpEndpoint, UdpHandlers, UdpIo } from './udp-io.js';
import { bindProxySocket, createProxySocket, grantedBuffers } from './udp-socket.js';

class DgramEndpoint implements UdpEndpoint {
  private readonly socket: Socket;
  private closing: Promise<void> | null = null;

  constructor(type: SocketType, private readonly handlers: UdpHandlers) {
    this.socket = createProxySocket(type);
    this.socket.on('message', (data, rinfo) => {
      handlers.read?.(data.length);
      handlers.message(data, formatHostPort({ host: rinfo.address, port: rinfo.port }), undefined);
    });
  }

  async bind(host: string, port: number): Promise<number> {
    await bindProxySocket(this.socket, host, port);
    this.socket.on('error', this.handlers.error);
    return this.socket.address().port;
  }

  connect(host: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      // A name that does not resolve comes back here, not as an 'error' event.
      this.socket.connect(port, host, (error?: Error) => {
        if (error) return reject(error);
        this.socket.on('error', this.handlers.error);
        resolve();
      });
    });
  }

  grantedBuffers() {
    return grantedBuffers(this.socket);
  }

  send(data: Buffer, to?: HostPort): void {
    if (to) this.socket.send(data, to.port, to.host, this.onSent);
    else this.socket.send(data, this.onSent);
  }

  private readonly onSent = (error: Error | null): void => {
    if (error) this.handlers.sendError(error as NodeJS.ErrnoException);
  };

  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      try {
        this.socket.close(() => resolve());
      } catch {
        resolve(); // never bound: nothing to close
      }
    });
    return this.closing;
  }
}

export const dgramUdpIo: UdpIo = {
  kind: 'dgram',
  open: (type, handlers) => new DgramEndpoint(type, handlers),
  deferFlush: (flush) => setImmediate(flush),
};

/**
 * Loopback UDP peers for tests of the UDP engine (and benchmarks): a client that records what it
 * receives, and an echo server that also records who sent what. Both use the proxy's explicit
 * socket buffers, so at the modest rates tests use nothing is lost that the proxy did not drop.
 *
 * Waiting is on conditions, never on sleeps: `waitFor` re-checks its predicate on every received
 * datagram and every few ms (for conditions on the proxy's ledger), and fails with a message
 * after a deadline.
 */
import type { Socket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { formatHostPort, parseHostPort } from '../../core/address.js';
import { createProxySocket, udpSocketType } from '../udp-socket.js';

export interface ReceivedDatagram {
  data: Buffer;
  /** Sender as `host:port` (IPv6 bracketed). */
  from: string;
  /** `performance.now()` at receipt. */
  atMs: number;
}

export interface UdpPeer {
  /** This peer's `host:port`. */
  readonly address: string;
  readonly received: ReceivedDatagram[];
  send(data: Buffer, to: string): void;
  /** Sends all payloads to `to`, `perTurn` at a time, yielding to the event loop in between. */
  sendAll(payloads: Buffer[], to: string, perTurn?: number): Promise<void>;
  /** Resolves once `predicate()` holds; rejects after `timeoutMs` naming `what`. */
  waitFor(predicate: () => boolean, what: string, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** Opens a peer on `host` port 0; with `echo`, it sends every datagram straight back to its sender. */
export async function openUdpPeer(options: { host?: string; echo?: boolean } = {}): Promise<UdpPeer> {
  const host = options.host ?? '127.0.0.1';
  const socket: Socket = createProxySocket(udpSocketType(host));
  const received: ReceivedDatagram[] = [];
  const listeners = new Set<() => void>();
  socket.on('message', (data, rinfo) => {
    received.push({ data, from: formatHostPort({ host: rinfo.address, port: rinfo.port }), atMs: performance.now() });
    if (options.echo) socket.send(data, rinfo.port, rinfo.address);
    for (const listener of listeners) listener();
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind({ port: 0, address: host }, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  const address = formatHostPort({ host, port: (socket.address() as AddressInfo).port });
  let closed = false;

  const send = (data: Buffer, to: string) => {
    const target = parseHostPort(to);
    if (!target) throw new Error(`not an address: ${to}`);
    socket.send(data, target.port, target.host);
  };

  return {
    address,
    received,
    send,
    async sendAll(payloads, to, perTurn = 50) {
      for (let i = 0; i < payloads.length; i++) {
        send(payloads[i]!, to);
        if ((i + 1) % perTurn === 0) await new Promise<void>((resolve) => setImmediate(resolve));
      }
    },
    waitFor(predicate, what, timeoutMs = 5000) {
      if (predicate()) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          if (!predicate()) return;
          finish();
          resolve();
        };
        const poll = setInterval(check, 5);
        const deadline = setTimeout(() => {
          finish();
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
        }, timeoutMs);
        const finish = () => {
          clearInterval(poll);
          clearTimeout(deadline);
          listeners.delete(check);
        };
        listeners.add(check);
      });
    },
    close() {
      if (closed) return Promise.resolve();
      closed = true;
      return new Promise<void>((resolve) => socket.close(() => resolve()));
    },
  };
}

/** A payload of `size` bytes (≥ 4) starting with `seq` as a big-endian uint32. */
export function numberedPayload(seq: number, size = 64): Buffer {
  const data = Buffer.alloc(Math.max(4, size), seq & 0xff);
  data.writeUInt32BE(seq, 0);
  return data;
}

/** The sequence number `numberedPayload` wrote. */
export function payloadSeq(data: Buffer): number {
  return data.readUInt32BE(0);
}

/** Keeps the event loop busy for `ms`, as a long callback or a garbage collection would. */
export function blockEventLoop(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // nothing: the point is not to return to the event loop
  }
}

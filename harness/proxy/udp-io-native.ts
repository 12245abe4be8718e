/**
 * UDP I/O through the native addon (native/udp_batch.c): recvmmsg hands JavaScript up to 64
 * datagrams per call, and everything sent during one JavaScript task leaves in one sendmmsg at
 * its end, runs of equal-sized datagrams to one address as single segmented sends (UDP_SEGMENT).
 * On the proxy's relay path this cuts the system calls per datagram and removes Node's
 * per-datagram callback; docs/performance.md has the measured difference.
 *
 * Send semantics match dgram's: a datagram the kernel refuses goes to `sendError` and the rest
 * are still sent; when the socket's send buffer is full (EAGAIN) the rest wait, in order, until
 * the kernel says it is writable.
 */
import type { SocketType } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { constants } from 'node:os';
import { formatHostPort, type HostPort } from '../core/address.js';
import { errnoError, requireAddon } from './native-addon.js';
import type { SendStats, TimedLine, UdpEndpoint, UdpHandlers, UdpIo } from './udp-io.js';
import { bindError, describeGranted, UDP_SOCKET_BUFFER_BYTES, type GrantedBuffers } from './udp-socket.js';

/** The addon's surface, as udp_batch.c defines it. */
interface NativeSocket {
  bind(ip: string, port: number): number;
  connect(ip: string, port: number): void;
  setBuffers(recvBytes: number, sendBytes: number): [number, number];
  start(
    onBatch: (data: Buffer, lengths: Int32Array, count: number, sources: string[] | null, received: Float64Array) => void,
    onError: (negErrno: number) => void,
    withSources: boolean,
  ): void;
  /** Datagrams sent, or why the first message failed and how many datagrams it held. */
  send(buffers: Buffer[], start: number, end: number, addresses: Array<Buffer | null> | null): number | { errno: number; failed: number };
  waitWritable(onWritable: () => void): void;
  close(): void;
  stats(): SendStats;
  /** A timed send (udp_timed.c): copies `data`, sends it at `atMs` (monotonicMs time) from the sender thread. */
  sendAt(data: Buffer, address: Buffer | null, atMs: number, line: number, ticket: number): void;
}

interface NativeAddon {
  UdpSocket: new (family: 4 | 6) => NativeSocket;
  encodeAddress(family: 4 | 6, ip: string, port: number): Buffer;
  /** Takes a line's timed sends not sent yet out of the sender thread's queue: their tickets, in due order. */
  recallTimed(line: number): Float64Array;
  /** Where the sender thread reports each timed send: errno 0 sent, negative refused or cancelled. */
  onTimedSent(callback: (tickets: Float64Array, errnos: Int32Array) => void): void;
  /** The addon's clock (CLOCK_MONOTONIC) in ms: receive times and due times are on it. */
  monotonicMs(): number;
}

/**
 * performance.now() runs on the same monotonic clock as the addon's, from another origin: the
 * offset between the two is measured once, as the middle of the tightest of a few brackets of
 * performance.now() readings around one of the addon's (the error is half that bracket, well
 * under a microsecond). Receive times and due times cross the boundary as times on the addon's
 * clock, never as durations, so however long JavaScript takes to get to a batch or a send, no
 * deadline moves.
 */
export class ClockBridge {
  /** addon time − performance.now() time */
  private readonly offsetMs: number;

  constructor(addon: Pick<NativeAddon, 'monotonicMs'>) {
    let best = { width: Infinity, offset: 0 };
    for (let i = 0; i < 7; i++) {
      const before = performance.now();
      const native = addon.monotonicMs();
      const after = performance.now();
      if (after - before < best.width) best = { width: after - before, offset: native - (before + after) / 2 };
    }
    this.offsetMs = best.offset;
  }

  toPerformanceNow(addonMs: number): number {
    return addonMs - this.offsetMs;
  }

  toAddon(performanceNowMs: number): number {
    return performanceNowMs + this.offsetMs;
  }
}

const EAGAIN = constants.errno.EAGAIN;

/** Errors the addon throws carry a negative `errno`; give them Node's `code` too. */
function withCode(error: unknown, address?: string): NodeJS.ErrnoException {
  const e = error as NodeJS.ErrnoException;
  if (typeof e.errno === 'number' && e.code === undefined) return errnoError(e.errno, e.syscall ?? 'socket', address);
  return e;
}

class NativeEndpoint implements UdpEndpoint {
  private readonly socket: NativeSocket;
  private readonly family: 4 | 6;
  private granted: GrantedBuffers | undefined;
  private closed = false;
  private peerKey = '';
  /** Sends waiting for the end of this task (or for the socket to become writable). */
  private queue: Buffer[] = [];
  /** Destination per queued datagram; null: the connected peer. */
  private addresses: Array<Buffer | null> = [];
  /** Some queued datagram has a destination (else send() needs no address array). */
  private addressed = false;
  private flushScheduled = false;
  private waitingWritable = false;
  /** sockaddr per destination object: a session's client is encoded once. */
  private readonly encoded = new WeakMap<HostPort, Buffer>();

  constructor(
    private readonly addon: NativeAddon,
    private readonly clock: ClockBridge,
    type: SocketType,
    private readonly handlers: UdpHandlers,
  ) {
    this.family = type === 'udp6' ? 6 : 4;
    this.socket = new addon.UdpSocket(this.family);
  }

  async bind(host: string, port: number): Promise<number> {
    const address = formatHostPort({ host, port });
    let bound: number;
    try {
      bound = this.socket.bind(await this.prepare(host), port);
    } catch (error) {
      throw bindError(withCode(error, address), address);
    }
    this.startReceiving(true);
    return bound;
  }

  async connect(host: string, port: number): Promise<void> {
    const ip = await this.prepare(host);
    if (this.closed) return;
    try {
      this.socket.connect(ip, port);
    } catch (error) {
      throw withCode(error, formatHostPort({ host, port }));
    }
    this.peerKey = formatHostPort({ host: ip, port });
    this.startReceiving(false);
  }

  /** Resolves `host` to an address of this socket's family and sizes the socket's buffers. */
  private async prepare(host: string): Promise<string> {
    const ip = isIP(host) ? host : (await lookup(host, { family: this.family })).address;
    if (!this.closed) {
      const [recvBytes, sendBytes] = this.socket.setBuffers(UDP_SOCKET_BUFFER_BYTES, UDP_SOCKET_BUFFER_BYTES);
      this.granted = describeGranted(recvBytes, sendBytes);
    }
    return ip;
  }

  private startReceiving(withSources: boolean): void {
    this.socket.start(this.onBatch, this.onError, withSources);
  }

  private readonly onBatch = (data: Buffer, lengths: Int32Array, count: number, sources: string[] | null, received: Float64Array): void => {
    this.handlers.read?.(data.length);
    let offset = 0;
    for (let i = 0; i < count && !this.closed; i++) {
      const length = lengths[i]!;
      this.handlers.message(data.subarray(offset, offset + length), sources ? sources[i]! : this.peerKey, this.clock.toPerformanceNow(received[i]!));
      offset += length;
    }
  };

  private readonly onError = (negErrno: number): void => {
    if (!this.closed) this.handlers.error(errnoError(negErrno, 'recvmmsg'));
  };

  grantedBuffers(): GrantedBuffers | undefined {
    return this.granted;
  }

  send(data: Buffer, to?: HostPort): void {
    if (this.closed) return;
    this.queue.push(data);
    if (to) this.addressed = true;
    this.addresses.push(this.sockaddr(to));
    if (!this.flushScheduled && !this.waitingWritable) {
      this.flushScheduled = true;
      queueMicrotask(this.flush);
    }
  }

  /** The encoded destination, or null for the connected peer. */
  private sockaddr(to: HostPort | undefined): Buffer | null {
    if (!to) return null;
    let address = this.encoded.get(to);
    if (!address) {
      address = this.addon.encodeAddress(this.family, to.host, to.port);
      this.encoded.set(to, address);
    }
    return address;
  }

  /** A timed send on this socket (see TimedLine); throws if the socket is closed. */
  sendAt(data: Buffer, to: HostPort | undefined, atMs: number, line: number, ticket: number): void {
    this.socket.sendAt(data, this.sockaddr(to), this.clock.toAddon(atMs), line, ticket);
  }

  private readonly flush = (): void => {
    this.flushScheduled = false;
    if (this.closed) return;
    const queue = this.queue;
    const addresses = this.addressed ? this.addresses : null;
    let next = 0;
    while (next < queue.length) {
      const result = this.socket.send(queue, next, queue.length, addresses);
      if (typeof result === 'number') {
        next += result;
        if (result === 0) break;
        continue;
      }
      if (result.errno === -EAGAIN) break;
      // The message was refused (ECONNREFUSED after an ICMP port unreachable, EMSGSIZE…): its
      // datagrams are not sent, and the ones behind them still are.
      const error = errnoError(result.errno, 'sendmmsg');
      for (let i = 0; i < result.failed; i++) this.handlers.sendError(error);
      next += result.failed;
    }
    if (next === queue.length) {
      this.queue = [];
      this.addresses = [];
      this.addressed = false;
      return;
    }
    // The send buffer is full: keep the rest, in order, for when the kernel has room.
    this.queue = queue.slice(next);
    this.addresses = this.addresses.slice(next);
    this.waitingWritable = true;
    this.socket.waitWritable(this.onWritable);
  };

  private readonly onWritable = (): void => {
    this.waitingWritable = false;
    this.flush();
  };

  sendStats(): SendStats | undefined {
    return this.closed ? undefined : this.socket.stats();
  }

  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      // As dgram does with sends still queued at close: each one fails.
      for (let i = 0; i < this.queue.length; i++) this.handlers.sendError(errnoError(-constants.errno.ECANCELED, 'sendmmsg'));
      this.queue = [];
      this.addresses = [];
      this.addressed = false;
      this.socket.close();
    }
    return Promise.resolve();
  }
}

/**
 * The JavaScript side of the sender thread (udp_timed.c): tickets to callbacks, and lines. One
 * per loaded addon, i.e. per thread that loads it, as the sender thread is per environment.
 */
class TimedSends {
  private readonly waiting = new Map<number, (error?: NodeJS.ErrnoException) => void>();
  private nextTicket = 1;
  private nextLine = 1;
  /** The sender thread starts with the first timed send, not when the addon loads. */
  private started = false;

  constructor(private readonly addon: NativeAddon) {}

  line(): TimedLine {
    const id = this.nextLine++;
    return {
      send: (endpoint, data, to, atMs, sent) => {
        if (!(endpoint instanceof NativeEndpoint)) throw new Error('a timed send needs an endpoint of the native UDP I/O');
        if (!this.started) {
          this.addon.onTimedSent(this.onSent);
          this.started = true;
        }
        const ticket = this.nextTicket++;
        endpoint.sendAt(data, to, atMs, id, ticket);
        this.waiting.set(ticket, sent);
        return ticket;
      },
      recall: () => {
        const tickets = Array.from(this.addon.recallTimed(id));
        for (const ticket of tickets) this.waiting.delete(ticket);
        return tickets;
      },
    };
  }

  private readonly onSent = (tickets: Float64Array, errnos: Int32Array): void => {
    for (let i = 0; i < tickets.length; i++) {
      const sent = this.waiting.get(tickets[i]!);
      if (!sent) continue;
      this.waiting.delete(tickets[i]!);
      const errno = errnos[i]!;
      sent(errno === 0 ? undefined : errnoError(errno, 'sendto'));
    }
  };
}

let loaded: { io?: UdpIo; problem?: string } | undefined;

/** The native UDP I/O, or why it is unavailable (not Linux, not built, does not load). */
export function loadNativeUdpIo(): { io?: UdpIo; problem?: string } {
  loaded ??= load();
  return loaded;
}

function load(): { io?: UdpIo; problem?: string } {
  const { addon, problem } = requireAddon<NativeAddon>();
  if (!addon) return { problem: problem! };
  const timed = new TimedSends(addon);
  const clock = new ClockBridge(addon);
  return {
    io: {
      kind: 'native',
      open: (type, handlers) => new NativeEndpoint(addon, clock, type, handlers),
      deferFlush: queueMicrotask,
      timedLine: () => timed.line(),
    },
  };
}

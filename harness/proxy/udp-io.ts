/**
 * How the UDP engine talks to the kernel: one endpoint per socket (the listener, each session's
 * upstream socket), behind an interface with two implementations.
 *
 *   UdpEngine ──▶ UdpIo.open() ──▶ UdpEndpoint
 *                    ├── native: recvmmsg/sendmmsg, a batch per system call (Linux, udp-io-native.ts)
 *                    └── dgram:  Node's dgram, a system call per datagram (everywhere, udp-io-dgram.ts)
 *
 * Both give the engine the same semantics, and the engine tests run against both: datagrams are
 * never merged or split, a send the kernel refuses is reported to `sendError` (never thrown), an
 * ICMP port unreachable on a connected socket arrives as an `error` with code ECONNREFUSED.
 * Which one a proxy gets is decided in udp-io-choice.ts, so that this interface depends on
 * neither implementation.
 */
import type { SocketType } from 'node:dgram';
import type { HostPort } from '../core/address.js';
import type { GrantedBuffers } from './udp-socket.js';

export interface UdpHandlers {
  /**
   * One read from the kernel, before its datagrams' `message` calls: `bytes` in all. Native I/O
   * reads a batch at once (everything queued, up to 64), dgram one datagram.
   */
  read?(bytes: number): void;
  /**
   * A datagram arrived from `from` (`host:port`, IPv6 bracketed). `data` is the endpoint's to
   * keep. `receivedAt`: when the kernel received it, in performance.now() time, from its receive
   * timestamp (native); undefined where the I/O cannot tell (dgram). An event loop that was busy
   * reads datagrams late, and even an idle one gets to a datagram tens of microseconds after it
   * arrived.
   */
  message(data: Buffer, from: string, receivedAt: number | undefined): void;
  /** A socket error not tied to one send: ECONNREFUSED when an upstream host reported port unreachable. */
  error(error: NodeJS.ErrnoException): void;
  /** The kernel (or, for host names, the resolver) refused one datagram handed to `send`. */
  sendError(error: NodeJS.ErrnoException): void;
}

export interface UdpEndpoint {
  /**
   * Binds `host:port` (port 0 = a free port) and starts receiving; resolves with the bound port.
   * Rejects with ADDRESS_IN_USE or ADDRESS_UNAVAILABLE naming the address; the caller closes.
   */
  bind(host: string, port: number): Promise<number>;
  /** Binds an ephemeral port, connects to `host:port` (resolving a name) and starts receiving. */
  connect(host: string, port: number): Promise<void>;
  /** Socket buffers as granted, once bound or connected; undefined where the platform will not say. */
  grantedBuffers(): GrantedBuffers | undefined;
  /**
   * Sends one datagram to `to`, or to the connected peer. It may leave at the end of the current
   * JavaScript task, batched with the others sent in it; order is kept.
   */
  send(data: Buffer, to?: HostPort): void;
  /** Closes the socket; idempotent. Nothing is received or reported after it resolves. */
  close(): Promise<void>;
  /** Native only: what send() handed the kernel so far. */
  sendStats?(): SendStats | undefined;
}

export interface SendStats {
  /** Messages the kernel took; a segmented run of datagrams is one. */
  messages: number;
  datagrams: number;
  /** False once the kernel refused segmentation offload on this socket. */
  segmentation: boolean;
}

/**
 * Sends that leave at a set time from a thread of their own (native only): the event loop's
 * pauses — a garbage collection, a long callback — do not delay them, as they would a datagram
 * waiting on a timer (docs/decisions.md, "Timed sends leave from a thread of their own").
 * A line groups sends so that the ones not sent yet can be taken back together.
 */
export interface TimedLine {
  /**
   * Sends `data` through `endpoint` (an endpoint of the same UdpIo, open) to `to`, or to its
   * connected peer, at `atMs` in performance.now() time (at once if that has passed). `sent` is called on the event loop once the kernel took
   * the datagram (no argument) or refused it (the error; ECANCELED if the endpoint closed
   * first). Returns a ticket naming this send in `recall`.
   */
  send(endpoint: UdpEndpoint, data: Buffer, to: HostPort | undefined, atMs: number, sent: (error?: NodeJS.ErrnoException) => void): number;
  /** Takes back every send of this line not sent yet, whose `sent` is then never called; returns their tickets in due order. */
  recall(): number[];
}

export interface UdpIo {
  readonly kind: 'native' | 'dgram';
  open(type: SocketType, handlers: UdpHandlers): UdpEndpoint;
  /** A new line of timed sends, where this I/O has them (native). */
  timedLine?(): TimedLine;
  /**
   * When the engine's sends, collected while it handles input, should go out together: native
   * sends each task's datagrams in one system call, so at the end of the task (a received batch
   * or a timer); dgram costs a system call per datagram whatever happens, so at the end of the
   * event loop turn, where the receiver woken by the first is still awake for the rest.
   */
  deferFlush(flush: () => void): void;
}

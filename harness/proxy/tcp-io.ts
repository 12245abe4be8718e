/**
 * How the TCP engine moves a connection's bytes: the two sockets of each connection, behind an
 * interface with two implementations.
 *
 *   TcpEngine ──accept──▶ TcpIo.open(client, upstream) ──▶ TcpSockets { client, server, fastPaths? }
 *                           ├── native: the addon owns both descriptors, and a direction with no
 *                           │           active toxic is relayed in C, without JavaScript
 *                           │           (tcp-io-native.ts, native/tcp_relay.c)
 *                           └── js:     Node's net.Socket; every byte passes through JavaScript
 *
 * The links and the connection see the same socket events either way ('data', 'end', 'drain',
 * 'finish', 'error', 'close', 'connect'), and the engine tests run against both. Native is the
 * default where the addon was built (at install, by native/build.mjs); FAULTLINE_TCP_IO chooses
 * explicitly (`native` fails loudly where the addon is missing, `js` never loads it).
 */
import { connect, type Socket } from 'node:net';
import type { HostPort } from '../core/address.js';
import type { Counters } from '../core/ledger.js';
import type { Direction } from '../core/spec.js';

/** What the engine uses of a socket: the part of net.Socket both implementations provide. */
export interface PeerSocket {
  on(event: 'data', listener: (data: Buffer) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'end' | 'drain' | 'finish', listener: () => void): unknown;
  once(event: 'close' | 'connect', listener: () => void): unknown;
  pause(): unknown;
  resume(): unknown;
  write(data: Buffer): boolean;
  /** FIN once everything written has gone; 'finish' follows. */
  end(): unknown;
  /** Closes at once: FIN, or RST if unread data remains. 'close' follows. */
  destroy(): unknown;
  /** Closes with RST (SO_LINGER 0), so the peer sees ECONNRESET. */
  resetAndDestroy(): unknown;
  readonly destroyed: boolean;
  readonly closed: boolean;
  /** Bytes written that the kernel has not taken yet. */
  readonly writableLength: number;
}

/**
 * One direction forwarded without JavaScript while it has no active toxic (native I/O only). The
 * link switches it, synchronously, between two reads: nothing arrives while a switch happens.
 */
export interface FastPath {
  readonly active: boolean;
  /**
   * Starts forwarding natively. Bytes the link wrote to the sink earlier go first. False when it
   * cannot: the direction is over, or a socket is gone.
   */
  enter(): boolean;
  /**
   * Stops forwarding natively. Returns the bytes read but not forwarded yet, which the link must
   * put first in its chain. (A FIN the fast path read is always forwarded at once: `onEnded`.)
   */
  leave(): Buffer | undefined;
  /** Called when the fast path forwarded the source's FIN: the direction is over ('finish' follows on the sink). */
  onEnded: (() => void) | undefined;
}

export interface TcpSockets {
  client: PeerSocket;
  /** Connecting to the upstream: 'connect' once it is up, 'error' if it cannot be reached. */
  server: PeerSocket;
  fastPaths?: Record<Direction, FastPath>;
  /** Adds what the fast paths moved since the last call to the direction counters given to `open`. */
  syncCounters?(): void;
}

export interface TcpOpenOptions {
  upstream: HostPort;
  /** Direction-level ledger counters: fast paths count into them (at `syncCounters`). */
  counters: Record<Direction, Counters>;
  /** Busy-poll window after small transfers, ms (busy-poll.ts); 0: none. */
  busyPollMs: number;
  /** This connection goes through Node's sockets after all (native I/O only, should never happen): why. */
  fallback(why: string): void;
}

export interface TcpIo {
  readonly kind: 'native' | 'js';
  /** Accept sockets paused (net.Server's pauseOnConnect): `open` takes them over unread. */
  readonly pauseOnConnect: boolean;
  /** The sockets of a new connection: the accepted `client`, and a connection to the upstream. */
  open(client: Socket, options: TcpOpenOptions): TcpSockets;
}

/** Node's sockets: what the TCP engine always did, and what it does where the addon is missing. */
export const jsTcpIo: TcpIo = {
  kind: 'js',
  pauseOnConnect: false,
  open(client, { upstream }) {
    client.setNoDelay(true);
    return { client, server: connect({ ...upstream, allowHalfOpen: true, noDelay: true }) };
  },
};

/**
 * TCP through the native addon (native/tcp_relay.c): the addon takes both descriptors of a
 * connection, and moves each direction one of two ways, switched by the link between two reads.
 *
 *   accepted net.Socket ──fd──▶ TcpPair ◀──fd── net.connect(upstream), once connected
 *   (Node's own descriptors are closed at once: the pair holds duplicates, and nothing was read)
 *
 *   fast (no active toxic): source ──read──▶ lane buffer ──send──▶ sink, in C, never in JavaScript
 *   slow (toxics):          source ──▶ 'data' on a NativeSide ──▶ toxic chain ──▶ write() on the other
 *
 * Each side is a PeerSocket with net.Socket's events, so the engine's links and connection work
 * the same over either I/O. What a fast path moves is counted in the addon, in a Float64Array the
 * pair shares with JavaScript, and folded into the ledger's direction counters by `syncCounters`.
 *
 * The descriptor of a Node socket is read from its libuv handle (`_handle.fd`: core/socket-fd.ts),
 * which is not a public API but has been there on every Unix since Node 0.x; where it is missing,
 * the connection falls back to Node's sockets (jsTcpIo) and says so (`TcpOpenOptions.fallback`).
 */
import { EventEmitter } from 'node:events';
import { connect, type Socket } from 'node:net';
import { bump, LedgerCounter, type Counters } from '../core/ledger.js';
import { socketFd } from '../core/socket-fd.js';
import type { Direction } from '../core/spec.js';
import { errnoError, requireAddon } from './native-addon.js';
import { jsTcpIo, type FastPath, type PeerSocket, type TcpIo, type TcpOpenOptions, type TcpSockets } from './tcp-io.js';

/** The addon's TcpPair, as tcp_relay.c defines it. Sides: 0 client, 1 server; lane l reads side l. */
interface NativePair {
  attach(serverFd: number): void;
  fast(lane: Lane): boolean;
  /** The bytes the lane's buffer held, if any. */
  slow(lane: Lane): Buffer | null;
  read(side: Side, on: boolean): void;
  /** Bytes still queued on the side, or a negative errno. */
  write(side: Side, data: Buffer): number;
  /** 1: FIN sent now; 0: after the queue (FINISH follows); negative: errno. */
  end(side: Side): number;
  close(side: Side, reset: boolean): void;
  /** Per lane: chunks in, bytes in, chunks out, bytes out (fast path only); then queued bytes per side. */
  readonly counters: Float64Array;
}

interface NativeTcpAddon {
  TcpPair: new (clientFd: number, onEvent: (kind: number, side: number, value: unknown) => void, busyPollMs: number) => NativePair;
}

type Side = 0 | 1;
type Lane = 0 | 1;

const Event = { data: 0, end: 1, drain: 2, finish: 3, error: 4, laneDone: 5 } as const;
const LANE_COUNTERS = [LedgerCounter.seen, LedgerCounter.bytesSeen, LedgerCounter.forwarded, LedgerCounter.bytesForwarded];
const QUEUED_OFFSET = 8;
const LANES: Record<Direction, Lane> = { upstream: 0, downstream: 1 };

/** One socket of a pair, as a PeerSocket. */
class NativeSide extends EventEmitter implements PeerSocket {
  destroyed = false;
  closed = false;

  constructor(
    private readonly pair: NativePair,
    private readonly index: Side,
    private readonly beforeClose: (reset: boolean) => void = () => {},
  ) {
    super();
  }

  get writableLength(): number {
    return this.pair.counters[QUEUED_OFFSET + this.index]!;
  }

  pause(): this {
    if (!this.destroyed) this.pair.read(this.index, false);
    return this;
  }

  resume(): this {
    if (!this.destroyed) this.pair.read(this.index, true);
    return this;
  }

  write(data: Buffer): boolean {
    if (this.destroyed) return false;
    const queued = this.pair.write(this.index, data);
    if (queued < 0) this.failSoon(queued, 'write');
    return queued === 0;
  }

  end(): this {
    if (this.destroyed) return this;
    const result = this.pair.end(this.index);
    if (result === 1) process.nextTick(() => this.emit('finish'));
    else if (result < 0) this.failSoon(result, 'shutdown');
    return this;
  }

  destroy(): this {
    this.close(false);
    return this;
  }

  resetAndDestroy(): this {
    this.close(true);
    return this;
  }

  private close(reset: boolean): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.beforeClose(reset);
    this.pair.close(this.index, reset);
    // As Node does: 'close' after the current operation, never inside it.
    process.nextTick(() => {
      this.closed = true;
      this.emit('close');
    });
  }

  /** Errors from a call come later, as Node reports a failed write: never inside the call. */
  private failSoon(negErrno: number, syscall: string): void {
    process.nextTick(() => {
      if (!this.destroyed) this.emit('error', errnoError(negErrno, syscall));
    });
  }
}

class NativeFastPath implements FastPath {
  active = false;
  onEnded: (() => void) | undefined;

  constructor(
    private readonly pair: NativePair,
    private readonly lane: Lane,
  ) {}

  enter(): boolean {
    if (!this.active) this.active = this.pair.fast(this.lane);
    return this.active;
  }

  leave(): Buffer | undefined {
    if (!this.active) return undefined;
    this.active = false;
    return this.pair.slow(this.lane) ?? undefined;
  }

  /** The addon forwarded the source's FIN. */
  ended(): void {
    this.active = false;
    this.onEnded?.();
  }
}

/** A connection's sockets on the addon: see the header. */
function openNative(addon: NativeTcpAddon, client: Socket, options: TcpOpenOptions): TcpSockets {
  const clientFd = socketFd(client);
  if (clientFd === undefined) {
    options.fallback('a Node socket did not expose its descriptor (_handle.fd)');
    const sockets = jsTcpIo.open(client, options);
    process.nextTick(() => client.resume()); // accepted paused (pauseOnConnect), for the addon
    return sockets;
  }
  const sides: NativeSide[] = [];
  const fastPaths: NativeFastPath[] = [];
  const onEvent = (kind: number, side: number, value: unknown): void => {
    switch (kind) {
      case Event.data:
        sides[side]!.emit('data', value as Buffer);
        break;
      case Event.end:
        sides[side]!.emit('end');
        break;
      case Event.drain:
        sides[side]!.emit('drain');
        break;
      case Event.finish:
        sides[side]!.emit('finish');
        break;
      case Event.error:
        sides[side]!.emit('error', errnoError(value as number, 'socket'));
        break;
      case Event.laneDone:
        fastPaths[side]!.ended();
        break;
    }
  };
  const pair = new addon.TcpPair(clientFd, onEvent, options.busyPollMs);
  client.destroy(); // the pair holds its own descriptor; nothing was read from Node's

  const upstream = connect({ ...options.upstream, allowHalfOpen: true, noDelay: true });
  const server = new NativeSide(pair, 1, () => upstream.destroy());
  upstream.once('connect', () => {
    const fd = socketFd(upstream);
    if (server.destroyed) return;
    if (fd === undefined) {
      server.emit('error', Object.assign(new Error('the upstream socket did not expose its descriptor'), { code: 'EBADF' }));
      return;
    }
    pair.attach(fd);
    upstream.destroy();
    server.emit('connect');
  });
  upstream.on('error', (error) => {
    if (!server.destroyed) server.emit('error', error);
  });
  sides.push(new NativeSide(pair, 0), server);
  fastPaths.push(new NativeFastPath(pair, 0), new NativeFastPath(pair, 1));

  const synced = new Float64Array(QUEUED_OFFSET);
  return {
    client: sides[0]!,
    server,
    fastPaths: { upstream: fastPaths[LANES.upstream]!, downstream: fastPaths[LANES.downstream]! },
    syncCounters: () => {
      for (const direction of ['upstream', 'downstream'] as const) {
        const base = LANES[direction] * LANE_COUNTERS.length;
        const counters: Counters = options.counters[direction];
        for (let i = 0; i < LANE_COUNTERS.length; i++) {
          const delta = pair.counters[base + i]! - synced[base + i]!;
          if (delta === 0) continue;
          bump(counters, LANE_COUNTERS[i]!, delta);
          synced[base + i] = pair.counters[base + i]!;
        }
      }
    },
  };
}

let loaded: { io?: TcpIo; problem?: string } | undefined;

/** The native TCP I/O, or why it is unavailable (not Linux, not built, built without TCP, does not load). */
export function loadNativeTcpIo(): { io?: TcpIo; problem?: string } {
  loaded ??= load();
  return loaded;
}

function load(): { io?: TcpIo; problem?: string } {
  const { addon, problem } = requireAddon<Partial<NativeTcpAddon>>();
  if (!addon) return { problem: problem! };
  if (typeof addon.TcpPair !== 'function') return { problem: 'the addon was built before it could forward TCP (rebuild it)' };
  const native = addon as NativeTcpAddon;
  return { io: { kind: 'native', pauseOnConnect: true, open: (client, options) => openNative(native, client, options) } };
}

/**
 * One proxied TCP connection: the accepted client socket, the socket to the upstream server, and
 * a link per direction.
 *
 *   client ◀──▶ [upstream link:   client ─▶ toxics ─▶ server] ◀──▶ server
 *               [downstream link: server ─▶ toxics ─▶ client]
 *
 * It closes the way TCP does. A FIN from one side reaches the other side once that direction's
 * chain has drained, and the other direction keeps flowing (half-close); the connection is done
 * when both directions have sent their FIN. A reset or error on either socket resets the other
 * one (RST, so its peer sees ECONNRESET). An upstream that refuses or cannot be reached resets the
 * client, rather than accepting and closing as Toxiproxy does, so a client can tell "server down"
 * from "server closed". Bytes the client sends while the upstream connects are buffered (with the
 * native I/O, by the kernel: nothing is read until the upstream is up).
 *
 * The sockets come from the engine's TcpIo (tcp-io.ts): Node's, or the native addon's, whose
 * directions skip JavaScript while they have no active toxic (each link decides for its own).
 *
 * Toxicity is decided once per (connection, toxic): the toxic's rng on this connection draws `u`,
 * and the toxic is active iff `u < toxicity`. Updating toxicity re-evaluates against the same `u`,
 * so raising toxicity only ever turns toxics on and lowering only turns them off.
 */
import type { Socket } from 'node:net';
import type { Clock } from '../core/clock.js';
import { bump, LedgerCounter } from '../core/ledger.js';
import type { Rng } from '../core/rng.js';
import type { Direction, ToxicSpec } from '../core/spec.js';
import type { BusyPoll } from './busy-poll.js';
import type { ProxyLog } from './engine.js';
import type { LedgerRecorder } from './ledger-recorder.js';
import type { PeerSocket, TcpIo, TcpSockets } from './tcp-io.js';
import { TcpLink } from './tcp-link.js';
import type { StageHost, ToxicSlot } from './tcp-stage.js';

export interface TcpConnectionOptions {
  /** 0-based accept order on this engine. */
  id: number;
  proxy: string;
  /** The accepted socket, handed to `io`. */
  client: Socket;
  io: TcpIo;
  upstream: { host: string; port: number };
  clock: Clock;
  /** This connection's stream (`…/conn:<id>`); each toxic forks `<toxic name>` from it. */
  rng: Rng;
  ledger: LedgerRecorder;
  log: ProxyLog;
  busyPoll?: BusyPoll;
  /** The proxy's toxics at accept time, in the order they were added. */
  toxics: readonly ToxicSpec[];
  /** Called once, when both sockets are closed. */
  onClosed(connection: TcpConnection): void;
  /** The connection had to go through Node's sockets after all (native I/O): why. */
  onIoFallback(why: string): void;
}

export class TcpConnection {
  readonly id: number;
  /** Resolves once both sockets have closed. */
  readonly closed: Promise<void>;
  private readonly sockets: TcpSockets;
  private readonly client: PeerSocket;
  private readonly server: PeerSocket;
  private readonly links: Record<Direction, TcpLink>;
  private upstreamConnected = false;
  private done = false;

  constructor(private readonly options: TcpConnectionOptions) {
    this.id = options.id;
    this.sockets = options.io.open(options.client, {
      upstream: options.upstream,
      counters: options.ledger.directions,
      busyPollMs: options.busyPoll?.windowMs ?? 0,
      fallback: options.onIoFallback,
    });
    this.client = this.sockets.client;
    this.server = this.sockets.server;

    const slots: Record<Direction, ToxicSlot[]> = { upstream: [], downstream: [] };
    for (const spec of options.toxics) slots[spec.stream].push(this.createSlot(spec));
    this.links = {
      upstream: this.createLink('upstream', this.client, this.server, slots.upstream),
      downstream: this.createLink('downstream', this.server, this.client, slots.downstream),
    };

    this.closed = Promise.all([socketClosed(this.client), socketClosed(this.server)]).then(() => {
      this.teardown();
      this.syncCounters();
      options.onClosed(this);
    });
    this.server.once('connect', () => {
      this.upstreamConnected = true;
    });
    this.client.on('error', (error) => this.onSocketError('client', error));
    this.server.on('error', (error) => this.onSocketError('server', error));
  }

  addToxic(spec: ToxicSpec): Promise<void> {
    return this.links[spec.stream].add(this.createSlot(spec));
  }

  updateToxic(spec: ToxicSpec): Promise<void> {
    return this.links[spec.stream].update(spec.name, spec);
  }

  removeToxic(spec: ToxicSpec): Promise<void> {
    return this.links[spec.stream].remove(spec.name);
  }

  /** Adds what the fast paths forwarded since the last call to the ledger (native I/O only). */
  syncCounters(): void {
    this.sockets.syncCounters?.();
  }

  /** Destroys both sockets (a FIN, or RST if unread data remains); resolves when they closed. */
  destroy(): Promise<void> {
    this.teardown();
    this.client.destroy();
    this.server.destroy();
    return this.closed;
  }

  private createSlot(spec: ToxicSpec): ToxicSlot {
    const rng = this.options.rng.fork(spec.name);
    const u = rng.next();
    const counters = this.options.ledger.toxic(spec.name, spec.type, spec.stream);
    const active = u < spec.toxicity;
    if (active) bump(counters, LedgerCounter.activations);
    return { spec, rng, u, active, state: {}, counters };
  }

  private createLink(direction: Direction, source: PeerSocket, sink: PeerSocket, slots: ToxicSlot[]): TcpLink {
    const host: StageHost = {
      clock: this.options.clock,
      direction,
      reset: (toxic) => this.resetByToxic(direction, toxic),
      close: (toxic) => this.closeByToxic(direction, toxic),
      onToxicError: (toxic, error) =>
        this.log('warn', `internal error in toxic "${toxic}" (${direction}): ${describeError(error)}; passing data through`),
    };
    return new TcpLink({
      direction,
      source,
      sink,
      clock: this.options.clock,
      ...(this.options.busyPoll ? { busyPoll: this.options.busyPoll } : {}),
      counters: this.options.ledger.directions[direction],
      ...(this.sockets.fastPaths ? { fastPath: this.sockets.fastPaths[direction] } : {}),
      host,
      slots,
      onFinished: () => this.onLinkFinished(),
      onInternalError: (error) => this.log('warn', `internal error changing the ${direction} chain: ${describeError(error)}`),
    });
  }

  private onLinkFinished(): void {
    if (this.links.upstream.finished && this.links.downstream.finished) {
      this.teardown();
      this.client.destroy();
      this.server.destroy();
    }
  }

  private resetByToxic(direction: Direction, toxic: string): void {
    if (this.done) return;
    this.options.ledger.event({ direction, toxic, action: LedgerCounter.resets });
    this.log('info', `connection ${this.id} reset by toxic "${toxic}" (${direction})`);
    this.teardown();
    resetSocket(this.client);
    resetSocket(this.server);
  }

  private closeByToxic(direction: Direction, toxic: string): void {
    if (this.done) return;
    this.options.ledger.event({ direction, toxic, action: LedgerCounter.closes });
    this.log('info', `connection ${this.id} closed by toxic "${toxic}" (${direction})`);
    this.links.upstream.closeInput();
    this.links.downstream.closeInput();
  }

  private onSocketError(side: 'client' | 'server', error: Error): void {
    if (this.done) return;
    const code = (error as NodeJS.ErrnoException).code ?? error.message;
    if (side === 'server' && !this.upstreamConnected) {
      const { host, port } = this.options.upstream;
      this.options.ledger.countProxy(LedgerCounter.upstreamRefused);
      this.options.ledger.event({ direction: 'upstream', action: LedgerCounter.upstreamRefused });
      this.log('warn', `connection ${this.id}: upstream ${host}:${port} unreachable (${code}); resetting the client`);
    } else {
      this.log('info', `connection ${this.id}: ${side} ${code}; resetting the ${side === 'client' ? 'server' : 'client'}`);
    }
    this.teardown();
    resetSocket(side === 'client' ? this.server : this.client);
    (side === 'client' ? this.client : this.server).destroy();
  }

  /** Stops every toxic; the sockets are closed by the caller. Idempotent. */
  private teardown(): void {
    if (this.done) return;
    this.done = true;
    this.links.upstream.kill();
    this.links.downstream.kill();
  }

  private log(level: 'info' | 'warn', message: string): void {
    this.options.log({ proxy: this.options.proxy, level, message });
  }
}

/** Closes with RST (SO_LINGER 0), so the peer sees ECONNRESET. */
function resetSocket(socket: PeerSocket): void {
  if (socket.destroyed) return;
  socket.resetAndDestroy();
}

function socketClosed(socket: PeerSocket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.closed) resolve();
    else socket.once('close', () => resolve());
  });
}

function describeError(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

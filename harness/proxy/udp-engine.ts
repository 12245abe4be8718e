/**
 * The UDP engine: one listening socket, one session per client address, and a datagram toxic
 * chain per direction shared by every session (the chains model the path, not a flow).
 *
 *   client A ─┐                                     ┌─ session A socket ─┐
 *   client B ─┴─▶ listener ─▶ [upstream chain] ─────┴─ session B socket ─┴─▶ upstream server
 *                    ▲                                                           │
 *                    └──────── [downstream chain] ◀── the session socket it came back on
 *
 * Each session has its own socket connected to the upstream, so the server sees one source
 * port per client and its replies come back on the socket that identifies the client; they
 * leave through the listener, so the client sees replies from the address it sent to.
 * Datagrams are never merged or split: one `message` in, at most one `send` out per copy.
 *
 * Sessions expire after `sessionIdleTimeoutMs` without a datagram in either direction. One
 * sweep timer (on the injected clock) checks them every idle/4 ms (at most every second), so a
 * session lives between idle and idle + sweep interval past its last datagram. A datagram
 * released by a toxic after its session expired reopens the session (a new source port, as a
 * NAT that forgot the mapping would give) rather than vanish unaccounted.
 *
 * Ledger: `seen`/`bytes_seen` when a datagram arrives, `forwarded`/`bytes_forwarded` when it
 * is handed to the kernel, toxic counters in the chain, and `dropped_down` for what was in
 * flight when the proxy closed. Once nothing is in flight, per direction:
 *
 *   seen + Σ duplicated = forwarded + Σ dropped_{loss,queue,blackhole,limit} + dropped_down
 *
 * `send_errors` (a subset of `forwarded`) counts datagrams the kernel or resolver refused:
 * incidental loss by the proxy itself, which the report keeps apart from injected loss.
 */
import { formatHostPort, HOST_PORT_FORMAT, parseHostPort, type HostPort } from '../core/address.js';
import type { Clock, Timer } from '../core/clock.js';
import { FaultlineError } from '../core/errors.js';
import { LedgerCounter } from '../core/ledger.js';
import { DEFAULT_SESSION_IDLE_TIMEOUT_MS, type Direction, type ToxicSpec } from '../core/spec.js';
import type { Datagram } from '../toxics/types.js';
import type { EngineDeps, ProxyEngine } from './engine.js';
import { DatagramChain, type ReleaseLine } from './udp-datagram-chain.js';
import type { TimedLine, UdpEndpoint, UdpIo } from './udp-io.js';
import { defaultUdpIo } from './udp-io-choice.js';
import { UDP_SOCKET_BUFFER_BYTES, udpSocketType } from './udp-socket.js';

/** Direction-level counter: datagrams counted as forwarded that the kernel or resolver refused. */
export const SEND_ERRORS = 'send_errors';
/** Proxy-level counter: ICMP "port unreachable" reports the upstream's host sent back. */
export const UPSTREAM_REFUSED = LedgerCounter.upstreamRefused;

interface Session {
  /** The client's `host:port` (IPv6 bracketed): the Datagram.session of its datagrams. */
  key: string;
  client: HostPort;
  socket: UdpEndpoint;
  /** Payloads waiting for `connect` to complete, flushed in order; null once connected. */
  pending: Buffer[] | null;
  /** Connecting failed (the upstream host did not resolve): every send is a send error. */
  failed: boolean;
  lastActiveMs: number;
  /** Datagrams handed to a release line to leave through this session's socket, not reported yet. */
  timedSends: number;
}

/** Longest pause between two expiry sweeps, in ms. */
const MAX_SWEEP_INTERVAL_MS = 1000;

export class UdpEngine implements ProxyEngine {
  private listener: UdpEndpoint | null = null;
  private readonly io: UdpIo;
  private readonly sessions = new Map<string, Session>();
  private readonly chains: Record<Direction, DatagramChain>;
  private readonly upstream: HostPort;
  private readonly clock: Clock;
  private readonly idleMs: number;
  private readonly sweepEveryMs: number;
  private sweepTimer: Timer | null = null;
  private closed = false;
  private closing: Promise<void> | null = null;
  /** Sockets whose close() has not completed yet; close() waits for all of them. */
  private readonly socketsClosing = new Set<Promise<void>>();
  /** Error codes already logged, so a flood of identical failures logs once. */
  private readonly loggedErrors = new Set<string>();

  constructor(private readonly deps: EngineDeps) {
    const upstream = parseHostPort(deps.upstream);
    if (!upstream) throw new Error(`UDP engine ${deps.name}: unvalidated upstream "${deps.upstream}"`);
    this.upstream = upstream;
    this.clock = deps.clock;
    this.io = deps.udpIo ?? defaultUdpIo();
    this.idleMs = deps.sessionIdleTimeoutMs ?? DEFAULT_SESSION_IDLE_TIMEOUT_MS;
    this.sweepEveryMs = Math.min(MAX_SWEEP_INTERVAL_MS, Math.max(1, this.idleMs / 4));
    const chain = (direction: Direction, sink: (d: Datagram) => void) =>
      new DatagramChain({ direction, clock: deps.clock, rng: deps.rng, ledger: deps.ledger, sink, release: this.releaseLine(direction) });
    this.chains = {
      upstream: chain('upstream', (datagram) => this.queueSend('upstream', datagram)),
      downstream: chain('downstream', (datagram) => this.queueSend('downstream', datagram)),
    };
  }

  async listen(listen: string): Promise<string> {
    if (this.listener || this.closed) throw new Error(`UDP engine ${this.deps.name}: listen() after listen() or close()`);
    const address = parseHostPort(listen);
    if (!address) {
      throw new FaultlineError('ADDRESS_UNAVAILABLE', `cannot listen on "${listen}" (UDP): expected ${HOST_PORT_FORMAT}`);
    }
    const socket = this.io.open(udpSocketType(address.host), {
      read: this.onRead,
      message: this.onClientDatagram,
      error: (error) => this.logOnce('listener', error),
      sendError: (error) => this.sendFailed('downstream', error),
    });
    let port: number;
    try {
      port = await socket.bind(address.host, address.port);
    } catch (error) {
      await this.closeSocket(socket);
      throw error;
    }
    if (this.closed) {
      await this.closeSocket(socket);
      throw new Error(`UDP engine ${this.deps.name}: closed while binding`);
    }
    this.listener = socket;
    const bound = formatHostPort({ host: address.host, port });
    this.log(`listening on ${bound} (udp, ${this.io.kind} I/O), upstream ${this.deps.upstream}`);
    const granted = socket.grantedBuffers();
    if (granted?.short) {
      this.log(
        `the kernel capped the UDP socket buffers (asked ${UDP_SOCKET_BUFFER_BYTES} bytes; reported recv ${granted.recvBytes}, ` +
          'send ' +
          `${granted.sendBytes}); datagrams may be lost incidentally at high rates — raise net.core.rmem_max and net.core.wmem_max`,
        'warn',
      );
    }
    return bound;
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  addToxic(toxic: ToxicSpec): void {
    this.chains[toxic.stream].add(toxic);
  }

  updateToxic(toxic: ToxicSpec): void {
    this.chains[toxic.stream].update(toxic);
  }

  removeToxic(name: string): void {
    if (!this.chains.upstream.remove(name) && !this.chains.downstream.remove(name)) {
      throw new Error(`UDP engine ${this.deps.name}: no toxic named ${name}`);
    }
  }

  liveCount(): number {
    return this.sessions.size;
  }

  /** Datagrams held by toxics right now, both directions (tests wait on it reaching 0). */
  inFlight(): number {
    return this.chains.upstream.heldCount() + this.chains.downstream.heldCount();
  }

  /** Datagrams through the chains but not sent yet (they go out once this input is handled). */
  queuedSends(): number {
    return this.outbox.length / 2;
  }

  // ── data path ─────────────────────────────────────────────────────────────

  /**
   * Busy polling (busy-poll.ts) judges traffic by reads, as for TCP: a small read (request and
   * response) spins, a read that found a backlog — a native batch of many datagrams — is a flood
   * that keeps the loop busy anyway, and spinning in its gaps would only take CPU from the peers.
   */
  private readonly onRead = (bytes: number): void => {
    this.deps.busyPoll?.touch(bytes);
  };

  private readonly onClientDatagram = (data: Buffer, key: string, receivedAt: number | undefined): void => {
    if (this.closed) return;
    const now = this.clock.now();
    const session = this.sessions.get(key) ?? this.openSession(key, parseHostPort(key)!);
    session.lastActiveMs = now;
    this.arrive('upstream', data, this.arrivedAt(now, receivedAt), key);
  };

  private onUpstreamReply(session: Session, data: Buffer, receivedAt: number | undefined): void {
    if (this.closed) return;
    const now = this.clock.now();
    session.lastActiveMs = now;
    this.arrive('downstream', data, this.arrivedAt(now, receivedAt), session.key);
  }

  /**
   * When the kernel received a datagram the event loop reads now: toxic delays count from then,
   * so neither a busy loop nor the time it takes to get to a datagram makes a delayed datagram
   * late (UdpHandlers.message). A test clock's time is not real time, so there the datagram
   * arrived when it is read.
   */
  private arrivedAt(now: number, receivedAt: number | undefined): number {
    return this.clock.realTime && receivedAt !== undefined ? Math.min(receivedAt, now) : now;
  }

  private arrive(direction: Direction, data: Buffer, arrivedAt: number, session: string): void {
    const counters = this.deps.ledger.directions[direction];
    // The index is the datagram's place in `seen`, which lives in the proxy's ledger: it keeps
    // counting across disable/enable (a new engine), so ledger events never reuse an index.
    const index = counters.seen ?? 0;
    counters.seen = index + 1;
    counters.bytes_seen = (counters.bytes_seen ?? 0) + data.length;
    this.chains[direction].inject({ data, receivedAt: arrivedAt, index, session });
  }

  /**
   * Both chains end here. Sends are collected and go out back to back once the engine is done
   * with its input, when the I/O says (`UdpIo.deferFlush`): with native I/O at the end of the
   * task, as one system call for a whole received batch; with dgram at the end of the event loop
   * turn, so that a receiver woken by a burst's first datagram is still awake for the rest (on
   * loopback a sendmsg runs the receiver's side of the kernel too; measured with dgram, the
   * sustained rate rose from ~76k to ~90k datagrams/s of 1200 bytes).
   */
  private queueSend(direction: Direction, datagram: Datagram): void {
    this.outbox.push(direction === 'upstream' ? this.sendUpstream : this.sendDownstream, datagram);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    this.io.deferFlush(this.flushOutbox);
  }

  /** Alternating [send function, datagram] pairs, in chain order. */
  private outbox: Array<((datagram: Datagram) => void) | Datagram> = [];
  private flushScheduled = false;

  private readonly flushOutbox = (): void => {
    this.flushScheduled = false;
    const outbox = this.outbox;
    this.outbox = [];
    for (let i = 0; i < outbox.length; i += 2) (outbox[i] as (datagram: Datagram) => void)(outbox[i + 1] as Datagram);
  };

  /** Sink of the upstream chain: out through the client's session socket. */
  private readonly sendUpstream = (datagram: Datagram): void => {
    if (this.closed) {
      this.deps.ledger.countDirection('upstream', LedgerCounter.droppedDown);
      return;
    }
    let session = this.sessions.get(datagram.session);
    if (!session) {
      // Expired while a toxic held this datagram: reopen, as the client's next datagram would.
      session = this.openSession(datagram.session, parseHostPort(datagram.session)!);
    }
    if (session.pending) {
      session.pending.push(datagram.data);
      return;
    }
    this.countForwarded('upstream', datagram.data.length);
    if (session.failed) this.deps.ledger.countDirection('upstream', SEND_ERRORS);
    else session.socket.send(datagram.data);
  };

  /** Sink of the downstream chain: out through the listener, to the client. */
  private readonly sendDownstream = (datagram: Datagram): void => {
    if (this.closed || !this.listener) {
      this.deps.ledger.countDirection('downstream', LedgerCounter.droppedDown);
      return;
    }
    const client = this.sessions.get(datagram.session)?.client ?? parseHostPort(datagram.session)!;
    this.countForwarded('downstream', datagram.data.length);
    this.listener.send(datagram.data, client);
  };

  /**
   * Where the I/O has timed sends (native) and time is real, datagrams that a toxic holds at the
   * end of a chain wait for their due time in the sender thread rather than on a timer, so that
   * the event loop's pauses do not make them late (see DatagramChain).
   */
  private releaseLine(direction: Direction): ReleaseLine | undefined {
    const line = this.clock.realTime ? this.io.timedLine?.() : undefined;
    if (!line) return undefined;
    return {
      hold: (datagram, dueMs, sent) => this.sendAt(line, direction, datagram, dueMs, sent),
      recall: () => line.recall(),
    };
  }

  /** What sendUpstream/sendDownstream would do at `dueMs`, handed to `line` now; undefined if it cannot be. */
  private sendAt(line: TimedLine, direction: Direction, datagram: Datagram, dueMs: number, sent: () => void): number | undefined {
    if (this.closed) return undefined;
    let session: Session | undefined;
    let endpoint: UdpEndpoint;
    let to: HostPort | undefined;
    if (direction === 'upstream') {
      session = this.sessions.get(datagram.session);
      // Not connected yet, or connecting failed: the timer path knows what to do.
      if (!session || session.pending || session.failed) return undefined;
      endpoint = session.socket;
    } else {
      if (!this.listener) return undefined;
      endpoint = this.listener;
      to = this.sessions.get(datagram.session)?.client ?? parseHostPort(datagram.session)!;
    }
    const ticket = line.send(endpoint, datagram.data, to, dueMs, (error) => {
      if (session) session.timedSends--;
      this.countForwarded(direction, datagram.data.length);
      if (error) this.sendFailed(direction, error);
      sent();
    });
    if (session) session.timedSends++;
    return ticket;
  }

  private countForwarded(direction: Direction, bytes: number): void {
    const counters = this.deps.ledger.directions[direction];
    counters.forwarded = (counters.forwarded ?? 0) + 1;
    counters.bytes_forwarded = (counters.bytes_forwarded ?? 0) + bytes;
  }

  private sendFailed(direction: Direction, error: NodeJS.ErrnoException): void {
    this.deps.ledger.countDirection(direction, SEND_ERRORS);
    // A connected socket reports an earlier ICMP port unreachable on whichever call comes next;
    // when that is a send, Linux fails (and does not send) that datagram.
    if (error.code === 'ECONNREFUSED') this.deps.ledger.countProxy(UPSTREAM_REFUSED);
    this.logOnce(`send ${direction}`, error);
  }

  // ── sessions ──────────────────────────────────────────────────────────────

  private openSession(key: string, client: HostPort): Session {
    const socket = this.io.open(udpSocketType(this.upstream.host), {
      read: this.onRead,
      message: (data, _from, receivedAt) => this.onUpstreamReply(session, data, receivedAt),
      error: (error) => this.onSessionError(session, error),
      sendError: (error) => this.sendFailed('upstream', error),
    });
    const session: Session = { key, client, socket, pending: [], failed: false, lastActiveMs: this.clock.now(), timedSends: 0 };
    socket.connect(this.upstream.host, this.upstream.port).then(
      () => this.flushPending(session),
      (error: NodeJS.ErrnoException) => this.onConnectFailed(session, error),
    );
    this.sessions.set(key, session);
    this.deps.ledger.countProxy(LedgerCounter.sessionsCreated);
    this.deps.ledger.countProxy(LedgerCounter.sessionsOpen);
    this.log(`session ${key} opened`);
    this.armSweep();
    return session;
  }

  private flushPending(session: Session): void {
    const pending = session.pending;
    session.pending = null;
    if (!pending || this.sessions.get(session.key) !== session) return;
    for (const data of pending) {
      this.countForwarded('upstream', data.length);
      session.socket.send(data);
    }
  }

  private onConnectFailed(session: Session, error: NodeJS.ErrnoException): void {
    // The upstream host did not resolve: what waited is lost, and so is everything this session
    // sends until it expires and a new one tries again.
    const pending = session.pending;
    session.pending = null;
    session.failed = true;
    if (pending) {
      for (const data of pending) {
        this.countForwarded('upstream', data.length);
        this.deps.ledger.countDirection('upstream', SEND_ERRORS);
      }
    }
    this.logOnce('session', error);
  }

  private onSessionError(session: Session, error: NodeJS.ErrnoException): void {
    if (error.code === 'ECONNREFUSED') {
      // ICMP port unreachable: nothing listens on the upstream port (yet).
      this.deps.ledger.countProxy(UPSTREAM_REFUSED);
    }
    this.logOnce(`session`, error);
  }

  private armSweep(): void {
    if (this.sweepTimer || this.closed || this.sessions.size === 0) return;
    this.sweepTimer = this.clock.scheduleAt(this.clock.now() + this.sweepEveryMs, this.sweep);
  }

  private readonly sweep = (): void => {
    this.sweepTimer = null;
    if (this.closed) return;
    const now = this.clock.now();
    for (const session of [...this.sessions.values()]) {
      if (now - session.lastActiveMs >= this.idleMs) this.expire(session);
    }
    this.armSweep();
  };

  private expire(session: Session): void {
    // Datagrams waiting in the sender thread to leave through this socket come back to timers;
    // when due, they reopen the session as any datagram released after expiry does.
    if (session.timedSends > 0) this.chains.upstream.recallReleased();
    this.sessions.delete(session.key);
    this.deps.ledger.countProxy(LedgerCounter.sessionsExpired);
    this.deps.ledger.countProxy(LedgerCounter.sessionsOpen, -1);
    if (session.pending && session.pending.length > 0) {
      this.deps.ledger.countDirection('upstream', LedgerCounter.droppedDown, session.pending.length);
    }
    session.pending = null;
    void this.closeSocket(session.socket);
    this.log(`session ${session.key} expired after ${this.idleMs} ms idle`);
  }

  // ── shutdown ──────────────────────────────────────────────────────────────

  private async shutdown(): Promise<void> {
    this.closed = true;
    // Queued sends find the engine closed and count themselves as dropped_down.
    this.flushOutbox();
    this.sweepTimer?.cancel();
    this.sweepTimer = null;
    this.chains.upstream.dropAll();
    this.chains.downstream.dropAll();
    for (const session of this.sessions.values()) {
      if (session.pending && session.pending.length > 0) {
        this.deps.ledger.countDirection('upstream', LedgerCounter.droppedDown, session.pending.length);
      }
      session.pending = null;
      this.deps.ledger.countProxy(LedgerCounter.sessionsOpen, -1);
      void this.closeSocket(session.socket);
    }
    this.sessions.clear();
    if (this.listener) void this.closeSocket(this.listener);
    this.listener = null;
    // Datagrams the sender thread was sending as the proxy went down are reported shortly after.
    await Promise.all([...this.socketsClosing, this.chains.upstream.drained(), this.chains.downstream.drained()]);
  }

  private closeSocket(socket: UdpEndpoint): Promise<void> {
    const done = socket.close();
    this.socketsClosing.add(done);
    void done.then(() => this.socketsClosing.delete(done));
    return done;
  }

  private log(message: string, level: 'info' | 'warn' = 'info'): void {
    this.deps.log({ proxy: this.deps.name, message, level });
  }

  private logOnce(where: string, error: NodeJS.ErrnoException): void {
    const key = `${where}:${error.code ?? error.message}`;
    if (this.loggedErrors.has(key)) return;
    this.loggedErrors.add(key);
    this.log(`${where} socket error ${error.code ?? ''} ${error.message} (further ones are counted, not logged)`, 'warn');
  }
}

/** Creates the UDP engine for one proxy; `listen()` starts it. */
export function createUdpEngine(deps: EngineDeps): ProxyEngine {
  return new UdpEngine(deps);
}

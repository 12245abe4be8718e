/**
 * The contract between the embedded proxy's registry (names, validation, enable/disable, the
 * Toxiproxy semantics of /populate and /reset) and a protocol engine (sockets and toxic chains).
 * The registry only ever hands an engine validated ToxicSpecs; engines never validate input.
 *
 *   EmbeddedProxy (registry, implements ProxyBackend)
 *     ├── TcpEngine  — listener, connections, per-direction stream toxic chains
 *     └── UdpEngine  — listener, client sessions, per-direction datagram toxic chains
 */
import type { Clock } from '../core/clock.js';
import type { Rng } from '../core/rng.js';
import type { Protocol, ToxicSpec } from '../core/spec.js';
import type { BusyPoll } from './busy-poll.js';
import type { LedgerRecorder } from './ledger-recorder.js';
import type { UdpIo } from './udp-io.js';

/** One line per notable event (accept, refuse, toxic added…); the CLI writes these to stderr. */
export type ProxyLog = (event: { proxy: string; message: string; level?: 'info' | 'warn' }) => void;

export interface EngineDeps {
  name: string;
  protocol: Protocol;
  /** Upstream `host:port`. */
  upstream: string;
  clock: Clock;
  /** This proxy's stream; engines fork per connection/session and toxic (see docs/toxics.md). */
  rng: Rng;
  ledger: LedgerRecorder;
  log: ProxyLog;
  /** UDP: idle ms after which a session is dropped. */
  sessionIdleTimeoutMs?: number;
  /** UDP: how sockets reach the kernel. Absent: `defaultUdpIo()` (native where built, else dgram). */
  udpIo?: UdpIo;
  /** Touched on every read, so the loop polls instead of sleeping between close packets. Absent: none. */
  busyPoll?: BusyPoll;
  /** TCP: the listen backlog (listen-backlog.ts). Absent: the kernel's somaxconn. */
  listenBacklog?: number;
}

export interface ProxyEngine {
  /**
   * Binds `listen` (`host:port`, port 0 = any free port) and starts accepting. Resolves with the
   * bound address as `host:port`. Rejects with FaultlineError ADDRESS_IN_USE (naming the
   * address) or ADDRESS_UNAVAILABLE; on rejection nothing stays open.
   */
  listen(listen: string): Promise<string>;
  /**
   * Stops listening and closes every connection (TCP: both sockets are destroyed) or session
   * (UDP: datagrams in flight are dropped). Idempotent; resolves when every socket is closed.
   */
  close(): Promise<void>;
  /**
   * Toxics apply to live connections immediately, without losing or reordering a byte. An engine
   * may return a promise that resolves once every live connection has applied the change (the
   * TCP engine does: removing a toxic waits for it to flush what it held); callers await it.
   */
  addToxic(toxic: ToxicSpec): void | Promise<void>;
  /** `toxic.name` exists; type and stream are unchanged. */
  updateToxic(toxic: ToxicSpec): void | Promise<void>;
  removeToxic(name: string): void | Promise<void>;
  /** Live connections (TCP) or sessions (UDP), for /metrics. */
  liveCount(): number;
}

/**
 * The ledger: exact counts of what a proxy did, per proxy, direction and toxic. It is what lets a
 * report attribute every anomaly a workload saw either to an injected fault or to something else
 * ("incidental": a kernel buffer drop, a harness that fell behind, a real bug).
 *
 * Counters are open-ended maps so new toxics can add their own, but producers and consumers
 * agree on the names below. All counts only ever grow; a toxic that is removed keeps its
 * counters (a scenario reads the ledger after its faults are gone), and re-adding a toxic with
 * the same name, type and stream continues the same entry.
 */
import type { Direction, ProxyProtocol } from './spec.js';

/** Counter names. Units: `bytes_*` are bytes; everything else counts datagrams or chunks. */
export const LedgerCounter = {
  // proxy level (ProxyLedger.counters)
  connectionsAccepted: 'connections_accepted',
  connectionsOpen: 'connections_open',
  /** TCP: the upstream refused or was unreachable; the client was reset. */
  upstreamRefused: 'upstream_refused',
  sessionsCreated: 'sessions_created',
  sessionsExpired: 'sessions_expired',
  sessionsOpen: 'sessions_open',
  // direction level (ProxyLedger.directions[d]) and toxic level (ToxicLedger.counters)
  /** UDP datagrams / TCP chunks that entered. */
  seen: 'seen',
  forwarded: 'forwarded',
  bytesSeen: 'bytes_seen',
  bytesForwarded: 'bytes_forwarded',
  /** Dropped because the proxy was disabled. */
  droppedDown: 'dropped_down',
  droppedLoss: 'dropped_loss',
  /** Dropped because a bandwidth queue was full. */
  droppedQueue: 'dropped_queue',
  /** Dropped by a timeout (blackhole) toxic, or a wire blackhole fault. */
  droppedBlackhole: 'dropped_blackhole',
  /** Wire paths: dropped for being larger than an `mtu` fault's limit. */
  droppedMtu: 'dropped_mtu',
  droppedLimit: 'dropped_limit',
  duplicated: 'duplicated',
  reordered: 'reordered',
  corrupted: 'corrupted',
  delayed: 'delayed',
  /** TCP `loss`: segments whose delivery was held back by an emulated retransmission timeout. */
  retransmits: 'retransmits',
  /** Times the toxic was active: per connection for TCP, per datagram for UDP. */
  activations: 'activations',
  /** TCP: connections reset by a toxic (reset_peer) / closed by one (timeout, limit_data). */
  resets: 'resets',
  closes: 'closes',
} as const;

/** Counters that count units a proxy dropped, for whatever reason: what a receiver's gaps are set against. */
export const DROP_COUNTERS: readonly string[] = [
  LedgerCounter.droppedDown,
  LedgerCounter.droppedLoss,
  LedgerCounter.droppedQueue,
  LedgerCounter.droppedBlackhole,
  LedgerCounter.droppedLimit,
  LedgerCounter.droppedMtu,
];

export type Counters = Record<string, number>;

/** Increments `counters[counter]` by `n`; the one-liner every engine uses on its hot path. */
export function bump(counters: Counters, counter: string, n = 1): void {
  counters[counter] = (counters[counter] ?? 0) + n;
}

/** Every drop a proxy's ledger records, on both directions and by every toxic. */
export function droppedTotal(ledger: ProxyLedger): number {
  let drops = 0;
  const add = (counters: Counters) => {
    for (const name of DROP_COUNTERS) drops += counters[name] ?? 0;
  };
  for (const counters of Object.values(ledger.directions)) add(counters);
  for (const toxic of ledger.toxics) add(toxic.counters);
  return drops;
}

export interface ToxicLedger {
  name: string;
  type: string;
  stream: Direction;
  counters: Counters;
}

/**
 * How many events a ledger's bounded log keeps (the oldest fall off and are counted): the
 * proxy's LedgerRecorder by default, a wire path's engine always.
 */
export const DEFAULT_EVENT_CAPACITY = 10_000;

/** One notable action, kept in a bounded log for timelines (not every datagram). */
export interface LedgerEvent {
  /** Monotonic ms on the proxy's clock. */
  atMs: number;
  direction: Direction;
  /** The toxic responsible, absent for proxy-level events (down, refused). */
  toxic?: string;
  /** A counter name from LedgerCounter, e.g. `dropped_loss`. */
  action: string;
  /** UDP: per-direction index of the datagram (0-based, in arrival order). */
  datagram?: number;
  bytes?: number;
}

export interface ProxyLedger {
  proxy: string;
  protocol: ProxyProtocol;
  /** Proxy-level counters: connections or sessions. */
  counters: Counters;
  directions: Record<Direction, Counters>;
  toxics: ToxicLedger[];
  /** The most recent notable events, oldest first; `eventsDropped` says how many fell off. */
  events: LedgerEvent[];
  eventsDropped: number;
}

/**
 * Mutable side of the ledger (core/ledger.ts): the proxy engines count into it on the data path,
 * so `count` is a couple of map operations and nothing else. `snapshot()` copies it out as plain
 * JSON for the admin API, `/metrics` and results.
 */
import type { Clock } from '../core/clock.js';
import { DEFAULT_EVENT_CAPACITY, type Counters, type LedgerEvent, type ProxyLedger, type ToxicLedger } from '../core/ledger.js';
import type { Direction, Protocol } from '../core/spec.js';

/**
 * How many removed toxics keep their entry. A scenario reads its ledger after its faults are gone,
 * so removed toxics stay listed; but a long-running `faultline proxy` whose clients add and remove
 * uniquely named toxics would otherwise list every toxic it ever had, in every ledger and every
 * `/metrics` scrape (found by the soak benchmark: memory and event loop delay grew without end).
 */
export const RETIRED_TOXIC_CAPACITY = 100;

export class LedgerRecorder {
  readonly counters: Counters = {};
  readonly directions: Record<Direction, Counters> = { upstream: {}, downstream: {} };
  private readonly toxics = new Map<string, ToxicLedger>();
  /** Keys of removed toxics' entries, oldest first (a Set keeps insertion order). */
  private readonly retired = new Set<string>();
  /** Ring buffer: `events[eventsHead]` is the oldest once the ring is full. */
  private readonly events: LedgerEvent[] = [];
  private eventsHead = 0;
  private eventsDropped = 0;
  private readonly collectors = new Set<() => void>();

  constructor(
    readonly proxy: string,
    readonly protocol: Protocol,
    private readonly clock: Clock,
    private readonly eventCapacity = DEFAULT_EVENT_CAPACITY,
  ) {}

  /** Adds to a proxy-level counter (connections, sessions). Negative `n` for gauges like `*_open`. */
  countProxy(counter: string, n = 1): void {
    this.counters[counter] = (this.counters[counter] ?? 0) + n;
  }

  /** Adds to a direction-level counter (seen, forwarded, bytes_*, dropped_down). */
  countDirection(direction: Direction, counter: string, n = 1): void {
    const counters = this.directions[direction];
    counters[counter] = (counters[counter] ?? 0) + n;
  }

  /**
   * The counter table of one toxic, created on first use. Engines keep the returned object and
   * increment it directly on hot paths; entries persist after the toxic is removed, and a toxic
   * re-added with the same name, type and stream continues the same entry.
   */
  toxic(name: string, type: string, stream: Direction): Counters {
    const key = `${name}\u0000${type}\u0000${stream}`;
    let entry = this.toxics.get(key);
    if (!entry) {
      entry = { name, type, stream, counters: {} };
      this.toxics.set(key, entry);
    }
    this.retired.delete(key);
    return entry.counters;
  }

  /**
   * The toxic `name` was removed: its entry stays listed, among the RETIRED_TOXIC_CAPACITY most
   * recently removed ones; the oldest removed entry beyond that is forgotten.
   */
  retireToxic(name: string): void {
    for (const [key, entry] of this.toxics) {
      if (entry.name !== name) continue;
      this.retired.delete(key);
      this.retired.add(key);
    }
    for (const key of this.retired) {
      if (this.retired.size <= RETIRED_TOXIC_CAPACITY) break;
      this.retired.delete(key);
      this.toxics.delete(key);
    }
  }

  /** Appends to the bounded event log (for timelines; not for every datagram on a hot path). */
  event(event: Omit<LedgerEvent, 'atMs'>): void {
    const entry = { atMs: this.clock.now(), ...event };
    if (this.events.length < this.eventCapacity) {
      this.events.push(entry);
      return;
    }
    this.events[this.eventsHead] = entry;
    this.eventsHead = (this.eventsHead + 1) % this.eventCapacity;
    this.eventsDropped++;
  }

  /**
   * Registers `collect`, called before every snapshot to bring counters up to date that are kept
   * elsewhere (the native TCP fast path counts in the addon). Returns the way to unregister it.
   */
  addCollector(collect: () => void): () => void {
    this.collectors.add(collect);
    return () => this.collectors.delete(collect);
  }

  snapshot(): ProxyLedger {
    for (const collect of this.collectors) collect();
    return {
      proxy: this.proxy,
      protocol: this.protocol,
      counters: { ...this.counters },
      directions: { upstream: { ...this.directions.upstream }, downstream: { ...this.directions.downstream } },
      toxics: [...this.toxics.values()].map((t) => ({ ...t, counters: { ...t.counters } })),
      events: [...this.events.slice(this.eventsHead), ...this.events.slice(0, this.eventsHead)].map((e) => ({ ...e })),
      eventsDropped: this.eventsDropped,
    };
  }
}

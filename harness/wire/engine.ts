/**
 * The packet fault engine of one wire path, as JavaScript sees it: faults by name (validated as
 * resolve-fault.ts says), seeded from the run's Rng, changed while packets flow, and a ledger of
 * what the engine did to every packet. The engine itself is native (wire_engine.c): a thread of
 * its own reads both TUN devices, so the event loop's pauses never hold a packet.
 *
 *   addFault / updateFault / removeFault ──▶ native setFault / removeFault (applied between two
 *                                            rounds of packets, atomically)
 *   ledger() ◀── native ledger(): counters by direction × protocol and fault × protocol,
 *                                 + the drop and reset events since the last read
 */
import { bump, DEFAULT_EVENT_CAPACITY, type Counters } from '../core/ledger.js';
import type { Rng } from '../core/rng.js';
import { DIRECTIONS, type Direction } from '../core/spec.js';
import { FaultlineError } from '../core/errors.js';
import type { NativeWireEngine, WireAddon, WireLayout } from './native.js';
import { patchWireFault, resolveWireFault, type WireFaultInput, type WireFaultPatch, type WireFaultSpec } from '../toxics/wire/resolve-fault.js';

/** Packets are counted by transport: TCP, UDP, and everything else (ICMP, fragments' tails…). */
export type WirePacketProtocol = 'tcp' | 'udp' | 'other';
export const WIRE_PACKET_PROTOCOLS: readonly WirePacketProtocol[] = ['tcp', 'udp', 'other'];

export interface WireFaultLedger {
  name: string;
  type: string;
  stream: Direction;
  /** Whether the fault is on the path now (removed faults keep their counters). */
  active: boolean;
  /** `seen`, `activations`, `dropped_*`, `delayed`, `reordered`, `duplicated`, `corrupted`, `reset_sent`. */
  counters: Record<WirePacketProtocol, Counters>;
}

/** One drop or forged reset, for timelines and time–sequence graphs. */
export interface WireEvent {
  /** performance.now() time of the packet reaching the fault. */
  atMs: number;
  direction: Direction;
  /** The fault's name. */
  fault: string;
  /** A counter name: `dropped_loss`, `reset_sent`, … */
  action: string;
  protocol: WirePacketProtocol;
  /** 0-based arrival index of the packet in its direction. */
  packet: number;
  bytes: number;
  sourcePort: number;
  destinationPort: number;
  /** TCP: the packet's sequence number (for a reset: of the packet that triggered it). */
  tcpSeq: number;
}

/**
 * What the engine did. Per direction, once nothing is held:
 *   seen + Σ duplicated = forwarded + Σ dropped_* (faults) + dropped_down + dropped_overflow + write_errors
 * Forged RSTs are `injected` on the direction they travel, not `seen`.
 */
export interface WireLedger {
  /** `seen`, `bytes_seen`, `forwarded`, `bytes_forwarded`, `injected`, `write_errors`, `dropped_down`, `dropped_overflow`. */
  directions: Record<Direction, Record<WirePacketProtocol, Counters>>;
  /** Packets a fault holds right now (latency, reorder, bandwidth). */
  held: Record<Direction, number>;
  faults: WireFaultLedger[];
  /** The most recent events, oldest first; `eventsDropped` counts those that fell off. */
  events: WireEvent[];
  eventsDropped: number;
}

const DIRECTION_INDEX: Record<Direction, 0 | 1> = { upstream: 0, downstream: 1 };
const PROTOCOL_NUMBER = { tcp: 6, udp: 17 } as const;

interface FaultEntry {
  spec: WireFaultSpec;
  nativeId: number;
}

export class WireFaultEngine {
  private readonly native: NativeWireEngine;
  /** The names behind the native arrays (the ledger's counters, the events' fields). */
  readonly layout: WireLayout;
  private readonly active = new Map<string, FaultEntry>();
  /** Every fault ever added, by native id − 1 (for the ledger). */
  private readonly history: WireFaultSpec[] = [];
  private readonly events: WireEvent[] = [];
  private eventsDropped = 0;
  /** CLOCK_MONOTONIC ms (the addon's, the captures') − performance.now(): an event's `atMs` + this is its capture time. */
  readonly clockOffsetMs: number;
  private closed = false;

  /**
   * Starts the engine's thread on two TUN descriptors. `rng` is the path's stream: fault `NAME`
   * draws from `rng.fork('fault:NAME')`, so the same seed and the same packets give the same
   * decisions, and removing then re-adding a fault starts its stream over.
   */
  constructor(
    addon: WireAddon,
    clientTunFd: number,
    targetTunFd: number,
    private readonly rng: Rng,
  ) {
    this.native = new addon.WireEngine(clientTunFd, targetTunFd);
    this.layout = addon.wireLayout;
    const before = performance.now();
    this.clockOffsetMs = addon.monotonicMs() - (before + performance.now()) / 2;
  }

  /** Validates and adds a fault at the end of its direction's chain; returns it with defaults. */
  addFault(input: WireFaultInput): WireFaultSpec {
    const spec = resolveWireFault(input, this.active.keys());
    const fork = this.rng.fork(`fault:${spec.name}`);
    const seed = [0, 1, 2, 3].map(() => fork.int(0, 0xffff_ffff));
    const nativeId = this.native.setFault(0, { ...toNative(spec), seed });
    this.history[nativeId - 1] = spec;
    this.active.set(spec.name, { spec, nativeId });
    return spec;
  }

  /** Merges `patch` into a fault; its random stream and state (a loss burst, a queue) carry on. */
  updateFault(name: string, patch: WireFaultPatch): WireFaultSpec {
    const entry = this.entry(name);
    const spec = patchWireFault(entry.spec, patch);
    this.native.setFault(entry.nativeId, { ...toNative(spec), seed: [] });
    entry.spec = spec;
    this.history[entry.nativeId - 1] = spec;
    return spec;
  }

  /** Takes a fault off the path; packets it holds continue at once. Its counters stay in the ledger. */
  removeFault(name: string): void {
    const entry = this.entry(name);
    this.native.removeFault(entry.nativeId);
    this.active.delete(name);
  }

  faults(): WireFaultSpec[] {
    return [...this.active.values()].map((e) => e.spec);
  }

  /** A consistent snapshot (taken between two rounds of packets), readable while traffic flows. */
  ledger(): WireLedger {
    const raw = this.native.ledger();
    this.drainEvents();
    const { protocols, directionCounters, faultCounters } = this.layout;
    let i = 0;
    const directions = {} as WireLedger['directions'];
    for (const direction of DIRECTIONS) {
      directions[direction] = {} as Record<WirePacketProtocol, Counters>;
      for (const protocol of protocols) {
        directions[direction][protocol as WirePacketProtocol] = readCounters(raw, i, directionCounters);
        i += directionCounters.length;
      }
    }
    const held = { upstream: raw[i++]!, downstream: raw[i++]! };
    const faults: WireFaultLedger[] = [];
    const byKey = new Map<string, WireFaultLedger>();
    for (let id = 0; id < this.history.length; id++) {
      const spec = this.history[id]!;
      const counters = {} as Record<WirePacketProtocol, Counters>;
      for (const protocol of protocols) {
        counters[protocol as WirePacketProtocol] = readCounters(raw, i, faultCounters);
        i += faultCounters.length;
      }
      const active = raw[i++] === 1;
      // Re-adding a fault with the same name, type and stream continues its entry.
      const key = `${spec.name}\0${spec.type}\0${spec.stream}`;
      const existing = byKey.get(key);
      if (existing) {
        existing.active ||= active;
        for (const protocol of WIRE_PACKET_PROTOCOLS) addCounters(existing.counters[protocol], counters[protocol]);
        continue;
      }
      const entry = { name: spec.name, type: spec.type, stream: spec.stream, active, counters };
      byKey.set(key, entry);
      faults.push(entry);
    }
    return { directions, held, faults, events: [...this.events], eventsDropped: this.eventsDropped };
  }

  /**
   * Writes two pcap files (nanosecond timestamps, LINKTYPE_RAW): every packet that entered the
   * engine, and every packet that left it (forwarded, duplicated, corrupted as sent, forged RSTs).
   * Their record counts are the ledger's `seen` and `forwarded + injected` over the capture.
   */
  startCapture(enteredPath: string, leftPath: string): void {
    this.native.capture(enteredPath, leftPath);
  }

  /**
   * Keeps the most recent `bytes` of both captures in memory (0: stops), so that a run can save
   * them only when it fails: a ring of pcap records, the oldest making room for the newest.
   */
  keepRecent(bytes: number): void {
    this.native.keepRecent(bytes);
  }

  /** Writes what keepRecent() holds as two pcap files, as startCapture() would have; also after close(). */
  saveRecent(enteredPath: string, leftPath: string): void {
    this.native.saveRecent(enteredPath, leftPath);
  }

  /** Stops capturing and flushes the files. */
  stopCapture(): void {
    if (!this.closed) this.native.capture(null);
  }

  /** Stops the thread; what faults still held is counted `dropped_down`. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.native.close();
  }

  private entry(name: string): FaultEntry {
    const entry = this.active.get(name);
    if (!entry) throw new FaultlineError('NOT_FOUND', `wire fault "${name}" does not exist`, { hint: `faults on this path: ${[...this.active.keys()].join(', ') || 'none'}` });
    return entry;
  }

  private drainEvents(): void {
    const { data, lost } = this.native.events();
    const fields = this.layout.eventFields.length;
    const { protocols, faultCounters } = this.layout;
    this.eventsDropped += lost;
    for (let i = 0; i < data.length; i += fields) {
      const [atMs, direction, fault, action, protocol, packet, bytes, sourcePort, destinationPort, tcpSeq] = data.subarray(i, i + fields);
      this.events.push({
        atMs: atMs! - this.clockOffsetMs,
        direction: direction === 0 ? 'upstream' : 'downstream',
        fault: this.history[fault! - 1]?.name ?? '',
        action: faultCounters[action!] ?? String(action),
        protocol: protocols[protocol!] as WirePacketProtocol,
        packet: packet!,
        bytes: bytes!,
        sourcePort: sourcePort!,
        destinationPort: destinationPort!,
        tcpSeq: tcpSeq!,
      });
    }
    if (this.events.length > DEFAULT_EVENT_CAPACITY) {
      this.eventsDropped += this.events.length - DEFAULT_EVENT_CAPACITY;
      this.events.splice(0, this.events.length - DEFAULT_EVENT_CAPACITY);
    }
  }
}

function toNative(spec: WireFaultSpec) {
  return {
    type: spec.type,
    direction: DIRECTION_INDEX[spec.stream],
    protocol: spec.protocol ? PROTOCOL_NUMBER[spec.protocol] : (0 as const),
    port: spec.port ?? 0,
    toxicity: spec.toxicity,
    attributes: spec.attributes,
  };
}

/** Counters that moved, by name; counters that never moved are absent (as in proxy ledgers). */
function readCounters(raw: Float64Array, start: number, names: readonly string[]): Counters {
  const counters: Counters = {};
  names.forEach((name, k) => {
    const value = raw[start + k]!;
    if (value !== 0) counters[name] = value;
  });
  return counters;
}

function addCounters(into: Counters, from: Counters): void {
  for (const [name, value] of Object.entries(from)) bump(into, name, value);
}

/** A counter summed over protocols (absent counters count 0). */
export function sumCounter(byProtocol: Record<WirePacketProtocol, Counters>, counter: string): number {
  return WIRE_PACKET_PROTOCOLS.reduce((sum, p) => sum + (byProtocol[p][counter] ?? 0), 0);
}

/**
 * Drives one datagram toxic by hand, without sockets or an engine: for unit tests, property
 * tests and micro-benchmarks. Emitted datagrams are recorded with the instant they would leave
 * (`now + delayMs`) instead of being scheduled, so a test reads the whole outcome synchronously
 * and a ManualClock only matters to toxics that read `ctx.clock` themselves (bandwidth).
 */
import type { Clock } from '../../core/clock.js';
import type { Counters } from '../../core/ledger.js';
import type { Rng } from '../../core/rng.js';
import type { Direction } from '../../core/spec.js';
import { defaultsOf } from '../attributes.js';
import type { Datagram, DatagramToxic, DatagramToxicContext, DatagramToxicType } from '../types.js';

export interface EmittedDatagram {
  datagram: Datagram;
  /** When it leaves the toxic: the clock's time at emission plus the requested delay. */
  atMs: number;
  /** Emission order, to break ties in `atMs`. */
  order: number;
}

export interface DatagramToxicDriver {
  ctx: DatagramToxicContext;
  counters: Counters;
  /** Indices of dropped datagrams with the reason, in drop order. */
  drops: Array<{ index: number; reason: string }>;
  emitted: EmittedDatagram[];
  /** Feeds one datagram (a payload, or a size for a zero-filled one) and returns it. */
  send(payload: Buffer | number, session?: string): Datagram;
  /** Re-creates the toxic with new attributes over the same rng and state, as an update does. */
  update(attributes: Record<string, number>): void;
  /** Emitted datagrams in the order they leave: by `atMs`, then emission order. */
  delivered(): Datagram[];
}

export function driveDatagramToxic(
  type: DatagramToxicType,
  attributes: Record<string, number>,
  options: { clock: Clock; rng: Rng; direction?: Direction },
): DatagramToxicDriver {
  const counters: Counters = {};
  const drops: Array<{ index: number; reason: string }> = [];
  const emitted: EmittedDatagram[] = [];
  const ctx: DatagramToxicContext = {
    clock: options.clock,
    now: () => options.clock.now(),
    rng: options.rng,
    state: {},
    direction: options.direction ?? 'upstream',
    count(counter, n = 1) {
      counters[counter] = (counters[counter] ?? 0) + n;
    },
    drop(datagram, reason) {
      ctx.count(reason);
      drops.push({ index: datagram.index, reason });
    },
  };
  let toxic: DatagramToxic = type.create({ ...defaultsOf(type.attributes), ...attributes }, ctx);
  let current = { ...defaultsOf(type.attributes), ...attributes };
  let index = 0;
  const emit = (datagram: Datagram, delayMs = 0) => {
    emitted.push({ datagram, atMs: options.clock.now() + Math.max(0, delayMs), order: emitted.length });
  };
  return {
    ctx,
    counters,
    drops,
    emitted,
    send(payload, session = 'client') {
      const data = typeof payload === 'number' ? Buffer.alloc(payload) : payload;
      const datagram: Datagram = { data, receivedAt: options.clock.now(), index: index++, session };
      toxic(datagram, emit);
      return datagram;
    },
    update(attributes) {
      current = { ...current, ...attributes };
      toxic = type.create(current, ctx);
    },
    delivered() {
      return [...emitted].sort((a, b) => a.atMs - b.atMs || a.order - b.order).map((e) => e.datagram);
    },
  };
}

/**
 * Toxics as types, derived from the toxic definitions (toxics/stream, toxics/datagram): each
 * type's name and its attribute schema's keys, per protocol. A new toxic registered there is typed
 * here without a line changing, so `addToxic({ type: 'latency', attributes: { latncy: 5 } })`
 * and a UDP-only toxic on a TCP proxy are compile errors in users' code.
 */
import type { Direction, Protocol } from '../core/spec.js';
import type { datagramToxicTypes } from '../toxics/datagram/index.js';
import type { streamToxicTypes } from '../toxics/stream/index.js';

interface Definitions {
  tcp: (typeof streamToxicTypes)[number];
  udp: (typeof datagramToxicTypes)[number];
}

/** The toxic types a protocol has: `'latency' | 'bandwidth' | …` for TCP, `'loss' | 'reorder' | …` for UDP. */
export type ToxicType<P extends Protocol = Protocol> = Definitions[P]['type'];

/**
 * A toxic's attributes, every one resolved (defaults filled in), in Toxiproxy's keys and units
 * (docs/toxics.md). The erased schema's `string` index is left out: only the type's own keys.
 */
export type ToxicAttributes<P extends Protocol, T extends ToxicType<P>> = {
  -readonly [K in keyof Extract<Definitions[P], { type: T }>['attributes'] as string extends K ? never : K]: number;
};

/** What `addToxic` takes for one toxic type: Toxiproxy's JSON shape, typed. */
export interface ToxicOptions<P extends Protocol, T extends ToxicType<P>> {
  type: T;
  /** Default `<type>_<stream>`; unique across both streams of a proxy. */
  name?: string;
  /** Default `downstream` (server → client). */
  stream?: Direction;
  /** Probability 0..1 that the toxic is active: per connection (TCP) or per datagram (UDP). Default 1. */
  toxicity?: number;
  /** Those left out take their defaults. */
  attributes?: Partial<ToxicAttributes<P, T>>;
}

/** Any toxic of a protocol, as a discriminated union on `type` (what a scenario's fault takes). */
export type AnyToxicOptions<P extends Protocol = Protocol> = P extends Protocol ? { [T in ToxicType<P>]: ToxicOptions<P, T> }[ToxicType<P>] : never;

/** A partial update: attributes merge into the current ones; toxicity stays when left out. */
export interface ToxicUpdate<P extends Protocol, T extends ToxicType<P>> {
  toxicity?: number;
  attributes?: Partial<ToxicAttributes<P, T>>;
}

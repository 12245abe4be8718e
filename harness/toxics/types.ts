/**
 * The contracts every toxic implements. Toxics are pure transforms: they never touch sockets,
 * timers or Math.random; time and randomness come from their context, which is what makes them
 * exact under a ManualClock and replayable from a seed.
 *
 * TCP — a stream toxic transforms one direction of one connection:
 *
 *   client ──▶ reader ──▶ [toxic 1] ──▶ [toxic 2] ──▶ writer ──▶ server      (upstream)
 *
 * Contract (learned from Toxiproxy):
 *  - never lose, duplicate or reorder bytes unless that is the toxic's purpose;
 *  - when `ctx.signal` aborts (the toxic is being removed or updated, or the connection is
 *    closing), finish promptly: yield whatever you hold (in order), stop pulling input, return.
 *    The engine passes unread input on to whatever replaces you, so nothing is lost;
 *  - when the input ends without an abort, the source sent FIN: yield what you hold, return,
 *    and the engine forwards the FIN (slow_close waits first);
 *  - every wait uses `ctx.clock` with `ctx.signal`, so it is interruptible.
 *
 * UDP — a datagram toxic decides each datagram's fate on one direction of one proxy:
 * emit it (now, later, several times, altered) or drop it (count why in the ledger).
 */
import type { Clock } from '../core/clock.js';
import type { Rng } from '../core/rng.js';
import type { Direction, Protocol } from '../core/spec.js';
import type { AttributeSchema } from './attributes.js';
import type { ToxicEffect } from '../core/effect.js';
import type { Problem } from '../core/errors.js';

// ── TCP ─────────────────────────────────────────────────────────────────────

export interface Chunk {
  data: Buffer;
  /**
   * `clock.now()` when the chunk reached this toxic: read from the socket, or emitted by the toxic
   * before it (the engine restamps between stages, so chained delays add up). Latency counts the
   * time a chunk then spends queued behind others.
   */
  receivedAt: number;
}

export interface StreamToxicContext {
  clock: Clock;
  /** Per connection and toxic; the same stream across updates of the toxic. */
  rng: Rng;
  /** Aborts when the toxic must stop (removed, updated, connection closing). */
  signal: AbortSignal;
  /** Per connection and toxic; survives updates (e.g. limit_data's byte count). */
  state: Record<string, unknown>;
  direction: Direction;
  /** Adds to this toxic's ledger counter (see LedgerCounter). */
  count(counter: string, n?: number): void;
  /** Connection-level actions a toxic may take. */
  connection: {
    /** Aborts both sides with a TCP RST: peers see ECONNRESET. */
    reset(): void;
    /** Closes both sides gracefully (FIN) after what was already written. */
    close(): void;
  };
}

export type StreamToxic = (input: AsyncIterable<Chunk>, ctx: StreamToxicContext) => AsyncIterable<Chunk>;

// ── UDP ─────────────────────────────────────────────────────────────────────

export interface Datagram {
  data: Buffer;
  /**
   * When the proxy received it, on the proxy's clock: the kernel's receive time where the I/O
   * reports it (native), else when the event loop read it.
   */
  receivedAt: number;
  /** 0-based arrival index on this proxy direction (the ledger refers to datagrams by it). */
  index: number;
  /** The client session it belongs to (`host:port` of the client). */
  session: string;
}

/** Delivers a datagram to the next toxic (or the socket), optionally `delayMs` after `ctx.now()`. */
export type Emit = (datagram: Datagram, delayMs?: number) => void;

export interface DatagramToxicContext {
  clock: Clock;
  /**
   * The time the datagram being handled reached this toxic, which is what an `emit` delay counts
   * from: for the first toxic on the chain, `receivedAt`; after a toxic held it, when that hold
   * was due (not when its timer happened to fire). Use it rather than `clock.now()` for a
   * datagram's own timing, so that a late event loop does not make datagrams late.
   */
  now(): number;
  /** Per proxy direction and toxic; the same stream across updates of the toxic. */
  rng: Rng;
  /** Per proxy direction and toxic; survives updates (e.g. the loss model's state). */
  state: Record<string, unknown>;
  direction: Direction;
  count(counter: string, n?: number): void;
  /**
   * Accounts for a datagram this toxic drops on purpose (by not emitting it): adds 1 to the
   * toxic's `reason` counter (a LedgerCounter drop name such as `dropped_loss`) and records a
   * bounded ledger event naming the datagram, so a receiver's gaps can be attributed.
   */
  drop(datagram: Datagram, reason: string): void;
}

/** Handles one datagram: call `emit` zero or more times. Must not throw. */
export type DatagramToxic = (datagram: Datagram, emit: Emit) => void;

// ── Types ───────────────────────────────────────────────────────────────────

/**
 * A toxic's attributes as its code sees them: every key of its schema, with its default applied
 * (the registry resolves defaults once, when the toxic is added or updated).
 */
export type Attributes<S extends AttributeSchema> = { readonly [K in keyof S]: number };

interface ToxicTypeBase<S extends AttributeSchema> {
  /** Wire name: `latency`, `reset_peer`, `loss`, … */
  type: string;
  protocol: Protocol;
  /** One line for docs and `faultline toxics`. */
  summary: string;
  attributes: S;
  /** Cross-attribute checks (e.g. slicer size_variation < average_size); paths relative to attributes. */
  check?(attributes: Attributes<S>): Problem[];
  /**
   * What the toxic does to the traffic crossing it (core/effect.ts), for the assertions' expected
   * rates and for calibration; `[]` when it changes neither delivery nor timing in a way they
   * model (slicer, noop). Required: a toxic that does not say is a compile error.
   */
  effects(attributes: Attributes<S>): ToxicEffect[];
}

export interface StreamToxicType<S extends AttributeSchema = AttributeSchema> extends ToxicTypeBase<S> {
  protocol: 'tcp';
  create(attributes: Attributes<S>): StreamToxic;
}

export interface DatagramToxicType<S extends AttributeSchema = AttributeSchema> extends ToxicTypeBase<S> {
  protocol: 'udp';
  create(attributes: Attributes<S>, ctx: DatagramToxicContext): DatagramToxic;
}

export type ToxicType = StreamToxicType | DatagramToxicType;

/**
 * A toxic type as the registry holds it (its schema erased, so every type fits one list), which
 * still says its wire name and attribute schema as types: the public API derives each toxic's
 * typed input from them (api/toxic-types.ts), so a new toxic is typed for users as it is
 * registered.
 */
export type DefinedToxic<Base extends ToxicType, T extends string, S extends AttributeSchema> = Base & { readonly type: T; readonly attributes: S };

/**
 * Declares a TCP stream toxic with its attribute schema, so that `create`, `check` and `effects`
 * see exactly its attributes (`a.latency` is a number, never undefined).
 */
export function defineStreamToxic<const T extends string, const S extends AttributeSchema>(
  type: Omit<StreamToxicType<S>, 'protocol' | 'type'> & { type: T },
): DefinedToxic<StreamToxicType, T, S> {
  return { ...type, protocol: 'tcp' } as unknown as DefinedToxic<StreamToxicType, T, S>;
}

/** Declares a UDP datagram toxic with its attribute schema (see defineStreamToxic). */
export function defineDatagramToxic<const T extends string, const S extends AttributeSchema>(
  type: Omit<DatagramToxicType<S>, 'protocol' | 'type'> & { type: T },
): DefinedToxic<DatagramToxicType, T, S> {
  return { ...type, protocol: 'udp' } as unknown as DefinedToxic<DatagramToxicType, T, S>;
}

/**
 * One active toxic on one direction of one TCP connection: it runs the toxic's async iterable
 * over its input queue and pushes what the toxic yields into its (mutable) output sink.
 *
 *   [input: ChunkQueue] ──▶ toxic(input, ctx) ──▶ output (next stage's queue, or the writer)
 *
 * `stop()` aborts the toxic and waits until it has flushed what it held into `output`; what it had
 * not pulled stays in `input`, and the link decides where it goes (on to the next stage when the
 * toxic is removed, back into the restarted toxic when it is updated). A toxic that returns on its
 * own (input EOF, or after closing/resetting the connection) is `finished`: its output ends, and
 * input pushed after that is discarded.
 */
import type { Clock } from '../core/clock.js';
import { bump, LedgerCounter, type Counters } from '../core/ledger.js';
import type { Rng } from '../core/rng.js';
import type { Direction, ToxicSpec } from '../core/spec.js';
import { findStreamToxicType } from '../toxics/registry.js';
import type { Chunk, StreamToxic, StreamToxicContext } from '../toxics/types.js';
import { ChunkQueue, type ChunkSink } from './chunk-queue.js';

/** Per connection and toxic: what survives updates of the toxic on that connection. */
export interface ToxicSlot {
  spec: ToxicSpec;
  /** The toxic's random stream on this connection (its first draw was `u`). */
  rng: Rng;
  /** Uniform draw in [0, 1) deciding toxicity: active iff `u < spec.toxicity`. Never re-rolled. */
  u: number;
  /** Whether the toxic applies to this connection (`u < toxicity`). */
  active: boolean;
  state: Record<string, unknown>;
  /** This toxic's ledger counters (shared by every connection). */
  counters: Counters;
  /** The running stage while the toxic is active and the link still flows. */
  stage?: ToxicStage;
}

/** What a stage needs from its connection. */
export interface StageHost {
  clock: Clock;
  direction: Direction;
  /** Connection-level actions, attributed to the toxic named. */
  reset(toxic: string): void;
  close(toxic: string): void;
  /** A toxic threw: an internal bug, reported but never fatal to the proxy. */
  onToxicError(toxic: string, error: unknown): void;
}

export class ToxicStage {
  readonly input = new ChunkQueue();
  /** Set only by the link, synchronously, between two pushes. */
  output: ChunkSink;
  /** The toxic returned by itself; its output has ended. */
  finished = false;
  private controller = new AbortController();
  private running: Promise<void> = Promise.resolve();

  constructor(
    readonly slot: ToxicSlot,
    output: ChunkSink,
    private readonly host: StageHost,
  ) {
    this.output = output;
  }

  /** Starts (or restarts, after `stop`) the toxic with the slot's current attributes. */
  start(): void {
    const { spec } = this.slot;
    const type = findStreamToxicType(spec.type);
    if (!type) throw new Error(`toxic "${spec.name}" has unregistered stream type ${spec.type}`);
    this.controller = new AbortController();
    this.running = this.run(type.create(spec.attributes), this.controller.signal);
  }

  /** Aborts the toxic and resolves once it has flushed what it held into `output`. */
  async stop(): Promise<void> {
    this.controller.abort();
    this.input.notify();
    await this.running;
  }

  /** The connection is gone: abort without waiting, discard everything. */
  kill(): void {
    this.controller.abort();
    this.input.close();
  }

  private async run(toxic: StreamToxic, signal: AbortSignal): Promise<void> {
    const { slot, host } = this;
    const { counters } = slot;
    const name = slot.spec.name;
    const ctx: StreamToxicContext = {
      clock: host.clock,
      rng: slot.rng,
      signal,
      state: slot.state,
      direction: host.direction,
      count: (counter, n = 1) => bump(counters, counter, n),
      connection: {
        reset: () => host.reset(name),
        close: () => host.close(name),
      },
    };
    const onPull = (chunk: Chunk) => {
      bump(counters, LedgerCounter.seen);
      bump(counters, LedgerCounter.bytesSeen, chunk.data.length);
    };
    const input = this.input.iterate(signal, onPull);
    try {
      for await (const chunk of toxic(input, ctx)) this.emit(chunk);
    } catch (error) {
      // A bug in a toxic must not lose the connection's data: report it, then pass through.
      host.onToxicError(name, error);
      for await (const chunk of input) this.emit(chunk);
    }
    if (signal.aborted) return;
    this.finished = true;
    this.input.close();
    this.output.end();
  }

  private emit(chunk: Chunk): void {
    const { counters } = this.slot;
    bump(counters, LedgerCounter.forwarded);
    bump(counters, LedgerCounter.bytesForwarded, chunk.data.length);
    // Restamp: the next toxic counts its delays from when the chunk reached it, so chained
    // latencies add up and a latency after a bandwidth limit adds to the serialization time.
    this.output.push({ data: chunk.data, receivedAt: this.host.clock.now() });
  }
}

/**
 * One direction of one proxied TCP connection: a reader on the source socket, the active toxics
 * of that direction as a chain of stages, and a writer on the sink socket.
 *
 *   source ──'data'──▶ head ──▶ [stage 1] ──▶ [stage 2] ──▶ writer ──write()──▶ sink
 *                      (head is the writer itself when no toxic is active)
 *   source ══════════════ fast path (native I/O): relayed in C ═══════════════════▶ sink
 *                      (while no toxic is active, where the I/O has one: tcp-io.ts)
 *
 * The fast path is entered whenever the chain has no stage left (at start, after the last active
 * toxic is removed or deactivated), and left, synchronously, as a stage goes in: the bytes it had
 * read but not forwarded come back and go first into the new chain. Everything the writer wrote
 * before entering goes to the sink before anything relayed. No byte can be lost, duplicated or
 * reordered at either switch, as both happen between two reads (tcp-hot-swap.property.test.ts
 * crosses them at random, many times per connection).
 *
 * Chain changes run one at a time per link (an op queue), and the part that rewires the chain is
 * synchronous, so no chunk can slip past or be pushed into a stage being removed:
 *  - add / activate: a new stage is spliced in at the toxic's place in the chain;
 *  - remove / deactivate: abort the stage, wait for it to flush what it held, move its unread
 *    input behind that, and point the previous element at its output;
 *  - update: abort and restart the same stage with the new attributes (same rng and state).
 * EOF is an end marker that flows through the chain behind the data; when it reaches the writer,
 * the sink gets a FIN.
 *
 * Backpressure: bytes read but not yet handed to the sink socket, plus the sink's own write
 * buffer, are bounded by HIGH_WATER_BYTES: above it the source is paused (its kernel buffers fill
 * and its peer's TCP window closes, as on a slow path), below LOW_WATER_BYTES it resumes.
 */
import type { Clock } from '../core/clock.js';
import { bump, LedgerCounter, type Counters } from '../core/ledger.js';
import type { Direction, ToxicSpec } from '../core/spec.js';
import type { Chunk } from '../toxics/types.js';
import type { ChunkSink } from './chunk-queue.js';
import type { BusyPoll } from './busy-poll.js';
import type { FastPath, PeerSocket } from './tcp-io.js';
import { ToxicStage, type StageHost, type ToxicSlot } from './tcp-stage.js';

/** Pause the source above this many bytes in flight in one link. */
export const HIGH_WATER_BYTES = 8 * 1024 * 1024;
/** Resume it below this many. */
export const LOW_WATER_BYTES = 4 * 1024 * 1024;

export interface TcpLinkOptions {
  direction: Direction;
  source: PeerSocket;
  sink: PeerSocket;
  clock: Clock;
  /** Forwarding without JavaScript while no toxic is active; absent where the I/O has none. */
  fastPath?: FastPath;
  busyPoll?: BusyPoll;
  /** Direction-level ledger counters (seen, forwarded, bytes_*). */
  counters: Counters;
  host: StageHost;
  /** The link's chain order: slots of this direction's toxics, in the order they were added. */
  slots: ToxicSlot[];
  /** The writer's FIN has been flushed to the sink socket. */
  onFinished(): void;
  /** A chain operation failed: an internal bug. */
  onInternalError(error: unknown): void;
}

export class TcpLink implements ChunkSink {
  readonly direction: Direction;
  /** True once the writer's FIN reached the socket. */
  finished = false;
  private readonly source: PeerSocket;
  private readonly sink: PeerSocket;
  private readonly fastPath: FastPath | undefined;
  private readonly clock: Clock;
  private readonly counters: Counters;
  private readonly host: StageHost;
  private readonly slots: ToxicSlot[];
  /** Where the reader pushes: the first stage's input, or this link's writer side. */
  private head: ChunkSink;
  private ops: Promise<void> = Promise.resolve();
  private readerEnded = false;
  /** The connection is closing: reads are discarded. */
  private inputClosed = false;
  private writerEnded = false;
  private pendingBytes = 0;
  private paused = false;
  private dead = false;

  constructor(private readonly options: TcpLinkOptions) {
    this.direction = options.direction;
    this.source = options.source;
    this.sink = options.sink;
    this.clock = options.clock;
    this.counters = options.counters;
    this.host = options.host;
    this.slots = options.slots;
    this.fastPath = options.fastPath;
    this.head = this;
    for (const slot of this.slots) if (slot.active) this.insert(slot);

    this.source.on('data', (data: Buffer) => this.onData(data));
    this.source.on('end', () => {
      if (this.inputClosed) return;
      this.readerEnded = true;
      this.head.end();
    });
    this.sink.on('drain', () => this.maybeResume());
    this.sink.on('finish', () => {
      this.finished = true;
      this.options.onFinished();
    });
    if (this.fastPath) {
      this.fastPath.onEnded = () => {
        // The source's FIN went through natively: the direction is over ('finish' follows).
        this.readerEnded = true;
        this.writerEnded = true;
      };
      this.enterFastPathIfIdle();
    }
  }

  // ── the writer (ChunkSink): the end of the chain ─────────────────────────

  get ended(): boolean {
    return this.writerEnded;
  }

  push(chunk: Chunk): void {
    // A destroyed sink means the connection is being torn down: nothing more to deliver.
    if (this.writerEnded || this.sink.destroyed) return;
    const n = chunk.data.length;
    this.pendingBytes -= n;
    bump(this.counters, LedgerCounter.forwarded);
    bump(this.counters, LedgerCounter.bytesForwarded, n);
    this.sink.write(chunk.data);
    if (this.paused) this.maybeResume();
  }

  end(): void {
    if (this.writerEnded) return;
    this.writerEnded = true;
    if (!this.sink.destroyed) this.sink.end();
  }

  // ── the reader ───────────────────────────────────────────────────────────

  private onData(data: Buffer): void {
    this.options.busyPoll?.touch(data.length);
    if (this.inputClosed) return;
    const n = data.length;
    bump(this.counters, LedgerCounter.seen);
    bump(this.counters, LedgerCounter.bytesSeen, n);
    this.pendingBytes += n;
    this.head.push({ data, receivedAt: this.clock.now() });
    if (!this.paused && this.pendingBytes + this.sink.writableLength > HIGH_WATER_BYTES) {
      this.paused = true;
      this.source.pause();
    }
  }

  private maybeResume(): void {
    if (this.paused && !this.dead && this.pendingBytes + this.sink.writableLength <= LOW_WATER_BYTES) {
      this.paused = false;
      this.source.resume();
    }
  }

  /**
   * Graceful close requested by a toxic: behave as if the source sent FIN now (what is in the
   * chain still drains, then the sink gets FIN), and read-and-discard whatever the source sends
   * after this, so it is not blocked on a full window.
   */
  closeInput(): void {
    if (this.inputClosed) return;
    this.leaveFastPath();
    this.inputClosed = true;
    if (!this.readerEnded) {
      this.readerEnded = true;
      this.head.end();
    }
    if (this.paused) {
      this.paused = false;
      this.source.resume();
    }
  }

  /** The connection is gone: abort every stage, discard everything. */
  kill(): void {
    this.dead = true;
    for (const slot of this.slots) slot.stage?.kill();
  }

  // ── chain changes ────────────────────────────────────────────────────────

  /** A toxic added to the proxy: appended to this direction's chain. */
  add(slot: ToxicSlot): Promise<void> {
    return this.enqueue(() => {
      this.slots.push(slot);
      if (slot.active) this.insert(slot);
    });
  }

  /** New attributes and/or toxicity; activation follows the slot's fixed draw `u`. */
  update(name: string, spec: ToxicSpec): Promise<void> {
    return this.enqueue(async () => {
      const slot = this.slots.find((s) => s.spec.name === name);
      if (!slot) return;
      slot.spec = spec;
      const active = slot.u < spec.toxicity;
      if (active && !slot.active) {
        slot.active = true;
        bump(slot.counters, LedgerCounter.activations);
        this.insert(slot);
      } else if (!active && slot.active) {
        slot.active = false;
        await this.detach(slot);
      } else if (active && slot.stage && !slot.stage.finished) {
        await slot.stage.stop();
        if (!this.dead) slot.stage.start();
      }
    });
  }

  remove(name: string): Promise<void> {
    return this.enqueue(async () => {
      const slot = this.slots.find((s) => s.spec.name === name);
      if (!slot) return;
      await this.detach(slot);
      const index = this.slots.indexOf(slot);
      if (index >= 0) this.slots.splice(index, 1);
    });
  }

  /** Resolves once every chain change queued so far has been applied. */
  settled(): Promise<void> {
    return this.ops;
  }

  private enqueue(op: () => void | Promise<void>): Promise<void> {
    this.ops = this.ops
      .then(() => (this.dead || this.writerEnded ? undefined : op()))
      .then(() => this.enterFastPathIfIdle())
      .catch((error: unknown) => this.options.onInternalError(error));
    return this.ops;
  }

  // ── the fast path ────────────────────────────────────────────────────────

  /** Hands the direction to the fast path if nothing in JavaScript has to see its bytes. */
  private enterFastPathIfIdle(): void {
    const fast = this.fastPath;
    if (!fast || fast.active || this.head !== this || this.dead || this.inputClosed || this.readerEnded || this.writerEnded) return;
    fast.enter();
  }

  /** Takes the direction back: what the fast path held goes first. */
  private leaveFastPath(): void {
    if (!this.fastPath?.active) return;
    const held = this.fastPath.leave();
    if (!held) return;
    // Counted as seen by the fast path when it read them; forwarded when the writer writes them.
    this.pendingBytes += held.length;
    this.head.push({ data: held, receivedAt: this.clock.now() });
  }

  /** Splices a stage for `slot` into the chain at its place (synchronous). */
  private insert(slot: ToxicSlot): void {
    const index = this.slots.indexOf(slot);
    const previous = this.previousStaged(index);
    let next: ChunkSink = this;
    for (let i = index + 1; i < this.slots.length; i++) {
      const stage = this.slots[i]!.stage;
      if (stage) {
        next = stage.input;
        break;
      }
    }
    // Everything after this point has ended: there is nothing left to act on.
    if (next.ended) return;
    const stage = new ToxicStage(slot, next, this.host);
    const previousEnded = previous ? previous.finished : this.readerEnded;
    if (previousEnded) stage.input.end();
    this.setOutputOf(previous, stage.input);
    slot.stage = stage;
    stage.start();
    // The first stage of a fast direction: what the fast path held goes through the toxic.
    this.leaveFastPath();
  }

  /** Takes `slot`'s stage out of the chain without losing or reordering a byte. */
  private async detach(slot: ToxicSlot): Promise<void> {
    const stage = slot.stage;
    if (!stage) return;
    await stage.stop();
    if (this.dead) return;
    // Synchronous from here: the stage flushed what it held into its output; what it never
    // pulled follows, and the element before it now feeds its output directly.
    stage.input.drainInto(stage.output);
    this.setOutputOf(this.previousStaged(this.slots.indexOf(slot)), stage.output);
    slot.stage = undefined;
  }

  private previousStaged(index: number): ToxicStage | undefined {
    for (let i = index - 1; i >= 0; i--) {
      const stage = this.slots[i]!.stage;
      if (stage) return stage;
    }
    return undefined;
  }

  private setOutputOf(stage: ToxicStage | undefined, sink: ChunkSink): void {
    if (stage) stage.output = sink;
    else this.head = sink;
  }
}

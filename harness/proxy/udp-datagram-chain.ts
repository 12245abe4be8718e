/**
 * One direction of a UDP proxy: the datagram toxics in insertion order, and the datagrams they
 * hold. A datagram runs through the chain synchronously; a toxic that asks for a delay parks it
 * here (one clock timer per held datagram) and it resumes with the toxics *after* that one.
 *
 *   inject(d) ──▶ [stage seq 1] ──▶ [stage seq 4] ──▶ … ──▶ sink(d)      (the socket send)
 *                      │ emit(d, 30)            ▲
 *                      └──▶ held ── 30 ms ──────┘ resumes at the first stage with seq > 1
 *
 * Stages are identified by a sequence number that only grows, so hot changes are well defined:
 * a datagram released from stage 1 continues with whatever stages with seq > 1 exist *then*
 * (including ones added while it waited). Removing a stage releases what it holds at once;
 * updating it keeps its rng, its state and what it holds. `dropAll` (the proxy going down)
 * cancels everything held and counts it as `dropped_down`.
 *
 * Time: a datagram's delays count from when it reached the stage (ctx.now()): for the first
 * stage, its arrival (the kernel's receive time with native I/O); after a hold, when the hold
 * was due. An event loop that reads late or fires a timer late therefore adds nothing to a
 * datagram's delay, and delays in sequence add up exactly.
 *
 * A datagram held by the *last* stage goes nowhere but the socket when it is due, so, where the
 * engine offers a release line (native I/O: a sender thread, see TimedLine), the chain hands it
 * over instead of arming a timer, and the event loop's pauses cannot make it late. It still
 * counts as held until the line reports it sent. Anything that changes what comes after the
 * last stage takes such datagrams back first (`recallReleased`): adding a stage (they must pass
 * through it), removing one, and the proxy going down; they then wait on timers, due as before.
 *
 * Toxicity is decided per datagram: a stage is active for a datagram iff u < toxicity, with u
 * drawn from the stage's own toxicity stream, so the toxic's own stream sees exactly the
 * datagrams it acts on. An inactive stage passes the datagram straight on.
 */
import type { Clock, Timer } from '../core/clock.js';
import { bump, LedgerCounter, type Counters } from '../core/ledger.js';
import type { Rng } from '../core/rng.js';
import type { Direction, ToxicSpec } from '../core/spec.js';
import { findDatagramToxicType } from '../toxics/registry.js';
import type { Datagram, DatagramToxic, DatagramToxicContext, Emit } from '../toxics/types.js';
import type { LedgerRecorder } from './ledger-recorder.js';

export interface DatagramChainOptions {
  direction: Direction;
  clock: Clock;
  /** The proxy's stream; each toxic forks `${direction}/${name}` from it. */
  rng: Rng;
  ledger: LedgerRecorder;
  /** Called for each datagram that leaves the last stage (it sends it and counts `forwarded`). */
  sink: (datagram: Datagram) => void;
  /** Where the last stage's held datagrams can wait off the event loop (see above). */
  release?: ReleaseLine;
}

/** Sends a datagram at its due time as the sink would, without the event loop (see above). */
export interface ReleaseLine {
  /**
   * Takes `datagram`, due at `dueMs` on the chain's clock, sends it then and counts it as the
   * sink does, and calls `sent` on the event loop afterwards. Returns a ticket for `recall`, or
   * undefined where it cannot take this datagram (the chain then holds it on a timer).
   */
  hold(datagram: Datagram, dueMs: number, sent: () => void): number | undefined;
  /** Takes back every datagram not sent yet (their `sent` never comes); returns their tickets. */
  recall(): number[];
}

interface Held {
  datagram: Datagram;
  stage: Stage;
  dueMs: number;
  /** Tie-break for equal due times: release in the order they were parked. */
  order: number;
  /** Waiting on the clock; null while the release line has it. */
  timer: Timer | null;
  /** The release line's ticket while it has the datagram. */
  ticket: number | undefined;
}

interface Stage {
  seq: number;
  spec: ToxicSpec;
  ctx: DatagramToxicContext;
  handle: DatagramToxic;
  toxicityRng: Rng;
  counters: Counters;
  held: Set<Held>;
  emit: Emit;
}

export class DatagramChain {
  private stages: Stage[] = [];
  private nextSeq = 1;
  private nextHeldOrder = 0;
  private heldTotal = 0;
  /** Held datagrams the release line has, by ticket. */
  private readonly released = new Map<number, Held>();
  /** The time of the run in progress (see run). */
  private runAt = 0;
  private drainedWaiters: Array<() => void> = [];

  constructor(private readonly options: DatagramChainOptions) {}

  /** Runs a datagram that just arrived through the whole chain; its delays count from `receivedAt`. */
  inject(datagram: Datagram): void {
    this.run(datagram, 0, datagram.receivedAt);
  }

  has(name: string): boolean {
    return this.stages.some((s) => s.spec.name === name);
  }

  /** Datagrams parked by toxics right now, including those the release line has not sent yet. */
  heldCount(): number {
    return this.heldTotal;
  }

  /** Resolves once nothing is held (after `dropAll`, once the release line's last reports came in). */
  drained(): Promise<void> {
    if (this.heldTotal === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainedWaiters.push(resolve));
  }

  /**
   * Takes back what the release line has not sent yet; those datagrams wait on timers again,
   * due when they were, in due order. The engine calls it before closing a socket they would
   * leave through.
   */
  recallReleased(): void {
    if (this.released.size === 0) return;
    for (const ticket of this.options.release!.recall()) {
      const held = this.released.get(ticket)!;
      this.released.delete(ticket);
      held.ticket = undefined;
      held.timer = this.arm(held);
    }
  }

  /** Appends a toxic (a validated spec whose stream is this chain's direction). */
  add(spec: ToxicSpec): void {
    const type = findDatagramToxicType(spec.type);
    if (!type) throw new Error(`unregistered UDP toxic type ${spec.type}`);
    if (this.has(spec.name)) throw new Error(`toxic ${spec.name} is already on the ${this.options.direction} chain`);
    // Datagrams the last stage handed to the release line must pass through the new stage too.
    this.recallReleased();
    const { direction, clock, rng, ledger } = this.options;
    const counters = ledger.toxic(spec.name, spec.type, direction);
    const toxicRng = rng.fork(`${direction}/${spec.name}`);
    const ctx: DatagramToxicContext = {
      clock,
      now: () => this.runAt,
      rng: toxicRng,
      state: {},
      direction,
      count: (counter, n = 1) => bump(counters, counter, n),
      drop: (datagram, reason) => {
        bump(counters, reason);
        ledger.event({ direction, toxic: spec.name, action: reason, datagram: datagram.index, bytes: datagram.data.length });
      },
    };
    const stage: Stage = {
      seq: this.nextSeq++,
      spec,
      ctx,
      handle: type.create(spec.attributes, ctx),
      toxicityRng: toxicRng.fork('toxicity'),
      counters,
      held: new Set(),
      emit: (datagram, delayMs) => {
        if (delayMs !== undefined && delayMs > 0) this.hold(stage, datagram, delayMs);
        else this.run(datagram, stage.seq, this.runAt);
      },
    };
    this.stages = [...this.stages, stage];
  }

  /** Replaces a toxic's attributes and toxicity; its rng, state and held datagrams carry over. */
  update(spec: ToxicSpec): void {
    const stage = this.stages.find((s) => s.spec.name === spec.name);
    if (!stage) throw new Error(`toxic ${spec.name} is not on the ${this.options.direction} chain`);
    const type = findDatagramToxicType(stage.spec.type)!;
    stage.spec = spec;
    stage.handle = type.create(spec.attributes, stage.ctx);
  }

  /** Removes a toxic and passes on at once, in due order, every datagram it was holding. */
  remove(name: string): boolean {
    const stage = this.stages.find((s) => s.spec.name === name);
    if (!stage) return false;
    this.recallReleased();
    this.stages = this.stages.filter((s) => s !== stage);
    const held = this.cancelTimers(stage);
    const now = this.options.clock.now();
    for (const h of held) this.run(h.datagram, stage.seq, Math.min(now, h.dueMs));
    return true;
  }

  /** Cancels every held datagram, counting each as `dropped_down`. Returns how many. */
  dropAll(): number {
    const { direction, ledger } = this.options;
    this.recallReleased();
    let dropped = 0;
    for (const stage of this.stages) {
      for (const h of this.cancelTimers(stage)) {
        ledger.countDirection(direction, LedgerCounter.droppedDown);
        ledger.event({ direction, action: LedgerCounter.droppedDown, datagram: h.datagram.index, bytes: h.datagram.data.length });
        dropped++;
      }
    }
    return dropped;
  }

  /**
   * Cancels the timers of what `stage` holds and lets go of those datagrams; returns them in due
   * order. Datagrams already sent by the release line stay held until it reports them.
   */
  private cancelTimers(stage: Stage): Held[] {
    const held = [...stage.held].filter((h) => h.timer !== null).sort(byDue);
    for (const h of held) {
      h.timer!.cancel();
      this.settle(h);
    }
    return held;
  }

  private hold(stage: Stage, datagram: Datagram, delayMs: number): void {
    const held: Held = {
      datagram,
      stage,
      dueMs: this.runAt + delayMs,
      order: this.nextHeldOrder++,
      timer: null,
      ticket: undefined,
    };
    const release = this.options.release;
    if (release && stage === this.stages[this.stages.length - 1]) {
      held.ticket = release.hold(datagram, held.dueMs, () => this.settle(held));
    }
    if (held.ticket === undefined) held.timer = this.arm(held);
    else this.released.set(held.ticket, held);
    stage.held.add(held);
    this.heldTotal++;
  }

  private arm(held: Held): Timer {
    return this.options.clock.scheduleAt(held.dueMs, () => {
      this.settle(held);
      this.run(held.datagram, held.stage.seq, held.dueMs);
    });
  }

  /** A held datagram leaves the chain's keeping: its timer fired or was cancelled, or the line sent it. */
  private settle(held: Held): void {
    held.stage.held.delete(held);
    if (held.ticket !== undefined) this.released.delete(held.ticket);
    held.timer = null;
    if (--this.heldTotal > 0) return;
    const waiters = this.drainedWaiters;
    this.drainedWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /**
   * Passes `datagram` to the first stage with seq > `afterSeq`, or to the sink. `atMs` is when
   * it got there (ctx.now()): its arrival, or when the hold it comes from was due. Runs nest
   * (a toxic's emit runs the rest of the chain at once), always with the same time.
   */
  private run(datagram: Datagram, afterSeq: number, atMs: number): void {
    this.runAt = atMs;
    const stages = this.stages;
    for (let i = 0; i < stages.length; i++) {
      const stage = stages[i]!;
      if (stage.seq <= afterSeq) continue;
      const counters = stage.counters;
      counters.seen = (counters.seen ?? 0) + 1;
      const toxicity = stage.spec.toxicity;
      if (toxicity < 1 && !stage.toxicityRng.chance(toxicity)) continue;
      counters.activations = (counters.activations ?? 0) + 1;
      stage.handle(datagram, stage.emit);
      return;
    }
    this.options.sink(datagram);
  }
}

function byDue(a: Held, b: Held): number {
  return a.dueMs - b.dueMs || a.order - b.order;
}

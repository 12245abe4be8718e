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
 * Toxicity is decided per datagram: a stage is active for a datagram iff u < toxicity, with u
 * drawn from the stage's own toxicity stream, so the toxic's own stream sees exactly the
 * datagrams it acts on. An inactive stage passes the datagram straight on.
 */
import type { Clock, Timer } from '../core/clock.js';
import { LedgerCounter, type Counters } from '../core/ledger.js';
import type { Rng } from '../core/rng.js';
import type { Direction, ToxicSpec } from '../core/spec.js';
import { findDatagramToxicType } from '../toxics/registry.js';
import type { Datagram, DatagramToxic, DatagramToxicContext, Emit } from '../toxics/types.js';
import { bump, type LedgerRecorder } from './ledger-recorder.js';

export interface DatagramChainOptions {
  direction: Direction;
  clock: Clock;
  /** The proxy's stream; each toxic forks `${direction}/${name}` from it. */
  rng: Rng;
  ledger: LedgerRecorder;
  /** Called for each datagram that leaves the last stage (it sends it and counts `forwarded`). */
  sink: (datagram: Datagram) => void;
}

interface Held {
  datagram: Datagram;
  dueMs: number;
  /** Tie-break for equal due times: release in the order they were parked. */
  order: number;
  timer: Timer;
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

  constructor(private readonly options: DatagramChainOptions) {}

  /** Runs a datagram that just arrived through the whole chain. */
  inject(datagram: Datagram): void {
    this.run(datagram, 0);
  }

  has(name: string): boolean {
    return this.stages.some((s) => s.spec.name === name);
  }

  /** Datagrams parked by toxics right now. */
  heldCount(): number {
    return this.heldTotal;
  }

  /** Appends a toxic (a validated spec whose stream is this chain's direction). */
  add(spec: ToxicSpec): void {
    const type = findDatagramToxicType(spec.type);
    if (!type) throw new Error(`unregistered UDP toxic type ${spec.type}`);
    if (this.has(spec.name)) throw new Error(`toxic ${spec.name} is already on the ${this.options.direction} chain`);
    const { direction, clock, rng, ledger } = this.options;
    const counters = ledger.toxic(spec.name, spec.type, direction);
    const toxicRng = rng.fork(`${direction}/${spec.name}`);
    const ctx: DatagramToxicContext = {
      clock,
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
        else this.run(datagram, stage.seq);
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
    this.stages = this.stages.filter((s) => s !== stage);
    const held = [...stage.held].sort(byDue);
    stage.held.clear();
    this.heldTotal -= held.length;
    for (const h of held) h.timer.cancel();
    for (const h of held) this.run(h.datagram, stage.seq);
    return true;
  }

  /** Cancels every held datagram, counting each as `dropped_down`. Returns how many. */
  dropAll(): number {
    const { direction, ledger } = this.options;
    let dropped = 0;
    for (const stage of this.stages) {
      for (const h of [...stage.held].sort(byDue)) {
        h.timer.cancel();
        ledger.countDirection(direction, LedgerCounter.droppedDown);
        ledger.event({ direction, action: LedgerCounter.droppedDown, datagram: h.datagram.index, bytes: h.datagram.data.length });
        dropped++;
      }
      stage.held.clear();
    }
    this.heldTotal = 0;
    return dropped;
  }

  private hold(stage: Stage, datagram: Datagram, delayMs: number): void {
    const dueMs = this.options.clock.now() + delayMs;
    const held: Held = {
      datagram,
      dueMs,
      order: this.nextHeldOrder++,
      timer: this.options.clock.scheduleAt(dueMs, () => {
        stage.held.delete(held);
        this.heldTotal--;
        this.run(datagram, stage.seq);
      }),
    };
    stage.held.add(held);
    this.heldTotal++;
  }

  /** Passes `datagram` to the first stage with seq > `afterSeq`, or to the sink. */
  private run(datagram: Datagram, afterSeq: number): void {
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

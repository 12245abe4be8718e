/**
 * A scenario's fault timeline: its faults as steps on the scenario clock, each applying or
 * removing one fault on one proxy through the backend, and the record of what happened (planned
 * against applied times, errors) that the judge and the reports read.
 *
 *   faults ──plan──▶ steps sorted by (time, file order) ──▶ t = 0: steps due at 0 (before traffic)
 *                                                       └─▶ the rest at their times, until stopped
 *
 * A fault that fails to apply is recorded with its error and the timeline goes on; `failure()`
 * then says the scenario did not test what it says.
 */
import type { ProxyBackend } from '../core/backend.js';
import type { Clock } from '../core/clock.js';
import { FaultlineError, serializeError } from '../core/errors.js';
import type { FaultRecord } from '../core/result.js';
import type { FaultEvent } from '../core/run-events.js';
import { faultEffects, type FaultLayer } from '../toxics/fault-layers.js';
import type { FaultSpec } from './spec.js';

/** One change on the timeline, at `atMs` after t=0; `order` keeps the file's order at equal times. */
interface TimelineStep {
  atMs: number;
  order: number;
  run: () => Promise<void>;
}

export interface FaultTimelineDeps {
  clock: Clock;
  /** The backend that holds each proxy (a scenario's wire paths are on a backend of their own). */
  backendOf(proxy: string): ProxyBackend;
  /** Each proxy's protocol, or `wire` for a wire path: a toxic's declared effects depend on it. */
  layerOf(proxy: string): FaultLayer;
  /** Told of every fault applied, removed or failed. */
  onEvent?(action: FaultEvent['action'], atMs: number, fault: FaultRecord): void;
}

export class FaultTimeline {
  /** Every fault of the scenario, one per proxy it names, in file order. */
  readonly records: FaultRecord[] = [];
  private readonly steps: TimelineStep[] = [];
  private t0 = 0;

  constructor(
    faults: readonly FaultSpec[],
    private readonly deps: FaultTimelineDeps,
  ) {
    let order = 0;
    for (const fault of faults) {
      for (const proxy of fault.proxies) {
        const record = this.plan(fault, proxy);
        this.records.push(record);
        this.steps.push({ atMs: fault.atMs, order: order++, run: () => this.apply(record) });
        if (fault.forMs !== undefined) this.steps.push({ atMs: fault.atMs + fault.forMs, order: order++, run: () => this.remove(record) });
      }
    }
    this.steps.sort((a, b) => a.atMs - b.atMs || a.order - b.order);
  }

  /**
   * Starts the timeline at clock time `t0`. Faults due at t=0 are applied before this resolves:
   * they are part of the path the traffic starts on (unfaulted first messages under a latency
   * toxic would break the lower bound a scenario may assert, and `configured` would weigh a fault
   * that was not there for the first milliseconds). The returned `done` settles once the
   * remaining steps ran, or `signal` stopped them.
   */
  async start(t0: number, signal: AbortSignal): Promise<{ done: Promise<void> }> {
    this.t0 = t0;
    let next = 0;
    while (next < this.steps.length && this.steps[next]!.atMs <= 0 && !signal.aborted) await this.steps[next++]!.run();
    return { done: this.runFrom(next, signal) };
  }

  /**
   * A fault that could not be applied or removed means the scenario did not test what it says:
   * its verdict would describe another path. The error to stop it with, or undefined.
   */
  failure(): Error | undefined {
    const failed = this.records.find((f) => f.error);
    if (!failed?.error) return undefined;
    const { code, message } = failed.error;
    const text = `fault ${failed.id} on proxy "${failed.proxy}" could not be applied or removed: ${message}`;
    // A bug stays a bug (exit 70); anything else keeps its code (a backend gone: exit 3).
    if (code === 'INTERNAL') return new Error(text);
    return new FaultlineError(code, text, { hint: 'the verdict would describe a path without this fault; see the fault timeline in the report' });
  }

  private plan(fault: FaultSpec, proxy: string): FaultRecord {
    const base = {
      id: fault.proxies.length > 1 ? `${fault.id}@${proxy}` : fault.id,
      proxy,
      plannedAtMs: fault.atMs,
      ...(fault.forMs !== undefined ? { plannedUntilMs: fault.atMs + fault.forMs } : {}),
    };
    if (fault.kind === 'down') return { ...base, kind: 'down' };
    const resolved = fault.toxics.find((t) => t.proxy === proxy);
    if (!resolved) throw new Error(`${fault.id} has no toxic resolved for proxy "${proxy}"`);
    const { toxic, match } = resolved;
    const effects = faultEffects(this.deps.layerOf(proxy), toxic);
    return { ...base, kind: 'toxic', toxic, ...(match ? { match } : {}), effects };
  }

  private async runFrom(first: number, signal: AbortSignal): Promise<void> {
    for (const step of this.steps.slice(first)) {
      if ((await this.deps.clock.sleepUntil(this.t0 + step.atMs, signal)) === 'aborted') return;
      await step.run();
    }
  }

  private apply(record: FaultRecord): Promise<void> {
    const backend = this.deps.backendOf(record.proxy);
    return this.change(record, 'applied', () =>
      record.kind === 'toxic' ? backend.addToxic(record.proxy, { ...record.toxic, ...record.match }) : backend.updateProxy(record.proxy, { enabled: false }),
    );
  }

  private remove(record: FaultRecord): Promise<void> {
    if (record.appliedAtMs === undefined) return Promise.resolve();
    const backend = this.deps.backendOf(record.proxy);
    return this.change(record, 'removed', () =>
      record.kind === 'toxic' ? backend.removeToxic(record.proxy, record.toxic.name) : backend.updateProxy(record.proxy, { enabled: true }),
    );
  }

  /** Makes one change through the backend and records when it took effect, or why it failed. */
  private async change(record: FaultRecord, action: 'applied' | 'removed', act: () => Promise<unknown>): Promise<void> {
    try {
      await act();
      const atMs = this.now();
      if (action === 'applied') record.appliedAtMs = atMs;
      else record.removedAtMs = atMs;
      this.deps.onEvent?.(action, atMs, record);
    } catch (caught) {
      record.error = serializeError(caught);
      this.deps.onEvent?.('failed', this.now(), record);
    }
  }

  private now(): number {
    return this.deps.clock.now() - this.t0;
  }
}

/**
 * Runs one scenario from start to teardown and returns its result. Never throws: whatever goes
 * wrong becomes the result's status (errored with the FaultlineError, interrupted, or failed).
 * This module orchestrates; each step is a module of its own:
 *
 *   backend (checked: backend-fit) ─▶ targets (live-targets) ─▶ proxies ─▶ t=0 ┬─ workloads (each at its `start`) ──┐
 *                                                                              └─ faults (fault-timeline) ──────────┤
 *                                                                                         all workloads done ◀──────┘
 *   ─▶ stop the timeline ─▶ ledgers, incidental loss (incidental-loss) ─▶ judge, verdict (judge)
 *   ─▶ tear everything down (always: on errors, the deadline and Ctrl-C too)
 *
 * A proxy that a command target names with `{proxy:NAME}` (a service reaching its dependency
 * through faultline) is created just before that target starts, instead of after all targets.
 *
 * One deadline (the scenario's `timeout`) bounds setup, traffic and assertions; teardown steps
 * are bounded on their own (a target gets SIGTERM, then SIGKILL). The proxy backend is created
 * per scenario, so parallel scenarios never share proxy names or ports.
 */
import { formatHostPort, parseHostPort, type HostPort } from '../core/address.js';
import type { ProxyBackend } from '../core/backend.js';
import type { Clock, Timer } from '../core/clock.js';
import { formatDuration } from '../core/duration.js';
import { FaultlineError, serializeError, type SerializedError } from '../core/errors.js';
import type { ProxyLedger } from '../core/ledger.js';
import { createRng, type Rng } from '../core/rng.js';
import type { ScenarioResult, TargetOutput, WorkloadResult } from '../core/result.js';
import type { RunObserver, ScenarioPhase } from '../core/run-events.js';
import { proxyPlaceholders } from '../target/spec.js';
import { runWorkload } from '../workload/run-workload.js';
import { workloadType } from '../workload/registry.js';
import type { WorkloadProgress } from '../workload/context.js';
import { backendUnfit } from './backend-fit.js';
import { FaultTimeline } from './fault-timeline.js';
import { addIncidentalLoss } from './incidental-loss.js';
import { judge, verdict, type Judgement } from './judge.js';
import { startLiveTarget, targetEndpoint, targetUpstream, type LiveTarget } from './live-targets.js';
import type { ScenarioSpec, ScenarioWorkload } from './spec.js';

export interface ScenarioRunDeps {
  clock: Clock;
  /** Creates the fault backend for one scenario, seeded with the scenario's seed; the runner closes it. */
  createBackend(seed: number): ProxyBackend | Promise<ProxyBackend>;
  /** The run's interrupt (Ctrl-C): the scenario stops, tears down and reports `interrupted`. */
  signal: AbortSignal;
  observer?: RunObserver;
  /** Unique across the run: frames carry it so a sink can tell workloads apart. */
  allocateWorkloadId(): number;
  /** Overrides every scenario's own timeout (CLI `--timeout`), ms. */
  timeoutMs?: number;
}

export interface ScenarioRunInput {
  spec: ScenarioSpec;
  /** `<file>#<name>`, unique in the run. */
  id: string;
  /** The scenario's file as results show it (relative to where the run started); absent for one written in code. */
  file?: string;
  seed: number;
  /** The command that replays this scenario. */
  replay: string;
  index: number;
  total: number;
  backendKind: string;
}

/** Why a scenario stopped early: the run was interrupted, or the scenario hit its deadline. */
type StopReason = 'interrupted' | 'timeout';

const PROGRESS_INTERVAL_MS = 250;

export async function runScenario(input: ScenarioRunInput, deps: ScenarioRunDeps): Promise<ScenarioResult> {
  return new ScenarioRun(input, deps).run();
}

class ScenarioRun {
  private readonly spec: ScenarioSpec;
  private readonly clock: Clock;
  private readonly rng: Rng;
  private readonly timeoutMs: number;
  /** Aborts on the deadline or the run's interrupt; `stopReason` says which. */
  private readonly stop = new AbortController();
  private stopReason: StopReason | undefined;
  private phase: ScenarioPhase = 'starting';
  private readonly startedAtMs: number;
  private progressTimer: Timer | undefined;

  private readonly targets = new Map<string, LiveTarget>();
  private backend: ProxyBackend | undefined;
  private timeline: FaultTimeline | undefined;
  private readonly proxyListen = new Map<string, HostPort>();
  /** The same, as `host:port` for a command's `{proxy:NAME}`. */
  private readonly proxyAddress = new Map<string, string>();
  private readonly progress = new Map<string, WorkloadProgress>();
  private readonly notes: string[] = [];

  constructor(
    private readonly input: ScenarioRunInput,
    private readonly deps: ScenarioRunDeps,
  ) {
    this.spec = input.spec;
    this.clock = deps.clock;
    this.rng = createRng(input.seed);
    this.timeoutMs = deps.timeoutMs ?? input.spec.timeoutMs;
    this.startedAtMs = this.clock.now();
  }

  async run(): Promise<ScenarioResult> {
    const startedAt = new Date().toISOString();
    const { spec } = this;
    this.deps.observer?.onScenarioStart?.({
      id: this.input.id,
      name: spec.name,
      ...(this.input.file === undefined ? {} : { file: this.input.file }),
      seed: this.input.seed,
      index: this.input.index,
      total: this.input.total,
    });
    const onInterrupt = () => this.halt('interrupted');
    this.deps.signal.addEventListener('abort', onInterrupt, { once: true });
    if (this.deps.signal.aborted) this.halt('interrupted');
    const deadline = this.clock.scheduleAt(this.startedAtMs + this.timeoutMs, () => this.halt('timeout'));
    this.scheduleProgress();

    let workloads: WorkloadResult[] = [];
    let ledgers: ProxyLedger[] = [];
    let judgement: Judgement = { assertions: [], calibration: [] };
    let error: SerializedError | undefined;
    let targetOutputs: TargetOutput[] = [];
    try {
      const { backend, timeline } = await this.setUp();
      this.setPhase('running');
      workloads = await this.runTraffic(timeline);
      this.setPhase('asserting');
      ledgers = await this.readLedgers(backend);
      addIncidentalLoss(workloads, ledgers);
      judgement = judge(spec, this.input.file, workloads, timeline.records, ledgers);
      const faultFailure = timeline.failure();
      if (faultFailure) throw faultFailure;
    } catch (caught) {
      error = serializeError(caught);
    } finally {
      deadline.cancel();
      this.progressTimer?.cancel();
      this.deps.signal.removeEventListener('abort', onInterrupt);
      this.setPhase('stopping');
      targetOutputs = await this.tearDown();
    }

    if (this.stopReason === 'timeout') {
      error ??= serializeError(
        new FaultlineError('SCENARIO_TIMEOUT', `scenario "${spec.name}" did not finish within its timeout of ${formatDuration(this.timeoutMs)}`, {
          hint: 'raise `timeout:` in the scenario (or --timeout), or look at the target: a hung server is a finding',
        }),
      );
    }
    const status = verdict(spec.expect, judgement.assertions, { interrupted: this.stopReason === 'interrupted', ...(error ? { error } : {}) }, this.notes);
    const result: ScenarioResult = {
      id: this.input.id,
      name: spec.name,
      ...(this.input.file === undefined ? {} : { file: this.input.file }),
      ...(spec.description ? { description: spec.description } : {}),
      tags: spec.tags,
      expect: spec.expect,
      ...status,
      seed: this.input.seed,
      backend: this.input.backendKind,
      startedAt,
      durationMs: this.clock.now() - this.startedAtMs,
      replay: this.input.replay,
      workloads,
      faults: this.faults,
      ledger: ledgers,
      ...judgement,
      targets: targetOutputs,
      notes: this.notes,
    };
    this.deps.observer?.onScenarioEnd?.(result);
    return result;
  }

  /** Every fault of the timeline, as far as the scenario got (none if it stopped before its backend existed). */
  private get faults() {
    return this.timeline?.records ?? [];
  }

  private halt(reason: StopReason): void {
    if (this.stop.signal.aborted) return;
    this.stopReason = reason;
    this.stop.abort(reason);
  }

  private setPhase(phase: ScenarioPhase): void {
    this.phase = phase;
    this.emitProgress();
  }

  /** Progress a few times a second, on the scenario's clock. */
  private scheduleProgress(): void {
    this.progressTimer = this.clock.scheduleAt(this.clock.now() + PROGRESS_INTERVAL_MS, () => {
      this.emitProgress();
      this.scheduleProgress();
    });
  }

  private emitProgress(): void {
    const counts = { messages_sent_total: 0, messages_received_total: 0, errors_total: 0 };
    for (const p of this.progress.values()) {
      counts.messages_sent_total += p.sent;
      counts.messages_received_total += p.received;
      counts.errors_total += p.errors;
    }
    this.deps.observer?.onScenarioProgress?.({ id: this.input.id, phase: this.phase, elapsedMs: this.clock.now() - this.startedAtMs, counts });
  }

  /** Throws the stop reason as an error when the scenario was stopped, so setup unwinds. */
  private checkStopped(): void {
    if (this.stopReason === 'interrupted') throw new FaultlineError('ENVIRONMENT', 'interrupted');
    if (this.stopReason === 'timeout') throw new FaultlineError('SCENARIO_TIMEOUT', `scenario timed out during ${this.phase}`);
  }

  // ── setup ────────────────────────────────────────────────────────────────

  private protocolOf(proxy: string) {
    const spec = this.spec.proxies.find((p) => p.name === proxy);
    if (!spec) throw new Error(`proxy "${proxy}" is not in the scenario`);
    return spec.protocol;
  }

  private async setUp(): Promise<{ backend: ProxyBackend; timeline: FaultTimeline }> {
    // The backend first: a scenario it cannot run stops here, before any target starts.
    const backend = await this.deps.createBackend(this.input.seed);
    this.backend = backend;
    const unfit = backendUnfit(this.spec, backend.capabilities, this.input.backendKind);
    if (unfit) throw unfit;
    const timeline = new FaultTimeline(this.spec.faults, {
      clock: this.clock,
      backend,
      protocolOf: (proxy) => this.protocolOf(proxy),
      onEvent: (action, atMs, fault) => this.deps.observer?.onFaultApplied?.({ scenarioId: this.input.id, action, atMs, fault }),
    });
    this.timeline = timeline;
    for (const target of this.spec.targets) {
      this.checkStopped();
      // A command that names a proxy ({proxy:NAME}) gets it created first; the loader made sure
      // the proxy's own target is already running.
      if (target.kind === 'command') for (const name of proxyPlaceholders(target.argv)) await this.createProxy(backend, name);
      this.targets.set(target.name, await startLiveTarget(target, { signal: this.stop.signal, clock: this.clock, proxies: this.proxyAddress }));
    }
    this.checkStopped();
    if (this.spec.proxies.some((p) => p.protocol === 'tcp') && backend.capabilities.tcpFaultLevel === 'stream') {
      this.notes.push(`TCP faults are stream-level (${backend.kind} proxy): it delays, throttles, cuts and resets the byte stream; it cannot make the kernel lose or retransmit segments`);
    }
    for (const proxy of this.spec.proxies) {
      this.checkStopped();
      await this.createProxy(backend, proxy.name);
    }
    return { backend, timeline };
  }

  /** Creates proxy `name` on the backend, once. */
  private async createProxy(backend: ProxyBackend, name: string): Promise<void> {
    if (this.proxyListen.has(name)) return;
    const proxy = this.spec.proxies.find((p) => p.name === name);
    if (!proxy) throw new Error(`proxy "${name}" is not in the scenario`);
    const upstream = 'upstream' in proxy ? proxy.upstream : targetUpstream(this.target(proxy.target), proxy.protocol, proxy.name);
    const state = await backend.createProxy({
      name: proxy.name,
      protocol: proxy.protocol,
      listen: proxy.listen,
      upstream,
      ...(proxy.protocol === 'udp' && proxy.sessionIdleTimeoutMs !== undefined ? { session_idle_timeout: proxy.sessionIdleTimeoutMs } : {}),
    });
    const listen = parseHostPort(state.listen);
    if (!listen) throw new Error(`the backend reported proxy "${proxy.name}" listening on ${state.listen}, which is not host:port`);
    this.proxyListen.set(proxy.name, listen);
    this.proxyAddress.set(proxy.name, formatHostPort(listen));
  }

  private target(name: string): LiveTarget {
    const target = this.targets.get(name);
    if (!target) throw new Error(`target "${name}" was not started`);
    return target;
  }

  // ── traffic ──────────────────────────────────────────────────────────────

  private async runTraffic(timeline: FaultTimeline): Promise<WorkloadResult[]> {
    const t0 = this.clock.now();
    const stopTimeline = new AbortController();
    const stop = () => stopTimeline.abort();
    this.stop.signal.addEventListener('abort', stop, { once: true });
    const { done } = await timeline.start(t0, stopTimeline.signal);
    try {
      return await Promise.all(this.spec.workloads.map((w) => this.runOneWorkload(w, t0)));
    } finally {
      stopTimeline.abort();
      this.stop.signal.removeEventListener('abort', stop);
      await done;
    }
  }

  private async runOneWorkload(workload: ScenarioWorkload, t0: number): Promise<WorkloadResult> {
    const { spec } = workload;
    await this.clock.sleepUntil(t0 + spec.startMs, this.stop.signal);
    const { endpoint, sink } = this.routeOf(workload);
    return runWorkload(spec, {
      clock: this.clock,
      rng: this.rng.fork(`workload:${spec.name}`),
      signal: this.stop.signal,
      endpoint,
      scenarioStartMs: t0,
      workloadId: this.deps.allocateWorkloadId(),
      ...(sink ? { sink } : {}),
      ...('via' in workload ? { proxy: workload.via } : {}),
      onProgress: (p) => this.progress.set(spec.name, p),
    });
  }

  /** Where a workload sends (its proxy's listen address, or its target), and the sink at the end of its path, if any. */
  private routeOf(workload: ScenarioWorkload): { endpoint: HostPort; sink?: LiveTarget['sink'] } {
    if ('via' in workload) {
      const endpoint = this.proxyListen.get(workload.via);
      if (!endpoint) throw new Error(`proxy "${workload.via}" was not created`);
      const proxy = this.spec.proxies.find((p) => p.name === workload.via);
      const sink = proxy && 'target' in proxy ? this.target(proxy.target).sink : undefined;
      return { endpoint, ...(sink ? { sink } : {}) };
    }
    const target = this.target(workload.target);
    const endpoint = targetEndpoint(target, workloadType(workload.spec.type).protocol);
    return { endpoint, ...(target.sink ? { sink: target.sink } : {}) };
  }

  private async readLedgers(backend: ProxyBackend): Promise<ProxyLedger[]> {
    const ledgers: ProxyLedger[] = [];
    for (const proxy of this.spec.proxies) {
      const ledger = await backend.ledger(proxy.name);
      if (ledger) ledgers.push(ledger);
    }
    return ledgers;
  }

  // ── teardown ─────────────────────────────────────────────────────────────

  /** Releases everything the scenario started, in reverse order; never throws. */
  private async tearDown(): Promise<TargetOutput[]> {
    if (this.backend) {
      await this.backend.close().catch((caught: unknown) => this.notes.push(`closing the proxy backend failed: ${serializeError(caught).message}`));
    }
    const outputs: TargetOutput[] = [];
    for (const target of [...this.targets.values()].reverse()) {
      try {
        outputs.unshift(await target.stop());
      } catch (caught) {
        this.notes.push(`stopping target "${target.name}" failed: ${serializeError(caught).message}`);
      }
    }
    return outputs;
  }
}

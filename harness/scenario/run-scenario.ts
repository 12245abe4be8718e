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
 * One deadline (the scenario's `timeout`) bounds setup, traffic and assertions; teardown steps
 * are bounded on their own (a target gets SIGTERM, then SIGKILL). The proxy backend is created
 * per scenario, so parallel scenarios never share proxy names or ports.
 *
 * Wire paths (`layer: wire`) live on a wire backend of their own, made only for a scenario that
 * has them. A path exists before its target starts, because the target runs in it:
 *
 *   wire backend ─▶ paths.create ─▶ target side: the target (command via the side's spawn,
 *                                    builtin servers' sockets), its readiness probed there
 *                                  ─▶ client side: the sockets of every workload `via` the path
 *   after judging ─▶ paths.report (kernel counters, per-protocol ledger, TCP time–sequence data),
 *                    and the recent packets saved as pcap when the scenario did not pass
 *   tear down: proxies, then targets, then the paths (their namespaces end last)
 *
 * A proxy that a command target names with `{proxy:NAME}` (a service reaching its dependency
 * through faultline) is created just before that target starts, instead of after all targets.
 */
import { setMaxListeners } from 'node:events';
import { join, relative } from 'node:path';
import { formatHostPort, parseHostPort, type HostPort } from '../core/address.js';
import type { ProxyBackend } from '../core/backend.js';
import type { Clock, Timer } from '../core/clock.js';
import { formatDuration } from '../core/duration.js';
import { FaultlineError, serializeError, type SerializedError } from '../core/errors.js';
import type { ProxyLedger } from '../core/ledger.js';
import type { PathEnds } from '../core/network-place.js';
import { createRng, type Rng } from '../core/rng.js';
import type { PathResult, ScenarioResult, TargetOutput, WorkloadResult } from '../core/result.js';
import { faultLayerOf, type FaultLayer } from '../toxics/fault-layers.js';
import { wireAnchor } from '../workload/wire-time.js';
import type { RunObserver, ScenarioPhase } from '../core/run-events.js';
import { proxyPlaceholders } from '../target/spec.js';
import { runWorkload } from '../workload/run-workload.js';
import { workloadType } from '../workload/registry.js';
import type { WorkloadProgress } from '../workload/context.js';
import { backendUnfit } from './backend-fit.js';
import { FaultTimeline } from './fault-timeline.js';
import { addIncidentalLoss } from './incidental-loss.js';
import { judge, verdict, type Judgement, type Verdict } from './judge.js';
import { startLiveTarget, targetEndpoint, targetUpstream, type LiveTarget } from './live-targets.js';
import type { ProxySpec, ScenarioSpec, ScenarioWorkload, StreamProxySpec, WirePathSpec } from './spec.js';

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
  /**
   * Creates the wire backend of a scenario with wire paths, seeded with the scenario's seed; the
   * runner closes it. Absent: this run has no wire layer, and such a scenario errors (ENVIRONMENT).
   */
  createWireBackend?(seed: number): ProxyBackend | Promise<ProxyBackend>;
  /**
   * Packet captures of wire paths, into `<outDir>/captures/<scenario>/`: every packet (`all`), or
   * the recent ones of a scenario that did not pass. Absent: no capture is written.
   */
  captures?: { outDir: string; all: boolean };
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
  private wire: ProxyBackend | undefined;
  /** Each wire path's two ends, by path name. */
  private readonly pathEnds = new Map<string, PathEnds>();
  /** Clock ms of t=0, once traffic started. */
  private trafficStartMs: number | undefined;
  private timeline: FaultTimeline | undefined;
  private readonly proxyListen = new Map<string, HostPort>();
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
    // Every connection and flow of every workload waits on this one signal: dozens of listeners
    // are the design, not a leak, so Node's warning at 11 would only be noise on the console.
    setMaxListeners(0, this.stop.signal);
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
    let paths: PathResult[] = [];
    let status: Verdict;
    try {
      const { timeline } = await this.setUp();
      this.setPhase('running');
      workloads = await this.runTraffic(timeline);
      this.setPhase('asserting');
      ledgers = await this.readLedgers();
      paths = await this.reportPaths();
      addIncidentalLoss(workloads, ledgers, paths);
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
      if (paths.length === 0 && this.pathEnds.size > 0) {
        // Stopped before judging: what the paths saw so far still belongs in the result.
        paths = await this.reportPaths().catch((caught: unknown) => {
          this.notes.push(`reading the wire paths failed: ${serializeError(caught).message}`);
          return [];
        });
      }
      if (this.stopReason === 'timeout') {
        error ??= serializeError(
          new FaultlineError('SCENARIO_TIMEOUT', `scenario "${spec.name}" did not finish within its timeout of ${formatDuration(this.timeoutMs)}`, {
            hint: 'raise `timeout:` in the scenario (or --timeout), or look at the target: a hung server is a finding',
          }),
        );
      }
      // Decided before teardown (a scenario that did not pass keeps its captures); its notes
      // follow teardown's, as they always have.
      const verdictNotes: string[] = [];
      status = verdict(spec.expect, judgement.assertions, { interrupted: this.stopReason === 'interrupted', ...(error ? { error } : {}) }, verdictNotes);
      if (status.status !== 'passed') await this.saveCaptures(paths);
      targetOutputs = await this.tearDown();
      this.notes.push(...verdictNotes);
    }

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
      ...(paths.length > 0 ? { paths } : {}),
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

  private proxySpec(name: string): ProxySpec {
    const spec = this.spec.proxies.find((p) => p.name === name);
    if (!spec) throw new Error(`proxy "${name}" is not in the scenario`);
    return spec;
  }

  /** A proxy's protocol, or `wire` for a wire path. */
  private layerOf(proxy: string): FaultLayer {
    return faultLayerOf(this.proxySpec(proxy));
  }

  /** The backend that holds a proxy: the scenario's wire backend for a wire path. */
  private backendOf(proxy: string): ProxyBackend {
    const backend = this.proxySpec(proxy).layer === 'wire' ? this.wire : this.backend;
    if (!backend) throw new Error(`proxy "${proxy}" has no backend yet`);
    return backend;
  }

  private async setUp(): Promise<{ timeline: FaultTimeline }> {
    const wirePaths = this.spec.proxies.filter((p): p is WirePathSpec => p.layer === 'wire');
    const proxies = this.spec.proxies.filter((p): p is StreamProxySpec => p.layer === 'proxy');
    // The backends first: a scenario they cannot run stops here, before any target starts.
    const backend = await this.deps.createBackend(this.input.seed);
    this.backend = backend;
    const unfit = backendUnfit(this.spec, backend.capabilities, this.input.backendKind);
    if (unfit) throw unfit;
    if (wirePaths.length > 0) await this.createWireBackend(wirePaths); // sets this.wire first, for teardown
    const timeline = new FaultTimeline(this.spec.faults, {
      clock: this.clock,
      backendOf: (proxy) => this.backendOf(proxy),
      layerOf: (proxy) => this.layerOf(proxy),
      onEvent: (action, atMs, fault) => this.deps.observer?.onFaultApplied?.({ scenarioId: this.input.id, action, atMs, fault }),
    });
    this.timeline = timeline;
    // Each wire path before its target: the target is started inside it.
    const placeOf = new Map<string, PathEnds>();
    for (const path of wirePaths) {
      this.checkStopped();
      const ends = await this.wire!.paths!.create(path.name, { mtu: path.mtu, ...this.captureOptions() });
      this.pathEnds.set(path.name, ends);
      placeOf.set(path.target, ends);
    }
    for (const target of this.spec.targets) {
      this.checkStopped();
      // A command that names a proxy ({proxy:NAME}) gets it created first; the loader made sure
      // the proxy's own target is already running.
      if (target.kind === 'command') for (const name of proxyPlaceholders(target.argv)) await this.createProxy(backend, name);
      const place = placeOf.get(target.name)?.target;
      this.targets.set(target.name, await startLiveTarget(target, { signal: this.stop.signal, clock: this.clock, proxies: this.proxyAddresses(), ...(place ? { place } : {}) }));
    }
    this.checkStopped();
    if (proxies.some((p) => p.protocol === 'tcp') && backend.capabilities.tcpFaultLevel === 'stream') {
      this.notes.push(`TCP faults are stream-level (${backend.kind} proxy): it delays, throttles, cuts and resets the byte stream; it cannot make the kernel lose or retransmit segments`);
    }
    if (wirePaths.length > 0) {
      this.notes.push(`wire ${wirePaths.length === 1 ? 'path' : 'paths'} ${wirePaths.map((p) => p.name).join(', ')}: faults act on packets between two network namespaces; dropped TCP segments are retransmitted by the kernel`);
    }
    for (const proxy of proxies) {
      this.checkStopped();
      await this.createProxy(backend, proxy.name);
    }
    return { timeline };
  }

  /** Creates stream proxy `name` on the backend, once. */
  private async createProxy(backend: ProxyBackend, name: string): Promise<void> {
    if (this.proxyListen.has(name)) return;
    const proxy = this.proxySpec(name);
    if (proxy.layer !== 'proxy') throw new Error(`"${name}" is a wire path, not a proxy`);
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
  }

  /** Where each proxy created so far listens, as `host:port` for a command's `{proxy:NAME}`. */
  private proxyAddresses(): Map<string, string> {
    return new Map([...this.proxyListen].map(([name, listen]) => [name, formatHostPort(listen)]));
  }

  private async createWireBackend(paths: readonly WirePathSpec[]): Promise<ProxyBackend> {
    const create = this.deps.createWireBackend;
    if (!create) {
      throw new FaultlineError('ENVIRONMENT', `wire ${paths.length === 1 ? 'path' : 'paths'} ${paths.map((p) => `"${p.name}"`).join(', ')}: this run has no wire layer`, {
        hint: 'faultline run provides it where the machine supports it: faultline doctor says what is missing',
      });
    }
    const wire = await create(this.input.seed);
    this.wire = wire;
    if (!wire.paths) throw new Error(`the wire backend (${wire.kind}) has no paths`);
    return wire;
  }

  /** Where a path's packets are captured: the scenario's own folder among the run's captures. */
  private captureOptions(): { capture?: { mode: 'all' | 'on-failure'; dir: string } } {
    const captures = this.deps.captures;
    if (!captures) return {};
    return { capture: { mode: captures.all ? 'all' : 'on-failure', dir: join(captures.outDir, 'captures', this.spec.name) } };
  }

  private target(name: string): LiveTarget {
    const target = this.targets.get(name);
    if (!target) throw new Error(`target "${name}" was not started`);
    return target;
  }

  // ── traffic ──────────────────────────────────────────────────────────────

  private async runTraffic(timeline: FaultTimeline): Promise<WorkloadResult[]> {
    const t0 = this.clock.now();
    this.trafficStartMs = t0;
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
    const { endpoint, sink, path } = this.routeOf(workload);
    return runWorkload(spec, {
      clock: this.clock,
      rng: this.rng.fork(`workload:${spec.name}`),
      signal: this.stop.signal,
      endpoint,
      scenarioStartMs: t0,
      workloadId: this.deps.allocateWorkloadId(),
      ...(sink ? { sink } : {}),
      ...(path ? { path } : {}),
      ...('via' in workload ? { proxy: workload.via } : {}),
      onProgress: (p) => this.progress.set(spec.name, p),
    });
  }

  /**
   * Where a workload sends (its proxy's listen address; through a wire path, the target's own
   * address on it; or its target), the sink at the end of its path, if any, and a wire path's ends.
   */
  private routeOf(workload: ScenarioWorkload): { endpoint: HostPort; sink?: LiveTarget['sink']; path?: PathEnds } {
    const protocol = workloadType(workload.spec.type).protocol;
    if ('via' in workload) {
      const proxy = this.proxySpec(workload.via);
      if (proxy.layer === 'wire') {
        const target = this.target(proxy.target);
        const path = this.pathEnds.get(proxy.name);
        if (!path) throw new Error(`wire path "${proxy.name}" was not created`);
        return { endpoint: targetEndpoint(target, protocol, `workload "${workload.spec.name}"`), path, ...(target.sink ? { sink: target.sink } : {}) };
      }
      const endpoint = this.proxyListen.get(workload.via);
      if (!endpoint) throw new Error(`proxy "${workload.via}" was not created`);
      const sink = 'target' in proxy ? this.target(proxy.target).sink : undefined;
      return { endpoint, ...(sink ? { sink } : {}) };
    }
    const target = this.target(workload.target);
    const endpoint = targetEndpoint(target, protocol);
    return { endpoint, ...(target.sink ? { sink: target.sink } : {}) };
  }

  private async readLedgers(): Promise<ProxyLedger[]> {
    const ledgers: ProxyLedger[] = [];
    for (const proxy of this.spec.proxies) {
      const ledger = await this.backendOf(proxy.name).ledger(proxy.name);
      if (ledger) ledgers.push(ledger);
    }
    return ledgers;
  }

  /** Each wire path's report, with time–sequence data from t=0. */
  private async reportPaths(): Promise<PathResult[]> {
    const paths = this.wire?.paths;
    if (!paths) return [];
    const originNs = wireAnchor(this.clock).toWireNs(this.trafficStartMs ?? this.startedAtMs);
    const outDir = this.deps.captures?.outDir;
    const results: PathResult[] = [];
    for (const name of this.pathEnds.keys()) {
      const result = await paths.report(name, { originNs });
      // Files are named relative to the report folder, as the reports link them.
      if (result.capture && outDir !== undefined) result.capture = { ...result.capture, entered: relative(outDir, result.capture.entered), left: relative(outDir, result.capture.left) };
      results.push(result);
    }
    return results;
  }

  /**
   * A scenario that did not pass keeps the recent packets of its wire paths as pcap (with
   * --capture, everything was written already). Never throws: a capture is evidence, not a step.
   */
  private async saveCaptures(results: PathResult[]): Promise<void> {
    const paths = this.wire?.paths;
    const outDir = this.deps.captures?.outDir;
    if (!paths || outDir === undefined) return;
    for (const name of this.pathEnds.keys()) {
      try {
        const saved = await paths.saveCapture(name);
        const result = results.find((r) => r.proxy === name);
        if (saved && result) result.capture = { entered: relative(outDir, saved.entered), left: relative(outDir, saved.left), scope: 'recent' };
        else if (saved) this.notes.push(`packets of wire path "${name}" saved in ${relative(outDir, saved.entered)} and ${relative(outDir, saved.left)}`);
      } catch (caught) {
        this.notes.push(`saving the packets of wire path "${name}" failed: ${serializeError(caught).message}`);
      }
    }
  }

  // ── teardown ─────────────────────────────────────────────────────────────

  /**
   * Releases everything the scenario started, in reverse order; never throws. Wire paths go last:
   * their targets run inside them and stop first, gracefully, with their output.
   */
  private async tearDown(): Promise<TargetOutput[]> {
    const close = async (backend: ProxyBackend | undefined, what: string) => {
      await backend?.close().catch((caught: unknown) => this.notes.push(`closing the ${what} failed: ${serializeError(caught).message}`));
    };
    await close(this.backend, 'proxy backend');
    const outputs: TargetOutput[] = [];
    for (const target of [...this.targets.values()].reverse()) {
      try {
        outputs.unshift(await target.stop());
      } catch (caught) {
        this.notes.push(`stopping target "${target.name}" failed: ${serializeError(caught).message}`);
      }
    }
    await close(this.wire, 'wire paths');
    return outputs;
  }
}

/**
 * Runs one scenario from start to teardown and returns its result. Never throws: whatever goes
 * wrong becomes the result's status (errored with the FaultlineError, interrupted, or failed).
 *
 *   start targets ─▶ create proxies ─▶ t=0 ┬─ workloads (each at its `start`) ──────────┐
 *                                          └─ fault timeline (apply/remove at their times)┤
 *                                                             all workloads done ◀────────┘
 *   ─▶ stop the timeline ─▶ read ledgers ─▶ evaluate assertions, comparison, calibration
 *   ─▶ tear everything down (always: on errors, the deadline and Ctrl-C too)
 *
 * One deadline (the scenario's `timeout`) bounds setup, traffic and assertions; teardown steps
 * are bounded on their own (a target gets SIGTERM, then SIGKILL). The proxy backend is created
 * per scenario, so parallel scenarios never share proxy names or ports.
 */
import { formatHostPort, parseHostPort, type HostPort } from '../core/address.js';
import type { ProxyBackend } from '../core/backend.js';
import type { Clock } from '../core/clock.js';
import { formatDuration } from '../core/duration.js';
import { FaultlineError, serializeError, type SerializedError } from '../core/errors.js';
import type { ProxyLedger } from '../core/ledger.js';
import { createRng, type Rng } from '../core/rng.js';
import type {
  AssertionResult,
  CalibrationRow,
  ComparisonRow,
  FaultRecord,
  ScenarioResult,
  TargetOutput,
  WorkloadResult,
} from '../core/result.js';
import type { RunObserver, ScenarioPhase } from '../core/run-events.js';
import type { Protocol } from '../core/spec.js';
import { calibrate } from '../assert/calibrate.js';
import { compareWorkloads } from '../assert/compare.js';
import { evaluateCheck } from '../assert/evaluate.js';
import { expectedRates, type ExpectedRates } from '../assert/expected-rates.js';
import { startTarget } from '../target/start-target.js';
import type { RunningTarget, TargetEndpoints } from '../target/spec.js';
import { runWorkload } from '../workload/run-workload.js';
import { createEchoServer } from '../workload/servers/echo-server.js';
import { createSinkServer, type SinkServer } from '../workload/servers/sink-server.js';
import type { WorkloadProgress } from '../workload/context.js';
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
  /** The scenario's file as results show it (relative to where the run started). */
  file: string;
  seed: number;
  /** The command that replays this scenario. */
  replay: string;
  index: number;
  total: number;
  backendKind: string;
}

/** A started target, whatever its kind, as the runner needs it. */
interface LiveTarget {
  name: string;
  endpoints: TargetEndpoints;
  sink?: SinkServer;
  stop(): Promise<TargetOutput>;
}

/** One change on the fault timeline, at `atMs` after t=0; `order` keeps the file's order at equal times. */
interface TimelineStep {
  atMs: number;
  order: number;
  run: () => Promise<void>;
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
  private t0 = 0;

  private readonly targets = new Map<string, LiveTarget>();
  private backend: ProxyBackend | undefined;
  private readonly proxyListen = new Map<string, HostPort>();
  private readonly faults: FaultRecord[] = [];
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
      file: this.input.file,
      seed: this.input.seed,
      index: this.input.index,
      total: this.input.total,
    });
    const onInterrupt = () => this.halt('interrupted');
    this.deps.signal.addEventListener('abort', onInterrupt, { once: true });
    if (this.deps.signal.aborted) this.halt('interrupted');
    const deadline = this.clock.scheduleAt(this.startedAtMs + this.timeoutMs, () => this.halt('timeout'));
    const ticker = setInterval(() => this.emitProgress(), PROGRESS_INTERVAL_MS);

    let workloads: WorkloadResult[] = [];
    let ledgers: ProxyLedger[] = [];
    let assertions: AssertionResult[] = [];
    let comparison: ComparisonRow[] | undefined;
    let calibration: CalibrationRow[] = [];
    let error: SerializedError | undefined;
    let targetOutputs: TargetOutput[] = [];
    try {
      await this.setUp();
      this.setPhase('running');
      workloads = await this.runTraffic();
      this.setPhase('asserting');
      ledgers = await this.readLedgers();
      this.addIncidentalLoss(workloads, ledgers);
      const expected = this.expectations(workloads);
      assertions = this.evaluate(workloads, expected);
      comparison = spec.compare ? compareWorkloads(spec.compare.map((name) => mustFind(workloads, name)), expected) : undefined;
      calibration = calibrate(this.faults, ledgers, workloads);
      this.checkFaultsApplied();
    } catch (caught) {
      error = serializeError(caught);
    } finally {
      deadline.cancel();
      clearInterval(ticker);
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
    const outcome = assertions.every((a) => a.status === 'passed') ? 'passed' : 'failed';
    if (assertions.length === 0 && !error) this.notes.push('this scenario has no assertions: it measures, it does not judge');
    // A check that could not be judged (metric not measured, nothing sent) is not the failure an
    // `expect: fail` scenario demonstrates: it fails the scenario whatever `expect` says.
    const unjudged = assertions.filter((a) => a.status === 'error').length;
    if (unjudged > 0 && spec.expect === 'fail' && !error) {
      this.notes.push(`expect: fail does not excuse ${unjudged === 1 ? 'a check' : `${unjudged} checks`} that could not be judged: the scenario fails`);
    }
    const status: ScenarioResult['status'] =
      this.stopReason === 'interrupted'
        ? 'interrupted'
        : error
          ? 'errored'
          : unjudged === 0 && (outcome === 'passed') === (spec.expect === 'pass')
            ? 'passed'
            : 'failed';

    const result: ScenarioResult = {
      id: this.input.id,
      name: spec.name,
      file: this.input.file,
      ...(spec.description ? { description: spec.description } : {}),
      tags: spec.tags,
      status,
      expect: spec.expect,
      ...(error || this.stopReason === 'interrupted' ? {} : { outcome }),
      seed: this.input.seed,
      backend: this.input.backendKind,
      startedAt,
      durationMs: this.clock.now() - this.startedAtMs,
      replay: this.input.replay,
      workloads,
      faults: this.faults,
      ledger: ledgers,
      assertions,
      calibration,
      ...(comparison ? { comparison } : {}),
      targets: targetOutputs,
      ...(error && status !== 'interrupted' ? { error } : {}),
      notes: this.notes,
    };
    this.deps.observer?.onScenarioEnd?.(result);
    return result;
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

  private emitProgress(): void {
    const counts: Record<string, number> = { messages_sent_total: 0, messages_received_total: 0, errors_total: 0 };
    for (const p of this.progress.values()) {
      counts.messages_sent_total! += p.sent;
      counts.messages_received_total! += p.received;
      counts.errors_total! += p.errors;
    }
    this.deps.observer?.onScenarioProgress?.({ id: this.input.id, phase: this.phase, elapsedMs: this.clock.now() - this.startedAtMs, counts });
  }

  /** Throws the stop reason as an error when the scenario was stopped, so setup unwinds. */
  private checkStopped(): void {
    if (this.stopReason === 'interrupted') throw new FaultlineError('ENVIRONMENT', 'interrupted');
    if (this.stopReason === 'timeout') throw new FaultlineError('SCENARIO_TIMEOUT', `scenario timed out during ${this.phase}`);
  }

  // ── setup ────────────────────────────────────────────────────────────────

  /**
   * What the backend cannot do stops the scenario before anything starts: a real Toxiproxy
   * proxies TCP only (and would take a UDP proxy's JSON as a TCP proxy's), and lacks faultline's
   * own toxics.
   */
  private checkCapabilities(backend: ProxyBackend): void {
    const { protocols, toxics } = backend.capabilities;
    const on = `the backend (${this.input.backendKind})`;
    const unable = (message: string) =>
      new FaultlineError('ENVIRONMENT', message, {
        hint: 'run this scenario on the embedded backend (the default) or against a `faultline proxy` server; --grep and --tag select the others',
      });
    const proxy = this.spec.proxies.find((p) => !protocols.includes(p.protocol));
    if (proxy) throw unable(`proxy "${proxy.name}" is ${proxy.protocol.toUpperCase()}, and ${on} proxies ${protocols.map((p) => p.toUpperCase()).join(' and ')} only`);
    for (const fault of this.spec.faults) {
      if (fault.kind !== 'toxic') continue;
      for (const { proxy: name, toxic } of fault.toxics) {
        const protocol = this.spec.proxies.find((p) => p.name === name)!.protocol;
        const known = toxics?.[protocol];
        if (known && !known.includes(toxic.type)) {
          throw unable(`${fault.id}: ${on} has no ${protocol.toUpperCase()} toxic "${toxic.type}" (it has ${known.join(', ')})`);
        }
      }
    }
  }

  private async setUp(): Promise<void> {
    // The backend first: a scenario it cannot run stops here, before any target starts.
    this.backend = await this.deps.createBackend(this.input.seed);
    this.checkCapabilities(this.backend);
    for (const target of this.spec.targets) {
      this.checkStopped();
      this.targets.set(target.name, await this.startTarget(target));
    }
    this.checkStopped();
    if (this.spec.proxies.some((p) => p.protocol === 'tcp') && this.backend.capabilities.tcpFaultLevel === 'stream') {
      this.notes.push(`TCP faults are stream-level (${this.backend.kind} proxy): it delays, throttles, cuts and resets the byte stream; it cannot make the kernel lose or retransmit segments`);
    }
    for (const proxy of this.spec.proxies) {
      this.checkStopped();
      const upstream = proxy.upstream ?? this.upstreamOf(proxy.target!, proxy.protocol, proxy.name);
      const state = await this.backend.createProxy({
        name: proxy.name,
        protocol: proxy.protocol,
        listen: proxy.listen,
        upstream,
        ...(proxy.protocol === 'udp' && proxy.sessionIdleTimeoutMs !== undefined ? { session_idle_timeout: proxy.sessionIdleTimeoutMs } : {}),
      });
      this.proxyListen.set(proxy.name, parseHostPort(state.listen)!);
    }
  }

  private async startTarget(target: ScenarioSpec['targets'][number]): Promise<LiveTarget> {
    if (target.kind === 'builtin') {
      const server = target.server === 'sink' ? await createSinkServer({ clock: this.clock }) : await createEchoServer();
      const endpoints: TargetEndpoints = { host: '127.0.0.1', ...(server.tcp ? { tcp: server.tcp.port } : {}), ...(server.udp ? { udp: server.udp.port } : {}) };
      const output: TargetOutput = { name: target.name, kind: 'builtin', stdout: '', stderr: '', truncated: false };
      return {
        name: target.name,
        endpoints,
        ...(target.server === 'sink' ? { sink: server as SinkServer } : {}),
        stop: async () => {
          await server.close();
          return output;
        },
      };
    }
    const running: RunningTarget = await startTarget(target, { signal: this.stop.signal, clock: this.clock });
    return { name: target.name, endpoints: running.endpoints, stop: () => running.stop() };
  }

  private upstreamOf(targetName: string, protocol: Protocol, proxyName: string): string {
    const endpoints = this.targets.get(targetName)!.endpoints;
    const port = endpoints[protocol];
    if (port === undefined) {
      throw new FaultlineError('TARGET_FAILED', `proxy "${proxyName}" needs target "${targetName}" to serve ${protocol.toUpperCase()}, but it reported no ${protocol} port`, {
        hint: `give the target a \`${protocol}:\` port, or a \`ready: { stdout: ... }\` pattern with a (?<port>…) group`,
      });
    }
    return formatHostPort({ host: endpoints.host, port });
  }

  // ── traffic and faults ───────────────────────────────────────────────────

  private async runTraffic(): Promise<WorkloadResult[]> {
    this.t0 = this.clock.now();
    const steps = this.planTimeline();
    // Faults due at t=0 are part of the path the traffic starts on: apply them before any
    // workload sends, or the first messages would race the toxics (unfaulted datagrams under a
    // latency toxic break the physical lower bound a scenario may assert, and `configured`
    // would weigh a fault that was not there for the first milliseconds).
    while (steps.length > 0 && steps[0]!.atMs <= 0 && !this.stop.signal.aborted) await steps.shift()!.run();
    const timeline = new AbortController();
    const stopTimeline = () => timeline.abort();
    this.stop.signal.addEventListener('abort', stopTimeline, { once: true });
    const timelineDone = this.runTimeline(steps, timeline.signal);
    try {
      return await Promise.all(this.spec.workloads.map((w) => this.runOneWorkload(w)));
    } finally {
      timeline.abort();
      this.stop.signal.removeEventListener('abort', stopTimeline);
      await timelineDone;
    }
  }

  private async runOneWorkload(workload: ScenarioWorkload): Promise<WorkloadResult> {
    const { spec } = workload;
    await this.clock.sleepUntil(this.t0 + spec.startMs, this.stop.signal);
    const endpoint = workload.via ? this.proxyListen.get(workload.via)! : this.endpointOf(workload.target!, spec.type.startsWith('udp') ? 'udp' : 'tcp');
    const finalTarget = workload.via ? this.spec.proxies.find((p) => p.name === workload.via)?.target : workload.target;
    const sink = finalTarget ? this.targets.get(finalTarget)?.sink : undefined;
    return runWorkload(spec, {
      clock: this.clock,
      rng: this.rng.fork(`workload:${spec.name}`),
      signal: this.stop.signal,
      endpoint,
      scenarioStartMs: this.t0,
      workloadId: this.deps.allocateWorkloadId(),
      ...(sink ? { sink } : {}),
      ...(workload.via ? { proxy: workload.via } : {}),
      onProgress: (p) => this.progress.set(spec.name, p),
    });
  }

  private endpointOf(targetName: string, protocol: Protocol): HostPort {
    const endpoints = this.targets.get(targetName)!.endpoints;
    const port = endpoints[protocol];
    if (port === undefined) throw new FaultlineError('TARGET_FAILED', `target "${targetName}" reported no ${protocol.toUpperCase()} port`);
    return { host: endpoints.host, port };
  }

  /**
   * The fault timeline as steps sorted by time (then by their order in the file), each applying or
   * removing one fault on one proxy; records every fault in `this.faults`.
   */
  private planTimeline(): TimelineStep[] {
    const steps: TimelineStep[] = [];
    let order = 0;
    for (const fault of this.spec.faults) {
      const targets = fault.kind === 'toxic' ? fault.toxics.map(({ proxy, toxic }) => ({ proxy, toxic })) : fault.proxies.map((proxy) => ({ proxy, toxic: undefined }));
      for (const { proxy, toxic } of targets) {
        const record: FaultRecord = {
          id: fault.proxies.length > 1 ? `${fault.id}@${proxy}` : fault.id,
          proxy,
          kind: fault.kind,
          ...(toxic ? { toxic } : {}),
          plannedAtMs: fault.atMs,
          ...(fault.forMs !== undefined ? { plannedUntilMs: fault.atMs + fault.forMs } : {}),
        };
        this.faults.push(record);
        steps.push({ atMs: fault.atMs, order: order++, run: () => this.applyFault(record) });
        if (fault.forMs !== undefined) steps.push({ atMs: fault.atMs + fault.forMs, order: order++, run: () => this.removeFault(record) });
      }
    }
    return steps.sort((a, b) => a.atMs - b.atMs || a.order - b.order);
  }

  /**
   * Applies and removes faults at their planned times, recording when each actually happened. A
   * fault that fails to apply is recorded with its error and the timeline goes on.
   */
  private async runTimeline(steps: readonly TimelineStep[], signal: AbortSignal): Promise<void> {
    for (const step of steps) {
      if ((await this.clock.sleepUntil(this.t0 + step.atMs, signal)) === 'aborted') return;
      await step.run();
    }
  }

  private async applyFault(record: FaultRecord): Promise<void> {
    const backend = this.backend!;
    try {
      if (record.kind === 'toxic') await backend.addToxic(record.proxy, record.toxic!);
      else await backend.updateProxy(record.proxy, { enabled: false });
      record.appliedAtMs = this.clock.now() - this.t0;
      this.emitFault('applied', record);
    } catch (caught) {
      record.error = serializeError(caught);
      this.emitFault('failed', record);
    }
  }

  private async removeFault(record: FaultRecord): Promise<void> {
    if (record.appliedAtMs === undefined) return;
    const backend = this.backend!;
    try {
      if (record.kind === 'toxic') await backend.removeToxic(record.proxy, record.toxic!.name);
      else await backend.updateProxy(record.proxy, { enabled: true });
      record.removedAtMs = this.clock.now() - this.t0;
      this.emitFault('removed', record);
    } catch (caught) {
      record.error = serializeError(caught);
      this.emitFault('failed', record);
    }
  }

  private emitFault(action: 'applied' | 'removed' | 'failed', fault: FaultRecord): void {
    this.deps.observer?.onFaultApplied?.({ scenarioId: this.input.id, action, atMs: this.clock.now() - this.t0, fault });
  }

  // ── judging ──────────────────────────────────────────────────────────────

  /**
   * A fault that could not be applied or removed means the scenario did not test what it says:
   * its verdict would describe another path, so it errors (with everything measured kept).
   */
  private checkFaultsApplied(): void {
    const failed = this.faults.find((f) => f.error);
    if (!failed) return;
    const { code, message } = failed.error!;
    const text = `fault ${failed.id} on proxy "${failed.proxy}" could not be applied or removed: ${message}`;
    // A bug stays a bug (exit 70); anything else keeps its code (a backend gone: exit 3).
    if (code === 'INTERNAL') throw new Error(text);
    throw new FaultlineError(code, text, { hint: 'the verdict would describe a path without this fault; see the fault timeline in the report' });
  }

  private async readLedgers(): Promise<ProxyLedger[]> {
    const ledgers: ProxyLedger[] = [];
    for (const proxy of this.spec.proxies) {
      const ledger = await this.backend!.ledger(proxy.name);
      if (ledger) ledgers.push(ledger);
    }
    return ledgers;
  }

  /**
   * UDP loss the proxy did not cause: lost datagrams minus the drops the ledger recorded on the
   * workload's proxy. Only attributable when the workload is the proxy's only user.
   */
  private addIncidentalLoss(workloads: WorkloadResult[], ledgers: ProxyLedger[]): void {
    for (const workload of workloads) {
      if (workload.protocol !== 'udp' || !workload.proxy) continue;
      if (workloads.filter((w) => w.proxy === workload.proxy).length > 1) continue;
      const ledger = ledgers.find((l) => l.proxy === workload.proxy);
      const lost = workload.metrics.find((m) => m.name === 'messages_lost_total')?.value;
      if (!ledger || lost === undefined) continue;
      let drops = 0;
      for (const counters of Object.values(ledger.directions)) {
        for (const [name, n] of Object.entries(counters)) if (name.startsWith('dropped_')) drops += n;
      }
      for (const toxic of ledger.toxics) {
        for (const [name, n] of Object.entries(toxic.counters)) if (name.startsWith('dropped_')) drops += n;
      }
      const incidental = Math.max(0, lost - drops);
      workload.metrics.push({ name: 'incidental_lost_total', value: incidental });
      workload.harness = { ...workload.harness, incidentalLoss: incidental };
    }
  }

  private expectations(workloads: WorkloadResult[]): Map<string, ExpectedRates> {
    const expected = new Map<string, ExpectedRates>();
    for (const workload of workloads) {
      expected.set(
        workload.name,
        expectedRates({
          faults: this.faults,
          ...(workload.proxy ? { proxy: workload.proxy } : {}),
          kind: workload.kind,
          workloadStartMs: workload.startedAtMs,
          workloadDurationMs: workload.durationMs,
        }),
      );
    }
    return expected;
  }

  private evaluate(workloads: WorkloadResult[], expected: Map<string, ExpectedRates>): AssertionResult[] {
    return this.spec.assertions.map((assertion) => {
      const workload = mustFind(workloads, assertion.workload);
      // The file as results name it (relative to where the run started), like the scenario's own.
      return evaluateCheck(assertion.check, workload, expected.get(workload.name)!, { ...assertion.where, file: this.input.file });
    });
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

function mustFind(workloads: WorkloadResult[], name: string): WorkloadResult {
  const found = workloads.find((w) => w.name === name);
  if (!found) throw new Error(`workload "${name}" has no result`);
  return found;
}

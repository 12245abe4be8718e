/**
 * Explores one scenario: searches its fault space for a schedule under which its assertions
 * fail, confirms the failure, and shrinks it to a minimal schedule, with fast-check doing the
 * drawing, the shrinking and the replay.
 *
 *   baseline run (no generated fault) ──▶ fault space resolved (fault-space.ts)
 *     ──▶ search: fast-check's schedules #0, #1, … in order, up to --parallel at once (trial.ts)
 *           until one fails in every confirmation run, or the budget (runs, time) runs out
 *     ──▶ shrink: fc.check replays schedule #i (`path: "i"`) and shrinks it, running a trial for
 *           each candidate; each confirmed failure is a step of the shrink path
 *     ──▶ ScenarioExploration (core/exploration.ts) + the run to show in the report
 *
 * Why the search is not fc.check itself: fc.check runs one candidate at a time. `fc.sample` with
 * the same seed draws exactly the schedules fc.check would, in the same order, so the search can
 * run several at once and still stop at the lowest-numbered failure, which is what a sequential
 * search would have found; fc.check then takes over from that schedule with `path`. `--seed S
 * --path P` hands the path straight to fc.check: fast-check's own replay.
 *
 * A predicate fast-check calls must not throw (a throw is a failure to shrink toward), so every
 * stop — Ctrl-C, the time budget, a run that errored — makes the remaining candidates pass
 * without running: fast-check then ends with the smallest failure confirmed so far.
 */
import fc from 'fast-check';
import type { ProxyBackend } from '../core/backend.js';
import type { Clock } from '../core/clock.js';
import { serializeError, type SerializedError } from '../core/errors.js';
import type { Confirmation, ExploredSchedule, ExploreObserver, FlakyCandidate, ScenarioExploration, ShrinkStep } from '../core/exploration.js';
import type { ScenarioResult } from '../core/result.js';
import { createRng, MAX_SEED } from '../core/rng.js';
import { runScenario } from '../scenario/run-scenario.js';
import type { ScenarioSpec } from '../scenario/spec.js';
import { describeFaultSpace, resolveFaultSpace, type FaultSpace } from './fault-space.js';
import { RunSlots } from './run-slots.js';
import { describeShrink, scheduleArbitrary, scheduleKey, withSchedule } from './schedule.js';
import { runTrial, type ScenarioRunner, type TrialOutcome } from './trial.js';

export interface ExploreInput {
  spec: ScenarioSpec;
  /** fast-check's seed. */
  seed: number;
  /** fast-check's path to one schedule: replay it (and shrink from it) instead of searching. */
  path?: string;
  /** The command line's budget, over the file's `explore:`. */
  runs?: number;
  timeMs?: number;
  /** Runs of a failing schedule that must all fail (≥ 1). */
  confirm: number;
  /** Scenario runs at once (≥ 1). */
  parallel: number;
  /** `<file>#<name>` and the file, as results name them. */
  id: string;
  file: string;
  /** The command that replays this exploration, with `--path` once there is one. */
  replay(path?: string): string;
}

export interface ExploreDeps {
  clock: Clock;
  /** A fresh backend per run, seeded with the run's seed (each run is isolated). */
  createBackend(seed: number): ProxyBackend | Promise<ProxyBackend>;
  /** A fresh wire backend per run of a scenario with wire paths (its own namespaces); absent: no wire layer. */
  createWireBackend?(seed: number): ProxyBackend | Promise<ProxyBackend>;
  backendKind: string;
  /** Ctrl-C: running scenarios stop and the exploration ends with what it has. */
  signal: AbortSignal;
  observer?: ExploreObserver;
  /** Unique across the process: frames carry it so a sink can tell workloads apart. */
  allocateWorkloadId(): number;
}

export interface ExploreOutcome {
  exploration: ScenarioExploration;
  /** The run to show beside the exploration: the minimal schedule's failing run, the run that stopped it, or the baseline. */
  shown?: ScenarioResult;
}

export function exploreScenario(input: ExploreInput, deps: ExploreDeps): Promise<ExploreOutcome> {
  return new Exploration(input, deps).run();
}

/** The exploration of a scenario not explored here, as `faultline run` would skip it (`reason`). */
export function skippedExploration(input: ExploreInput, reason: string): ScenarioExploration {
  return {
    scenario: input.spec.name,
    file: input.file,
    status: 'skipped',
    stoppedBy: 'unavailable',
    seed: input.seed,
    replay: input.replay(),
    startedAt: new Date().toISOString(),
    durationMs: 0,
    budget: budgetOf(undefined, input),
    confirm: input.confirm,
    parallel: input.parallel,
    space: [],
    schedulesTried: 0,
    runs: 0,
    failures: 0,
    meanRunMs: 0,
    shrinkPath: [],
    shrinkComplete: false,
    flaky: [],
    reason,
    notes: [],
  };
}

class Exploration {
  private readonly slots: RunSlots;
  private readonly startMs: number;
  private readonly startedAt = new Date().toISOString();
  private phase: 'baseline' | 'search' | 'shrink' = 'baseline';
  private deadlineMs: number | undefined;
  private space: FaultSpace | undefined;

  private runs = 0;
  private runMsTotal = 0;
  private schedulesTried = 0;
  private failures = 0;
  private readonly steps: ShrinkStep[] = [];
  private readonly flaky: FlakyCandidate[] = [];
  private readonly notes: string[] = [];
  private outOfTime = false;
  /** Why the exploration must end early: a run that errored, or Ctrl-C. */
  private halt: { reason: 'error' | 'interrupt'; error?: SerializedError } | undefined;
  private shown: ScenarioResult | undefined;

  constructor(
    private readonly input: ExploreInput,
    private readonly deps: ExploreDeps,
  ) {
    this.slots = new RunSlots(input.parallel);
    this.startMs = deps.clock.now();
  }

  async run(): Promise<ExploreOutcome> {
    const { spec } = this.input;
    const baselineSeed = createRng(this.input.seed).fork('baseline').int(0, MAX_SEED);
    const baseline = await this.trial(spec, baselineSeed);
    this.shown = baseline.result;
    if (baseline.verdict === 'stopped') return this.finish();
    if (baseline.verdict === 'failed') {
      this.recordStep({ seed: baselineSeed, faults: [] }, baseline, ['the scenario fails without any generated fault: nothing to shrink']);
      return this.finish();
    }
    if (baseline.verdict === 'flaky') {
      this.notes.push(`without any generated fault the scenario failed ${baseline.confirmation.failed} of ${baseline.confirmation.runs} runs: it is flaky by itself, so findings need their confirmations`);
    }

    const space = resolveFaultSpace(spec, { workloadsEndMs: workloadsEnd(baseline.result), ...budget(this.input) });
    this.space = space;
    if (space.timeMs !== undefined) this.deadlineMs = this.startMs + space.timeMs;
    const arbitrary = scheduleArbitrary(spec, space);
    const path = this.input.path ?? (await this.search(arbitrary, space));
    if (path !== undefined && !this.halt) await this.shrink(arbitrary, path);
    return this.finish();
  }

  // ── search ───────────────────────────────────────────────────────────────

  /** The path (`"i"`) of the first schedule that failed in every run, or undefined. */
  private async search(arbitrary: fc.Arbitrary<ExploredSchedule>, space: FaultSpace): Promise<string | undefined> {
    this.phase = 'search';
    this.progress();
    const schedules = fc.sample(arbitrary, { seed: this.input.seed, numRuns: space.runs });
    const cancels = new Map<number, AbortController>();
    let next = 0;
    let found: { index: number; outcome: TrialOutcome } | undefined;
    const worker = async () => {
      for (;;) {
        if (this.halt || this.timeIsUp()) return;
        const index = next++;
        if (index >= schedules.length || (found && index > found.index)) return;
        const schedule = schedules[index]!;
        const cancel = new AbortController();
        cancels.set(index, cancel);
        const outcome = await this.trial(withSchedule(this.input.spec, schedule), schedule.seed, cancel.signal);
        cancels.delete(index);
        if (outcome.verdict === 'cancelled') continue;
        this.schedulesTried++;
        if (outcome.verdict === 'flaky') this.recordFlaky('search', schedule, outcome);
        if (outcome.verdict === 'failed' && (!found || index < found.index)) {
          found = { index, outcome };
          // A later schedule can no longer be the first failure: call it off.
          for (const [i, c] of cancels) if (i > index) c.abort();
        }
        if (outcome.verdict === 'stopped') for (const c of cancels.values()) c.abort();
        this.progress();
      }
    };
    await Promise.all(Array.from({ length: this.input.parallel }, worker));
    if (!found) return undefined;
    this.recordStep(schedules[found.index]!, found.outcome, [`found by the search: schedule #${found.index}`], String(found.index));
    return String(found.index);
  }

  // ── shrink ───────────────────────────────────────────────────────────────

  private async shrink(arbitrary: fc.Arbitrary<ExploredSchedule>, path: string): Promise<void> {
    this.phase = 'shrink';
    this.progress();
    // What is known already: the schedule the search found failed, confirmed.
    const known = new Map<string, boolean>(this.steps.map((s) => [scheduleKey(s.schedule), true]));
    let calls = 0;
    let replayMissed = false;
    // fast-check adds a segment to the path for every candidate it accepts, which includes one that
    // draws the same schedule again (no new step): each step remembers how many came before it.
    let accepted = 0;
    const depthOf = new Map<ShrinkStep, number>();
    const property = fc.asyncProperty(arbitrary, async (schedule) => {
      const first = calls++ === 0;
      if (replayMissed) return true;
      const stepsBefore = this.steps.length;
      const holds = await this.holdsFor(schedule, known, first ? [`replayed from path ${path}`] : undefined);
      if (!holds && !first) accepted++;
      if (this.steps.length > stepsBefore) depthOf.set(this.steps[this.steps.length - 1]!, accepted);
      // The schedule at the path itself did not fail: there is nothing to shrink from it.
      if (first && holds) replayMissed = true;
      return holds;
    });
    const details = await fc.check(property, { seed: this.input.seed, path, numRuns: 1 });
    if (!details.failed) {
      if (replayMissed && !this.halt) this.notes.push(`the schedule at path ${path} did not fail in every run this time: nothing to shrink`);
      return;
    }
    const segments = (details.counterexamplePath ?? path).split(':');
    const depth = path.split(':').length;
    for (const [step, acceptedBefore] of depthOf) step.path = segments.slice(0, depth + acceptedBefore).join(':');
  }

  /**
   * The property fast-check shrinks with: whether the scenario passes under `schedule`. False when
   * it fails, confirmed: a new step of the shrink path, described by `changes` or by its
   * difference from the last step. Never throws.
   */
  private async holdsFor(schedule: ExploredSchedule, known: Map<string, boolean>, changes?: string[]): Promise<boolean> {
    try {
      const key = scheduleKey(schedule);
      let failed = known.get(key);
      let outcome: TrialOutcome | undefined;
      if (failed === undefined) {
        // A shrink cut short here is never complete: halt or outOfTime stays set (see finish).
        if (this.halt || this.timeIsUp()) return true;
        outcome = await this.trial(withSchedule(this.input.spec, schedule), schedule.seed);
        if (outcome.verdict === 'stopped') return true; // trial() has set halt
        if (outcome.verdict === 'flaky') this.recordFlaky('shrink', schedule, outcome);
        failed = outcome.verdict === 'failed';
        known.set(key, failed);
      }
      const last = this.steps[this.steps.length - 1];
      if (failed && (!last || scheduleKey(last.schedule) !== key)) {
        const confirmation = outcome?.confirmation ?? { failed: this.input.confirm, runs: this.input.confirm };
        this.recordStep(schedule, outcome ?? { confirmation }, changes ?? (last ? describeShrink(last.schedule, schedule) : []));
      }
      return !failed;
    } catch (error) {
      this.halt = { reason: 'error', error: serializeError(error) };
      return true;
    }
  }

  // ── runs and records ─────────────────────────────────────────────────────

  private trial(spec: ScenarioSpec, seed: number, cancel?: AbortSignal): Promise<TrialOutcome> {
    const run: ScenarioRunner = (s, runSeed, signal) =>
      runScenario(
        { spec: s, id: this.input.id, file: this.input.file, seed: runSeed, replay: this.input.replay(), index: 0, total: 1, backendKind: this.deps.backendKind },
        {
          clock: this.deps.clock,
          createBackend: this.deps.createBackend,
          ...(this.deps.createWireBackend ? { createWireBackend: this.deps.createWireBackend } : {}),
          signal,
          allocateWorkloadId: this.deps.allocateWorkloadId,
        },
      );
    return runTrial(spec, seed, {
      run,
      slots: this.slots,
      confirm: this.input.confirm,
      interrupt: this.deps.signal,
      ...(cancel ? { cancel } : {}),
      onRun: (result) => {
        this.runs++;
        this.runMsTotal += result.durationMs;
        this.progress();
      },
    }).then((outcome) => {
      if (outcome.verdict === 'stopped' && !this.halt) {
        this.halt = this.deps.signal.aborted ? { reason: 'interrupt' } : { reason: 'error', ...(outcome.result.status === 'errored' ? { error: outcome.result.error } : {}) };
        this.shown = outcome.result;
      }
      return outcome;
    });
  }

  private recordStep(schedule: ExploredSchedule, outcome: { confirmation: Confirmation; result?: ScenarioResult }, changes: string[], path = ''): void {
    const step: ShrinkStep = { step: this.steps.length, schedule, changes, confirmation: outcome.confirmation, path };
    this.steps.push(step);
    this.failures++;
    if (outcome.result) this.shown = outcome.result;
    this.deps.observer?.onFailure?.({ phase: this.phase === 'shrink' && step.step > 0 ? 'shrink' : 'search', step });
  }

  private recordFlaky(phase: 'search' | 'shrink', schedule: ExploredSchedule, outcome: { confirmation: Confirmation }): void {
    const candidate: FlakyCandidate = { phase, schedule, confirmation: outcome.confirmation };
    this.flaky.push(candidate);
    this.deps.observer?.onFlaky?.(candidate);
  }

  private timeIsUp(): boolean {
    if (this.deadlineMs !== undefined && this.deps.clock.now() >= this.deadlineMs) this.outOfTime = true;
    return this.outOfTime;
  }

  private progress(): void {
    this.deps.observer?.onProgress?.({
      scenario: this.input.spec.name,
      phase: this.phase,
      schedulesTried: this.schedulesTried,
      budget: this.space?.runs ?? budget(this.input).runs ?? 0,
      runs: this.runs,
      failures: this.failures,
      flaky: this.flaky.length,
      shrinkSteps: Math.max(0, this.steps.length - 1),
      elapsedMs: this.deps.clock.now() - this.startMs,
    });
  }

  private finish(): ExploreOutcome {
    const minimal = this.steps[this.steps.length - 1];
    const status = this.halt?.reason === 'interrupt' ? 'interrupted' : this.halt ? 'errored' : minimal ? 'failed' : 'passed';
    const stoppedBy = this.halt?.reason ?? (this.outOfTime ? 'time' : minimal ? 'shrunk' : 'runs');
    const exploration: ScenarioExploration = {
      scenario: this.input.spec.name,
      file: this.input.file,
      status,
      stoppedBy,
      seed: this.input.seed,
      replay: this.input.replay(minimal?.path || undefined),
      startedAt: this.startedAt,
      durationMs: this.deps.clock.now() - this.startMs,
      budget: budgetOf(this.space, this.input),
      confirm: this.input.confirm,
      parallel: this.input.parallel,
      space: this.space ? describeFaultSpace(this.space) : [],
      schedulesTried: this.schedulesTried,
      runs: this.runs,
      failures: this.failures,
      meanRunMs: this.runs > 0 ? this.runMsTotal / this.runs : 0,
      shrinkPath: this.steps,
      shrinkComplete: minimal !== undefined && !this.halt && !this.outOfTime,
      ...(minimal ? { minimal: { schedule: minimal.schedule, path: minimal.path } } : {}),
      flaky: this.flaky,
      ...(this.halt?.error ? { error: this.halt.error } : {}),
      notes: this.notes,
    };
    return { exploration, ...(this.shown ? { shown: this.shown } : {}) };
  }
}

function budget(input: ExploreInput): { runs?: number; timeMs?: number } {
  return { ...(input.runs !== undefined ? { runs: input.runs } : {}), ...(input.timeMs !== undefined ? { timeMs: input.timeMs } : {}) };
}

function budgetOf(space: FaultSpace | undefined, input: ExploreInput): { runs: number; timeMs?: number } {
  const timeMs = space?.timeMs ?? input.timeMs;
  return { runs: space?.runs ?? input.runs ?? 0, ...(timeMs !== undefined ? { timeMs } : {}) };
}

/** When the last workload of a run ended, ms from the scenario start. */
function workloadsEnd(result: ScenarioResult): number {
  return Math.max(0, ...result.workloads.map((w) => w.startedAtMs + w.durationMs));
}

/**
 * What `faultline explore` records (docs/explore.md): per scenario explored, the search, the
 * failure it found, how it was shrunk step by step, and the candidates that failed only
 * sometimes. results.json carries these in `explorations` beside the usual scenario results;
 * the reporters render them, the CLI decides the exit code from them. Plain JSON, like every
 * result type (core/result.ts).
 */
import { formatDuration } from './duration.js';
import type { SerializedError } from './errors.js';
import { shellQuote } from './shell.js';
import type { ToxicSpec } from './spec.js';

/**
 * One fault of a generated schedule, on one proxy or wire path (`layer: 'wire'`; absent: a
 * proxy), with its window. On a wire path the toxic is a wire fault (docs/wire.md), written the same way.
 */
export type ExploredFault = { proxy: string; layer?: 'wire'; atMs: number; forMs: number } & ({ kind: 'down' } | { kind: 'toxic'; toxic: ToxicSpec });

/** A generated fault schedule and the seed its scenario runs with (drawn by fast-check, never shrunk). */
export interface ExploredSchedule {
  seed: number;
  faults: ExploredFault[];
}

/** How many of the runs of one schedule failed: all of them is a confirmed failure. */
export interface Confirmation {
  failed: number;
  runs: number;
}

/** One step of the shrink path: a smaller schedule that still failed, every time it ran. */
export interface ShrinkStep {
  /** 0 is the failure the search found; each later step is smaller than the one before. */
  step: number;
  schedule: ExploredSchedule;
  /** What changed from the previous step, in words: `removed F2 (latency 200ms downstream on db)`, `F1 latency 400 → 200`. */
  changes: string[];
  confirmation: Confirmation;
  /** fast-check's path to this schedule (replays it with the same seed). */
  path: string;
}

/** A schedule that failed in some of its runs and passed in others: noise, not a finding. */
export interface FlakyCandidate {
  phase: 'search' | 'shrink';
  schedule: ExploredSchedule;
  confirmation: Confirmation;
}

/**
 * - `passed`: the budget ran out and no schedule failed (flaky ones may have);
 * - `failed`: a failure was found, confirmed and shrunk (possibly not to the end: `shrinkComplete`);
 * - `errored`: the scenario could not run (a target would not start…): not a finding;
 * - `interrupted`: Ctrl-C; what was found so far is kept;
 * - `skipped`: not explored, as `faultline run` would not run it: a layer it needs (the wire
 *   layer) is unavailable here and the scenario says `if_unavailable: skip`; `reason` says why.
 */
export type ExplorationStatus = 'passed' | 'failed' | 'errored' | 'interrupted' | 'skipped';

/** Why the exploration ended (`unavailable`: it never began, see `skipped`). */
export type ExplorationStop = 'runs' | 'time' | 'shrunk' | 'error' | 'interrupt' | 'unavailable';

export interface ScenarioExploration {
  /** The scenario explored, and its file as results name it (relative to where the command ran). */
  scenario: string;
  file: string;
  status: ExplorationStatus;
  stoppedBy: ExplorationStop;
  /** fast-check's seed for this exploration (derived from the command's `--seed` and the name). */
  seed: number;
  /** The command that replays this exploration exactly (with `--path` once a failure was shrunk). */
  replay: string;
  startedAt: string;
  durationMs: number;
  budget: { runs: number; timeMs?: number };
  /** Runs of one failing schedule that must all fail before it counts (`--confirm`). */
  confirm: number;
  parallel: number;
  /** The fault space as searched, one line per dimension, defaults resolved. */
  space: string[];
  /** Schedules the search drew and ran (fast-check runs before the first failure, or all of the budget). */
  schedulesTried: number;
  /** Scenario runs in all: baseline, search, confirmations and shrinking. */
  runs: number;
  /** Schedules that failed in every run (the first finding and each shrink step). */
  failures: number;
  /** Mean wall time of one scenario run, ms. */
  meanRunMs: number;
  /** The first failure, then each smaller failing schedule, ending at the minimal one. */
  shrinkPath: ShrinkStep[];
  /** False when the budget or an interrupt stopped shrinking before fast-check had tried everything. */
  shrinkComplete: boolean;
  /** The smallest failing schedule and where the scenario file that reproduces it was written. */
  minimal?: { schedule: ExploredSchedule; path: string; file?: string; scenarioId?: string };
  flaky: FlakyCandidate[];
  error?: SerializedError;
  /** Why a skipped exploration was not run. */
  reason?: string;
  notes: string[];
}

/** Told while an exploration runs, for live progress. Hooks must not throw. */
export interface ExploreObserver {
  onProgress?(progress: ExploreProgress): void;
  onFailure?(event: { phase: 'search' | 'shrink'; step?: ShrinkStep }): void;
  onFlaky?(candidate: FlakyCandidate): void;
}

export interface ExploreProgress {
  scenario: string;
  phase: 'baseline' | 'search' | 'shrink';
  /** Schedules the search tried so far, of `budget`. */
  schedulesTried: number;
  budget: number;
  runs: number;
  failures: number;
  flaky: number;
  /** While shrinking: steps taken so far. */
  shrinkSteps: number;
  elapsedMs: number;
}

/**
 * `slicer upstream on path (average_size 5, size_variation 0, delay 0) at 0ms for 50ms`; on a wire
 * path `mtu downstream on wire path net (mtu 1200) at 0ms for 50ms`.
 */
export function describeExploredFault(fault: ExploredFault): string {
  const window = `at ${formatScheduleTime(fault.atMs)} for ${formatScheduleTime(fault.forMs)}`;
  const where = fault.layer === 'wire' ? `wire path ${fault.proxy}` : fault.proxy;
  if (fault.kind === 'down') return `${where} down ${window}`;
  const attributes = Object.entries(fault.toxic.attributes).map(([k, v]) => `${k} ${v}`);
  return `${fault.toxic.type} ${fault.toxic.stream} on ${where}${attributes.length > 0 ? ` (${attributes.join(', ')})` : ''} ${window}`;
}

/** The command that runs a minimal scenario file (`file` as the user's shell should see it). */
export function reproduceCommand(file: string): string {
  return `npx faultline run ${shellQuote(file)}`;
}

/** A time of a schedule (whole ms at most scales): `0ms`, `150ms`, `1.5s`. */
export function formatScheduleTime(ms: number): string {
  return ms === 0 ? '0ms' : formatDuration(ms);
}

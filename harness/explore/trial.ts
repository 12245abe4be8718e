/**
 * One trial of a schedule: the scenario with the schedule's faults runs once; when it fails, it
 * runs `confirm − 1` more times with the same seed (at once, as the run slots allow), and the
 * failure counts only when every run failed. Networks are noisy: a schedule that fails sometimes
 * is `flaky`, reported as such and never shrunk toward.
 *
 *   run ──passed──▶ passed
 *       ──failed──▶ confirmation runs ──all failed──▶ failed
 *                                     ──some passed─▶ flaky
 *       ──errored (not a timeout) / interrupted──▶ stopped   (the exploration ends: not a finding)
 *
 * A scenario that hits its deadline counts as failed: a target that hangs under faults is a
 * finding, as `faultline run` says (SCENARIO_TIMEOUT, exit 1): whatever the error catalog says
 * exits 1 is one.
 */
import { errorExitCode, ExitCode } from '../core/errors.js';
import type { Confirmation } from '../core/exploration.js';
import type { ScenarioResult } from '../core/result.js';
import type { ScenarioSpec } from '../scenario/spec.js';
import type { RunSlots } from './run-slots.js';

/** Runs a scenario once with a seed until done or `signal` aborts (then it reports `interrupted`). */
export type ScenarioRunner = (spec: ScenarioSpec, seed: number, signal: AbortSignal) => Promise<ScenarioResult>;

export type TrialVerdict =
  | 'passed'
  | 'failed'
  | 'flaky'
  /** A run errored (a target would not start…) or the exploration was interrupted. */
  | 'stopped'
  /** The explorer called the trial off (a lower-numbered schedule already failed). */
  | 'cancelled';

export interface TrialOutcome {
  verdict: TrialVerdict;
  confirmation: Confirmation;
  /** The run to show: the last failing one, the one that stopped the trial, else the last one. */
  result: ScenarioResult;
}

export interface TrialDeps {
  run: ScenarioRunner;
  slots: RunSlots;
  /** Runs of a failing schedule that must all fail. */
  confirm: number;
  /** The exploration's interrupt (Ctrl-C). */
  interrupt: AbortSignal;
  /** Calls this trial off, for the explorer's own reasons. */
  cancel?: AbortSignal;
  /** Told of every run, for counts and progress. */
  onRun?(result: ScenarioResult): void;
}

export async function runTrial(spec: ScenarioSpec, seed: number, deps: TrialDeps): Promise<TrialOutcome> {
  const signal = deps.cancel ? AbortSignal.any([deps.interrupt, deps.cancel]) : deps.interrupt;
  const once = () =>
    deps.slots.use(async () => {
      const result = await deps.run(spec, seed, signal);
      deps.onRun?.(result);
      return result;
    });
  const first = await once();
  const firstVerdict = runVerdict(first);
  if (firstVerdict !== 'failed') return { verdict: stoppedOr(firstVerdict, deps), confirmation: { failed: 0, runs: 1 }, result: first };

  const more = await Promise.all(Array.from({ length: deps.confirm - 1 }, once));
  const results = [first, ...more];
  const stopping = results.find((r) => runVerdict(r) === 'stopped');
  const failing = results.filter((r) => runVerdict(r) === 'failed');
  const confirmation = { failed: failing.length, runs: results.length };
  if (stopping) return { verdict: stoppedOr('stopped', deps), confirmation, result: stopping };
  if (failing.length === results.length) return { verdict: 'failed', confirmation, result: failing[failing.length - 1]! };
  return { verdict: 'flaky', confirmation, result: failing[failing.length - 1]! };
}

/** What one run says about the schedule. */
function runVerdict(result: ScenarioResult): 'passed' | 'failed' | 'stopped' {
  switch (result.status) {
    case 'passed':
      return 'passed';
    case 'failed':
      return 'failed';
    case 'errored':
      return errorExitCode(result.error.code) === ExitCode.failed ? 'failed' : 'stopped';
    case 'interrupted':
    case 'skipped':
      return 'stopped';
  }
}

/** A run interrupted because the explorer called the trial off is a cancellation, not a stop. */
function stoppedOr(verdict: 'passed' | 'stopped', deps: TrialDeps): TrialVerdict {
  if (verdict === 'stopped' && !deps.interrupt.aborted && deps.cancel?.aborted) return 'cancelled';
  return verdict;
}

/**
 * Judging a scenario once its traffic is over: what its faults predicted, what its checks say,
 * the side-by-side comparison and the calibration, then the verdict after `expect`.
 *
 *   fault records ─▶ expected rates per workload (assert/expected-rates) ─┬─▶ checks (assert/evaluate)
 *   workloads, ledgers ────────────────────────────────────────────────────┼─▶ comparison
 *                                                                          └─▶ calibration
 *   assertions + expect + error/interrupt ─▶ status (passed / failed / errored / interrupted)
 *
 * Which metrics a workload records comes from its type's definition (the workload registry),
 * handed to the assertions as data.
 */
import { calibrate } from '../assert/calibrate.js';
import { compareWorkloads } from '../assert/compare.js';
import { evaluateCheck } from '../assert/evaluate.js';
import { expectedRates, type ExpectedRates } from '../assert/expected-rates.js';
import type { MetricCoverage } from '../assert/metric-catalog.js';
import type { SerializedError } from '../core/errors.js';
import type { ProxyLedger } from '../core/ledger.js';
import type { AssertionResult, CalibrationRow, ComparisonRow, FaultRecord, WorkloadResult } from '../core/result.js';
import { typesRecording } from '../workload/registry.js';
import type { ScenarioSpec } from './spec.js';

export interface Judgement {
  assertions: AssertionResult[];
  comparison?: ComparisonRow[];
  calibration: CalibrationRow[];
}

/** The registry's declarations, as the assertions take them. */
const coverage: MetricCoverage = { typesRecording };

/** Judges the measured scenario. `file` is the scenario's file as results name it (none for one written in code). */
export function judge(spec: ScenarioSpec, file: string | undefined, workloads: readonly WorkloadResult[], faults: readonly FaultRecord[], ledgers: readonly ProxyLedger[]): Judgement {
  const predicted = new Map(workloads.map((workload) => [workload.name, { workload, expected: predict(workload, faults) }]));
  const resultOf = (name: string) => {
    const found = predicted.get(name);
    if (!found) throw new Error(`workload "${name}" has no result`);
    return found;
  };
  const assertions = spec.assertions.map((assertion) => {
    const { workload, expected } = resultOf(assertion.workload);
    // The file as results name it (relative to where the run started), like the scenario's own.
    return evaluateCheck(assertion.check, workload, { expected, coverage, where: { ...assertion.where, ...(file === undefined ? {} : { file }) } });
  });
  const comparison = spec.compare?.map(resultOf);
  return {
    assertions,
    ...(comparison ? { comparison: compareWorkloads(comparison.map((c) => c.workload), new Map(comparison.map((c) => [c.workload.name, c.expected]))) } : {}),
    calibration: calibrate(faults, ledgers, workloads),
  };
}

/** What the faults on a workload's path predict for it (the `configured` of `~` checks). */
function predict(workload: WorkloadResult, faults: readonly FaultRecord[]): ExpectedRates {
  return expectedRates({
    faults,
    ...(workload.proxy ? { proxy: workload.proxy } : {}),
    protocol: workload.protocol,
    shape: workload.shape,
    workloadStartMs: workload.startedAtMs,
    workloadDurationMs: workload.durationMs,
  });
}

export type Verdict =
  | { status: 'passed' | 'failed'; outcome: 'passed' | 'failed' }
  | { status: 'errored'; error: SerializedError }
  | { status: 'interrupted' };

/**
 * The scenario's status. An interrupt wins, then an error; otherwise the assertions' outcome,
 * turned by `expect: fail`. A check that could not be judged (metric not measured, nothing sent)
 * is not the failure an `expect: fail` scenario demonstrates: it fails the scenario whatever
 * `expect` says. `notes` receives what a reader must know about the verdict.
 */
export function verdict(expect: 'pass' | 'fail', assertions: readonly AssertionResult[], stop: { interrupted: boolean; error?: SerializedError }, notes: string[]): Verdict {
  if (stop.interrupted) return { status: 'interrupted' };
  if (stop.error) return { status: 'errored', error: stop.error };
  if (assertions.length === 0) notes.push('this scenario has no assertions: it measures, it does not judge');
  const outcome = assertions.every((a) => a.status === 'passed') ? 'passed' : 'failed';
  const unjudged = assertions.filter((a) => a.status === 'error').length;
  if (unjudged > 0 && expect === 'fail') {
    notes.push(`expect: fail does not excuse ${unjudged === 1 ? 'a check' : `${unjudged} checks`} that could not be judged: the scenario fails`);
  }
  const passed = unjudged === 0 && (outcome === 'passed') === (expect === 'pass');
  return { status: passed ? 'passed' : 'failed', outcome };
}

/**
 * What every report says about a scenario, decided once: its status in words and symbols (so
 * colour is never the only signal), why it did not pass, and the handful of numbers a person
 * looks at first. The console, Markdown, JUnit and HTML renderers format these facts their own way.
 */
import { formatLocation } from '../core/errors.js';
import type { SerializedError } from '../core/errors.js';
import type {
  AssertionResult,
  CalibrationRow,
  FaultRecord,
  HistogramSummary,
  RunSummary,
  ScenarioResult,
  ScenarioStatus,
  WorkloadResult,
} from '../core/result.js';
import { formatAtMs, formatBytes, formatMs, formatNumber, formatPoints, formatQuantity, formatPercent } from './format.js';

/** Display order of statuses: problems first. */
export const STATUS_ORDER: readonly ScenarioStatus[] = ['failed', 'errored', 'interrupted', 'skipped', 'passed'];

/** A symbol and an upper-case word per status; both are printed, never colour alone. */
export const STATUS_LABEL: Record<ScenarioStatus, { symbol: string; word: string }> = {
  passed: { symbol: '✔', word: 'PASSED' },
  failed: { symbol: '✘', word: 'FAILED' },
  errored: { symbol: '⚠', word: 'ERRORED' },
  interrupted: { symbol: '■', word: 'INTERRUPTED' },
  skipped: { symbol: '○', word: 'SKIPPED' },
};

/** `6 scenarios: 3 passed, 2 failed, 1 errored` (statuses with zero omitted). */
export function describeSummary(summary: RunSummary): string {
  const order: ScenarioStatus[] = ['passed', 'failed', 'errored', 'interrupted', 'skipped'];
  const parts = order.filter((status) => summary[status] > 0).map((status) => `${summary[status]} ${status}`);
  const noun = summary.total === 1 ? 'scenario' : 'scenarios';
  return `${summary.total} ${noun}${parts.length > 0 ? `: ${parts.join(', ')}` : ''}`;
}

/** The run's overall verdict word: failed if anything failed or errored, interrupted, else passed. */
export function overallStatus(summary: RunSummary, interrupted: boolean): 'passed' | 'failed' | 'interrupted' {
  if (summary.failed > 0 || summary.errored > 0) return 'failed';
  if (interrupted || summary.interrupted > 0) return 'interrupted';
  return 'passed';
}

/** One reason a scenario did not pass, structured so each format can lay it out. */
export interface ScenarioProblem {
  /** A line that stands on its own: `udp: lost_ratio ~ configured`, `[TARGET_FAILED] …`. */
  title: string;
  expected?: string;
  observed?: string;
  /** Why, in a sentence (the assertion's message, an error's hint). */
  detail?: string;
  /** `file:line:col` or a field path. */
  where?: string;
}

/**
 * Why a scenario did not pass, first reason first; empty for passed scenarios. Covers failed
 * assertions, assertions that could not be evaluated, errors, interruption, and an `expect: fail`
 * scenario whose assertions all held.
 */
export function scenarioProblems(s: ScenarioResult): ScenarioProblem[] {
  switch (s.status) {
    case 'passed':
      return [];
    case 'errored':
      return [errorProblem(s.error)];
    case 'interrupted':
      return [{ title: 'interrupted before it finished', detail: 'the run was stopped (Ctrl-C or a deadline); its partial results are kept' }];
    case 'skipped':
      return [{ title: `skipped: ${s.reason}`, detail: 'not run' }];
    case 'failed': {
      if (s.expect === 'fail' && s.outcome === 'passed') {
        return [
          {
            title: 'expected to fail (expect: fail), but every assertion held',
            expected: 'at least one failed assertion',
            observed: `${s.assertions.length} of ${s.assertions.length} passed`,
            detail: 'the bug this scenario demonstrates did not show up; if it is fixed, change expect to pass',
          },
        ];
      }
      const failed = s.assertions.filter((a) => a.status !== 'passed').map(assertionProblem);
      if (failed.length > 0) return failed;
      return [{ title: 'failed', detail: 'no failed assertion was recorded' }];
    }
  }
}

/** An assertion that failed or could not be evaluated, as a problem. */
export function assertionProblem(a: AssertionResult): ScenarioProblem {
  const problem: ScenarioProblem = {
    title: `${a.subject ? `${a.subject}: ` : ''}${a.source}${a.status === 'error' ? ' (could not be evaluated)' : ''}`,
    expected: a.expected,
    observed: a.observed,
  };
  if (a.message) problem.detail = a.message;
  const where = a.where ? formatLocation(a.where) : '';
  if (where) problem.where = where;
  return problem;
}

function errorProblem(error: SerializedError | undefined): ScenarioProblem {
  if (!error) return { title: 'errored', detail: 'the harness could not run it (no error was recorded)' };
  const problem: ScenarioProblem = { title: `[${error.code}] ${error.message}` };
  if (error.hint) problem.detail = `hint: ${error.hint}`;
  const where = error.where ? formatLocation(error.where) : '';
  if (where) problem.where = where;
  return problem;
}

/** `expect: fail` scenarios in words; undefined for the ordinary `expect: pass`. */
export function expectationNote(s: ScenarioResult): string | undefined {
  if (s.expect !== 'fail') return undefined;
  if (s.status === 'passed') return 'expected to fail, and it did (its assertions failed as declared)';
  if (s.status === 'failed' && s.outcome === 'passed') return 'expected to fail, but its assertions all held';
  return 'expected to fail';
}

/** Value of a counter or gauge; a labelled counter without `labels` is the sum over its labels. */
export function metricValue(w: WorkloadResult, name: string, labels?: Record<string, string>): number | undefined {
  let found = false;
  let sum = 0;
  for (const m of w.metrics) {
    if (m.name !== name) continue;
    if (labels && !Object.entries(labels).every(([k, v]) => m.labels?.[k] === v)) continue;
    found = true;
    sum += m.value;
  }
  return found ? sum : undefined;
}

/** The latency histogram that best describes a workload: RTT for echo, one-way delay for streams. */
export function primaryLatency(w: WorkloadResult): { name: string; summary: HistogramSummary } | undefined {
  for (const name of ['rtt_ms', 'one_way_delay_ms', 'connect_ms']) {
    const summary = w.histograms[name];
    if (summary && summary.count > 0) return { name, summary };
  }
  return undefined;
}

/** A number worth showing first, already formatted: `lost 9.8%`, `p99 rtt_ms 4.3ms`. */
export interface KeyNumber {
  label: string;
  value: string;
}

/**
 * The few numbers that say what happened to a workload: messages, delivery and loss, anomalies
 * that occurred, latency p50/p99, goodput, jitter, errors by code.
 */
export function workloadKeyNumbers(w: WorkloadResult): KeyNumber[] {
  const out: KeyNumber[] = [];
  const push = (label: string, value: number | undefined, format: (v: number) => string) => {
    if (value !== undefined) out.push({ label, value: format(value) });
  };
  push('sent', metricValue(w, 'messages_sent_total'), formatNumber);
  if (metricValue(w, 'messages_sent_total') === undefined) push('sent', metricValue(w, 'bytes_sent_total'), formatBytes);
  push('delivered', metricValue(w, 'delivered_ratio'), formatPercent);
  push('lost', metricValue(w, 'lost_ratio'), formatPercent);
  for (const [label, name] of [
    ['reordered', 'reordered_ratio'],
    ['duplicated', 'duplicated_ratio'],
    ['corrupted', 'corrupted_ratio'],
  ] as const) {
    const value = metricValue(w, name);
    if (value !== undefined && value > 0) push(label, value, formatPercent);
  }
  if (w.stream) {
    out.push({ label: 'in order', value: w.stream.inOrder ? 'yes' : 'no' });
    out.push({ label: 'intact', value: w.stream.intact ? 'yes' : 'no' });
  }
  const latency = primaryLatency(w);
  if (latency) {
    const short = latency.name.replace(/_ms$/, '');
    push(`p50 ${short}`, latency.summary.p50, formatMs);
    push(`p99 ${short}`, latency.summary.p99, formatMs);
  }
  push('goodput', metricValue(w, 'goodput_bytes_per_sec'), (v) => `${formatBytes(v)}/s`);
  push('jitter', metricValue(w, 'jitter_ms'), formatMs);
  const errors = w.errors.reduce((sum, e) => sum + e.count, 0);
  if (errors > 0) {
    const codes = [...w.errors].sort((a, b) => b.count - a.count).map((e) => `${e.code} ${formatNumber(e.count)}`);
    out.push({ label: 'errors', value: `${formatNumber(errors)} (${codes.slice(0, 3).join(', ')}${codes.length > 3 ? ', …' : ''})` });
  }
  return out;
}

/** `lost 9.8% · p99 rtt 4.3ms` */
export function formatKeyNumbers(numbers: readonly KeyNumber[], separator = ' · '): string {
  return numbers.map((n) => `${n.label} ${n.value}`).join(separator);
}

/** `loss upstream on udp_path`, `tcp_path down`: the fault without its attributes. */
export function describeFaultShort(f: FaultRecord): string {
  return f.kind === 'down' || !f.toxic ? `${f.proxy} down` : `${f.toxic.type} ${f.toxic.stream} on ${f.proxy}`;
}

/** `loss upstream on udp_path (probability=0.1)`, `tcp_path down`. */
export function describeFault(f: FaultRecord): string {
  if (f.kind === 'down' || !f.toxic) return `${f.proxy} down`;
  const attributes = Object.entries(f.toxic.attributes)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  const toxicity = f.toxic.toxicity < 1 ? `, toxicity=${f.toxic.toxicity}` : '';
  return `${f.toxic.type} ${f.toxic.stream} on ${f.proxy}${attributes || toxicity ? ` (${attributes}${toxicity})` : ''}`;
}

/** When a fault acted: `applied 1.00s → removed 4.00s`, `applied 0.20s → end`, `not applied: …`. */
export function describeFaultWindow(f: FaultRecord): string {
  if (f.error) return `not applied: [${f.error.code}] ${f.error.message}`;
  if (f.appliedAtMs === undefined) return `planned at ${formatAtMs(f.plannedAtMs)}, never applied`;
  const end = f.removedAtMs !== undefined ? `removed ${formatAtMs(f.removedAtMs)}` : f.plannedUntilMs !== undefined ? 'not removed' : 'end';
  return `applied ${formatAtMs(f.appliedAtMs)} → ${end}`;
}

/** Whether the requested value lies inside the achieved value's interval, when there is one. */
export function calibrationVerdict(row: CalibrationRow): 'within' | 'outside' | 'unknown' {
  if (row.achieved === null || !row.interval) return 'unknown';
  return row.requested >= row.interval.low && row.requested <= row.interval.high ? 'within' : 'outside';
}

/**
 * Requested versus achieved in a sentence: `asked 10% loss_ratio, got 9.8% ± 0.6 (95% wilson
 * interval 9.2%–10.4%, 2,000 samples)`. Ratios' ± is in percentage points.
 */
export function describeCalibration(row: CalibrationRow): string {
  const fmt = (v: number) => formatQuantity(row.quantity, v);
  const asked = `asked ${fmt(row.requested)} ${row.quantity}`;
  if (row.achieved === null) return `${asked}, not measured (${formatNumber(row.samples)} samples)`;
  let got = `got ${fmt(row.achieved)}`;
  const details: string[] = [];
  if (row.interval) {
    const half = (row.interval.high - row.interval.low) / 2;
    got += ` ± ${row.quantity.endsWith('_ratio') ? formatPoints(half) : fmt(half)}`;
    details.push(`${Math.round(row.interval.confidence * 1000) / 10}% ${row.interval.method} interval ${fmt(row.interval.low)}–${fmt(row.interval.high)}`);
  }
  details.push(`${formatNumber(row.samples)} samples`);
  return `${asked}, ${got} (${details.join(', ')})`;
}


/**
 * The two or three numbers that summarise a workload in one table cell: loss or delivery,
 * anomalies that occurred, p99 latency, errors. (workloadKeyNumbers has the full set.)
 */
export function workloadHeadline(w: WorkloadResult): KeyNumber[] {
  const all = workloadKeyNumbers(w);
  const lost = all.find((k) => k.label === 'lost');
  const keep = new Set(['reordered', 'duplicated', 'corrupted', 'errors']);
  const out: KeyNumber[] = [];
  if (lost) out.push(lost);
  else {
    const delivered = all.find((k) => k.label === 'delivered');
    if (delivered) out.push(delivered);
  }
  for (const k of all) {
    if (keep.has(k.label) || k.label.startsWith('p99 ') || ((k.label === 'in order' || k.label === 'intact') && k.value === 'no')) out.push(k);
  }
  return out;
}

/**
 * junit.xml for CI test tabs (GitHub test-reporter actions, GitLab's test report, Jenkins' junit
 * step). The mapping:
 *
 *   run               ─▶ <testsuites>   tests/failures/errors/skipped/time/timestamp totals
 *   scenario file     ─▶ <testsuite>    one per file, named by the file (GitLab groups by suite)
 *   scenario          ─▶ <testcase>     classname = file without extension, name = scenario name
 *     failed          ─▶ <failure>      message = first reason; text = every failed assertion, expected vs observed
 *     errored         ─▶ <error>        type = FaultlineError code; text = message, where, hint, problems
 *     interrupted     ─▶ <skipped>      (JUnit has no "interrupted"); skipped likewise
 *   seed, replay, backend, expect ─▶ <properties> on the suite (run) and the case (scenario)
 *   summary           ─▶ <system-out>   verdicts and key numbers, bounded; target stderr ─▶ <system-err>
 *
 * Size (reference limits.md §12): GitLab rejects files over 30 MB and documents over 250k XML
 * objects, and silently drops test cases with duplicate names. So per-packet detail never goes
 * here (it is in results.json and index.html), system-out/err are capped per case, and case names
 * are made unique within a class: the plain scenario name when it is unique (stable across runs, so
 * CI history lines up), else `name [seed N]`, else `name #k`.
 *
 * Well-formed for any input: text goes through escape.ts (illegal XML characters removed, `>`
 * always escaped, no CDATA), attributes keep tabs and newlines as character references.
 */
import type { RunResult, ScenarioResult } from '../core/result.js';
import { isJudged, summarizeScenarios } from '../core/result.js';
import type { SerializedError } from '../core/errors.js';
import { escapeXmlAttr, escapeXmlText, stripAnsi } from './escape.js';
import { formatSeconds } from './format.js';
import {
  calibrationVerdict,
  describeCalibration,
  describeFault,
  describeFaultWindow,
  expectationNote,
  formatKeyNumbers,
  scenarioProblems,
  STATUS_LABEL,
  workloadKeyNumbers,
} from './scenario-facts.js';
import type { ScenarioProblem } from './scenario-facts.js';

export interface JunitOptions {
  /** Characters of `<system-out>` per test case before it is cut (default 8000). */
  maxOutputChars?: number;
  /** Characters of `<system-err>` per test case (default 4000). */
  maxErrorChars?: number;
  /** Where the full report is, mentioned in every system-out (default `index.html`). */
  htmlReport?: string;
}

/** Suite name for scenarios that came from no file. */
const NO_FILE = 'faultline';

/** Renders the JUnit XML document for a run. Pure. */
export function renderJunit(result: RunResult, options: JunitOptions = {}): string {
  const maxOut = options.maxOutputChars ?? 8000;
  const maxErr = options.maxErrorChars ?? 4000;
  const html = options.htmlReport ?? 'index.html';
  const suites = groupByFile(result.scenarios);
  const names = uniqueCaseNames(result.scenarios);
  const caseNames = new Map(result.scenarios.map((s, i) => [s, names[i]!] as const));
  const total = summarizeScenarios(result.scenarios);
  const lines: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  lines.push(
    `<testsuites${attrs({
      name: 'faultline',
      tests: total.total,
      failures: total.failed,
      errors: total.errored,
      skipped: total.skipped + total.interrupted,
      time: formatSeconds(result.run.durationMs),
      timestamp: junitTimestamp(result.run.startedAt),
    })}>`,
  );
  suites.forEach(([file, scenarios], index) => {
    const summary = summarizeScenarios(scenarios);
    const starts = scenarios.map((s) => Date.parse(s.startedAt)).filter(Number.isFinite);
    lines.push(
      `  <testsuite${attrs({
        name: file,
        id: index,
        tests: summary.total,
        failures: summary.failed,
        errors: summary.errored,
        skipped: summary.skipped + summary.interrupted,
        time: formatSeconds(scenarios.reduce((sum, s) => sum + s.durationMs, 0)),
        timestamp: junitTimestamp(starts.length > 0 ? new Date(starts.reduce((a, b) => Math.min(a, b))).toISOString() : result.run.startedAt),
        file: file === NO_FILE ? undefined : file,
      })}>`,
    );
    lines.push('    <properties>');
    lines.push(property('seed', String(result.run.seed), '      '));
    if (result.run.seeds) lines.push(property('seeds', result.run.seeds.join(','), '      '));
    lines.push(property('backend', result.run.backend, '      '));
    lines.push(property('faultline', result.faultline.version, '      '));
    lines.push(property('command', result.run.command, '      '));
    if (result.run.shard) lines.push(property('shard', `${result.run.shard.index}/${result.run.shard.total}`, '      '));
    lines.push('    </properties>');
    for (const s of scenarios) lines.push(...testcase(s, caseNames.get(s)!, file, { maxOut, maxErr, html }));
    lines.push('  </testsuite>');
  });
  lines.push('</testsuites>');
  return `${lines.join('\n')}\n`;
}

function groupByFile(scenarios: readonly ScenarioResult[]): Array<[string, ScenarioResult[]]> {
  const groups = new Map<string, ScenarioResult[]>();
  for (const s of scenarios) {
    const key = s.file ?? NO_FILE;
    const group = groups.get(key);
    if (group) group.push(s);
    else groups.set(key, [s]);
  }
  return [...groups];
}

/** `scenarios/loss.yaml` → `scenarios/loss`: Jenkins splits class names at dots into packages. */
export function junitClassName(file: string): string {
  return file.replace(/\.(ya?ml|json)$/i, '').replace(/\./g, '_');
}

/**
 * Test case names, unique per (classname, name) over the whole document: the plain scenario name
 * where that is already unique, else `name [seed N]`, else `name [seed N] #k`. Same order as input.
 */
export function uniqueCaseNames(scenarios: readonly ScenarioResult[]): string[] {
  const classOf = (s: ScenarioResult) => junitClassName(s.file ?? NO_FILE);
  const countBy = (keys: string[]) => keys.reduce((m, k) => m.set(k, (m.get(k) ?? 0) + 1), new Map<string, number>());
  const key = (s: ScenarioResult, name: string) => `${classOf(s)}\u0000${name}`;
  const plainCounts = countBy(scenarios.map((s) => key(s, s.name)));
  const seeded = scenarios.map((s) => (plainCounts.get(key(s, s.name))! > 1 ? `${s.name} [seed ${s.seed}]` : s.name));
  const seededCounts = countBy(scenarios.map((s, i) => key(s, seeded[i]!)));
  const seen = new Map<string, number>();
  return scenarios.map((s, i) => {
    const k = key(s, seeded[i]!);
    if (seededCounts.get(k)! === 1) return seeded[i]!;
    const n = (seen.get(k) ?? 0) + 1;
    seen.set(k, n);
    return `${seeded[i]!} #${n}`;
  });
}

/** ISO-8601 without fraction and zone, in UTC, as the JUnit XSD's `timestamp` wants it. */
function junitTimestamp(iso: string): string {
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? new Date(ms).toISOString().slice(0, 19) : '';
}

function attrs(values: Record<string, string | number | undefined>): string {
  return Object.entries(values)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${escapeXmlAttr(String(v))}"`)
    .join('');
}

function property(name: string, value: string, indent: string): string {
  return `${indent}<property${attrs({ name, value })}/>`;
}

function testcase(
  s: ScenarioResult,
  name: string,
  file: string,
  limits: { maxOut: number; maxErr: number; html: string },
): string[] {
  const out: string[] = [];
  out.push(
    `    <testcase${attrs({
      name,
      classname: junitClassName(file),
      file: s.file,
      time: formatSeconds(s.durationMs),
    })}>`,
  );
  out.push('      <properties>');
  out.push(property('id', s.id, '        '));
  out.push(property('seed', String(s.seed), '        '));
  out.push(property('replay', s.replay, '        '));
  out.push(property('backend', s.backend, '        '));
  out.push(property('expect', s.expect, '        '));
  if (isJudged(s)) out.push(property('outcome', s.outcome, '        '));
  if (s.tags.length > 0) out.push(property('tags', s.tags.join(','), '        '));
  out.push('      </properties>');
  const problems = scenarioProblems(s);
  const first = problems[0];
  if (s.status === 'failed' && first) {
    const type = s.expect === 'fail' && s.outcome === 'passed' ? 'ExpectedFailureDidNotOccur' : 'AssertionFailed';
    out.push(`      <failure${attrs({ message: first.title, type })}>${escapeXmlText(problems.map(problemText).join('\n\n'))}</failure>`);
  } else if (s.status === 'errored') {
    out.push(`      <error${attrs({ message: first?.title ?? 'errored', type: s.error.code })}>${escapeXmlText(errorText(s.error))}</error>`);
  } else if (s.status === 'interrupted' || s.status === 'skipped') {
    out.push(`      <skipped${attrs({ message: s.status === 'interrupted' ? 'interrupted before it finished' : 'skipped' })}/>`);
  }
  out.push(`      <system-out>${escapeXmlText(bounded(systemOut(s, limits.html), limits.maxOut))}</system-out>`);
  const stderr = s.targets
    .filter((t) => t.stderr.trim() !== '')
    .map((t) => `target ${t.name} stderr${t.truncated ? ' (tail)' : ''}:\n${stripAnsi(t.stderr)}`)
    .join('\n');
  if (stderr) out.push(`      <system-err>${escapeXmlText(bounded(stderr, limits.maxErr))}</system-err>`);
  out.push('    </testcase>');
  return out;
}

function problemText(p: ScenarioProblem): string {
  const lines = [p.title];
  if (p.expected !== undefined) lines.push(`  expected: ${p.expected}`);
  if (p.observed !== undefined) lines.push(`  observed: ${p.observed}`);
  if (p.detail) lines.push(`  why: ${p.detail}`);
  if (p.where) lines.push(`  at: ${p.where}`);
  return lines.join('\n');
}

function errorText(e: SerializedError): string {
  const lines = [`[${e.code}] ${e.message}`];
  if (e.where) lines.push(`at: ${[e.where.file, e.where.line, e.where.column].filter((v) => v !== undefined).join(':')}${e.where.path ? ` (${e.where.path})` : ''}`);
  if (e.hint) lines.push(`hint: ${e.hint}`);
  for (const p of e.problems ?? []) lines.push(`- ${p.message}${p.path ? ` (${p.path})` : ''}`);
  if (e.stack) lines.push(e.stack);
  return lines.join('\n');
}

/** The readable summary: verdicts, key numbers, faults, calibration, replay. No per-packet detail. */
function systemOut(s: ScenarioResult, html: string): string {
  const label = STATUS_LABEL[s.status];
  const lines: string[] = [];
  lines.push(`${label.symbol} ${label.word} in ${formatSeconds(s.durationMs)}s · seed ${s.seed} · backend ${s.backend}`);
  const note = expectationNote(s);
  if (note) lines.push(`expect: ${s.expect} — ${note}`);
  if (s.description) lines.push(s.description);
  if (s.assertions.length > 0) {
    lines.push('', 'Verdicts:');
    for (const a of s.assertions) {
      const symbol = a.status === 'passed' ? '✔' : a.status === 'failed' ? '✘' : '⚠';
      lines.push(`  ${symbol} ${a.subject ? `${a.subject}: ` : ''}${a.source} — expected ${a.expected}, observed ${a.observed}`);
    }
  }
  if (s.workloads.length > 0) {
    lines.push('', 'Workloads:');
    for (const w of s.workloads) {
      lines.push(`  ${w.name} (${w.kind}${w.proxy ? ` via ${w.proxy}` : ''}): ${formatKeyNumbers(workloadKeyNumbers(w))}`);
      for (const n of w.notes ?? []) lines.push(`    note: ${n}`);
    }
  }
  if (s.faults.length > 0) {
    lines.push('', 'Faults:');
    for (const f of s.faults) lines.push(`  ${f.id} ${describeFault(f)}: ${describeFaultWindow(f)}`);
  }
  if (s.calibration.length > 0) {
    lines.push('', 'Calibration (requested vs achieved):');
    for (const c of s.calibration) {
      const verdict = calibrationVerdict(c);
      const mark = verdict === 'within' ? '✔' : verdict === 'outside' ? '✘' : '·';
      lines.push(`  ${mark} ${c.proxy}/${c.toxic}: ${describeCalibration(c)}${c.note ? ` — ${c.note}` : ''}`);
    }
  }
  for (const n of s.notes) lines.push(`note: ${n}`);
  lines.push('', `Replay: ${s.replay}`, `Full report: ${html} (charts, ledger, target output); data: results.json`);
  return lines.join('\n');
}

/** Cuts text to `max` characters (never inside a surrogate pair) with a note saying so. */
function bounded(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = max;
  const code = text.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut--;
  return `${text.slice(0, cut)}\n… (${text.length - cut} more characters; see results.json)`;
}

/**
 * results.json: the RunResult as is, and the reader that takes it back. Every other report can be
 * re-rendered from this file (`faultline report render`) or merged across shards (`report merge`),
 * so reading it gives a clear FaultlineError for a missing, corrupt, foreign or too-new file and
 * fills the few fields an older writer may have left out.
 *
 * The writer indents objects for diffing but keeps arrays of numbers on one line: a run's series
 * hold hundreds of thousands of numbers, and one per line would triple the file.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { FaultlineError, invalidInput } from '../core/errors.js';
import type { Problem } from '../core/errors.js';
import { RESULT_SCHEMA_VERSION, summarizeScenarios } from '../core/result.js';
import type { RunResult, WorkloadShape } from '../core/result.js';
import { readUserFile } from '../core/user-file.js';

/** The file name `faultline run` writes and `report render`/`merge` look for inside a folder. */
export const RESULTS_FILE = 'results.json';

/** results.json text: the RunResult, indented, with arrays of scalars kept on one line. */
export function renderJson(result: RunResult): string {
  return `${stringify(result, '')}\n`;
}

function stringify(value: unknown, indent: string): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    const scalars = value.every((v) => v === null || typeof v !== 'object');
    const shortTuples = value.every((v) => Array.isArray(v) && v.length <= 4 && v.every((x) => x === null || typeof x !== 'object'));
    if (scalars) return `[${value.map((v) => JSON.stringify(v) ?? 'null').join(',')}]`;
    if (shortTuples) return `[${value.map((v) => JSON.stringify(v)).join(', ')}]`;
    return `[\n${value.map((v) => inner + stringify(v, inner)).join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>).filter(
    ([, v]) => v !== undefined && typeof v !== 'function' && typeof v !== 'symbol',
  );
  if (entries.length === 0) return '{}';
  return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${stringify(v, inner)}`).join(',\n')}\n${indent}}`;
}

/**
 * Reads a results file, or `results.json` inside a folder. Throws FaultlineError: NOT_FOUND (no
 * such file), PARSE_ERROR (not JSON, with line:column), INVALID_INPUT (not a faultline result,
 * written by a newer faultline, or a wrong shape — every problem listed).
 */
export async function readRunResult(path: string): Promise<RunResult> {
  let file = path;
  try {
    if ((await stat(path)).isDirectory()) file = join(path, RESULTS_FILE);
  } catch {
    // reported below by readFile, with the path as given
  }
  const hint = file === path ? 'pass a results.json written by `faultline run`, or the folder that holds it' : `the folder ${path} has no ${RESULTS_FILE}`;
  return parseRunResult(readUserFile(file, 'results file', hint), file);
}

/** Parses and checks results.json text; `source` names it in errors. See readRunResult. */
export function parseRunResult(text: string, source = RESULTS_FILE): RunResult {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    const position = /position (\d+)/.exec(message);
    const where: Problem = { file: source, message };
    if (position) Object.assign(where, lineColumn(text, Number(position[1])));
    throw new FaultlineError('PARSE_ERROR', `${source} is not valid JSON: ${message}`, {
      where,
      hint: text.trim() === '' ? 'the file is empty; was the run killed before it wrote its results?' : 'the file may be truncated or was edited by hand',
    });
  }
  if (!isObject(data) || !('schemaVersion' in data)) {
    throw new FaultlineError('INVALID_INPUT', `${source} is not a faultline results file: expected a JSON object with "schemaVersion", got ${describe(data)}`, {
      where: { file: source },
      hint: 'pass the results.json that `faultline run` writes',
    });
  }
  const version = data.schemaVersion;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    throw new FaultlineError('INVALID_INPUT', `${source}: schemaVersion must be a positive integer, got ${describe(version)}`, {
      where: { file: source, path: 'schemaVersion' },
    });
  }
  if (version > RESULT_SCHEMA_VERSION) {
    throw new FaultlineError(
      'INVALID_INPUT',
      `${source} was written by a newer faultline (results schema ${version}); this faultline reads schema ${RESULT_SCHEMA_VERSION} and older`,
      { where: { file: source, path: 'schemaVersion' }, hint: 'upgrade faultline to render or merge this file' },
    );
  }
  const problems = checkShape(data, source, version);
  if (problems.length > 0) throw invalidInput(problems, source);
  const result = data as unknown as RunResult;
  // The counts are derived data: recompute them rather than trust a hand-edited file.
  result.summary = summarizeScenarios(result.scenarios);
  return result;
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}

type Obj = Record<string, unknown>;

function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

/** At most this many shape problems are listed; a file this broken is the wrong file. */
const MAX_PROBLEMS = 20;

/**
 * Checks the fields the renderers rely on, collecting every problem with its JSON path. Arrays an
 * older or partial writer may omit (`tags`, `notes`, `calibration`, …) default to `[]` in place,
 * and a schema-1 file is upgraded in place (upgradeScenario).
 */
function checkShape(root: Obj, file: string, version: number): Problem[] {
  const problems: Problem[] = [];
  const problem = (path: string, message: string) => {
    if (problems.length < MAX_PROBLEMS) problems.push({ file, path, message });
  };
  const expect = (obj: Obj, key: string, path: string, type: 'string' | 'number' | 'boolean' | 'object', optional = false) => {
    const value = obj[key];
    if (value === undefined && optional) return;
    const ok = type === 'object' ? isObject(value) : typeof value === type && (type !== 'number' || Number.isFinite(value));
    if (!ok) problem(`${path}${path ? '.' : ''}${key}`, `expected ${type === 'object' ? 'an object' : `a ${type}`}, got ${describe(value)}`);
  };
  const list = (obj: Obj, key: string, path: string, each?: (item: Obj, itemPath: string) => void) => {
    const full = `${path}.${key}`;
    if (obj[key] === undefined) obj[key] = [];
    const value = obj[key];
    if (!Array.isArray(value)) return problem(full, `expected an array, got ${describe(value)}`);
    value.forEach((item, i) => {
      if (!each) return;
      if (!isObject(item)) return problem(`${full}[${i}]`, `expected an object, got ${describe(item)}`);
      each(item, `${full}[${i}]`);
    });
  };
  const oneOf = (obj: Obj, key: string, path: string, allowed: readonly string[]) => {
    if (!allowed.includes(obj[key] as string)) {
      problem(`${path}.${key}`, `expected one of ${allowed.map((a) => `"${a}"`).join(', ')}, got ${describe(obj[key])}`);
    }
  };

  expect(root, 'faultline', '', 'object');
  expect(root, 'run', '', 'object');
  if (isObject(root.run)) {
    const run = root.run;
    for (const key of ['startedAt', 'command', 'node', 'os', 'backend'] as const) expect(run, key, 'run', 'string');
    for (const key of ['seed', 'durationMs', 'cpus'] as const) expect(run, key, 'run', 'number');
    expect(run, 'interrupted', 'run', 'boolean');
    expect(run, 'shard', 'run', 'object', true);
  }
  if (!Array.isArray(root.scenarios)) {
    problem('scenarios', `expected an array, got ${describe(root.scenarios)}`);
    return problems;
  }
  root.scenarios.forEach((s: unknown, i: number) => {
    const path = `scenarios[${i}]`;
    if (!isObject(s)) return problem(path, `expected an object, got ${describe(s)}`);
    if (version < 2) upgradeScenario(s);
    for (const key of ['id', 'name', 'backend', 'startedAt', 'replay'] as const) expect(s, key, path, 'string');
    for (const key of ['seed', 'durationMs'] as const) expect(s, key, path, 'number');
    oneOf(s, 'status', path, ['passed', 'failed', 'errored', 'interrupted', 'skipped']);
    if (s.expect === undefined) s.expect = 'pass';
    oneOf(s, 'expect', path, ['pass', 'fail']);
    list(s, 'tags', path);
    list(s, 'notes', path);
    list(s, 'workloads', path, (w, wp) => {
      for (const key of ['name', 'kind', 'protocol'] as const) expect(w, key, wp, 'string');
      oneOf(w, 'shape', wp, WORKLOAD_SHAPES);
      list(w, 'metrics', wp, (m, mp) => {
        expect(m, 'name', mp, 'string');
        expect(m, 'value', mp, 'number');
      });
      if (w.histograms === undefined) w.histograms = {};
      expect(w, 'histograms', wp, 'object');
      list(w, 'errors', wp);
      if (w.series === undefined) w.series = { bucketMs: 1, startMs: 0, columns: {} };
      expect(w, 'series', wp, 'object');
      if (isObject(w.series)) {
        expect(w.series, 'bucketMs', `${wp}.series`, 'number');
        expect(w.series, 'startMs', `${wp}.series`, 'number');
        expect(w.series, 'columns', `${wp}.series`, 'object');
      }
    });
    list(s, 'faults', path, (f, fp) => {
      oneOf(f, 'kind', fp, ['toxic', 'down']);
      for (const key of ['id', 'proxy'] as const) expect(f, key, fp, 'string');
      expect(f, 'plannedAtMs', fp, 'number');
      if (f.kind === 'toxic') {
        expect(f, 'toxic', fp, 'object');
        list(f, 'effects', fp);
      }
    });
    list(s, 'ledger', path, (l, lp) => {
      expect(l, 'proxy', lp, 'string');
      expect(l, 'counters', lp, 'object');
      expect(l, 'directions', lp, 'object');
      list(l, 'toxics', lp);
      list(l, 'events', lp);
    });
    list(s, 'assertions', path, (a, ap) => {
      for (const key of ['source', 'subject', 'expected', 'observed'] as const) expect(a, key, ap, 'string');
      oneOf(a, 'status', ap, ['passed', 'failed', 'error']);
      if (a.message === undefined) a.message = '';
    });
    list(s, 'calibration', path, (c, cp) => {
      expect(c, 'quantity', cp, 'string');
      expect(c, 'requested', cp, 'number');
    });
    list(s, 'targets', path, (t, tp) => {
      expect(t, 'name', tp, 'string');
      if (t.stdout === undefined) t.stdout = '';
      if (t.stderr === undefined) t.stderr = '';
    });
    if (s.status === 'skipped' && typeof s.reason !== 'string') s.reason = 'not run';
    if (s.status === 'errored') expect(s, 'error', path, 'object');
    if (s.status === 'passed' || s.status === 'failed') oneOf(s, 'outcome', path, ['passed', 'failed']);
  });
  return problems;
}

const WORKLOAD_SHAPES: readonly WorkloadShape[] = ['round-trip', 'stream', 'raw', 'connect'];

/**
 * Schema 1 → 2 (core/result.ts): workloads gain `shape` (schema 1 knew six workload types, whose
 * names said it), toxic faults `effects` (not recorded then: empty), assertions a `subject` and
 * judged scenarios an `outcome` where a hand-edited file dropped them, errored ones an `error`.
 */
function upgradeScenario(s: Obj): void {
  if (Array.isArray(s.workloads)) {
    for (const w of s.workloads) {
      if (!isObject(w) || w.shape !== undefined || typeof w.kind !== 'string') continue;
      w.shape = w.kind.endsWith('-stream') ? 'stream' : w.kind.endsWith('-raw') ? 'raw' : 'round-trip';
    }
  }
  if (Array.isArray(s.faults)) for (const f of s.faults) if (isObject(f) && f.kind === 'toxic') f.effects ??= [];
  if (Array.isArray(s.assertions)) for (const a of s.assertions) if (isObject(a)) a.subject ??= '';
  if ((s.status === 'passed' || s.status === 'failed') && s.outcome === undefined) {
    s.outcome = (s.status === 'passed') === (s.expect !== 'fail') ? 'passed' : 'failed';
  }
  if (s.status === 'errored' && s.error === undefined) s.error = { code: 'INTERNAL', message: 'the file records no reason' };
}

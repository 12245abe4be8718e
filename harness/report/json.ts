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
import type { RunResult } from '../core/result.js';
import { isJsonObject, parseJsonText } from '../core/json-text.js';
import { readUserFile } from '../core/user-file.js';
import { checkShape, describeJson, type ShapeProblem } from './json-shape.js';
import { RUN_RESULT_SHAPE } from './result-shape.js';

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
  // The depth is bounded before anything recursive walks the value (the checks below, the
  // renderers, JSON.stringify); a syntax error is located at its line and column.
  const parsed = parseJsonText(text);
  if (!parsed.ok) {
    const { line, column, message } = parsed.problem;
    const where = { file: source, line, column };
    if (parsed.problem.kind === 'nesting') {
      throw new FaultlineError('INVALID_INPUT', `${source} is not a faultline results file: at line ${line}, column ${column} it is ${message} (a result nests about 8)`, {
        where,
        hint: 'pass the results.json that `faultline run` writes',
      });
    }
    throw new FaultlineError('PARSE_ERROR', `${source} is not valid JSON at line ${line}, column ${column}: ${message}`, {
      where,
      hint: text.trim() === '' ? 'the file is empty; was the run killed before it wrote its results?' : 'the file may be truncated or was edited by hand',
    });
  }
  const data = parsed.value;
  if (!isJsonObject(data) || !('schemaVersion' in data)) {
    throw new FaultlineError('INVALID_INPUT', `${source} is not a faultline results file: expected a JSON object with "schemaVersion", got ${describeJson(data)}`, {
      where: { file: source },
      hint: 'pass the results.json that `faultline run` writes',
    });
  }
  const version = data.schemaVersion;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    throw new FaultlineError('INVALID_INPUT', `${source}: schemaVersion must be a positive integer, got ${describeJson(version)}`, {
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
  if (version < 2) {
    // Read as the schema it is upgraded to, so that old shards merge with new ones.
    if (Array.isArray(data.scenarios)) for (const s of data.scenarios) if (isJsonObject(s)) upgradeScenario(s);
    data.schemaVersion = RESULT_SCHEMA_VERSION;
  }
  const found = checkShape(data, RUN_RESULT_SHAPE);
  if (found.length > 0) throw invalidInput(listed(found, source), source);
  const result = data as unknown as RunResult;
  // The counts are derived data: recompute them rather than trust a hand-edited file.
  result.summary = summarizeScenarios(result.scenarios);
  return result;
}

/**
 * Schema 1 → 2 (core/result.ts): workloads gain `shape` (schema 1 knew six workload types, whose
 * names said it), toxic faults `effects` (not recorded then: empty), assertions a `subject` and
 * judged scenarios an `outcome` where a hand-edited file dropped them, errored ones an `error`.
 */
function upgradeScenario(s: Record<string, unknown>): void {
  if (Array.isArray(s.workloads)) {
    for (const w of s.workloads) {
      if (!isJsonObject(w) || w.shape !== undefined || typeof w.kind !== 'string') continue;
      w.shape = w.kind.endsWith('-stream') ? 'stream' : w.kind.endsWith('-raw') ? 'raw' : 'round-trip';
    }
  }
  if (Array.isArray(s.faults)) for (const f of s.faults) if (isJsonObject(f) && f.kind === 'toxic') f.effects ??= [];
  if (Array.isArray(s.assertions)) for (const a of s.assertions) if (isJsonObject(a)) a.subject ??= '';
  if ((s.status === 'passed' || s.status === 'failed') && s.outcome === undefined) {
    s.outcome = (s.status === 'passed') === (s.expect !== 'fail') ? 'passed' : 'failed';
  }
  if (s.status === 'errored' && s.error === undefined) s.error = { code: 'INTERNAL', message: 'the file records no reason' };
}

/** Problems listed one by one; a file with more than this is the wrong file, and says so. */
const MAX_LISTED_PROBLEMS = 100;

function listed(found: ShapeProblem[], file: string): Problem[] {
  const problems: Problem[] = found.slice(0, MAX_LISTED_PROBLEMS).map((p) => ({ file, path: p.path, message: p.message }));
  if (found.length > MAX_LISTED_PROBLEMS) {
    problems.push({ file, message: `… and ${found.length - MAX_LISTED_PROBLEMS} more problems`, hint: 'is this the results.json of a faultline run?' });
  }
  return problems;
}

/**
 * Parses assertion checks as scenario files write them (docs/assertions.md):
 *
 *   METRIC[{label=value,…}] [AGGREGATE] OP VALUE [at CONFIDENCE]     a string
 *   METRIC: "AGGREGATE OP VALUE"  or  METRIC: ["…", "…"]            a map (k6 threshold style)
 *   in_order | intact | delivered                                   a bare guarantee
 *
 * The parser never throws on user input: everything wrong is returned as a problem that quotes
 * what was received and says what was expected, so the loader can report every problem at once
 * with its YAML position.
 *
 *   text ──▶ metric ──▶ {labels} ──▶ aggregate ──▶ operator ──▶ value ──▶ at N% ──▶ Check
 */
import { parseDuration } from '../core/duration.js';
import { didYouMean } from '../core/did-you-mean.js';
import { GUARANTEES, METRIC_ALIASES, METRIC_NAMES, metricInfo, type MetricInfo } from './metric-catalog.js';

export type Operator = '<' | '<=' | '>' | '>=' | '==' | '!=' | '~';

export const OPERATORS: readonly Operator[] = ['<', '<=', '>', '>=', '==', '!=', '~'];

export type AggregateName = 'avg' | 'min' | 'max' | 'med' | 'count' | 'stddev';

export const AGGREGATE_NAMES: readonly AggregateName[] = ['avg', 'min', 'max', 'med', 'count', 'stddev'];

/** How a histogram is reduced to one number. */
export type Aggregate = { kind: 'p'; percentile: number } | { kind: AggregateName };

/** Confidence of a `~` check when none is given. */
export const DEFAULT_CONFIDENCE = 0.95;

interface CheckBase {
  /** The check as the user wrote it (map form: `metric: expression`). */
  source: string;
  /** Canonical metric name (aliases resolved: `errors` → `errors_total`). */
  metric: string;
  /** Label selection; empty = sum over all labels. */
  labels: Record<string, string>;
}

/**
 * A parsed check, one variant per kind:
 * - `guarantee`: `in_order`, `intact`, `delivered` (also spelt `… == 1` / `== 100%`);
 * - `threshold`: a comparison with a fixed value, in the metric's unit (ratios 0..1, `_ms` in ms);
 * - `consistency`: `~`, a statistical comparison of a ratio with an expected rate.
 */
export type Check =
  | (CheckBase & { kind: 'guarantee'; op: '=='; value: 1 })
  | (CheckBase & {
      kind: 'threshold';
      op: Exclude<Operator, '~'>;
      value: number;
      /** Histograms only; `avg` when the user wrote none. */
      aggregate?: Aggregate;
    })
  | (CheckBase & {
      kind: 'consistency';
      op: '~';
      /** The expected rate (0..1), or the rate the scenario's faults predict. */
      value: number | 'configured';
      /** Confidence level in (0, 1), default 0.95. */
      confidence: number;
    });

export type ThresholdCheck = Extract<Check, { kind: 'threshold' }>;
export type ConsistencyCheck = Extract<Check, { kind: 'consistency' }>;

export interface CheckProblem {
  message: string;
  hint?: string;
  /** Key inside the item map, when the problem is in a map value. */
  key?: string;
  /** Index in the map value's list, when the value is a list. */
  index?: number;
}

export interface ParsedChecks {
  checks: Check[];
  problems: CheckProblem[];
}

const EXAMPLES = '`rtt_ms p(99) < 500`, `lost_ratio ~ configured`, `in_order`, or a map `rtt_ms: "p(99) < 500"`';

/** One item of an `assert.<workload>` list: a string, or a map `{ metric: "expr" | ["expr", …] }`. */
export function parseChecks(item: unknown): ParsedChecks {
  if (typeof item === 'string') {
    const result = parseCheckText(item, item);
    return result.check ? { checks: [result.check], problems: [] } : { checks: [], problems: [result.problem] };
  }
  if (item !== null && typeof item === 'object' && !Array.isArray(item)) {
    return parseCheckMap(item as Record<string, unknown>);
  }
  return {
    checks: [],
    problems: [{ message: `expected a check such as ${EXAMPLES}; received ${describe(item)}` }],
  };
}

function parseCheckMap(map: Record<string, unknown>): ParsedChecks {
  const out: ParsedChecks = { checks: [], problems: [] };
  const entries = Object.entries(map);
  if (entries.length === 0) {
    out.problems.push({ message: `expected a map like rtt_ms: "p(99) < 500"; received an empty map` });
  }
  for (const [key, value] of entries) {
    const expressions = Array.isArray(value) ? value : [value];
    if (Array.isArray(value) && value.length === 0) {
      out.problems.push({ key, message: `expected at least one expression for ${key}, e.g. "p(99) < 500"; received an empty list` });
    }
    expressions.forEach((expression, i) => {
      const index = Array.isArray(value) ? i : undefined;
      if (typeof expression !== 'string' && typeof expression !== 'number') {
        out.problems.push(withPosition({ message: `expected an expression string for ${key} such as "p(99) < 500" or "< 20"; received ${describe(expression)}` }, key, index));
        return;
      }
      const text = String(expression);
      const result = parseCheckText(`${key} ${text}`, `${key}: ${text}`, { key, expression: text });
      if (result.check) out.checks.push(result.check);
      else out.problems.push(withPosition(result.problem, key, index));
    });
  }
  return out;
}

function withPosition(problem: CheckProblem, key: string, index: number | undefined): CheckProblem {
  const out: CheckProblem = { ...problem, key };
  if (index !== undefined) out.index = index;
  return out;
}

type TextResult = { check: Check; problem?: undefined } | { check?: undefined; problem: CheckProblem };

interface MapContext {
  key: string;
  expression: string;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*/;
const OPERATOR = /^(<=|>=|==|!=|=>|=<|<|>|~|=|≈|≤|≥|≠)/;
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?/;

/** Parses one check from text; `source` is what gets recorded as the user's wording. */
function parseCheckText(text: string, source: string, map?: MapContext): TextResult {
  const fail = (message: string, hint?: string): TextResult => ({ problem: hint ? { message, hint } : { message } });
  const trimmed = text.trim();
  const quoted = JSON.stringify(map ? map.expression : source.trim());
  if (trimmed === '') return fail(`expected a check such as ${EXAMPLES}; received an empty string`);

  const scan = new Scanner(trimmed);

  // ── metric ────────────────────────────────────────────────────────────
  const name = scan.match(IDENT);
  if (!name) {
    return fail(`expected a metric name at the start of ${quoted}, e.g. rtt_ms or lost_ratio; received ${JSON.stringify(scan.rest())}`);
  }
  const info = metricInfo(name);
  if (!info) {
    const suggestion = didYouMean(name, [...METRIC_NAMES, ...Object.keys(METRIC_ALIASES), ...GUARANTEES]);
    return fail(
      `unknown metric ${JSON.stringify(name)} in ${quoted}`,
      suggestion ? `did you mean ${suggestion}? (metrics are listed in docs/assertions.md)` : 'metrics are listed in docs/assertions.md',
    );
  }

  // ── labels ────────────────────────────────────────────────────────────
  let labels: Record<string, string> = {};
  if (scan.peek() === '{') {
    const parsed = parseLabels(scan);
    if ('error' in parsed) return fail(`${parsed.error} in ${quoted}`, 'labels look like {code=ECONNRESET} or {code="ECONNRESET", other=x}');
    if (info.type !== 'counter') {
      return fail(`labels select a labelled counter, but ${info.name} is a ${info.type}; received ${quoted}`, 'only _total counters such as errors_total{code=ECONNRESET} take labels');
    }
    labels = parsed.labels;
  }

  scan.skipSpace();
  if (scan.done()) {
    if ((GUARANTEES as readonly string[]).includes(name) && Object.keys(labels).length === 0 && !map) {
      return { check: guarantee(source.trim(), info) };
    }
    return fail(
      `${quoted} has no comparison: expected METRIC [AGGREGATE] OP VALUE`,
      info.type === 'histogram' ? `e.g. ${name} p(99) < 500` : info.type === 'ratio' ? `e.g. ${name} ~ configured or ${name} < 5%` : `e.g. ${name} == 0`,
    );
  }

  // ── aggregate ─────────────────────────────────────────────────────────
  let aggregate: Aggregate | undefined;
  if (!OPERATOR.test(scan.rest())) {
    const start = scan.rest();
    const parsed = parseAggregate(scan);
    if ('error' in parsed) return fail(`${parsed.error} in ${quoted}`, parsed.hint);
    if (info.type !== 'histogram') {
      const histograms = METRIC_NAMES.filter((n) => metricInfo(n)?.type === 'histogram').join(', ');
      return fail(
        `the aggregate ${JSON.stringify(firstWord(start))} applies only to histograms (${histograms}), but ${info.name} is a ${info.type}; received ${quoted}`,
        `write ${info.name} OP VALUE without an aggregate`,
      );
    }
    aggregate = parsed.aggregate;
    scan.skipSpace();
  } else if (info.type === 'histogram') {
    aggregate = { kind: 'avg' };
  }

  // ── operator ──────────────────────────────────────────────────────────
  const rawOp = scan.match(OPERATOR);
  if (!rawOp) {
    return fail(
      `expected an operator (${OPERATORS.join(' ')}) after ${JSON.stringify(trimmed.slice(0, trimmed.length - scan.rest().length).trim())} in ${quoted}; received ${scan.done() ? 'nothing' : JSON.stringify(scan.rest())}`,
    );
  }
  const op = normalizeOperator(rawOp);
  if (!op) {
    return fail(`unknown operator ${JSON.stringify(rawOp)} in ${quoted}; expected one of ${OPERATORS.join(' ')}`, operatorHint(rawOp));
  }
  scan.skipSpace();

  // ── value ─────────────────────────────────────────────────────────────
  const valueText = scan.match(/^\S+/);
  if (!valueText) return fail(`expected a value after ${JSON.stringify(rawOp)} in ${quoted}; received nothing`, valueHint(info, op));
  const value = parseValue(valueText, info, op, aggregate);
  if ('error' in value) return fail(`${value.error} in ${quoted}`, value.hint);
  scan.skipSpace();

  // ── confidence ────────────────────────────────────────────────────────
  let confidence: number | undefined;
  if (scan.match(/^at\b/i)) {
    if (op !== '~') return fail(`"at CONFIDENCE" applies only to ~ checks; received ${quoted}`, `write ${info.name} ~ VALUE at 99%`);
    scan.skipSpace();
    const level = scan.match(/^\S+/);
    confidence = level ? parseConfidence(level) : undefined;
    if (confidence === undefined) {
      return fail(`expected a confidence level after "at" such as 95% or 99% (strictly between 0% and 100%); received ${JSON.stringify(level ?? '')} in ${quoted}`);
    }
    scan.skipSpace();
  }
  if (!scan.done()) {
    return fail(`unexpected ${JSON.stringify(scan.rest())} after the value in ${quoted}; expected the end of the check${op === '~' ? ' or "at 99%"' : ''}`);
  }

  if (op === '~') {
    return {
      check: {
        source: source.trim(),
        kind: 'consistency',
        metric: info.name,
        labels,
        op,
        value: value.value,
        confidence: confidence ?? DEFAULT_CONFIDENCE,
      },
    };
  }
  const threshold = value.value;
  if (threshold === 'configured') throw new Error('parseValue accepts "configured" only with ~');
  if (op === '==' && threshold === 1 && (info.type === 'flag' || info.name === 'delivered_ratio')) {
    return { check: { ...guarantee(source.trim(), info), labels } };
  }
  const check: ThresholdCheck = { source: source.trim(), kind: 'threshold', metric: info.name, labels, op, value: threshold };
  if (aggregate) check.aggregate = aggregate;
  return { check };
}

function guarantee(source: string, info: MetricInfo): Check {
  return { source, kind: 'guarantee', metric: info.name, labels: {}, op: '==', value: 1 };
}

function parseLabels(scan: Scanner): { labels: Record<string, string> } | { error: string } {
  scan.match(/^\{/);
  const labels: Record<string, string> = {};
  for (;;) {
    scan.skipSpace();
    if (scan.match(/^\}/)) break;
    const key = scan.match(IDENT);
    if (!key) return { error: `expected a label name in {…}; received ${JSON.stringify(scan.rest())}` };
    scan.skipSpace();
    if (!scan.match(/^=/)) return { error: `expected = after the label ${JSON.stringify(key)}; received ${JSON.stringify(scan.rest())}` };
    scan.skipSpace();
    const value = scan.match(/^"[^"]*"/) ?? scan.match(/^'[^']*'/) ?? scan.match(/^[^,}\s"']+/);
    if (value === undefined) return { error: `expected a value for the label ${JSON.stringify(key)}; received ${JSON.stringify(scan.rest())}` };
    if (Object.hasOwn(labels, key)) return { error: `the label ${JSON.stringify(key)} is given twice` };
    labels[key] = /^["']/.test(value) ? value.slice(1, -1) : value;
    scan.skipSpace();
    if (scan.match(/^,/)) continue;
    if (scan.match(/^\}/)) break;
    return { error: `expected , or } in the labels; received ${scan.done() ? 'the end' : JSON.stringify(scan.rest())}` };
  }
  return { labels };
}

function parseAggregate(scan: Scanner): { aggregate: Aggregate } | { error: string; hint?: string } {
  const percentile = scan.match(/^p\s*\(\s*[^)]*\)/i) ?? scan.match(/^p\d+(\.\d+)?(?![A-Za-z_])/i);
  if (percentile) {
    const inner = percentile.replace(/^p\s*\(?\s*/i, '').replace(/\s*\)$/, '');
    const n = NUMBER.test(inner) && NUMBER.exec(inner)![0] === inner ? Number(inner) : NaN;
    if (!Number.isFinite(n) || n < 0 || n > 100) {
      return { error: `expected a percentile between 0 and 100 in ${JSON.stringify(percentile)}`, hint: 'e.g. p(50), p(99), p(99.9)' };
    }
    return { aggregate: { kind: 'p', percentile: n } };
  }
  const word = scan.match(IDENT);
  if (!word) {
    return {
      error: `expected an aggregate (p(N), ${AGGREGATE_NAMES.join(', ')}) or an operator (${OPERATORS.join(' ')}); received ${JSON.stringify(scan.rest())}`,
    };
  }
  const lower = word.toLowerCase();
  if ((AGGREGATE_NAMES as readonly string[]).includes(lower)) return { aggregate: { kind: lower as AggregateName } };
  const synonyms: Record<string, string> = { mean: 'avg', average: 'avg', median: 'med', p50: 'med', std: 'stddev', sd: 'stddev' };
  const suggestion = synonyms[lower] ?? didYouMean(lower, AGGREGATE_NAMES);
  return {
    error: `unknown aggregate ${JSON.stringify(word)}; expected p(N), ${AGGREGATE_NAMES.join(', ')}`,
    ...(suggestion ? { hint: `did you mean ${suggestion}?` } : {}),
  };
}

function normalizeOperator(raw: string): Operator | undefined {
  return (OPERATORS as readonly string[]).includes(raw) ? (raw as Operator) : undefined;
}

function operatorHint(raw: string): string | undefined {
  const hints: Record<string, string> = { '=': 'use == for equality', '=>': 'did you mean >=?', '=<': 'did you mean <=?', '≈': 'use ~ for "statistically consistent with"', '≤': 'use <=', '≥': 'use >=', '≠': 'use !=' };
  return hints[raw];
}

type ValueResult = { value: number | 'configured' } | { error: string; hint?: string };

function parseValue(text: string, info: MetricInfo, op: Operator, aggregate: Aggregate | undefined): ValueResult {
  const received = JSON.stringify(text);
  if (op === '~' && info.type !== 'ratio') {
    const ratios = METRIC_NAMES.filter((n) => metricInfo(n)?.type === 'ratio').join(', ');
    return { error: `~ compares a ratio with an expected rate, but ${info.name} is a ${info.type}`, hint: `~ applies to ${ratios}; use < > <= >= == != here` };
  }
  if (text.toLowerCase() === 'configured') {
    if (op !== '~') return { error: `"configured" is an expected rate and works only with ~; received ${info.name} ${op} configured`, hint: `write ${info.name} ~ configured` };
    return { value: 'configured' };
  }
  const usesCount = aggregate?.kind === 'count';
  const percent = /^([+-]?(\d+(\.\d*)?|\.\d+))%$/.exec(text);
  if (percent) {
    if (info.type !== 'ratio' || usesCount) {
      return { error: `a percentage applies only to ratios, but ${usesCount ? `count of ${info.name}` : info.name} is ${describeUnit(info, usesCount)}; received ${received}`, hint: valueHint(info, op, aggregate) };
    }
    const value = Number(percent[1]) / 100;
    if (value < 0 || value > 1) return { error: `a ratio is between 0% and 100%; received ${received}` };
    return { value };
  }
  const number = NUMBER.exec(text);
  if (number && number[0] === text) {
    const value = Number(text);
    if (!Number.isFinite(value)) return { error: `expected a finite number; received ${received}` };
    if (info.type === 'ratio' && (value < 0 || value > 1)) {
      return { error: `a ratio is between 0 and 1; received ${received}`, hint: value > 1 && value <= 100 ? `did you mean ${text}%?` : undefined };
    }
    if (info.type === 'flag' && value !== 0 && value !== 1) {
      return { error: `${info.name} is 1 or 0; received ${received}`, hint: `write ${info.name} alone, or ${info.name} == 0 for its negation` };
    }
    return { value };
  }
  const duration = parseDuration(text);
  if (duration !== undefined) {
    if (info.unit !== 'ms' || usesCount) {
      return { error: `a duration applies only to _ms metrics, but ${usesCount ? `count of ${info.name}` : info.name} is ${describeUnit(info, usesCount)}; received ${received}`, hint: valueHint(info, op, aggregate) };
    }
    return { value: duration };
  }
  return { error: `expected ${expectedValue(info, op, aggregate)}; received ${received}`, hint: valueHint(info, op, aggregate) };
}

function describeUnit(info: MetricInfo, usesCount: boolean): string {
  if (usesCount) return 'a number of samples';
  switch (info.unit) {
    case 'ms':
      return 'in milliseconds';
    case 'ratio':
      return 'a ratio';
    case 'flag':
      return '1 or 0';
    case 'bytes':
      return 'in bytes';
    case 'bytes/s':
      return 'in bytes per second';
    default:
      return 'a count';
  }
}

function expectedValue(info: MetricInfo, op: Operator, aggregate: Aggregate | undefined): string {
  if (op === '~') return 'an expected rate: configured, a percentage such as 5%, or a number between 0 and 1';
  if (aggregate?.kind === 'count') return 'a number (of samples)';
  if (info.unit === 'ms') return 'a number of milliseconds or a duration such as 250ms or 2s';
  if (info.type === 'ratio') return 'a percentage such as 10% or a number between 0 and 1';
  if (info.type === 'flag') return '1 or 0';
  return 'a number';
}

function valueHint(info: MetricInfo, op: Operator, aggregate?: Aggregate): string {
  if (op === '~') return `e.g. ${info.name} ~ configured, ${info.name} ~ 5% at 99%`;
  if (aggregate?.kind === 'count') return `e.g. ${info.name} count >= 100`;
  if (info.unit === 'ms') return `e.g. ${info.name}${info.type === 'histogram' ? ' p(99)' : ''} < 500 or < 2s`;
  if (info.type === 'ratio') return `e.g. ${info.name} < 5%`;
  return `e.g. ${info.name} ${op} 0`;
}

function parseConfidence(text: string): number | undefined {
  const percent = /^(\d+(\.\d*)?|\.\d+)%$/.exec(text);
  const value = percent ? Number(percent[1]) / 100 : /^(0?\.\d+)$/.test(text) ? Number(text) : NaN;
  return value > 0 && value < 1 ? value : undefined;
}

function firstWord(text: string): string {
  return /^\S+/.exec(text)?.[0] ?? text;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `a list (${value.length} items)`;
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'object') return 'a map';
  return `${typeof value} ${String(value)}`;
}

/** A cursor over the check text. */
class Scanner {
  private pos = 0;
  constructor(private readonly text: string) {}

  rest(): string {
    return this.text.slice(this.pos);
  }

  done(): boolean {
    return this.pos >= this.text.length;
  }

  peek(): string | undefined {
    return this.text[this.pos];
  }

  skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos]!)) this.pos++;
  }

  /** Consumes and returns the match of an anchored regex, or undefined. */
  match(pattern: RegExp): string | undefined {
    const m = pattern.exec(this.rest());
    if (!m) return undefined;
    this.pos += m[0].length;
    return m[0];
  }
}

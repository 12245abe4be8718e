import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { parseChecks, type Check } from './parse.js';
import { METRIC_CATALOG, METRIC_NAMES } from './metric-catalog.js';

function one(item: unknown): Check {
  const { checks, problems } = parseChecks(item);
  expect(problems).toEqual([]);
  expect(checks).toHaveLength(1);
  return checks[0]!;
}

function problem(item: unknown) {
  const { checks, problems } = parseChecks(item);
  expect(checks).toEqual([]);
  expect(problems.length).toBeGreaterThan(0);
  return problems[0]!;
}

describe('parseChecks: strings', () => {
  it('parses bare guarantees', () => {
    expect(one('in_order')).toEqual({ source: 'in_order', kind: 'guarantee', metric: 'in_order', labels: {}, op: '==', value: 1 });
    expect(one('  intact ')).toMatchObject({ kind: 'guarantee', metric: 'intact', source: 'intact' });
    expect(one('delivered')).toMatchObject({ kind: 'guarantee', metric: 'delivered_ratio', op: '==', value: 1 });
  });

  it('treats delivered == 100% as the delivered guarantee', () => {
    expect(one('delivered == 100%')).toMatchObject({ kind: 'guarantee', metric: 'delivered_ratio', value: 1 });
    expect(one('in_order == 0')).toMatchObject({ kind: 'threshold', metric: 'in_order', value: 0 });
  });

  it('parses thresholds with aggregates, durations and percentages', () => {
    expect(one('rtt_ms p(99) < 500')).toMatchObject({ kind: 'threshold', metric: 'rtt_ms', aggregate: { kind: 'p', percentile: 99 }, op: '<', value: 500 });
    expect(one('rtt_ms p99.9<=2s')).toMatchObject({ aggregate: { kind: 'p', percentile: 99.9 }, op: '<=', value: 2000 });
    expect(one('rtt_ms max < 1.5s')).toMatchObject({ aggregate: { kind: 'max' }, value: 1500 });
    expect(one('connect_ms < 250us')).toMatchObject({ aggregate: { kind: 'avg' }, value: 0.25 });
    expect(one('one_way_delay_ms count >= 100')).toMatchObject({ aggregate: { kind: 'count' }, op: '>=', value: 100 });
    expect(one('lost_ratio < 10%')).toMatchObject({ metric: 'lost_ratio', value: 0.1 });
    expect(one('lost_ratio != 0.25')).toMatchObject({ op: '!=', value: 0.25 });
    expect(one('jitter_ms < 20')).toMatchObject({ metric: 'jitter_ms', value: 20 });
    expect(one('jitter_ms < 20')).not.toHaveProperty('aggregate');
  });

  it('resolves the errors alias and labels', () => {
    expect(one('errors == 0')).toMatchObject({ metric: 'errors_total', labels: {}, op: '==', value: 0 });
    expect(one('errors{code=ECONNRESET} >= 1')).toMatchObject({ metric: 'errors_total', labels: { code: 'ECONNRESET' }, value: 1 });
    expect(one('errors_total{ code = "EPIPE", kind=\'x\' } > 0')).toMatchObject({ labels: { code: 'EPIPE', kind: 'x' } });
  });

  it('parses consistency checks with confidence', () => {
    expect(one('lost_ratio ~ configured')).toEqual({
      source: 'lost_ratio ~ configured',
      kind: 'consistency',
      metric: 'lost_ratio',
      labels: {},
      op: '~',
      value: 'configured',
      confidence: 0.95,
    });
    expect(one('duplicated_ratio ~ 5% at 99%')).toMatchObject({ kind: 'consistency', value: 0.05, confidence: 0.99 });
    expect(one('delivered ~ 0.9 at 0.9')).toMatchObject({ metric: 'delivered_ratio', value: 0.9, confidence: 0.9 });
  });

  it('reports unknown metrics with a did-you-mean hint', () => {
    const p = problem('lost_ration ~ configured');
    expect(p.message).toContain('unknown metric "lost_ration"');
    expect(p.hint).toContain('did you mean lost_ratio?');
    expect(problem('in_ordr').hint).toContain('did you mean in_order?');
    expect(problem('zzzzzz_qqq < 1').hint).not.toContain('did you mean');
  });

  it('rejects aggregates on non-histograms and ~ on non-ratios', () => {
    expect(problem('lost_ratio p(99) < 1%').message).toMatch(/applies only to histograms.*lost_ratio is a ratio/);
    expect(problem('errors avg < 1').message).toContain('errors_total is a counter');
    expect(problem('rtt_ms ~ configured').message).toContain('~ compares a ratio');
    expect(problem('jitter_ms ~ 5%').hint).toContain('lost_ratio');
  });

  it('rejects configured without ~, at without ~, and bad values', () => {
    expect(problem('lost_ratio < configured').hint).toBe('write lost_ratio ~ configured');
    expect(problem('lost_ratio < 5% at 99%').message).toContain('applies only to ~');
    expect(problem('lost_ratio < 10').hint).toBe('did you mean 10%?');
    expect(problem('lost_ratio < 150%').message).toContain('between 0% and 100%');
    expect(problem('errors < 2s').message).toContain('a duration applies only to _ms metrics');
    expect(problem('rtt_ms < 10%').message).toContain('a percentage applies only to ratios');
    expect(problem('rtt_ms count < 2s').message).toContain('count of rtt_ms');
    expect(problem('rtt_ms < fast').message).toBe('expected a number of milliseconds or a duration such as 250ms or 2s; received "fast" in "rtt_ms < fast"');
    expect(problem('in_order == 2').message).toContain('in_order is 1 or 0');
    expect(problem('lost_ratio ~ 5% at 100%').message).toContain('confidence level');
    expect(problem('lost_ratio ~ 5% at').message).toContain('confidence level');
  });

  it('explains operator mistakes', () => {
    expect(problem('errors = 0').hint).toBe('use == for equality');
    expect(problem('rtt_ms => 5').hint).toBe('did you mean >=?');
    expect(problem('rtt_ms p(99)').message).toBe('expected an operator (< <= > >= == != ~) after "rtt_ms p(99)" in "rtt_ms p(99)"; received nothing');
    expect(problem('rtt_ms').message).toContain('has no comparison');
    expect(problem('rtt_ms mean < 5').hint).toBe('did you mean avg?');
    expect(problem('rtt_ms p(101) < 5').message).toContain('percentile between 0 and 100');
    expect(problem('errors 0').message).toContain('expected an aggregate');
    expect(problem('errors == 0 extra').message).toBe('unexpected "extra" after the value in "errors == 0 extra"; expected the end of the check');
  });

  it('rejects labels on non-counters and malformed labels', () => {
    expect(problem('rtt_ms{code=x} < 5').message).toContain('labels select a labelled counter');
    expect(problem('errors{code} > 0').message).toContain('expected = after the label "code"');
    expect(problem('errors{code=a, code=b} > 0').message).toContain('given twice');
    expect(problem('errors{code=a > 0').message).toContain('expected , or }');
  });

  it('reports non-string, non-map items and empty strings', () => {
    expect(problem(42).message).toContain('received number 42');
    expect(problem(null).message).toContain('received null');
    expect(problem(['x']).message).toContain('received a list');
    expect(problem('').message).toContain('received an empty string');
    expect(problem('< 5').message).toContain('expected a metric name');
  });
});

describe('parseChecks: maps (k6 threshold style)', () => {
  it('parses a single expression and a list', () => {
    expect(one({ rtt_ms: 'p(99) < 500' })).toMatchObject({ source: 'rtt_ms: p(99) < 500', metric: 'rtt_ms', aggregate: { kind: 'p', percentile: 99 }, value: 500 });
    const { checks, problems } = parseChecks({ rtt_ms: ['p(50) < 100', 'max < 2s'], errors: '== 0' });
    expect(problems).toEqual([]);
    expect(checks.map((c) => c.source)).toEqual(['rtt_ms: p(50) < 100', 'rtt_ms: max < 2s', 'errors: == 0']);
    expect(checks[1]).toMatchObject({ aggregate: { kind: 'max' }, value: 2000 });
  });

  it('locates problems by key and list index', () => {
    const { checks, problems } = parseChecks({ rtt_ms: ['p(50) < 100', 'p(50) < lots'], lost_ratio: '~ configured at 90%' });
    expect(checks).toHaveLength(2);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ key: 'rtt_ms', index: 1 });
    expect(problems[0]!.message).toContain('received "lots" in "p(50) < lots"');
    const bad = parseChecks({ rtt_msx: '< 5', in_order: '' });
    expect(bad.problems.map((p) => p.key)).toEqual(['rtt_msx', 'in_order']);
    expect(bad.problems[0]!.hint).toContain('did you mean rtt_ms?');
    expect(parseChecks({ rtt_ms: { p99: 5 } }).problems[0]!.message).toContain('received a map');
    expect(parseChecks({}).problems[0]!.message).toContain('empty map');
    expect(parseChecks({ rtt_ms: [] }).problems[0]!.message).toContain('empty list');
  });
});

describe('metric catalog', () => {
  it('has unique names with a consistent type for each suffix', () => {
    expect(new Set(METRIC_NAMES).size).toBe(METRIC_NAMES.length);
    for (const info of METRIC_CATALOG) {
      if (info.name.endsWith('_ratio')) expect(info.type).toBe('ratio');
      if (info.name.endsWith('_total')) expect(info.type).toBe('counter');
      if (info.name.endsWith('_ms')) expect(info.unit).toBe('ms');
    }
  });

  it('every metric can be asserted on', () => {
    for (const info of METRIC_CATALOG) {
      const text = info.type === 'histogram' ? `${info.name} p(50) >= 0` : info.type === 'flag' ? `${info.name} == 1` : `${info.name} >= 0`;
      expect(parseChecks(text).problems).toEqual([]);
    }
  });
});

describe('parseChecks never throws', () => {
  const fragments = fc.constantFrom(
    ...METRIC_NAMES, 'errors', 'delivered', '{code=X}', '{', '}', 'p(', 'p(99)', ')', 'p99', 'avg', ' ', '<', '<=', '==', '=', '~', '!=',
    'configured', '5%', '2s', '1e3', '-1', 'at', '99%', ',', '"', "'", 'NaN', 'Infinity', '\n', '%',
  );
  const text = fc.oneof(fc.string(), fc.array(fragments, { maxLength: 8 }).map((parts) => parts.join(' ')), fc.array(fragments, { maxLength: 8 }).map((parts) => parts.join('')));

  test.prop([fc.oneof(text, fc.anything(), fc.dictionary(fc.oneof(fc.string(), fragments), fc.oneof(text, fc.array(text), fc.anything())))], { numRuns: 2000 })(
    'returns checks or problems for any input',
    (input) => {
      const { checks, problems } = parseChecks(input);
      expect(Array.isArray(checks) && Array.isArray(problems)).toBe(true);
      for (const p of problems) expect(typeof p.message).toBe('string');
      for (const c of checks) {
        expect(METRIC_NAMES).toContain(c.metric);
        expect(c.value === 'configured' || Number.isFinite(c.value)).toBe(true);
      }
    },
  );
});

describe('docs/assertions.md', () => {
  it('lists every metric of the catalog in its metric table', async () => {
    const { readFileSync } = await import('node:fs');
    const docs = readFileSync(new URL('../../docs/assertions.md', import.meta.url), 'utf8');
    const table = docs.slice(docs.indexOf('## Metrics'), docs.indexOf('## Consistency'));
    for (const name of METRIC_NAMES) expect(table, name).toContain(`\`${name}`);
  });
});

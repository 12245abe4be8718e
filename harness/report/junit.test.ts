import { fc, test } from '@fast-check/vitest';
import { XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import type { RunResult, ScenarioResult } from '../core/result.js';
import { stripXmlIllegal } from './escape.js';
import { junitClassName, renderJunit, uniqueCaseNames } from './junit.js';
import { createSampleRun } from './testing/sample-results.js';
import { literalXmlParser } from '../test/literal-xml-parser.js';
import { errorOf } from '../test/scenario-results.js';

const parser = literalXmlParser((name) => ['testsuite', 'testcase', 'property'].includes(name));

type Attrs = { [key: `@${string}`]: string };
interface Case extends Attrs {
  properties: { property: Attrs[] } & Attrs;
  failure?: Attrs & { '#text'?: string };
  error?: Attrs & { '#text'?: string };
  skipped?: Attrs;
  'system-out': string;
  'system-err'?: string;
}
interface Suite extends Attrs {
  properties: { property: Attrs[] };
  testcase: Case[];
}
interface Doc {
  testsuites: Attrs & { testsuite: Suite[] };
}

function parse(xml: string): Doc {
  expect(XMLValidator.validate(xml)).toBe(true);
  return parser.parse(xml) as Doc;
}

function cases(doc: Doc): Case[] {
  return doc.testsuites.testsuite.flatMap((s) => s.testcase);
}

function text(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  return (value as { '#text'?: string })['#text'] ?? '';
}

function prop(c: Case, name: string): string | undefined {
  return c.properties.property.find((p) => p['@name'] === name)?.['@value'];
}

describe('renderJunit on the sample run', () => {
  const run = createSampleRun({ hostile: true });
  const doc = parse(renderJunit(run));

  it('totals on <testsuites> are what CI systems read', () => {
    const root = doc.testsuites;
    expect(root['@tests']).toBe('7');
    expect(root['@failures']).toBe('1');
    expect(root['@errors']).toBe('1');
    expect(root['@skipped']).toBe('2');
    expect(root['@time']).toBe('32.600');
    expect(root['@timestamp']).toBe('2025-06-01T12:00:00');
  });

  it('one suite per scenario file, one case per scenario, counts per suite', () => {
    const suites = doc.testsuites.testsuite;
    expect(suites.map((s) => s['@name'])).toEqual([...new Set(run.scenarios.map((s) => s.file))]);
    for (const suite of suites) {
      const mine = run.scenarios.filter((s) => s.file === suite['@name']);
      expect(suite['@tests']).toBe(String(mine.length));
      expect(suite.testcase).toHaveLength(mine.length);
      expect(Number(suite['@time'])).toBeCloseTo(mine.reduce((t, s) => t + s.durationMs, 0) / 1000, 3);
    }
  });

  it('maps statuses: failure for failed, error for errored, skipped for interrupted and skipped, nothing for passed', () => {
    const byName = new Map(cases(doc).map((c) => [c['@name'], c]));
    const failed = run.scenarios.find((s) => s.status === 'failed')!;
    const failedCase = byName.get(failed.name)!;
    expect(failedCase.failure?.['@type']).toBe('AssertionFailed');
    expect(failedCase.failure?.['@message']).toBe(`${failed.assertions[0]!.subject}: ${failed.assertions[0]!.source}`);
    const body = text(failedCase.failure);
    for (const a of failed.assertions.filter((x) => x.status === 'failed')) {
      expect(body).toContain(a.source);
      expect(body).toContain(`expected: ${a.expected}`);
      expect(body).toContain(`observed: ${a.observed}`);
    }
    expect(body).not.toContain('jitter_ms < 20');

    const errored = byName.get('app-under-reset')!;
    expect(errored.error?.['@type']).toBe('TARGET_FAILED');
    expect(text(errored.error)).toContain('hint: another process holds the port');
    expect(text(errored['system-err'])).toContain('bind: address already in use');

    expect(byName.get('partition-heals')!.skipped?.['@message']).toContain('interrupted');
    expect(byName.get('soak-1h')!.skipped).toBeDefined();
    const expectedFailure = byName.get('naive-server-framing-bug')!;
    expect(expectedFailure.failure).toBeUndefined();
    expect(expectedFailure.error).toBeUndefined();
    expect(text(expectedFailure['system-out'])).toContain('expected to fail, and it did');
  });

  it('every case carries seed, replay and backend properties and a class name from its file', () => {
    for (const [i, c] of cases(doc).entries()) {
      const s = [...run.scenarios].sort((a, b) => orderOf(run, a) - orderOf(run, b))[i]!;
      expect(c['@classname']).toBe(junitClassName(s.file!));
      expect(prop(c, 'seed')).toBe(String(s.seed));
      expect(prop(c, 'replay')).toBe(stripXmlIllegal(s.replay));
      expect(prop(c, 'backend')).toBe('embedded');
    }
    expect(doc.testsuites.testsuite[0]!.properties.property.find((p) => p['@name'] === 'seed')?.['@value']).toBe('1234');
  });

  it('system-out is a readable summary: verdicts, key numbers, faults, calibration, replay', () => {
    const loss = cases(doc).find((c) => c['@name'] === 'tcp-vs-udp-random-loss')!;
    const out = text(loss['system-out']);
    expect(out).toContain('✔ PASSED');
    expect(out).toContain('✔ udp: lost_ratio ~ configured');
    expect(out).toContain('udp (udp-echo via udp_path): sent 2,000');
    expect(out).toContain('faults[1] loss upstream on udp_path (probability=0.1): applied 1.00s → removed 4.00s');
    expect(out).toContain('asked 10% loss_ratio, got 9.85% ± 1.31');
    expect(out).toContain(`Replay: ${loss.properties.property.find((p) => p['@name'] === 'replay')!['@value']}`);
  });

  it('keeps user text exact: markup, quotes and unicode survive, illegal characters are dropped', () => {
    const failed = run.scenarios.find((s) => s.status === 'failed')!;
    expect(cases(doc).some((c) => c['@name'] === failed.name)).toBe(true);
    const errored = cases(doc).find((c) => c['@name'] === 'app-under-reset')!;
    expect(errored.error?.['@message']).toBe(stripXmlIllegal(`[TARGET_FAILED] ${errorOf(run.scenarios.find((s) => s.name === 'app-under-reset')).message}`));
    expect(errored.error?.['@message']).toContain(']]> </script><script>alert(1)</script> ✓ 日本語 🚀');
  });
});

function orderOf(run: RunResult, s: ScenarioResult): number {
  const files = [...new Set(run.scenarios.map((x) => x.file))];
  return files.indexOf(s.file) * 1000 + run.scenarios.indexOf(s);
}

describe('bounded output', () => {
  it('cuts system-out and says so', () => {
    const run = createSampleRun();
    run.scenarios[0]!.notes = Array.from({ length: 500 }, (_, i) => `note ${i} ${'x'.repeat(80)}`);
    const c = cases(parse(renderJunit(run, { maxOutputChars: 2000 })))[0]!;
    const out = text(c['system-out']);
    expect(out.length).toBeLessThan(2200);
    expect(out).toMatch(/… \(\d+ more characters; see results\.json\)$/);
  });

  it('a 200-scenario run stays far below GitLab limits (250k objects, 30 MB)', () => {
    const base = createSampleRun();
    const scenarios = Array.from({ length: 200 }, (_, i) => ({ ...base.scenarios[i % base.scenarios.length]!, name: `s${i}`, id: `f#s${i}` }));
    const xml = renderJunit({ ...base, scenarios });
    expect(xml.length).toBeLessThan(2_000_000);
    expect((xml.match(/<[a-z-]+[\s>/]/g) ?? []).length).toBeLessThan(5_000);
  });
});

describe('unique test case names (GitLab drops duplicates)', () => {
  const base = createSampleRun().scenarios[0]!;
  const make = (name: string, seed: number, file = 'a.yaml'): ScenarioResult => ({ ...base, name, seed, file, id: `${file}#${name}#${seed}` });

  it('keeps plain names when they are unique, so CI history lines up across runs', () => {
    expect(uniqueCaseNames([make('x', 1), make('y', 1), make('x', 1, 'b.yaml')])).toEqual(['x', 'y', 'x']);
  });

  it('adds the seed, then a counter, only where needed', () => {
    expect(uniqueCaseNames([make('x', 1), make('x', 2), make('x', 2), make('y', 2)])).toEqual(['x [seed 1]', 'x [seed 2] #1', 'x [seed 2] #2', 'y']);
  });

  test.prop([fc.array(fc.record({ name: fc.constantFrom('a', 'b', 'a [seed 1]'), seed: fc.integer({ min: 0, max: 2 }), file: fc.constantFrom('f.yaml', 'f.yml', 'g.yaml') }), { maxLength: 12 })])(
    '(classname, name) pairs are always unique',
    (specs) => {
      const scenarios = specs.map((s) => make(s.name, s.seed, s.file));
      const names = uniqueCaseNames(scenarios);
      const keys = scenarios.map((s, i) => `${junitClassName(s.file!)}\u0000${names[i]}`);
      expect(new Set(keys).size).toBe(keys.length);
    },
  );
});

describe('well-formed for any input', () => {
  const nasty = fc.string({
    unit: fc.oneof(fc.constantFrom('<', '>', '&', '"', "'", ']]>', '\u0000', '\u001b', '\t', '\n', '\r', '\uFFFE', '\uD800', '😀'), fc.string({ unit: 'binary', maxLength: 2 })),
    maxLength: 30,
  });

  const template = createSampleRun();
  test.prop([nasty, nasty, nasty, nasty], { numRuns: 60 })('random names and messages parse back to the same text, minus illegal characters', (name, source, message, file) => {
    const run = structuredClone(template);
    const s = run.scenarios.find((x) => x.status === 'failed')!;
    s.name = name;
    s.file = file;
    s.replay = message;
    s.assertions[0]!.source = source;
    s.assertions[0]!.expected = message;
    const errored = run.scenarios.find((x) => x.status === 'errored')!;
    errored.error!.message = message;
    run.run.command = name;
    run.scenarios = [s, errored];
    const xml = renderJunit(run);
    expect(xml).not.toMatch(/\]\]>/);
    // eslint-disable-next-line no-control-regex
    expect(xml).not.toMatch(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
    const doc = parse(xml);
    const [failedCase, erroredCase] = cases(doc);
    expect(failedCase!['@name']).toBe(stripXmlIllegal(name));
    expect(prop(failedCase!, 'replay')).toBe(stripXmlIllegal(message));
    expect(failedCase!.failure?.['@message']).toBe(stripXmlIllegal(`${s.assertions[0]!.subject}: ${source}`));
    expect(text(failedCase!.failure)).toContain(`expected: ${stripXmlIllegal(message)}`);
    expect(erroredCase!.error?.['@message']).toBe(stripXmlIllegal(`[TARGET_FAILED] ${message}`));
    expect(doc.testsuites.testsuite[0]!.properties.property.find((p) => p['@name'] === 'command')?.['@value']).toBe(stripXmlIllegal(name));
  });
});

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { parseDuration } from '../core/duration.js';
import { PROTOCOLS } from '../core/spec.js';
import { listToxicTypes } from '../toxics/registry.js';
import { wireFaultTypes } from '../toxics/wire/fault-types.js';
import { WORKLOAD_TYPES } from '../workload/registry.js';
import { BYTE_SIZE_PATTERN, parseByteSize } from './byte-size.js';
import { loadScenarioFile } from './load.js';
import { parseRate, RATE_PATTERN } from './rate.js';
import { checkJsonSchema } from './testing/schema-check.js';
import { DURATION_PATTERN, renderScenarioSchema, scenarioJsonSchema } from './schema.js';
import { ALL_WORKLOAD_KEYS, EXPLORE_KEYS, FAULT_KEYS, PROXY_KEYS, REQUEST_KEYS, SCENARIO_KEYS, TARGET_KEYS, TARGET_KINDS, TOXIC_KEYS, WORKLOAD_KEYS } from './scenario-keys.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const VALID = join(ROOT, 'fixtures/scenarios/valid');
const schema = scenarioJsonSchema();
const definitions = schema.definitions as Record<string, Record<string, unknown>>;
const keysOf = (s: unknown) => Object.keys((s as { properties: object }).properties);

/** A YAML file as the plain JSON an editor's schema check sees (one entry per document). */
function asJson(file: string): unknown[] {
  return parseAllDocuments(readFileSync(file, 'utf8'), { merge: true }).map((doc) => doc.toJS());
}

function validate(value: unknown): string[] {
  return checkJsonSchema(schema, value);
}

describe('the committed schema', () => {
  it('equals `faultline schema` output (regenerate: node bin/faultline.js schema > scenarios/faultline.schema.json)', () => {
    expect(readFileSync(join(ROOT, 'scenarios/faultline.schema.json'), 'utf8')).toBe(renderScenarioSchema());
  });
});

describe('valid fixtures validate against the schema and load', () => {
  const files = readdirSync(VALID).filter((f) => f.endsWith('.yaml'));
  it('there are fixtures to check', () => expect(files.length).toBeGreaterThanOrEqual(5));
  for (const name of files) {
    it(name, () => {
      const file = join(VALID, name);
      for (const doc of asJson(file)) expect(validate(doc)).toEqual([]);
      expect(loadScenarioFile(file).length).toBeGreaterThan(0);
    });
  }
});

describe('the schema rejects what the loader rejects, where JSON Schema can say it', () => {
  const base = () => ({
    targets: { echo: { builtin: 'echo' } },
    proxies: { p: { protocol: 'udp', target: 'echo' } },
    workloads: { w: { type: 'udp-echo', via: 'p' } },
  });
  const cases: Array<[string, (doc: Record<string, any>) => void, RegExp]> = [
    ['an unknown top-level key', (d) => (d.tragets = {}), /\/tragets: no value is allowed/],
    ['a missing targets map', (d) => delete d.targets, /missing required "targets"/],
    ['a key of another workload type', (d) => (d.workloads.w.connect_timeout = '1s'), /\/workloads\/w\/connect_timeout: no value is allowed/],
    ['a duration without a unit', (d) => (d.timeout = 30), /\/timeout: expected string/],
    ['a bad rate', (d) => (d.workloads.w.rate = '100'), /\/workloads\/w\/rate: "100" does not match/],
    ['via and target together', (d) => (d.workloads.w.target = 'echo'), /\/workloads\/w: matches 2 of oneOf/],
    ['a target with two kinds', (d) => (d.targets.echo.address = 'h'), /\/targets\/echo: matches 0 of oneOf/],
    ['a bad name', (d) => (d.proxies['bad name'] = { target: 'echo' }), /\/proxies\/bad name \(name\): "bad name" does not match/],
    ['an unknown toxic attribute', (d) => (d.faults = [{ proxy: 'p', toxic: { type: 'latency', attributes: { latnecy: 1 } } }]), /attributes\/latnecy: no value is allowed/],
    ['an unknown toxic type', (d) => (d.faults = [{ proxy: 'p', toxic: { type: 'nope' } }]), /\/faults\/0\/toxic\/type: not one of/],
    ['a fault with toxic and down', (d) => (d.faults = [{ proxy: 'p', down: true, toxic: { type: 'noop' } }]), /\/faults\/0: matches 2 of oneOf/],
    ['an unknown metric in a map check', (d) => (d.assert = { w: [{ rtt: 'p(99) < 1' }] }), /\/assert\/w\/0/],
    ['an unknown key in explore', (d) => (d.explore = { fautls: {} }), /\/explore\/fautls: no value is allowed/],
    ['an unknown fault kind in explore', (d) => (d.explore = { faults: { latnecy: {} } }), /\/explore\/faults\/latnecy \(name\): not one of/],
    ['a range of something other than numbers in explore', (d) => (d.explore = { faults: { latency: { latency: 'a..b' } } }), /\/explore\/faults\/latency\/latency: matches 0 of oneOf/],
  ];
  it('the base document is valid', () => expect(validate(base())).toEqual([]));
  for (const [what, mutate, error] of cases) {
    it(what, () => {
      const doc = base();
      mutate(doc);
      expect(validate(doc).join('\n')).toMatch(error);
    });
  }
});

describe('the schema offers exactly the keys the loader accepts', () => {
  it('scenario, proxy, fault, toxic, request', () => {
    expect(keysOf(definitions.scenario)).toEqual([...SCENARIO_KEYS]);
    expect(keysOf(definitions.proxy)).toEqual([...PROXY_KEYS]);
    expect(keysOf(definitions.fault)).toEqual([...FAULT_KEYS]);
    expect(keysOf(definitions.toxic)).toEqual([...TOXIC_KEYS]);
    expect(keysOf(definitions.request)).toEqual([...REQUEST_KEYS]);
    expect(keysOf(definitions.explore)).toEqual([...EXPLORE_KEYS]);
  });

  it('each target kind', () => {
    const branches = (definitions.target as { oneOf: unknown[] }).oneOf;
    expect(branches.map(keysOf)).toEqual(TARGET_KINDS.map((kind) => [...TARGET_KEYS[kind]]));
  });

  it('each workload type', () => {
    expect(keysOf(definitions.workload).sort()).toEqual([...ALL_WORKLOAD_KEYS].sort());
    for (const type of WORKLOAD_TYPES) expect(keysOf(definitions[`workload_${type}`])).toEqual([...WORKLOAD_KEYS[type]!]);
  });

  it('every registered toxic type and wire fault type, with its attribute table', () => {
    const toxic = definitions.toxic as { properties: { type: { enum: string[] } }; allOf: Array<{ if: any; then: any }> };
    const registered = [...new Set([...PROTOCOLS.flatMap((p) => listToxicTypes(p).map((t) => t.type)), ...wireFaultTypes.map((t) => t.type)])];
    expect(toxic.properties.type.enum.sort()).toEqual([...registered].sort());
    for (const types of [...PROTOCOLS.map((p) => listToxicTypes(p)), wireFaultTypes]) {
      for (const type of types) {
        const branch = toxic.allOf.find((b) => b.if.properties.type.const === type.type)!;
        const attributes = branch.then.properties.attributes;
        const tables: Array<{ properties: object }> = attributes.anyOf ?? [attributes];
        expect(tables.some((t) => JSON.stringify(Object.keys(t.properties)) === JSON.stringify(Object.keys(type.attributes)))).toBe(true);
      }
    }
  });
});

describe('schema patterns accept exactly what the parsers accept', () => {
  const ws = fc.constantFrom('', ' ', '  ', '\t');
  const decimal = fc.oneof(
    fc.nat({ max: 100_000 }).map(String),
    fc.tuple(fc.nat({ max: 999 }), fc.nat({ max: 999 })).map(([a, b]) => `${a}.${b}`),
    fc.constantFrom('.5', '1.', '-1', '1e3', '', '01', '0'),
  );
  const nearly = (units: string[]) =>
    fc.oneof(
      fc.tuple(ws, decimal, ws, fc.constantFrom(...units, ''), ws).map((parts) => parts.join('')),
      fc.string({ maxLength: 12 }),
    );

  test.prop([nearly(['us', 'µs', 'ms', 's', 'm', 'h', 'sec', 'S', 'd'])], { numRuns: 2000 })('durations', (text) => {
    expect(new RegExp(DURATION_PATTERN, 'u').test(text)).toBe(parseDuration(text) !== undefined);
  });

  test.prop([nearly(['B', 'kB', 'KB', 'MB', 'GB', 'KiB', 'MiB', 'GiB', 'kb', 'Mb', 'TB', 'b'])], { numRuns: 2000 })('sizes (the loader also wants whole bytes)', (text) => {
    const parsed = parseByteSize(text);
    const matches = new RegExp(BYTE_SIZE_PATTERN, 'u').test(text);
    if (parsed !== undefined) expect(matches).toBe(true);
    if (matches && parsed === undefined) expect(text).toMatch(/\./); // only fractions of a byte
  });

  test.prop([nearly(['/s', 'B/s', 'MB/s', 'KiB/s', 'MB /s', '/ s', '/ms', 'max', 'Mbit/s'])], { numRuns: 2000 })('rates (the loader also wants > 0)', (text) => {
    const parsed = parseRate(text);
    const matches = new RegExp(RATE_PATTERN, 'u').test(text);
    if (parsed !== undefined) expect(matches).toBe(true);
    if (matches && parsed === undefined) {
      // Only a zero rate, or a byte rate that is not whole bytes per second.
      const value = Number(/(\d+(?:\.\d+)?|\.\d+)/.exec(text)![1]);
      expect(value === 0 || text.includes('.')).toBe(true);
    }
  });
});

describe('schema-check', () => {
  it('refuses keywords it does not implement rather than skipping them', () => {
    expect(() => checkJsonSchema({ type: 'string', format: 'email' }, 'x')).toThrow(/does not implement the keyword "format"/);
  });
});

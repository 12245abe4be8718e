/**
 * The loader's contract on any input: it returns ScenarioSpec[] or throws a FaultlineError whose
 * every problem has a file, line and column — never a TypeError, a stack trace or a hang. Fed with
 * valid fixtures mutated in their tree (delete, retype, insert) and in their text (truncate,
 * splice, duplicate lines), with random documents built from the scenario vocabulary (to reach
 * deep paths), and with random bytes.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { FaultlineError } from '../core/errors.js';
import { loadScenarioText } from './load.js';
import { ALL_WORKLOAD_KEYS, FAULT_KEYS, PROXY_KEYS, REQUEST_KEYS, SCENARIO_KEYS, TARGET_KEYS, TOXIC_KEYS } from './scenario-keys.js';

const VALID = fileURLToPath(new URL('../../fixtures/scenarios/valid/', import.meta.url));
const FILE = join(VALID, 'fuzzed.yaml');
const TEXTS = readdirSync(VALID)
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => readFileSync(join(VALID, f), 'utf8'));
const TREES = TEXTS.flatMap((text) => parseAllDocuments(text, { merge: true }).map((doc) => doc.toJS() as unknown));

/** Loads and checks the contract; returns what happened for coverage statistics. */
function loadChecked(text: string): 'loaded' | 'rejected' {
  const started = performance.now();
  try {
    const specs = loadScenarioText(text, FILE);
    expect(Array.isArray(specs)).toBe(true);
    return 'loaded';
  } catch (error) {
    if (!(error instanceof FaultlineError)) throw error;
    expect(['PARSE_ERROR', 'INVALID_INPUT']).toContain(error.code);
    expect(error.problems.length).toBeGreaterThan(0);
    for (const problem of error.problems) {
      expect(problem.file).toBe(FILE);
      expect(problem.line).toBeGreaterThanOrEqual(1);
      expect(problem.column).toBeGreaterThanOrEqual(1);
      expect(typeof problem.message).toBe('string');
    }
    return 'rejected';
  } finally {
    // Generous: a pathological input must still be handled in well under a second.
    expect(performance.now() - started).toBeLessThan(1000);
  }
}

// ── tree mutations ─────────────────────────────────────────────────────────

const WORDS = [
  'echo', 'sink', 'tcp', 'udp', 'auto', 'max', 'newline', 'upstream', 'downstream', 'latency', 'loss', 'slicer', 'reorder',
  'tcp-echo', 'udp-echo', 'tcp-stream', 'udp-stream', 'tcp-raw', 'udp-raw', 'tcp_path', 'udp_path', 'path', 'ping', 'tcp', 'udp',
  '10ms', '2s', '0s', '-1s', '1.5m', '100/s', '0/s', '10MB/s', '1.5B/s', '64KiB', '1e9', '0', '65536', '127.0.0.1:0', ':0', '[::1]:80',
  'in_order', 'delivered == 100%', 'lost_ratio ~ configured', 'rtt_ms p(99) < 1s', 'bogus <', '(?<port>\\d+)', '(', '{tcp_port}',
  "a 'b", 'x | y', '', ' ', '__proto__', 'constructor', 'toString', '\u0000', 'é', '💥',
];
const KEYS = [...new Set([...SCENARIO_KEYS, ...ALL_WORKLOAD_KEYS, ...PROXY_KEYS, ...FAULT_KEYS, ...TOXIC_KEYS, ...REQUEST_KEYS, ...Object.values(TARGET_KEYS).flat(), 'stdout', 'min', 'max', 'probability', 'length_prefix', 'idle', '<<'])];

const scalar = fc.oneof(
  fc.constantFrom(...WORDS),
  fc.string({ maxLength: 8 }),
  fc.integer({ min: -5, max: 70_000 }),
  fc.double({ noNaN: false }),
  fc.boolean(),
  fc.constant(null),
);
const value: fc.Arbitrary<unknown> = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.array(tie('v'), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom(...KEYS), tie('v'), { maxKeys: 3 }),
  ),
})).v;

type Mutation = { op: 'delete' | 'replace' | 'insert'; pick: number; key: string; value: unknown };
const mutation: fc.Arbitrary<Mutation> = fc.record({
  op: fc.constantFrom('delete', 'replace', 'insert'),
  pick: fc.nat(),
  key: fc.oneof(fc.constantFrom(...KEYS), fc.string({ maxLength: 6 })),
  value,
});

/** Every (container, key) slot in a tree, depth first. */
function slots(tree: unknown): Array<{ parent: Record<string, unknown> | unknown[]; key: string | number }> {
  const out: Array<{ parent: Record<string, unknown> | unknown[]; key: string | number }> = [];
  const walk = (node: unknown) => {
    if (Array.isArray(node)) node.forEach((child, i) => (out.push({ parent: node, key: i }), walk(child)));
    else if (node !== null && typeof node === 'object') for (const [k, child] of Object.entries(node)) out.push({ parent: node as Record<string, unknown>, key: k }), walk(child);
  };
  walk(tree);
  return out;
}

function mutate(tree: unknown, mutations: Mutation[]): unknown {
  let root = structuredClone(tree);
  for (const m of mutations) {
    const all = slots(root);
    if (all.length === 0) {
      root = m.value;
      continue;
    }
    const { parent, key } = all[m.pick % all.length]!;
    if (m.op === 'replace') (parent as Record<string | number, unknown>)[key] = m.value;
    else if (m.op === 'delete') Array.isArray(parent) ? parent.splice(key as number, 1) : delete parent[key as string];
    else {
      const target = (parent as Record<string | number, unknown>)[key];
      if (Array.isArray(target)) target.push(m.value);
      else if (target !== null && typeof target === 'object') (target as Record<string, unknown>)[m.key] = m.value;
      else (parent as Record<string | number, unknown>)[key] = { [m.key]: m.value };
    }
  }
  return root;
}

// ── text mutations ─────────────────────────────────────────────────────────

const textEdit: fc.Arbitrary<TextEdit> = fc.oneof(
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('splice' as const), at: fc.nat(), remove: fc.nat({ max: 20 }), insert: fc.oneof(fc.string({ maxLength: 10 }), fc.constantFrom(':', '- ', '{', '[', '&a ', '*a', '<<: ', '\n  ', '\t', '"', "'", '#', '---\n', '? ')) }),
  fc.record({ op: fc.constant('duplicate-line' as const), at: fc.nat() }),
);

type TextEdit = { op: 'truncate'; at: number } | { op: 'splice'; at: number; remove: number; insert: string } | { op: 'duplicate-line'; at: number };

function editText(text: string, edits: TextEdit[]): string {
  let out = text;
  for (const edit of edits) {
    const at = out.length === 0 ? 0 : edit.at % out.length;
    if (edit.op === 'truncate') out = out.slice(0, at);
    else if (edit.op === 'splice') out = out.slice(0, at) + edit.insert + out.slice(at + edit.remove);
    else {
      const lines = out.split('\n');
      const i = edit.at % lines.length;
      lines.splice(i, 0, lines[i]!);
      out = lines.join('\n');
    }
  }
  return out;
}

/**
 * A failure's counterexample is shrunk for at most 20 s: shrinking a deep random tree can
 * otherwise take many minutes, which would look like the hang this file exists to rule out.
 */
const BOUNDED = { interruptAfterTimeLimit: 20_000 } as const;

describe('the loader returns specs or a FaultlineError, whatever the input', () => {
  test.prop([fc.constantFrom(...TREES), fc.array(mutation, { minLength: 1, maxLength: 4 })], { ...BOUNDED, numRuns: 400 })('valid trees, mutated', (tree, mutations) => {
    loadChecked(stringify(mutate(tree, mutations)));
  });

  test.prop([fc.constantFrom(...TEXTS), fc.array(textEdit, { minLength: 1, maxLength: 3 })], { ...BOUNDED, numRuns: 300 })('valid texts, cut and spliced', (text, edits) => {
    loadChecked(editText(text, edits));
  });

  test.prop([fc.dictionary(fc.constantFrom(...KEYS), value, { maxKeys: 8 })], { ...BOUNDED, numRuns: 300 })('random documents in the scenario vocabulary', (doc) => {
    loadChecked(stringify(doc));
  });

  test.prop([fc.oneof(fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('latin1')), fc.string({ maxLength: 200, unit: 'binary' }), fc.anything().map((v) => stringify(v)))], {
    ...BOUNDED,
    numRuns: 300,
  })('random bytes and random YAML', (text) => {
    loadChecked(text);
  });
});

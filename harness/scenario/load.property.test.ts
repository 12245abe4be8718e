/**
 * The loader's contract on any input: it returns ScenarioSpec[] or throws a FaultlineError whose
 * every problem has a file, line and column — never a TypeError, a stack trace or a hang — and a
 * syntax mistake gives one message per document, not one per token after it. Fed with the
 * built-in scenarios and the valid fixtures mutated in their tree (delete, retype, insert) and in
 * their text (truncate, splice, duplicate lines), with random documents built from the scenario
 * vocabulary (to reach deep paths), and with random bytes.
 *
 * The run budget is short in `npm test` (a fixed seed); `npm run fuzz` runs it for longer
 * (harness/test/fuzz-budget.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { FaultlineError } from '../core/errors.js';
import { fuzzParameters, reportPeakMemory } from '../test/fuzz-budget.js';
import { editText, mutateTree, textEdit, treeMutation } from '../test/mutations.js';
import { loadScenarioText, MAX_SYNTAX_FOLLOW_ONS } from './load.js';
import { ALL_WORKLOAD_KEYS, FAULT_KEYS, PROXY_KEYS, REQUEST_KEYS, SCENARIO_KEYS, TARGET_KEYS, TOXIC_KEYS } from './scenario-keys.js';

const VALID = fileURLToPath(new URL('../../fixtures/scenarios/valid/', import.meta.url));
const BUILT_IN = fileURLToPath(new URL('../../scenarios/', import.meta.url));
const FILE = join(VALID, 'fuzzed.yaml');
/** Each valid file with its path (relative paths in a scenario resolve from its folder). */
const SOURCES = [VALID, BUILT_IN].flatMap((dir) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => ({ file: join(dir, f), text: readFileSync(join(dir, f), 'utf8') })),
);
const TREES = SOURCES.flatMap(({ file, text }) => parseAllDocuments(text, { merge: true }).map((doc) => ({ file, tree: doc.toJS() as unknown })));

/** Loads and checks the contract; returns what happened for coverage statistics. */
function loadChecked(text: string, file = FILE): 'loaded' | 'rejected' {
  const started = process.cpuUsage();
  try {
    const specs = loadScenarioText(text, file);
    expect(Array.isArray(specs)).toBe(true);
    return 'loaded';
  } catch (error) {
    if (!(error instanceof FaultlineError)) throw error;
    expect(['PARSE_ERROR', 'INVALID_INPUT']).toContain(error.code);
    expect(error.problems.length).toBeGreaterThan(0);
    if (error.code === 'PARSE_ERROR') {
      // One mistake, one message: per document the cause, a few follow-ons and a count.
      const documents = parseAllDocuments(text).length || 1;
      const syntax = error.problems.filter((p) => !p.message.startsWith('duplicate key'));
      expect(syntax.length).toBeLessThanOrEqual(documents * (MAX_SYNTAX_FOLLOW_ONS + 2));
    }
    for (const problem of error.problems) {
      expect(problem.file).toBe(file);
      expect(problem.line).toBeGreaterThanOrEqual(1);
      expect(problem.column).toBeGreaterThanOrEqual(1);
      expect(typeof problem.message).toBe('string');
    }
    return 'rejected';
  } finally {
    // Generous: a pathological input must still be handled in well under a second.
    // CPU time, not wall time: on a loaded machine a pause of another process is not ours.
    const used = process.cpuUsage(started);
    expect((used.user + used.system) / 1000).toBeLessThan(1000);
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

const mutation = treeMutation(fc.oneof(fc.constantFrom(...KEYS), fc.string({ maxLength: 6 })), value);

// ── text mutations ─────────────────────────────────────────────────────────

const textEdits = textEdit([':', '- ', '{', '[', '&a ', '*a', '<<: ', '\n  ', '\t', '"', "'", '#', '---\n', '? ']);

afterAll(() => reportPeakMemory('scenario files'));

describe('the loader returns specs or a FaultlineError, whatever the input', () => {
  it('valid trees, mutated', () => {
    fc.assert(
      fc.property(fc.constantFrom(...TREES), fc.array(mutation, { minLength: 1, maxLength: 4 }), ({ file, tree }, mutations) => {
        loadChecked(stringify(mutateTree(tree, mutations)), file);
      }),
      fuzzParameters('scenario-tree', 400),
    );
  });

  it('valid texts, cut and spliced', () => {
    fc.assert(
      fc.property(fc.constantFrom(...SOURCES), fc.array(textEdits, { minLength: 1, maxLength: 3 }), ({ file, text }, edits) => {
        loadChecked(editText(text, edits), file);
      }),
      fuzzParameters('scenario-text', 300),
    );
  });

  it('random documents in the scenario vocabulary', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...KEYS), value, { maxKeys: 8 }), (doc) => {
        loadChecked(stringify(doc));
      }),
      fuzzParameters('scenario-vocabulary', 300),
    );
  });

  it('random bytes and random YAML', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('latin1')), fc.string({ maxLength: 200, unit: 'binary' }), fc.anything().map((v) => stringify(v))),
        (text) => {
          loadChecked(text);
        },
      ),
      fuzzParameters('scenario-bytes', 300),
    );
  });
});

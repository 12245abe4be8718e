/**
 * The results reader's contract on any input: `parseRunResult` returns a RunResult that every
 * renderer can render (JSON, JUnit, HTML, Markdown, the console summary, a merge), or throws a
 * FaultlineError (PARSE_ERROR or INVALID_INPUT, exit 2) — never a TypeError or a RangeError
 * (exit 70), never a hang. Fed with real results files mutated in their tree (a field deleted,
 * retyped, added) and in their text (cut short, spliced, a line doubled).
 *
 * The run budget is short in `npm test`; `npm run fuzz` runs it for longer (FAULTLINE_FUZZ_RUNS),
 * with a random seed it prints (FAULTLINE_FUZZ_SEED replays one).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { FaultlineError } from '../core/errors.js';
import type { RunResult } from '../core/result.js';
import { editText, mutateTree, textEdit, treeMutation } from '../test/mutations.js';
import { fuzzParameters, reportPeakMemory } from '../test/fuzz-budget.js';
import { renderConsoleSummary } from './console.js';
import { renderHtml } from './html.js';
import { parseRunResult, renderJson } from './json.js';
import { renderJunit } from './junit.js';
import { renderMarkdown } from './markdown.js';
import { mergeRunResults } from './merge.js';
import { SAMPLE_FIXTURES_DIR } from './testing/sample-results.js';

const TEXTS = ['recorded/tcp-vs-udp-loss.json', 'sample-run.json', 'hostile-run.json'].map((name) => readFileSync(join(SAMPLE_FIXTURES_DIR, name), 'utf8'));
const TREES = TEXTS.map((text) => JSON.parse(text) as unknown);

/** Renders everything a `report render` or `report merge` could; throws what a renderer throws. */
function renderAll(result: RunResult): void {
  renderJson(result);
  renderJunit(result, { htmlReport: 'index.html' });
  renderHtml(result, { generatedAt: '2026-01-01T00:00:00.000Z' });
  renderMarkdown(result, { htmlReport: 'index.html' });
  renderConsoleSummary(result, { color: false });
  mergeRunResults([result], ['results.json']);
}

function checked(text: string): 'rendered' | 'rejected' {
  let result: RunResult;
  try {
    result = parseRunResult(text, 'results.json');
  } catch (error) {
    if (!(error instanceof FaultlineError)) throw error;
    expect(['PARSE_ERROR', 'INVALID_INPUT']).toContain(error.code);
    expect(error.exitCode).toBe(2);
    return 'rejected';
  }
  renderAll(result);
  return 'rendered';
}

/** Values that look like what a results file holds, and values of every other type. */
const value: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom('', 'x', 'passed', 'failed', 'errored', 'tcp', 'udp', 'upstream', '2026-01-01T00:00:00Z', 'not a date', '<b>&"\'', '💥', '\u0000'),
  fc.constantFrom(0, -1, 1, 0.5, 1e308, -1e308, 2 ** 53, 1e-300, 1000000),
  fc.constantFrom(null, true, false, [], {}, [1, 2], [[1, 2]], [null], { a: 1 }),
  fc.jsonValue({ maxDepth: 2 }),
);
const KEYS = ['status', 'buckets', 'subject', 'columns', 'histograms', 'harness', 'stream', 'interval', 'where', 'problems', 'shard', 'seeds', 'labels', 'x'];
const mutation = treeMutation(fc.oneof(fc.constantFrom(...KEYS), fc.string({ maxLength: 6 })), value);
const textEdits = textEdit(['{', '}', '[', ']', ',', ':', '"', 'null', '-1', '\n', '\\', '1e999']);

afterAll(() => reportPeakMemory('results files'));

describe('results.json: a coded error or a rendered report, whatever the file holds', () => {
  it('real results, mutated in their tree', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: TREES.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 4 }), (which, mutations) => {
        checked(JSON.stringify(mutateTree(TREES[which], mutations)));
      }),
      fuzzParameters('results-tree', 40),
    );
  });

  it('real results, cut and spliced as text', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: TEXTS.length - 1 }), fc.array(textEdits, { minLength: 1, maxLength: 3 }), (which, edits) => {
        checked(editText(TEXTS[which]!, edits));
      }),
      fuzzParameters('results-text', 40),
    );
  });
});

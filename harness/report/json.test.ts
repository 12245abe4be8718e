import { fc, test } from '@fast-check/vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FaultlineError } from '../core/errors.js';
import { RESULT_SCHEMA_VERSION } from '../core/result.js';
import { parseRunResult, readRunResult, renderJson } from './json.js';
import { createSampleRun, SAMPLE_FIXTURES_DIR as FIXTURES_DIR } from './testing/sample-results.js';

async function rejection(promise: Promise<unknown>): Promise<FaultlineError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(FaultlineError);
  return error as FaultlineError;
}

function thrown(fn: () => unknown): FaultlineError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(FaultlineError);
    return error as FaultlineError;
  }
  throw new Error('expected a FaultlineError');
}

describe('renderJson', () => {
  it('round-trips a RunResult exactly', () => {
    const run = createSampleRun({ hostile: true });
    expect(parseRunResult(renderJson(run))).toEqual(JSON.parse(JSON.stringify(run)));
  });

  it('keeps arrays of numbers on one line and objects indented', () => {
    const text = renderJson(createSampleRun());
    expect(text).toMatch(/"sent": \[\d+(,\d+)+\]/);
    expect(text).toMatch(/\n {6}"id": "scenarios\/loss\.yaml#tcp-vs-udp-random-loss"/);
    expect(text.endsWith('}\n')).toBe(true);
  });

  it('writes what JSON.stringify would for missing values: NaN as null, undefined keys omitted', () => {
    const run = createSampleRun();
    (run.scenarios[0] as unknown as Record<string, unknown>).description = undefined;
    run.scenarios[0]!.durationMs = Number.NaN;
    const back = JSON.parse(renderJson(run)) as typeof run;
    expect(back.scenarios[0]!.durationMs).toBeNull();
    expect('description' in back.scenarios[0]!).toBe(false);
  });
});

describe('readRunResult', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'faultline-json-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a file, or results.json inside a folder', async () => {
    const file = join(FIXTURES_DIR, 'shards/shard-1/results.json');
    const a = await readRunResult(file);
    const b = await readRunResult(join(FIXTURES_DIR, 'shards/shard-1'));
    expect(b).toEqual(a);
    expect(a.run.shard).toEqual({ index: 1, total: 2 });
  });

  it('NOT_FOUND for a missing file, naming it', async () => {
    const error = await rejection(readRunResult(join(dir, 'nope.json')));
    expect(error.code).toBe('NOT_FOUND');
    expect(error.message).toContain('nope.json');
    const inDir = await rejection(readRunResult(dir));
    expect(inDir.message).toContain(join(dir, 'results.json'));
  });

  it('PARSE_ERROR with line and column for a truncated file', async () => {
    const error = await rejection(readRunResult(join(FIXTURES_DIR, 'invalid/truncated.json')));
    expect(error.code).toBe('PARSE_ERROR');
    expect(error.message).toContain('truncated.json is not valid JSON');
    expect(error.where?.line).toBeGreaterThan(1);
  });

  it('PARSE_ERROR for an empty file, with a hint about killed runs', async () => {
    const error = await rejection(readRunResult(join(FIXTURES_DIR, 'invalid/empty.json')));
    expect(error.code).toBe('PARSE_ERROR');
    expect(error.hint).toContain('empty');
  });

  it('INVALID_INPUT for JSON that is not a faultline result', async () => {
    const error = await rejection(readRunResult(join(FIXTURES_DIR, 'invalid/not-faultline.json')));
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.message).toContain('not a faultline results file');
  });

  it('INVALID_INPUT naming both versions for a file from a newer faultline', async () => {
    const error = await rejection(readRunResult(join(FIXTURES_DIR, 'invalid/too-new.json')));
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.message).toContain('newer faultline');
    const text = JSON.stringify({ ...createSampleRun(), schemaVersion: RESULT_SCHEMA_VERSION + 1 });
    const newer = thrown(() => parseRunResult(text, 'new.json'));
    expect(newer.code).toBe('INVALID_INPUT');
    expect(newer.message).toContain(`schema ${RESULT_SCHEMA_VERSION + 1}`);
    expect(newer.message).toContain(`reads schema ${RESULT_SCHEMA_VERSION}`);
    expect(newer.hint).toContain('upgrade');
  });

  it('lists every shape problem with its path', async () => {
    const error = await rejection(readRunResult(join(FIXTURES_DIR, 'invalid/wrong-shape.json')));
    expect(error.code).toBe('INVALID_INPUT');
    const paths = error.problems.map((p) => p.path);
    expect(paths).toContain('run.seed');
    expect(paths).toContain('scenarios[0].status');
    expect(paths).toContain('scenarios[0].workloads');
    expect(error.problems.find((p) => p.path === 'scenarios[0].status')?.message).toContain('"green"');
  });

  it('fills what an older or partial writer left out, and recomputes the summary', () => {
    const run = JSON.parse(renderJson(createSampleRun())) as Record<string, unknown> & { scenarios: Array<Record<string, unknown>>; summary: Record<string, number> };
    delete run.scenarios[0]!.notes;
    delete run.scenarios[0]!.calibration;
    delete run.scenarios[0]!.expect;
    run.summary.passed = 99;
    const back = parseRunResult(JSON.stringify(run));
    expect(back.scenarios[0]!.notes).toEqual([]);
    expect(back.scenarios[0]!.calibration).toEqual([]);
    expect(back.scenarios[0]!.expect).toBe('pass');
    expect(back.summary.passed).toBe(3);
  });

  it('reads schema 1, upgrading it: workload shapes from their type, no recorded toxic effects', () => {
    const run = JSON.parse(renderJson(createSampleRun())) as { schemaVersion: number; scenarios: Array<{ workloads: Array<Record<string, unknown>>; faults: Array<Record<string, unknown>> }> };
    run.schemaVersion = 1;
    for (const s of run.scenarios) {
      for (const w of s.workloads) delete w.shape;
      for (const f of s.faults) delete f.effects;
    }
    const back = parseRunResult(JSON.stringify(run));
    const shapes = Object.fromEntries(back.scenarios.flatMap((s) => s.workloads).map((w) => [w.kind, w.shape]));
    expect(shapes).toMatchObject({ 'tcp-echo': 'round-trip', 'udp-echo': 'round-trip', 'tcp-stream': 'stream', 'udp-stream': 'stream', 'tcp-raw': 'raw' });
    const toxicFaults = back.scenarios.flatMap((s) => s.faults).filter((f) => f.kind === 'toxic');
    expect(toxicFaults.length).toBeGreaterThan(0);
    for (const f of toxicFaults) expect(f.effects).toEqual([]);
    // A schema-2 file must carry them.
    const current = JSON.parse(renderJson(createSampleRun())) as typeof run;
    delete current.scenarios[0]!.workloads[0]!.shape;
    expect(() => parseRunResult(JSON.stringify(current))).toThrow(/workloads\[0\]\.shape/);
  });

  it('reports an unreadable path as an environment problem, not a crash', async () => {
    const file = join(dir, 'results.json');
    writeFileSync(file, '{}');
    const error = await rejection(readRunResult(join(file, 'child')));
    expect(['NOT_FOUND', 'ENVIRONMENT']).toContain(error.code);
  });

  test.prop([fc.jsonValue()])('never throws anything but a FaultlineError on arbitrary JSON', (value) => {
    try {
      parseRunResult(JSON.stringify(value));
    } catch (error) {
      expect(error).toBeInstanceOf(FaultlineError);
    }
  });

  test.prop([fc.string({ maxLength: 200 })])('never throws anything but a FaultlineError on arbitrary text', (text) => {
    try {
      parseRunResult(text);
    } catch (error) {
      expect(error).toBeInstanceOf(FaultlineError);
    }
  });
});

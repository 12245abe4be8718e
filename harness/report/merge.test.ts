import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { FaultlineError } from '../core/errors.js';
import type { RunResult } from '../core/result.js';
import { describeShardCoverage, mergeRunResults, withoutShardFlag } from './merge.js';
import { createSampleRun, splitIntoShards } from './testing/sample-results.js';

function error(fn: () => unknown): FaultlineError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(FaultlineError);
    return e as FaultlineError;
  }
  throw new Error('expected a FaultlineError');
}

const byId = (run: RunResult) => [...run.scenarios].sort((a, b) => (a.id < b.id ? -1 : 1));

describe('mergeRunResults', () => {
  const run = createSampleRun();

  it('merging the shards of a run gives the run back', () => {
    for (const total of [1, 2, 3, 7, 9]) {
      const merged = mergeRunResults(splitIntoShards(run, total));
      expect(merged.scenarios).toEqual(byId(run));
      expect(merged.summary).toEqual(run.summary);
      expect(merged.run.startedAt).toBe(run.run.startedAt);
      expect(merged.run.durationMs).toBe(run.run.durationMs);
      expect(merged.run.command).toBe(run.run.command);
      expect(merged.run.shard).toBeUndefined();
      expect(merged.run.seed).toBe(run.run.seed);
      expect(merged.run.seeds).toBeUndefined();
      expect(merged.run.interrupted).toBe(true);
    }
  });

  test.prop([fc.integer({ min: 1, max: 7 }), fc.integer({ min: 0, max: 10_000 })], { numRuns: 30 })('does not depend on the order of its inputs', (total, seed) => {
    const shards = splitIntoShards(run, total);
    const shuffled = fc.sample(fc.shuffledSubarray(shards, { minLength: shards.length, maxLength: shards.length }), { numRuns: 1, seed })[0]!;
    expect(mergeRunResults(shuffled)).toEqual(mergeRunResults(shards));
  });

  it('accepts the same file twice (identical copies collapse)', () => {
    const [a, b] = splitIntoShards(run, 2);
    expect(mergeRunResults([a!, b!, a!]).scenarios).toHaveLength(run.scenarios.length);
  });

  it('rejects conflicting copies of a scenario, naming both inputs', () => {
    const a = createSampleRun();
    const b = createSampleRun();
    b.scenarios[0]!.status = 'failed';
    b.scenarios[1]!.durationMs += 1;
    const e = error(() => mergeRunResults([a, b], ['one/results.json', 'two/results.json']));
    expect(e.code).toBe('INVALID_INPUT');
    expect(e.problems).toHaveLength(2);
    expect(e.problems[0]!.message).toContain(`scenario "${a.scenarios[0]!.id}" is also in one/results.json with a different result (passed`);
    expect(e.problems[0]!.file).toBe('two/results.json');
  });

  it('lists the seeds when shards ran with different run seeds', () => {
    const [a, b] = splitIntoShards(run, 2);
    const other = { ...b!, run: { ...b!.run, seed: 7 } };
    const merged = mergeRunResults([a!, other]);
    expect(merged.run.seed).toBe(7);
    expect(merged.run.seeds).toEqual([7, 1234]);
  });

  it('rejects shards of different splits, mixed schema versions, and nothing at all', () => {
    const [a] = splitIntoShards(run, 2);
    const [c] = splitIntoShards(run, 3);
    expect(error(() => mergeRunResults([a!, c!], ['a', 'c'])).message).toContain('a is a shard of 2, c is a shard of 3');
    const old = { ...a!, schemaVersion: 0 } as unknown as RunResult;
    expect(error(() => mergeRunResults([old])).message).toContain('results schema 0');
    expect(error(() => mergeRunResults([])).code).toBe('INVALID_ARGUMENT');
  });

  it('combines run metadata: earliest start, span to the latest end, distinct values joined', () => {
    const [a, b] = splitIntoShards(run, 2);
    const later = { ...b!, run: { ...b!.run, startedAt: '2025-06-01T13:00:00.000Z', durationMs: 1000, node: 'v22.1.0', backend: 'toxiproxy' } };
    const merged = mergeRunResults([a!, later]);
    expect(merged.run.startedAt).toBe(a!.run.startedAt);
    expect(merged.run.durationMs).toBe(Date.parse('2025-06-01T13:00:01.000Z') - Date.parse(a!.run.startedAt));
    expect(merged.run.node).toBe('v20.20.2, v22.1.0');
    expect(merged.run.backend).toBe('embedded,toxiproxy');
  });
});

describe('describeShardCoverage', () => {
  const shards = splitIntoShards(createSampleRun(), 3);

  it('is silent for a complete set and for plain runs', () => {
    expect(describeShardCoverage(shards)).toBeUndefined();
    expect(describeShardCoverage([createSampleRun()])).toBeUndefined();
  });

  it('names the missing shards', () => {
    expect(describeShardCoverage([shards[0]!, shards[2]!])).toBe('shard 2 of 3 is missing: the merged report covers only what was given');
  });
});

describe('withoutShardFlag', () => {
  it('removes both spellings', () => {
    expect(withoutShardFlag('faultline run s/ --shard 2/3 --seed 1')).toBe('faultline run s/ --seed 1');
    expect(withoutShardFlag('faultline run s/ --shard=2/3')).toBe('faultline run s/');
  });
});

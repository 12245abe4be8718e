import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { FaultlineError } from './errors.js';
import { parseShard, selectShard } from './shard.js';

describe('parseShard', () => {
  it('parses INDEX/TOTAL', () => {
    expect(parseShard('2/3')).toEqual({ index: 2, total: 3 });
    expect(parseShard(' 1 / 1 ')).toEqual({ index: 1, total: 1 });
  });

  it.each([
    ['2-3', 'must be INDEX/TOTAL'],
    ['', 'must be INDEX/TOTAL'],
    ['a/b', 'must be INDEX/TOTAL'],
    ['1.5/3', 'must be INDEX/TOTAL'],
    ['-1/3', 'must be INDEX/TOTAL'],
    ['0/3', 'index must be between 1 and 3, got 0'],
    ['4/3', 'index must be between 1 and 3, got 4'],
    ['1/0', 'total must be between 1 and 1000, got 0'],
    ['1/5000', 'total must be between 1 and 1000'],
  ])('rejects %j: %s', (text, message) => {
    let error: unknown;
    try {
      parseShard(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(FaultlineError);
    expect((error as FaultlineError).code).toBe('INVALID_ARGUMENT');
    expect((error as FaultlineError).message).toContain(message);
    expect((error as FaultlineError).message).toContain(JSON.stringify(text));
  });
});

describe('selectShard', () => {
  const ids = fc.uniqueArray(fc.string({ maxLength: 12 }), { maxLength: 60 });

  test.prop([ids, fc.integer({ min: 1, max: 8 })])('shards partition the items, sizes differ by at most one', (list, total) => {
    const items = list.map((id) => ({ id }));
    const shards = Array.from({ length: total }, (_, i) => selectShard(items, i + 1, total));
    expect(shards.flat().map((x) => x.id).sort()).toEqual(list.slice().sort());
    const sizes = shards.map((s) => s.length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
  });

  test.prop([ids, fc.integer({ min: 1, max: 8 }), fc.integer({ min: 0, max: 1000 })])(
    'the split depends only on the ids, not on the order items were found in; each shard keeps the input order',
    (list, total, seed) => {
      const items = list.map((id) => ({ id }));
      const shuffled = fc.sample(fc.shuffledSubarray(items, { minLength: items.length, maxLength: items.length }), { numRuns: 1, seed })[0]!;
      for (let index = 1; index <= total; index++) {
        const a = selectShard(items, index, total);
        const b = selectShard(shuffled, index, total);
        expect(new Set(b.map((x) => x.id))).toEqual(new Set(a.map((x) => x.id)));
        expect(b.map((x) => shuffled.indexOf(x))).toEqual(b.map((x) => shuffled.indexOf(x)).slice().sort((p, q) => p - q));
      }
    },
  );

  it('is the documented sorted round-robin, by code units (not locale)', () => {
    const items = ['b', 'a', 'C', 'c', 'é'].map((id) => ({ id }));
    // code-unit order: C, a, b, c, é
    expect(selectShard(items, 1, 2).map((x) => x.id)).toEqual(['b', 'C', 'é']);
    expect(selectShard(items, 2, 2).map((x) => x.id)).toEqual(['a', 'c']);
  });

  it('rejects an impossible shard', () => {
    expect(() => selectShard([], 3, 2)).toThrow(FaultlineError);
    expect(() => selectShard([], 0, 2)).toThrow(/1 ≤ INDEX ≤ TOTAL/);
  });
});

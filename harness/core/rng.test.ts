import { describe, expect, it } from 'vitest';
import { createRng, MAX_SEED } from './rng.js';

describe('createRng', () => {
  it('replays the same sequence from the same seed', () => {
    const a = createRng(42);
    const b = createRng(42);
    const xs = Array.from({ length: 100 }, () => a.next());
    expect(Array.from({ length: 100 }, () => b.next())).toEqual(xs);
    expect(new Set(xs).size).toBe(100);
  });

  it('gives different sequences for different seeds', () => {
    expect(createRng(1).next()).not.toBe(createRng(2).next());
  });

  it('forks depend on seed and label only, not on draws made before', () => {
    const a = createRng(7);
    const b = createRng(7);
    for (let i = 0; i < 10; i++) b.next();
    expect(a.fork('conn:3').next()).toBe(b.fork('conn:3').next());
    expect(a.fork('conn:3').next()).not.toBe(a.fork('conn:4').next());
    expect(a.fork('x').fork('y').id).toBe('7/x/y');
  });

  it('draws uniformly: mean and bucket counts within tight bounds', () => {
    const rng = createRng(123);
    const buckets = new Array(10).fill(0);
    let sum = 0;
    let outside = 0;
    const n = 100_000;
    for (let i = 0; i < n; i++) {
      const x = rng.next();
      if (x < 0 || x >= 1) outside++;
      sum += x;
      buckets[Math.floor(x * 10)]++;
    }
    expect(outside).toBe(0);
    expect(Math.abs(sum / n - 0.5)).toBeLessThan(0.005);
    for (const count of buckets) expect(Math.abs(count - n / 10)).toBeLessThan(500);
  });

  it('int is inclusive at both ends and chance honours its edges', () => {
    const rng = createRng(5);
    const seen = new Set<number>();
    for (let i = 0; i < 1000; i++) seen.add(rng.int(1, 3));
    expect([...seen].sort()).toEqual([1, 2, 3]);
    expect(rng.chance(0)).toBe(false);
    expect(rng.chance(1)).toBe(true);
  });

  it('rejects seeds outside 0..2^32-1', () => {
    expect(() => createRng(-1)).toThrow(RangeError);
    expect(() => createRng(MAX_SEED + 1)).toThrow(RangeError);
    expect(() => createRng(1.5)).toThrow(RangeError);
  });
});

import { describe, expect, it } from 'vitest';
import { createRng } from '../core/rng.js';
import { createLossModel, lossModelProblems, lossModelTransitions } from './loss-model.js';

/** Loss fraction and mean run length of losses over `n` draws. */
function measure(next: () => boolean, n: number): { fraction: number; meanRun: number } {
  let lost = 0;
  let runs = 0;
  let previous = false;
  for (let i = 0; i < n; i++) {
    const l = next();
    if (l) {
      lost++;
      if (!previous) runs++;
    }
    previous = l;
  }
  return { fraction: lost / n, meanRun: runs === 0 ? 0 : lost / runs };
}

describe('createLossModel', () => {
  it('burst 1 is Bernoulli: the loss fraction matches and runs are as short as chance makes them', () => {
    const n = 200_000;
    const { fraction, meanRun } = measure(createLossModel({ probability: 0.1, burst: 1 }, createRng(1)).next, n);
    // Binomial sd = sqrt(p(1-p)/n) ≈ 0.00067; 5 sd.
    expect(Math.abs(fraction - 0.1)).toBeLessThan(0.0034);
    // Independent losses: mean run = 1/(1-p) ≈ 1.111.
    expect(meanRun).toBeGreaterThan(1.08);
    expect(meanRun).toBeLessThan(1.14);
  });

  it('burst > 1 is Gilbert–Elliott: long-run fraction = probability, mean loss run = burst', () => {
    const n = 400_000;
    const model = createLossModel({ probability: 0.05, burst: 4 }, createRng(2));
    const { fraction, meanRun } = measure(() => model.next(), n);
    expect(Math.abs(fraction - 0.05)).toBeLessThan(0.005);
    expect(Math.abs(meanRun - 4)).toBeLessThan(0.25);
  });

  it('computes the documented transition probabilities', () => {
    expect(lossModelTransitions({ probability: 0.2, burst: 2 })).toEqual({ enterBad: 0.2 / (2 * 0.8), leaveBad: 0.5 });
  });

  it('probability 0 never loses and draws nothing; probability 1 with burst 1 always loses', () => {
    const rng = createRng(3);
    const none = createLossModel({ probability: 0, burst: 1 }, rng);
    for (let i = 0; i < 100; i++) expect(none.next()).toBe(false);
    expect(rng.next()).toBe(createRng(3).next());
    const all = createLossModel({ probability: 1, burst: 1 }, createRng(3));
    for (let i = 0; i < 100; i++) expect(all.next()).toBe(true);
  });

  it('replays the same decisions from the same seed', () => {
    const draw = () => {
      const m = createLossModel({ probability: 0.3, burst: 3 }, createRng(9).fork('x'));
      return Array.from({ length: 500 }, () => m.next());
    };
    expect(draw()).toEqual(draw());
  });

  it('keeps the chain state in the caller record across re-creation', () => {
    const state: Record<string, unknown> = {};
    const rng = createRng(5);
    const first = createLossModel({ probability: 0.5, burst: 50 }, rng, state);
    while (!first.next());
    expect(first.bad).toBe(true);
    const second = createLossModel({ probability: 0.4, burst: 50 }, rng, state);
    expect(second.bad).toBe(true);
  });
});

describe('lossModelProblems', () => {
  it('accepts every probability with burst 1 and up to burst/(1+burst) otherwise', () => {
    expect(lossModelProblems({ probability: 1, burst: 1 })).toEqual([]);
    expect(lossModelProblems({ probability: 2 / 3, burst: 2 })).toEqual([]);
    const [problem] = lossModelProblems({ probability: 0.7, burst: 2 });
    expect(problem?.path).toBe('probability');
    expect(problem?.message).toBe('with burst 2, probability can be at most burst/(1+burst) = 0.6667, got 0.7');
  });
});

import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { createRng, type Rng } from '../core/rng.js';
import { createLossModel } from '../toxics/loss-model.js';
import {
  betaQuantile,
  clopperPearsonInterval,
  erfc,
  gilbertElliottCorrelation,
  gilbertElliottDesignEffect,
  logGamma,
  lossSource,
  normalQuantile,
  proportionInterval,
  regularizedIncompleteBeta,
  survivalDesignEffect,
  wilsonInterval,
} from './statistics.js';

describe('special functions', () => {
  it('match known values', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 12);
    expect(normalQuantile(0.5)).toBeCloseTo(0, 14);
    expect(normalQuantile(0.995)).toBeCloseTo(2.5758293035489, 11);
    expect(normalQuantile(1e-6)).toBeCloseTo(-4.753424308822899, 9);
    expect(erfc(1)).toBeCloseTo(0.157299207050285, 13);
    expect(erfc(-0.5)).toBeCloseTo(1.520499877813047, 13);
    expect(erfc(4)).toBeCloseTo(1.541725790028002e-8, 20);
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 12);
    expect(logGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 12);
    expect(regularizedIncompleteBeta(0.5, 2, 3)).toBeCloseTo(11 / 16, 13);
    expect(regularizedIncompleteBeta(0.3, 1, 1)).toBeCloseTo(0.3, 13);
    expect(regularizedIncompleteBeta(0.7, 2.5, 1)).toBeCloseTo(0.7 ** 2.5, 13);
    expect(regularizedIncompleteBeta(0.999, 500, 3)).toBeCloseTo(1 - regularizedIncompleteBeta(0.001, 3, 500), 12);
  });

  test.prop([fc.double({ min: 0.01, max: 0.99, noNaN: true }), fc.double({ min: 0.2, max: 400, noNaN: true }), fc.double({ min: 0.2, max: 400, noNaN: true })])(
    'betaQuantile inverts the incomplete beta (to within a relative 1e-12 in x: with a shape below 1 the CDF is too steep near 0 or 1 to invert in p)',
    (p, a, b) => {
      const x = betaQuantile(p, a, b);
      const below = regularizedIncompleteBeta(x * (1 - 1e-12), a, b);
      const above = regularizedIncompleteBeta(Math.min(1, x + Math.max(x, 1 - x) * 1e-12), a, b);
      expect(below).toBeLessThanOrEqual(p + 1e-9);
      expect(above).toBeGreaterThanOrEqual(p - 1e-9);
      if (a >= 1 && b >= 1) expect(regularizedIncompleteBeta(x, a, b)).toBeCloseTo(p, 9);
    },
  );
});

describe('intervals', () => {
  it('match published values', () => {
    const w = wilsonInterval(5, 10, 0.95);
    expect(w.low).toBeCloseTo(0.2366, 4);
    expect(w.high).toBeCloseTo(0.7634, 4);
    expect(wilsonInterval(0, 10, 0.95)).toEqual({ low: 0, high: expect.closeTo(0.2775, 4) });
    const cp = clopperPearsonInterval(5, 10, 0.95);
    expect(cp.low).toBeCloseTo(0.1871, 4);
    expect(cp.high).toBeCloseTo(0.8129, 4);
    expect(clopperPearsonInterval(0, 10, 0.95).high).toBeCloseTo(1 - 0.025 ** (1 / 10), 10);
    expect(clopperPearsonInterval(10, 10, 0.95)).toEqual({ low: expect.closeTo(0.025 ** (1 / 10), 10), high: 1 });
    expect(wilsonInterval(0, 0, 0.95)).toEqual({ low: 0, high: 1 });
  });

  it('chooses Clopper-Pearson for small counts and widens with the design effect', () => {
    expect(proportionInterval(3, 1000, 0.95).method).toBe('clopper-pearson');
    expect(proportionInterval(995, 1000, 0.95).method).toBe('clopper-pearson');
    expect(proportionInterval(100, 1000, 0.95).method).toBe('wilson');
    const plain = proportionInterval(100, 1000, 0.95);
    const burst = proportionInterval(100, 1000, 0.95, 4);
    expect(burst.method).toBe('wilson, design effect 4');
    expect(burst.high - burst.low).toBeGreaterThan(1.9 * (plain.high - plain.low));
    expect(proportionInterval(100, 1000, 0.95, 0.5)).toEqual(plain); // never narrower
    const strict = proportionInterval(100, 1000, 0.99);
    expect(strict.low).toBeLessThan(plain.low);
    expect(strict.high).toBeGreaterThan(plain.high);
  });

  /** Exact coverage: Σ_x Binom(x; n, p) · [p ∈ interval(x)]. */
  function exactCoverage(n: number, p: number, interval: (x: number, n: number) => { low: number; high: number }): number {
    let coverage = 0;
    const lnP = Math.log(p);
    const lnQ = Math.log1p(-p);
    for (let x = 0; x <= n; x++) {
      const lnPmf = logGamma(n + 1) - logGamma(x + 1) - logGamma(n - x + 1) + x * lnP + (n - x) * lnQ;
      const { low, high } = interval(x, n);
      if (low <= p && p <= high) coverage += Math.exp(lnPmf);
    }
    return coverage;
  }

  test.prop([fc.integer({ min: 20, max: 600 }), fc.double({ min: 0, max: 1, noNaN: true })], { numRuns: 60, seed: 20240601 })(
    // Wilson's exact coverage oscillates with n and p (Brown, Cai & DasGupta 2001); its dips
    // reach ~0.929 even in the middle, hence ≥ 0.925 rather than ≥ 0.95.
    'Wilson covers ≳ 93% where n·p and n·(1−p) ≥ 10; Clopper–Pearson ≥ 95% everywhere; the hybrid ≳ 93% everywhere',
    (n, u) => {
      const p = 0.001 + 0.998 * u;
      if (n * p >= 10 && n * (1 - p) >= 10) expect(exactCoverage(n, p, (x, k) => wilsonInterval(x, k, 0.95))).toBeGreaterThanOrEqual(0.925);
      expect(exactCoverage(n, p, (x, k) => clopperPearsonInterval(x, k, 0.95))).toBeGreaterThanOrEqual(0.95 - 1e-9);
      expect(exactCoverage(n, p, (x, k) => proportionInterval(x, k, 0.95))).toBeGreaterThanOrEqual(0.925);
    },
  );

  function binomial(rng: Rng, n: number, p: number): number {
    let x = 0;
    for (let i = 0; i < n; i++) if (rng.next() < p) x++;
    return x;
  }

  it('simulated binomials: the 95% intervals contain the true p in ≥ 93% of trials', () => {
    const rng = createRng(7);
    for (const [n, p] of [
      [200, 0.1],
      [1000, 0.02],
      [500, 0.5],
      [100, 0.9],
    ] as const) {
      let wilson = 0;
      let exact = 0;
      const trials = 2000;
      for (let t = 0; t < trials; t++) {
        const x = binomial(rng, n, p);
        const w = proportionInterval(x, n, 0.95);
        const c = clopperPearsonInterval(x, n, 0.95);
        if (w.low <= p && p <= w.high) wilson++;
        if (c.low <= p && p <= c.high) exact++;
      }
      expect(wilson / trials, `wilson/hybrid n=${n} p=${p}`).toBeGreaterThanOrEqual(0.93);
      expect(exact / trials, `clopper-pearson n=${n} p=${p}`).toBeGreaterThanOrEqual(0.93);
    }
  });
});

describe('Gilbert–Elliott design effect', () => {
  it('has the chain correlation 1 − 1/b − p/(b(1−p))', () => {
    expect(gilbertElliottCorrelation(0.1, 1)).toBe(0);
    expect(gilbertElliottCorrelation(0.1, 4)).toBeCloseTo(1 - 0.25 - 0.1 / (4 * 0.9), 14);
    expect(gilbertElliottDesignEffect(0.1, 1)).toBe(1);
    // One source, full toxicity: the product formula reduces to (1+ρ)/(1−ρ).
    expect(survivalDesignEffect([lossSource(0.1, 4)])).toBeCloseTo(gilbertElliottDesignEffect(0.1, 4), 10);
    expect(survivalDesignEffect([lossSource(0.1, 1), lossSource(0.2, 1)])).toBe(1);
    expect(survivalDesignEffect([])).toBe(1);
    expect(survivalDesignEffect([lossSource(1, 1)])).toBe(1);
  });

  /** Variance of the loss ratio over `n` steps, across `runs` independent stationary runs. */
  function simulatedVariance(runs: number, n: number, step: (rng: Rng) => () => boolean, seed: number): { mean: number; variance: number } {
    const root = createRng(seed);
    const ratios: number[] = [];
    for (let r = 0; r < runs; r++) {
      const next = step(root.fork(`run:${r}`));
      for (let i = 0; i < 500; i++) next(); // burn in to the stationary distribution
      let lost = 0;
      for (let i = 0; i < n; i++) if (next()) lost++;
      ratios.push(lost / n);
    }
    const mean = ratios.reduce((a, b) => a + b, 0) / runs;
    const variance = ratios.reduce((a, b) => a + (b - mean) ** 2, 0) / (runs - 1);
    return { mean, variance };
  }

  it.each([
    [0.1, 4],
    [0.05, 10],
    [0.3, 2],
  ])('p=%s burst=%s: the formula matches a simulation of the loss toxic’s chain', (p, burst) => {
    const n = 2000;
    const sim = simulatedVariance(600, n, (rng) => {
      const model = createLossModel({ probability: p, burst }, rng);
      return () => model.next();
    }, 11);
    const predicted = ((p * (1 - p)) / n) * gilbertElliottDesignEffect(p, burst);
    expect(sim.mean).toBeCloseTo(p, 2);
    // 600 runs: the sample variance has a relative standard error of ~6%.
    expect(sim.variance / predicted).toBeGreaterThan(0.8);
    expect(sim.variance / predicted).toBeLessThan(1.25);
    // And the binomial variance alone would be far off.
    expect(sim.variance / ((p * (1 - p)) / n)).toBeGreaterThan(1.5);
  });

  it('matches simulation for a chain thinned by toxicity and for two chains in series (echo)', () => {
    const n = 2000;
    const thinned = simulatedVariance(600, n, (rng) => {
      const model = createLossModel({ probability: 0.2, burst: 5 }, rng.fork('chain'));
      const toxicity = rng.fork('toxicity');
      return () => toxicity.next() < 0.5 && model.next();
    }, 12);
    const source = lossSource(0.2, 5, 0.5);
    const predictedThinned = ((source.mean * (1 - source.mean)) / n) * survivalDesignEffect([source]);
    expect(thinned.variance / predictedThinned).toBeGreaterThan(0.8);
    expect(thinned.variance / predictedThinned).toBeLessThan(1.25);

    const both = simulatedVariance(600, n, (rng) => {
      const up = createLossModel({ probability: 0.1, burst: 4 }, rng.fork('up'));
      const down = createLossModel({ probability: 0.05, burst: 8 }, rng.fork('down'));
      return () => {
        const a = up.next();
        const b = down.next();
        return a || b;
      };
    }, 13);
    const lost = 1 - 0.9 * 0.95;
    const predicted = ((lost * (1 - lost)) / n) * survivalDesignEffect([lossSource(0.1, 4), lossSource(0.05, 8)]);
    expect(both.mean).toBeCloseTo(lost, 2);
    expect(both.variance / predicted).toBeGreaterThan(0.8);
    expect(both.variance / predicted).toBeLessThan(1.25);
  });

  it('a 95% interval with the design effect covers burst loss; without it, it does not', () => {
    const root = createRng(99);
    const p = 0.1;
    const burst = 6;
    const n = 3000;
    const deff = gilbertElliottDesignEffect(p, burst);
    let covered = 0;
    let coveredNaive = 0;
    const runs = 400;
    for (let r = 0; r < runs; r++) {
      const model = createLossModel({ probability: p, burst }, root.fork(`run:${r}`));
      for (let i = 0; i < 500; i++) model.next();
      let lost = 0;
      for (let i = 0; i < n; i++) if (model.next()) lost++;
      const withDeff = proportionInterval(lost, n, 0.95, deff);
      const naive = proportionInterval(lost, n, 0.95);
      if (withDeff.low <= p && p <= withDeff.high) covered++;
      if (naive.low <= p && p <= naive.high) coveredNaive++;
    }
    expect(covered / runs).toBeGreaterThanOrEqual(0.93);
    expect(coveredNaive / runs).toBeLessThan(0.8);
  });
});

/**
 * Statistical properties of the random datagram toxics, over many seeds.
 *
 * Each property checks an observed rate against a Wilson score interval around the configured
 * one. fast-check draws fresh seeds every run, so the interval is wide on purpose: z = 5.3 is a
 * two-sided false-alarm chance of about 1e-7 per check, which keeps the whole file's chance of a
 * spurious failure below 1e-4 per run while still catching any real bias of a few percent.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { ManualClock } from '../../core/manual-clock.js';
import { createRng } from '../../core/rng.js';
import { lossModelTransitions } from '../loss-model.js';
import type { DatagramToxicType } from '../types.js';
import { bandwidth } from './bandwidth.js';
import { corrupt } from './corrupt.js';
import { driveDatagramToxic } from './drive-datagram-toxic.js';
import { duplicate } from './duplicate.js';
import { latency } from './latency.js';
import { limitData } from './limit-data.js';
import { loss } from './loss.js';
import { reorder } from './reorder.js';

const Z = 5.3;

/**
 * Wilson score interval for `successes` out of `n` at normal quantile `z`. Unlike the normal
 * approximation it stays inside [0, 1] and behaves for rates near 0, which loss rates often are.
 */
function wilson(successes: number, n: number, z = Z): [number, number] {
  const p = successes / n;
  const z2 = z * z;
  const denominator = 1 + z2 / n;
  const center = (p + z2 / (2 * n)) / denominator;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denominator;
  return [center - half, center + half];
}

/** Asserts that `expected` lies in the Wilson interval of the observed `successes / n`. */
function expectConsistent(successes: number, n: number, expected: number, what: string): void {
  const [lo, hi] = wilson(successes, n);
  expect(expected, `${what}: observed ${successes}/${n}, interval [${lo.toFixed(4)}, ${hi.toFixed(4)}]`).toBeGreaterThanOrEqual(lo);
  expect(expected, `${what}: observed ${successes}/${n}, interval [${lo.toFixed(4)}, ${hi.toFixed(4)}]`).toBeLessThanOrEqual(hi);
}

const seed = fc.integer({ min: 0, max: 0xffff_ffff });
const probability = fc.double({ min: 0.01, max: 0.6, noNaN: true });

function driver(type: DatagramToxicType, attributes: Record<string, number>, s: number, clock = new ManualClock()) {
  return driveDatagramToxic(type, attributes, { clock, rng: createRng(s).fork(`upstream/${type.type}`) });
}

describe('observed rates match the configured ones (Wilson, z = 5.3)', () => {
  const N = 10_000;

  test.prop([seed, probability], { numRuns: 60 })('loss (independent) drops `probability` of datagrams', (s, p) => {
    const d = driver(loss, { probability: p }, s);
    for (let i = 0; i < N; i++) d.send(1);
    expectConsistent(d.drops.length, N, p, 'loss');
    expect(d.emitted.length + d.drops.length).toBe(N);
  });

  test.prop([seed, probability], { numRuns: 60 })('duplicate sends `probability` of datagrams twice', (s, p) => {
    const d = driver(duplicate, { probability: p }, s);
    for (let i = 0; i < N; i++) d.send(1);
    const extra = d.emitted.length - N;
    expect(extra).toBe(d.counters.duplicated ?? 0);
    expectConsistent(extra, N, p, 'duplicate');
  });

  test.prop([seed, fc.double({ min: 0.01, max: 0.5, noNaN: true })], { numRuns: 40 })(
    'reorder: a receiver sees `probability` of datagrams arrive late when traffic overtakes them',
    async (s, p) => {
      const clock = new ManualClock();
      const d = driver(reorder, { probability: p, delay: 10 }, s, clock);
      // One datagram per ms against a 10 ms hold: a held datagram is overtaken unless the next
      // nine are all held too, so the receiver-side rate is p·(1 − p⁹).
      const n = 1500;
      for (let i = 0; i < n; i++) {
        d.send(1);
        await clock.advance(1);
      }
      let highest = -1;
      let late = 0;
      for (const { index } of d.delivered()) {
        if (index < highest) late++;
        else highest = index;
      }
      expectConsistent(late, n, p * (1 - p ** 9), 'reorder');
      expectConsistent(d.counters.reordered ?? 0, n, p, 'reorder (held)');
    },
  );

  test.prop([seed, fc.double({ min: 0.02, max: 0.2, noNaN: true }), fc.double({ min: 1.5, max: 8, noNaN: true })], { numRuns: 20 })(
    'burst loss: mean loss run ≈ burst and long-run loss ≈ probability',
    (s, p, burst) => {
      const d = driver(loss, { probability: p, burst }, s);
      const n = 50_000;
      let runs = 0;
      let previousLost = false;
      let lost = 0;
      for (let i = 0; i < n; i++) {
        const before = d.drops.length;
        d.send(0);
        const isLost = d.drops.length > before;
        if (isLost) {
          lost++;
          if (!previousLost) runs++;
        }
        previousLost = isLost;
      }
      // Runs are geometric with mean `burst`: variance burst·(burst − 1).
      const meanRun = lost / runs;
      const sd = Math.sqrt((burst * (burst - 1)) / runs);
      expect(Math.abs(meanRun - burst), `mean run ${meanRun} vs burst ${burst} over ${runs} runs`).toBeLessThanOrEqual(Z * sd);
      // Correlated draws: the loss fraction's variance is inflated by (1 + λ)/(1 − λ), λ = 1 − p − r.
      const { enterBad, leaveBad } = lossModelTransitions({ probability: p, burst });
      const lambda = 1 - enterBad - leaveBad;
      const effectiveN = Math.floor((n * (1 - lambda)) / (1 + lambda));
      expectConsistent(Math.round((lost / n) * effectiveN), effectiveN, p, 'burst loss fraction');
    },
  );
});

describe('replay', () => {
  const types: Array<[DatagramToxicType, Record<string, number>]> = [
    [latency, { latency: 20, jitter: 15 }],
    [loss, { probability: 0.3, burst: 3 }],
    [loss, { probability: 0.3 }],
    [reorder, { probability: 0.4, delay: 5 }],
    [duplicate, { probability: 0.4 }],
    [corrupt, { probability: 0.5 }],
    [bandwidth, { rate: 10, queue: 3 }],
    [limitData, { bytes: 2000 }],
  ];

  test.prop([seed, fc.array(fc.tuple(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 5 })), { minLength: 1, maxLength: 200 })])(
    'the same seed and datagram sequence give the same verdict for every datagram',
    async (s, traffic) => {
      const run = async () => {
        const out: unknown[] = [];
        for (const [type, attributes] of types) {
          const clock = new ManualClock();
          const d = driver(type, attributes, s, clock);
          for (const [size, gapMs] of traffic) {
            d.send(Buffer.alloc(size, size & 0xff));
            await clock.advance(gapMs);
          }
          out.push(d.emitted.map((e) => [e.datagram.index, e.atMs, e.datagram.data.toString('hex')]), d.drops, { ...d.counters });
        }
        return out;
      };
      expect(await run()).toEqual(await run());
    },
  );
});

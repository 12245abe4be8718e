/**
 * Run budgets for the property tests over untrusted input (admin API requests, scenario files,
 * results files). In `npm test` each runs a few dozen cases from a fixed seed: the suite stays
 * fast and its outcome the same on every run. `npm run fuzz` sets FAULTLINE_FUZZ_SCALE to run many
 * times more, from a fresh random seed that is printed, so a failure can be replayed with
 * FAULTLINE_FUZZ_SEED=<seed> (and the same scale).
 */
import { resourceUsage } from 'node:process';
import type fc from 'fast-check';

/** The seed of `npm test`. */
const FIXED_SEED = 18;

/** How many times the base run count: 1 in `npm test`. */
function fuzzScale(): number {
  const scale = Number(process.env.FAULTLINE_FUZZ_SCALE ?? 1);
  return Number.isFinite(scale) && scale > 0 ? scale : 1;
}

/** fast-check parameters for the property `name` with `baseRuns` runs at scale 1. */
export function fuzzParameters<T>(name: string, baseRuns: number): fc.Parameters<T> {
  const scale = fuzzScale();
  const given = process.env.FAULTLINE_FUZZ_SEED;
  const seed = given !== undefined ? Number(given) : scale === 1 ? FIXED_SEED : Math.floor(Math.random() * 2 ** 31);
  const numRuns = Math.max(1, Math.round(baseRuns * scale));
  if (scale !== 1 || given !== undefined) process.stdout.write(`fuzz ${name}: seed ${seed}, ${numRuns} runs (replay: FAULTLINE_FUZZ_SEED=${seed} FAULTLINE_FUZZ_SCALE=${scale})\n`);
  // A long run stops at its first failure, unshrunk (the seed replays it); a short one shrinks
  // for at most 20 s, which could otherwise take minutes and look like the hang these tests rule out.
  return scale === 1 ? { seed, numRuns, interruptAfterTimeLimit: 20_000 } : { seed, numRuns, endOnFailure: true };
}

/** In a long run, prints the peak resident memory of this test process (call it in afterAll). */
export function reportPeakMemory(label: string): void {
  if (fuzzScale() === 1 && process.env.FAULTLINE_FUZZ_SEED === undefined) return;
  process.stdout.write(`fuzz ${label}: peak RSS ${(resourceUsage().maxRSS / 1024).toFixed(0)} MiB\n`);
}

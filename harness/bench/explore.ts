/**
 * `faultline explore` benchmarks: is an exploration as fast as the scenarios it runs?
 *
 * - Overhead per run (target ≤ 100 ms): the same scenario (builtin echo, 20 TCP round trips,
 *   one to three `noop` faults, which change nothing on the path) explored for N schedules, against
 *   N runs of it with a `noop` fault through the suite runner, as `faultline run` runs scenarios.
 *   Rounds alternate the two so a noisy neighbour hits both; medians of the per-run wall time are
 *   compared. The exploration's own figure — its wall time per run less the runs' own durations —
 *   goes beside it.
 * - --parallel: runs per minute exploring with two runs at a time against one, on runs that
 *   mostly wait (20 requests paced at 100/s), as runs against a real target do (informative: two
 *   cores, shared with whatever else runs).
 * - The demonstrations (scenarios/explore/, full runs only): runs per minute and the time to the
 *   minimal schedule, with the seeds the end-to-end tests use.
 */
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { systemClock } from '../core/clock.js';
import type { ScenarioExploration } from '../core/exploration.js';
import { exploreScenario } from '../explore/explore-scenario.js';
import { createEmbeddedProxy } from '../proxy/embedded-proxy.js';
import { loadScenarioFile, loadScenarioText } from '../scenario/load.js';
import { runSuite, scenarioSeed } from '../scenario/run-suite.js';
import type { ScenarioSpec } from '../scenario/spec.js';
import type { BenchContext, BenchFigure, BenchSuite, BenchSuiteResult } from './types.js';

const OVERHEAD_TARGET_MS = 100;

const SCENARIO = `
name: explore-bench
timeout: 10s
targets: { echo: { builtin: echo } }
proxies: { path: { protocol: tcp, target: echo } }
workloads: { client: { type: tcp-echo, via: path, messages: 20 } }
faults:
  - { proxy: path, toxic: { type: noop } }
assert: { client: [delivered] }
explore:
  faults: { noop: {} }
  start: 0s..20ms
  duration: 10ms..40ms
`;

/** The seeds the end-to-end tests use (harness/test/e2e-explore-demos.test.ts). */
const DEMOS = [
  { file: 'scenarios/explore/framing-bug.yaml', seed: 1 },
  { file: 'scenarios/explore/retry-budget.yaml', seed: 134 },
];

let workloadIds = 2_000_000;
const deps = (signal = new AbortController().signal) => ({
  clock: systemClock,
  createBackend: (seed: number) => createEmbeddedProxy({ seed }),
  backendKind: 'embedded',
  signal,
  allocateWorkloadId: () => workloadIds++,
});

export const exploreSuite: BenchSuite = {
  name: 'explore',
  async run(ctx: BenchContext): Promise<BenchSuiteResult> {
    const load = loadavg()[0]!;
    const spec = loadScenarioText(SCENARIO, fileURLToPath(new URL('../../scenarios/explore-bench.yaml', import.meta.url)))[0]!;
    const runs = ctx.quick ? 10 : 30;
    const rounds = ctx.quick ? 2 : 5;
    const explored: number[] = [];
    const ran: number[] = [];
    const beyondRuns: number[] = [];
    await explore(spec, 3, 1); // warm-up (JIT)
    for (let round = 0; round < rounds; round++) {
      const e = await explore(spec, runs, 1);
      explored.push(e.durationMs / e.runs);
      beyondRuns.push(e.durationMs / e.runs - e.meanRunMs);
      ran.push(await runAsSuite(spec, runs + 1));
      ctx.log(`round ${round + 1}/${rounds}: explore ${explored.at(-1)!.toFixed(1)} ms/run, run ${ran.at(-1)!.toFixed(1)} ms/run`);
    }
    const overhead = median(explored) - median(ran);
    const figures: BenchFigure[] = [
      {
        name: 'explore overhead per run, vs the same scenario through the suite runner',
        value: overhead,
        unit: 'ms',
        target: `<= ${OVERHEAD_TARGET_MS} ms`,
        met: overhead <= OVERHEAD_TARGET_MS,
        detail: { exploreMsPerRun: median(explored), runMsPerRun: median(ran), runsPerRound: runs + 1, rounds },
      },
      { name: "explore wall time per run beyond the runs' own duration", value: median(beyondRuns), unit: 'ms' },
    ];

    // Runs that mostly wait (paced requests), as runs against a real target do.
    const paced = { ...spec, workloads: spec.workloads.map((w) => ({ ...w, spec: { ...w.spec, rate: 100 } })) } as ScenarioSpec;
    const sequential = await explore(paced, runs, 1);
    const parallel = await explore(paced, runs, 2);
    figures.push({
      name: 'runs per minute exploring with --parallel 2 / --parallel 1',
      value: perMinute(parallel) / perMinute(sequential),
      unit: 'ratio',
      detail: { parallel1: perMinute(sequential), parallel2: perMinute(parallel) },
    });

    if (!ctx.quick) {
      for (const demo of DEMOS) {
        for (const parallelRuns of [1, 2]) {
          const e = await exploreDemo(demo.file, demo.seed, parallelRuns);
          ctx.log(`${demo.file} --parallel ${parallelRuns}: ${e.status}, ${e.runs} runs in ${(e.durationMs / 1000).toFixed(1)} s`);
          figures.push({
            name: `${demo.file} (seed ${demo.seed}, --parallel ${parallelRuns}): runs per minute`,
            value: perMinute(e),
            unit: 'runs/min',
            detail: { status: e.status, runs: e.runs, seconds: e.durationMs / 1000, minimalFaults: e.minimal?.schedule.faults.length ?? 0, shrinkSteps: e.shrinkPath.length - 1 },
          });
        }
      }
    }
    return {
      suite: 'explore',
      figures,
      notes: [`load average ${load.toFixed(2)} before, ${loadavg()[0]!.toFixed(2)} after`, 'an exploration run and a suite run are the same runner on a fresh embedded backend; the difference is the explorer'],
    };
  },
};

async function explore(spec: ScenarioSpec, runs: number, parallel: number): Promise<ScenarioExploration> {
  const { exploration } = await exploreScenario({ spec, seed: 7, runs, confirm: 3, parallel, id: spec.name, file: spec.name, replay: () => '' }, deps());
  if (exploration.status !== 'passed') throw new Error(`the benchmark's exploration did not pass: ${exploration.status}`);
  return exploration;
}

/** Wall ms per scenario through runSuite: the scenario `count` times (as many as the exploration ran). */
async function runAsSuite(spec: ScenarioSpec, count: number): Promise<number> {
  const specs = Array.from({ length: count }, (_, i) => ({ ...spec, name: `${spec.name}-${i}` }));
  const start = systemClock.now();
  const result = await runSuite({ specs, seed: 7, clock: systemClock, signal: new AbortController().signal, createBackend: deps().createBackend, backendKind: 'embedded', command: 'bench', cwd: process.cwd() });
  if (result.summary.passed !== count) throw new Error('the benchmark scenario did not pass through the suite runner');
  return (systemClock.now() - start) / count;
}

async function exploreDemo(file: string, seed: number, parallel: number): Promise<ScenarioExploration> {
  const [spec] = loadScenarioFile(file);
  const { exploration } = await exploreScenario(
    { spec: spec!, seed: scenarioSeed(seed, spec!), confirm: 3, parallel, id: spec!.name, file, replay: () => '' },
    deps(),
  );
  return exploration;
}

function perMinute(e: ScenarioExploration): number {
  return (e.runs * 60_000) / e.durationMs;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

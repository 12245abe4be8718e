/**
 * A `faultline explore` result for the report tests: the sample run of sample-results.ts with an
 * exploration that found and shrank a failure (its minimal run is the sample's failed scenario)
 * and one that passed with flaky candidates. `hostile` puts markup, quotes and control characters
 * into every string an exploration carries.
 */
import type { ExploredFault, ScenarioExploration } from '../../core/exploration.js';
import type { RunResult } from '../../core/result.js';
import { createSampleRun } from './sample-results.js';

const HOSTILE = '<img src=x onerror=alert(1)> & "quotes" \u0007';

export function createExploredRun(options: { hostile?: boolean } = {}): RunResult {
  const run = createSampleRun({ hostile: options.hostile ?? false });
  const shown = run.scenarios.find((s) => s.status === 'failed')!;
  const text = (plain: string) => (options.hostile ? `${plain} ${HOSTILE}` : plain);
  const latency = (ms: number, atMs: number, forMs: number): ExploredFault => ({
    proxy: text('dep'),
    atMs,
    forMs,
    kind: 'toxic',
    toxic: { name: 'latency_upstream', type: 'latency', stream: 'upstream', toxicity: 1, attributes: { latency: ms, jitter: 0 } },
  });
  const down: ExploredFault = { proxy: text('dep'), atMs: 0, forMs: 200, kind: 'down' };
  const found: ScenarioExploration = {
    scenario: text('retry-budget'),
    file: 'scenarios/explore/retry-budget.yaml',
    status: 'failed',
    stoppedBy: 'shrunk',
    seed: 3_061_370_123,
    replay: text('npx faultline explore scenarios/explore/retry-budget.yaml --seed 134 --path 2:1:1'),
    startedAt: '2025-06-01T12:00:00.000Z',
    durationMs: 33_170,
    budget: { runs: 200, timeMs: 180_000 },
    confirm: 3,
    parallel: 2,
    space: ['up to 3 faults, starting at 0ms..300ms (7 values), lasting 200ms..500ms (7 values)', text('dep: down')],
    schedulesTried: 6,
    runs: 44,
    failures: 3,
    meanRunMs: 1020,
    shrinkPath: [
      { step: 0, schedule: { seed: 1, faults: [down, latency(400, 200, 500), { proxy: 'dep', atMs: 100, forMs: 200, kind: 'down' }] }, changes: [text('found by the search: schedule #2')], confirmation: { failed: 3, runs: 3 }, path: '2' },
      { step: 1, schedule: { seed: 1, faults: [down, latency(400, 200, 500)] }, changes: [text('removed F3 (dep down at 100ms for 200ms)')], confirmation: { failed: 3, runs: 3 }, path: '2:1' },
      { step: 2, schedule: { seed: 1, faults: [down, latency(200, 0, 400)] }, changes: ['F2 starts at 200ms → 0ms', 'F2 latency latency 400 → 200'], confirmation: { failed: 3, runs: 3 }, path: '2:1:1' },
    ],
    shrinkComplete: true,
    minimal: { schedule: { seed: 1, faults: [down, latency(200, 0, 400)] }, path: '2:1:1', file: 'reports/explore/retry-budget.min.yaml', scenarioId: shown.id },
    flaky: [{ phase: 'shrink', schedule: { seed: 1, faults: [latency(100, 0, 400)] }, confirmation: { failed: 1, runs: 3 } }],
    notes: [text('a note')],
  };
  const passed: ScenarioExploration = {
    ...found,
    scenario: 'always-passes',
    file: 'scenarios/explore/always-passes.yaml',
    status: 'passed',
    stoppedBy: 'runs',
    replay: 'npx faultline explore scenarios/explore/always-passes.yaml --seed 134',
    schedulesTried: 200,
    runs: 201,
    failures: 0,
    shrinkPath: [],
    shrinkComplete: false,
    flaky: [],
    notes: [],
  };
  delete passed.minimal;
  return { ...run, explorations: [found, passed] };
}

/** A flaky candidate on a wire path, and an exploration skipped where the wire layer is missing. */
export function wireExplorations(): { flaky: ScenarioExploration; skipped: ScenarioExploration } {
  const [, passed] = createExploredRun().explorations!;
  const mtu: ExploredFault = {
    proxy: 'net',
    layer: 'wire',
    atMs: 0,
    forMs: 200,
    kind: 'toxic',
    toxic: { name: 'mtu_downstream', type: 'mtu', stream: 'downstream', toxicity: 1, attributes: { mtu: 1200 } },
  };
  const flaky: ScenarioExploration = { ...passed!, scenario: 'wire-echo', flaky: [{ phase: 'search', schedule: { seed: 7, faults: [mtu] }, confirmation: { failed: 2, runs: 3 } }] };
  const skipped: ScenarioExploration = {
    ...passed!,
    scenario: 'wire-echo',
    status: 'skipped',
    stoppedBy: 'unavailable',
    durationMs: 0,
    schedulesTried: 0,
    runs: 0,
    meanRunMs: 0,
    reason: 'the wire layer is unavailable here: creating network namespaces needs CAP_NET_ADMIN and CAP_SYS_ADMIN',
  };
  return { flaky, skipped };
}

/**
 * The explorer on real loopback sockets, the embedded proxy and the normal runner, with
 * scenarios whose outcome is a plain function of the schedule (a latency toxic on for the whole
 * run puts a floor under every round trip), so that search and shrinking can be compared run to
 * run: same seed, same path, same minimal schedule.
 */
import { describe, expect, it } from 'vitest';
import { systemClock } from '../core/clock.js';
import type { ExploreProgress } from '../core/exploration.js';
import { createEmbeddedProxy } from '../proxy/embedded-proxy.js';
import { exploreScenario, type ExploreInput } from './explore-scenario.js';
import { loadOne } from './testing/explore-scenarios.js';

/** Fails when the latency on the path adds up to 50 ms or more: every round trip is then ≥ 50 ms. */
const LATENCY_FLOOR = `
name: latency-floor
timeout: 10s
targets: { echo: { builtin: echo } }
proxies: { path: { protocol: tcp, target: echo } }
workloads: { client: { type: tcp-echo, via: path, messages: 3 } }
assert:
  client: [rtt_ms min < 50ms]
explore:
  faults: { latency: { latency: 0..100, jitter: 0 }, bandwidth: { rate: 1000..10000 } }
  max_faults: 3
  start: 0s
  duration: 3s
`;

let workloadIds = 1;
function explore(text: string, overrides: Partial<ExploreInput> = {}, signal = new AbortController().signal, onProgress?: (p: ExploreProgress) => void) {
  const spec = loadOne(text);
  return exploreScenario(
    { spec, seed: 5, confirm: 1, parallel: 1, runs: 40, id: `x#${spec.name}`, file: 'x.yaml', replay: (path) => `replay ${path ?? ''}`, ...overrides },
    {
      clock: systemClock,
      createBackend: (seed) => createEmbeddedProxy({ seed }),
      backendKind: 'embedded',
      signal,
      allocateWorkloadId: () => workloadIds++,
      ...(onProgress ? { observer: { onProgress } } : {}),
    },
  );
}

describe('exploreScenario', () => {
  it('finds and shrinks the same minimal schedule for the same seed, whatever --parallel; --path replays it', { timeout: 120_000 }, async () => {
    const first = (await explore(LATENCY_FLOOR)).exploration;
    expect(first.status).toBe('failed');
    expect(first.shrinkComplete).toBe(true);
    const minimal = first.minimal!;
    // The mildest failing schedule: one latency of 50 ms, on the first stream.
    expect(minimal.schedule.faults).toMatchObject([{ kind: 'toxic', toxic: { type: 'latency', stream: 'upstream', attributes: { latency: 50 } } }]);
    expect(first.shrinkPath.length).toBeGreaterThan(1);
    expect(first.shrinkPath.map((s) => s.step)).toEqual(first.shrinkPath.map((_, i) => i));
    expect(minimal.path).toBe(first.shrinkPath.at(-1)!.path);
    expect(minimal.path.startsWith(`${first.shrinkPath[0]!.path}:`)).toBe(true);
    expect(first.replay).toBe(`replay ${minimal.path}`);

    const again = (await explore(LATENCY_FLOOR, { parallel: 2 })).exploration;
    expect(again.shrinkPath.map((s) => [s.schedule, s.changes, s.path])).toEqual(first.shrinkPath.map((s) => [s.schedule, s.changes, s.path]));

    const replayed = (await explore(LATENCY_FLOOR, { path: minimal.path })).exploration;
    expect(replayed.status).toBe('failed');
    expect(replayed.schedulesTried).toBe(0);
    expect(replayed.shrinkPath).toHaveLength(1);
    expect(replayed.minimal).toEqual(minimal);
  });

  it('passes when the budget runs out without a failure, with live progress', { timeout: 60_000 }, async () => {
    const harmless = LATENCY_FLOOR.replace('latency: 0..100', 'latency: 0..20');
    const progress: ExploreProgress[] = [];
    const { exploration, shown } = await explore(harmless, { runs: 6 }, undefined, (p) => progress.push(p));
    expect(exploration).toMatchObject({ status: 'passed', stoppedBy: 'runs', schedulesTried: 6, runs: 7, failures: 0, shrinkPath: [] });
    expect(exploration.minimal).toBeUndefined();
    expect(shown?.status).toBe('passed');
    expect(progress.map((p) => p.phase)).toContain('search');
    expect(progress.at(-1)).toMatchObject({ schedulesTried: 6, budget: 6, runs: 7 });
  });

  it('stops with the error, not a finding, when the target cannot start', { timeout: 30_000 }, async () => {
    const broken = LATENCY_FLOOR.replace('echo: { builtin: echo }', 'echo: { command: "python3 -c \\"import sys; sys.exit(3)\\"", tcp: auto }');
    const { exploration } = await explore(broken);
    expect(exploration).toMatchObject({ status: 'errored', stoppedBy: 'error', runs: 1, failures: 0, error: { code: 'TARGET_FAILED' } });
    expect(exploration.minimal).toBeUndefined();
  });

  it('ends at once when interrupted, keeping what it has', { timeout: 30_000 }, async () => {
    const interrupt = new AbortController();
    const { exploration } = await explore(LATENCY_FLOOR.replace('messages: 3', 'messages: 200'), { runs: 1000 }, interrupt.signal, (p) => {
      if (p.runs === 2) interrupt.abort();
    });
    expect(exploration).toMatchObject({ status: 'interrupted', stoppedBy: 'interrupt' });
    expect(exploration.runs).toBeLessThanOrEqual(3);
  });
});

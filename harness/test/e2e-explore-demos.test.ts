/**
 * The demonstrations of scenarios/explore/, end to end through the built CLI: explore finds real
 * bugs among faults nobody pointed at them, shrinks each to its minimal schedule, and the minimal
 * scenario file it writes fails again under `faultline run`.
 *
 *   framing-bug.yaml   a server that takes one recv() for one message, under latency, bandwidth,
 *                      slicer and reset: the minimal schedule is one upstream slicer
 *   retry-budget.yaml  a gateway whose reconnect handshake spends a retry budget: the minimal
 *                      schedule is its upstream down, and a latency spike over the moment it is back
 *
 * Each runs with a fixed seed, so the search draws the same schedules every time (which ones fail
 * is the real system's answer), with two runs at a time, and a time budget that bounds the test.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScenarioExploration } from '../core/exploration.js';
import { faultline, readResults, requireBuild, scratchDir } from './e2e-cli.js';

let scratch: ReturnType<typeof scratchDir>;
beforeAll(() => {
  requireBuild();
  scratch = scratchDir('e2e-explore-demos');
});
afterAll(() => scratch.remove());

async function explore(file: string, seed: number, out: string): Promise<ScenarioExploration> {
  const run = await faultline(['explore', file, '--seed', String(seed), '--parallel', '2', '--time', '100s', '--out', out], { timeoutMs: 150_000 });
  expect(run.code, run.stdout + run.stderr).toBe(1);
  expect(run.stdout).toContain('✘ failure found by the search');
  const [exploration] = readResults(out).explorations!;
  expect(exploration).toMatchObject({ status: 'failed', stoppedBy: 'shrunk', shrinkComplete: true });
  // Every step of the shrink path failed in all three confirmation runs, and got smaller.
  for (const step of exploration!.shrinkPath) expect(step.confirmation).toEqual({ failed: 3, runs: 3 });
  expect(exploration!.shrinkPath.length).toBeGreaterThan(1);
  return exploration!;
}

describe('faultline explore: the demonstrations', () => {
  it('framing bug: shrinks to a single upstream slicer, and the minimal file fails the same way', { timeout: 200_000 }, async () => {
    const out = join(scratch.path, 'framing');
    const exploration = await explore('scenarios/explore/framing-bug.yaml', 1, out);
    const [fault, ...others] = exploration.minimal!.schedule.faults;
    expect(others).toEqual([]);
    expect(fault).toMatchObject({ proxy: 'path', kind: 'toxic', toxic: { type: 'slicer', stream: 'upstream' } });
    // Pieces smaller than the 8- and 10-byte messages: the largest on the grid that still cuts them.
    expect(fault!.kind === 'toxic' && fault!.toxic.attributes.average_size).toBe(5);

    const minimalFile = join(out, 'explore-framing-bug.min.yaml');
    expect(exploration.minimal!.file).toBe(minimalFile);
    expect(readFileSync(minimalFile, 'utf8')).toContain(`path ${exploration.minimal!.path}`);
    const rerun = await faultline(['run', minimalFile, '--out', join(out, 'rerun'), '--reporter', 'json'], { cwd: scratch.path });
    expect(rerun.code, rerun.stdout + rerun.stderr).toBe(1);
    // Run from another folder, the file still finds the server (its cwd was re-anchored): the
    // scenario fails on the same assertion, it does not error.
    const [again] = readResults(join(out, 'rerun')).scenarios;
    expect(again).toMatchObject({ name: 'explore-framing-bug-min', status: 'failed' });
    expect(again!.assertions.filter((a) => a.status === 'failed').map((a) => a.source)).toEqual(['responses_mismatched_total == 0']);
  });

  it('retry budget: shrinks to the outage and the latency spike over its end, nothing else', { timeout: 200_000 }, async () => {
    const out = join(scratch.path, 'retry');
    const exploration = await explore('scenarios/explore/retry-budget.yaml', 134, out);
    expect(exploration.shrinkPath[0]!.schedule.faults.length).toBeGreaterThan(2); // found among distractors
    const faults = exploration.minimal!.schedule.faults;
    expect(faults.map((f) => (f.kind === 'down' ? 'down' : f.toxic.type)).sort()).toEqual(['down', 'latency']);
    const down = faults.find((f) => f.kind === 'down')!;
    const latency = faults.find((f) => f.kind === 'toxic')!;
    expect(down.proxy).toBe('dep');
    expect(latency.proxy).toBe('dep');
    // The spike is on when the outage ends, and slower than the 150 ms handshake allows.
    const outageEnds = down.atMs + down.forMs;
    expect(latency.atMs).toBeLessThanOrEqual(outageEnds);
    expect(latency.atMs + latency.forMs).toBeGreaterThan(outageEnds + 150);
    expect(latency.kind === 'toxic' && latency.toxic.attributes.latency).toBeGreaterThanOrEqual(150);
    expect(exploration.shrinkPath.flatMap((s) => s.changes).some((c) => c.startsWith('removed'))).toBe(true);

    const rerun = await faultline(['run', exploration.minimal!.file!, '--out', join(out, 'rerun'), '--reporter', 'json']);
    expect(rerun.code, rerun.stdout + rerun.stderr).toBe(1);
  });
});

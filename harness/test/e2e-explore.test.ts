/**
 * `faultline explore` end to end, the built CLI as a child process: its exit codes (0 the budget
 * ran out without a failure · 2 invalid input · 3 a target that cannot start, not a finding ·
 * 130 interrupted, partial report written) and what it writes. The demonstrations, where it finds
 * and shrinks real bugs, are in e2e-explore-demos.test.ts.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { faultline, isAlive, readResults, requireBuild, scratchDir, SERVERS, sleep, startFaultline, writeScenario } from './e2e-cli.js';

let scratch: ReturnType<typeof scratchDir>;
beforeAll(() => {
  requireBuild();
  scratch = scratchDir('e2e-explore');
});
afterAll(() => scratch.remove());

/** Delivery over TCP holds under any latency and bandwidth limit: nothing to find. */
const ALWAYS_PASSES = `
name: always-passes
timeout: 10s
targets: { echo: { builtin: echo } }
proxies: { path: { protocol: tcp, target: echo } }
workloads: { client: { type: tcp-echo, via: path, messages: 5 } }
assert: { client: [delivered, in_order] }
explore:
  faults: { latency: { latency: 0..20 }, bandwidth: { rate: 100..1000 } }
  start: 0s..50ms
  duration: 20ms..100ms
`;

describe('faultline explore', () => {
  it('exits 0 when the budget runs out without a failure, and writes the exploration', { timeout: 60_000 }, async () => {
    const file = writeScenario(scratch.path, 'pass.yaml', ALWAYS_PASSES);
    const out = join(scratch.path, 'out-pass');
    const run = await faultline(['explore', file, '--runs', '5', '--seed', '4', '--out', out]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain('▶ explore always-passes');
    expect(run.stdout).toMatch(/✔ PASSED always-passes: no schedule failed in 5 of 5/);

    const result = readResults(out);
    expect(result.explorations).toHaveLength(1);
    expect(result.explorations![0]).toMatchObject({ scenario: 'always-passes', status: 'passed', stoppedBy: 'runs', schedulesTried: 5, runs: 6, failures: 0, confirm: 3 });
    expect(result.explorations![0]!.replay).toBe(`npx faultline explore ${file} --grep ^always-passes$ --seed 4`);
    // The baseline run is the one shown, and no minimal file is written.
    expect(result.scenarios.map((s) => [s.name, s.status])).toEqual([['always-passes', 'passed']]);
    expect(readdirSync(out).sort()).toEqual(['index.html', 'results.json']);
    expect(readFileSync(join(out, 'index.html'), 'utf8')).toContain('explore always-passes');
  });

  it('exits 3 when a target cannot start: an environment problem, not a finding', { timeout: 60_000 }, async () => {
    const file = writeScenario(scratch.path, 'broken.yaml', ALWAYS_PASSES.replace('echo: { builtin: echo }', `echo: { command: [python3, ${JSON.stringify(join(SERVERS, 'target-fixture-server.py'))}, --exit, '4'], tcp: auto }`));
    const out = join(scratch.path, 'out-broken');
    const run = await faultline(['explore', file, '--seed', '1', '--out', out]);
    expect(run.code, run.stdout + run.stderr).toBe(3);
    expect(run.stdout).toContain('⚠ ERRORED always-passes: [TARGET_FAILED]');
    expect(run.stdout).toContain('not a finding');
    const [exploration] = readResults(out).explorations!;
    expect(exploration).toMatchObject({ status: 'errored', runs: 1, failures: 0, error: { code: 'TARGET_FAILED' } });
    expect(readdirSync(out).some((f) => f.endsWith('.min.yaml'))).toBe(false);
  });

  it('reports a schedule that fails only in some of its runs as flaky, not as a finding (exit 0)', { timeout: 60_000 }, async () => {
    // The server answers wrongly in its 2nd and 4th starts: the baseline (1st) passes, schedule #0
    // fails (2nd), and of its confirmation runs the 3rd passes and the 4th fails; #1 and #2 pass.
    const state = join(scratch.path, 'flaky.state');
    const file = writeScenario(
      scratch.path,
      'flaky.yaml',
      `
name: flaky
timeout: 10s
targets:
  app: { command: [python3, ${JSON.stringify(join(SERVERS, 'flaky-line-echo.py'))}, --port, '{tcp_port}', --state-file, ${JSON.stringify(state)}, --fail-runs, '2,4'], tcp: auto }
proxies: { path: { protocol: tcp, target: app } }
workloads: { client: { type: tcp-raw, via: path, repeat: 3, requests: [{ send: "ping\\n", expect: "ping\\n" }] } }
assert: { client: [responses_mismatched_total == 0] }
explore: { faults: { latency: { latency: 0..5 } }, duration: 10ms..50ms }
`,
    );
    const out = join(scratch.path, 'out-flaky');
    const run = await faultline(['explore', file, '--runs', '3', '--seed', '5', '--out', out]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain('~ flaky 2 of 3 runs failed, not a finding: latency');
    expect(run.stdout).toMatch(/✔ PASSED flaky: no schedule failed in 3 of 3 .* · 1 flaky candidate \(not findings\)/);
    const [exploration] = readResults(out).explorations!;
    expect(exploration).toMatchObject({ status: 'passed', runs: 6, failures: 0, flaky: [{ phase: 'search', confirmation: { failed: 2, runs: 3 } }] });
    expect(readFileSync(state, 'utf8')).toBe('6');
  });

  it('exits 2 for invalid input before running anything', { timeout: 60_000 }, async () => {
    const file = writeScenario(scratch.path, 'pass2.yaml', ALWAYS_PASSES.replace('always-passes', 'pass-two'));
    const noProxy = writeScenario(scratch.path, 'no-proxy.yaml', 'name: no-proxy\ntargets: { echo: { builtin: echo } }\nworkloads: { w: { type: tcp-echo, target: echo } }\n');
    const bad = writeScenario(scratch.path, 'bad.yaml', ALWAYS_PASSES.replace('name: always-passes', 'name: bad').replace('latency: 0..20', 'latency: 20..0'));
    for (const [args, message] of [
      [['explore', file, '--path', '3:1'], '--path replays an exploration only with the seed it ran with'],
      [['explore', file, '--seed', '1', '--path', '3;1'], "--path: expected fast-check's path"],
      [['explore', file, '--confirm', '0'], '--confirm: expected an integer from 1 to 1000'],
      [['explore', noProxy], 'scenario "no-proxy" has nothing to explore'],
      [['explore', bad], 'the range 20..0 goes down'],
    ] as const) {
      const run = await faultline([...args, '--out', join(scratch.path, 'out-invalid')]);
      expect(run.code, run.stdout + run.stderr).toBe(2);
      expect(run.stdout + run.stderr).toContain(message);
    }
    expect(existsSync(join(scratch.path, 'out-invalid'))).toBe(false);
  });

  it('exits 130 on SIGINT, writes the partial exploration, and leaves no process behind', { timeout: 60_000 }, async () => {
    const pidFile = join(scratch.path, 'explore.pids');
    const file = writeScenario(
      scratch.path,
      'slow.yaml',
      ALWAYS_PASSES.replace('name: always-passes', 'name: slow')
        .replace('echo: { builtin: echo }', `echo: { command: [python3, ${JSON.stringify(join(SERVERS, 'target-fixture-server.py'))}, --port, '{tcp_port}', --spawn-child, --pid-file, ${JSON.stringify(pidFile)}], tcp: auto }`)
        .replace('messages: 5', 'duration: 1s, rate: 50/s'),
    );
    const out = join(scratch.path, 'out-interrupted');
    const cli = startFaultline(['explore', file, '--seed', '2', '--out', out, '--runs', '1000']);
    for (const started = Date.now(); !existsSync(pidFile) && Date.now() - started < 20_000; ) await sleep(20);
    await sleep(1500);
    cli.child.kill('SIGINT');
    const run = await cli.done;

    expect(run.code, run.stdout + run.stderr).toBe(130);
    expect(run.stdout).toContain('■ INTERRUPTED slow');
    const result = readResults(out);
    expect(result.run.interrupted).toBe(true);
    expect(result.explorations![0]).toMatchObject({ scenario: 'slow', status: 'interrupted', stoppedBy: 'interrupt' });
    expect(existsSync(join(out, 'index.html'))).toBe(true);
    const pids = readFileSync(pidFile, 'utf8').trim().split('\n').map(Number);
    expect(pids.filter(isAlive)).toEqual([]);
  });
});

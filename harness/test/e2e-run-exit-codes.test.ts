/**
 * `faultline run` end to end: the built CLI as a child process on tiny scenario files, checking
 * its exit codes (0 passed · 1 failed · 2 invalid input · 3 environment · 130 interrupted), the
 * artifacts it writes, and that an interrupt leaves no process or port behind.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { faultline, isAlive, PASSING, readResults, requireBuild, scratchDir, SERVERS, startLongRun, stillListening, writeScenario } from './e2e-cli.js';
import { errorOf } from './scenario-results.js';

let scratch: ReturnType<typeof scratchDir>;
beforeAll(() => {
  requireBuild();
  scratch = scratchDir('e2e-run');
});
afterAll(() => scratch.remove());


describe('faultline run: exit codes and artifacts', () => {
  it('exits 0 on a passing scenario and writes results.json, junit.xml and index.html', async () => {
    const file = writeScenario(scratch.path, 'pass.yaml', PASSING);
    const out = join(scratch.path, 'out-pass');
    const run = await faultline(['run', file, '--out', out, '--seed', '3']);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain('tiny-pass');
    expect(run.stdout).toContain('seed 3');

    const result = readResults(out);
    expect(result.run.seed).toBe(3);
    expect(result.summary).toMatchObject({ total: 1, passed: 1, failed: 0, errored: 0 });
    const [scenario] = result.scenarios;
    expect(scenario).toMatchObject({ name: 'tiny-pass', status: 'passed', outcome: 'passed', expect: 'pass' });
    expect(scenario!.workloads.map((w) => w.name).sort()).toEqual(['tcp', 'udp']);
    expect(scenario!.assertions.every((a) => a.status === 'passed')).toBe(true);
    expect(scenario!.comparison?.map((row) => row.workload)).toEqual(['tcp', 'udp']);
    expect(scenario!.replay).toContain('--seed 3');

    const junit = new XMLParser({ ignoreAttributes: false }).parse(readFileSync(join(out, 'junit.xml'), 'utf8'));
    expect(junit.testsuites['@_failures']).toBe('0');
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    expect(html).toMatch(/^<!doctype html>/i);
    expect(html).toContain('tiny-pass');
  });

  it('applies faults due at 0 s before the first message: a latency toxic delays every datagram', async () => {
    // Before the runner applied t=0 faults ahead of the traffic, the latency toxic (behind four
    // others) came too late for the first datagrams, which arrived in under a millisecond.
    const file = writeScenario(
      scratch.path,
      'latency-from-zero.yaml',
      `
name: latency-from-zero
targets: { sink: { builtin: sink } }
proxies:
  path: { protocol: udp, target: sink }
  other: { protocol: udp, target: sink }
workloads: { stream: { type: udp-stream, via: path, messages: 100, rate: 1000/s, timeout: 500ms } }
faults:
  - { proxy: other, toxic: { name: a, type: noop } }
  - { proxy: other, toxic: { name: b, type: noop } }
  - { proxy: other, toxic: { name: c, type: noop } }
  - { proxy: other, toxic: { name: d, type: noop } }
  - { proxy: path, toxic: { type: latency, stream: upstream, attributes: { latency: 15 } } }
assert:
  stream: [one_way_delay_ms count == 100, one_way_delay_ms min >= 15ms]
`,
    );
    const out = join(scratch.path, 'out-latency');
    const run = await faultline(['run', file, '--out', out, '--seed', '1', '--reporter', 'json']);
    const [scenario] = readResults(out).scenarios;
    expect(run.code, JSON.stringify(scenario!.assertions)).toBe(0);
    expect(scenario!.faults.every((f) => f.appliedAtMs! <= scenario!.workloads[0]!.startedAtMs)).toBe(true);
  });

  it('exits 1 when an assertion fails, and says which', async () => {
    const file = writeScenario(
      scratch.path,
      'fail.yaml',
      `
name: tiny-fail
targets: { echo: { builtin: echo } }
workloads: { ping: { type: tcp-echo, target: echo, messages: 10 } }
assert: { ping: ['errors >= 1'] }
`,
    );
    const out = join(scratch.path, 'out-fail');
    const run = await faultline(['run', file, '--out', out]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('errors >= 1');
    const [scenario] = readResults(out).scenarios;
    expect(scenario).toMatchObject({ status: 'failed', outcome: 'failed' });
    expect(scenario!.assertions[0]).toMatchObject({ status: 'failed', source: 'errors >= 1' });
  });

  it('exits 0 when an expect: fail scenario fails its assertion', async () => {
    const file = writeScenario(
      scratch.path,
      'expected-fail.yaml',
      `
name: tiny-expected-fail
expect: fail
targets: { echo: { builtin: echo } }
workloads: { ping: { type: tcp-echo, target: echo, messages: 10 } }
assert: { ping: ['errors >= 1'] }
`,
    );
    const out = join(scratch.path, 'out-expected-fail');
    const run = await faultline(['run', file, '--out', out]);
    expect(run.code, run.stdout).toBe(0);
    expect(readResults(out).scenarios[0]).toMatchObject({ status: 'passed', outcome: 'failed', expect: 'fail' });
  });

  it('exits 1 when an expect: fail scenario has a check that could not be judged (not the failure it demonstrates)', async () => {
    // Every request is lost, so rtt_ms has no samples: the check is an error, not a failure.
    const file = writeScenario(
      scratch.path,
      'expected-fail-unjudged.yaml',
      `
name: tiny-expected-fail-unjudged
expect: fail
targets: { echo: { builtin: echo } }
proxies: { path: { protocol: udp, target: echo } }
workloads: { ping: { type: udp-echo, via: path, messages: 5, rate: 1000/s, timeout: 100ms } }
faults:
  - { proxy: path, toxic: { type: loss, stream: upstream, attributes: { probability: 1 } } }
assert: { ping: ['rtt_ms p(99) < 1ms'] }
`,
    );
    const out = join(scratch.path, 'out-unjudged');
    const run = await faultline(['run', file, '--out', out]);
    expect(run.code, run.stdout).toBe(1);
    const [scenario] = readResults(out).scenarios;
    expect(scenario).toMatchObject({ status: 'failed', expect: 'fail' });
    expect(scenario!.assertions[0]!.status).toBe('error');
    expect(scenario!.notes.join('\n')).toContain('could not be judged');
  });

  it('exits 2 with file:line:col on an invalid scenario file, before running anything', async () => {
    const file = writeScenario(
      scratch.path,
      'invalid.yaml',
      `name: tiny-invalid
targets: { echo: { builtin: echo } }
workloads:
  ping: { type: udp-echo, target: eho }
`,
    );
    const out = join(scratch.path, 'out-invalid');
    const run = await faultline(['run', file, '--out', out]);
    expect(run.code).toBe(2);
    expect(run.stdout + run.stderr).toMatch(/invalid\.yaml:4:\d+: workloads\.ping\.target: unknown target "eho"/);
    expect(existsSync(join(out, 'results.json'))).toBe(false);
  });

  it('exits 2 on a bad --seed', async () => {
    const run = await faultline(['run', writeScenario(scratch.path, 'seeded.yaml', PASSING.replace('tiny-pass', 'seeded')), '--seed', 'abc', '--out', join(scratch.path, 'out-seed')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--seed: expected an integer from 0 to 4294967295, got "abc"');
  });

  it('exits 3 when a command target cannot start, with its last output — also under expect: fail', async () => {
    // A scenario that could not run demonstrates nothing: expect: fail does not turn it green.
    const file = writeScenario(
      scratch.path,
      'no-start.yaml',
      `
name: tiny-no-start
expect: fail
targets:
  app: { command: [python3, ${JSON.stringify(join(SERVERS, 'target-fixture-server.py'))}, --exit, '4'], tcp: auto }
workloads: { ping: { type: tcp-echo, target: app, messages: 1 } }
`,
    );
    const out = join(scratch.path, 'out-no-start');
    const run = await faultline(['run', file, '--out', out]);
    expect(run.code, run.stdout + run.stderr).toBe(3);
    const [scenario] = readResults(out).scenarios;
    expect(scenario!.status).toBe('errored');
    expect(errorOf(scenario).code).toBe('TARGET_FAILED');
    expect(JSON.stringify(errorOf(scenario))).toContain('cannot read config file');
  });
});

describe('faultline run: interrupted', () => {
  it('exits 130 on SIGINT mid-run, writes a partial result, and leaves no process or port behind', async () => {
    // The target writes its pids, then listens; the run is in its traffic phase soon after the
    // port accepts. Interrupt well inside the 30 s workload.
    const { cli, port, pids, out } = await startLongRun(scratch.path, 'tiny-long', { seed: '9', settleMs: 1000 });
    cli.child.kill('SIGINT');
    const run = await cli.done;

    expect(run.code, run.stdout + run.stderr).toBe(130);
    const result = readResults(out);
    expect(result.run.interrupted).toBe(true);
    const [scenario] = result.scenarios;
    expect(scenario!.status).toBe('interrupted');
    // It was interrupted while traffic flowed: the workload reports what it measured until then.
    expect(scenario!.workloads).toHaveLength(1);
    expect(scenario!.workloads[0]!.notes?.join(' ')).toContain('stopped early');

    expect(pids.filter(isAlive)).toEqual([]);
    expect(await stillListening(port)).toBe(false);
  });
});

/**
 * run(): scenarios written in code and scenario files, through the real runner on loopback
 * sockets; the same selection and validation as `faultline run`, errors as FaultlineErrors.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFaultlineServer, type FaultlineServer } from '../admin/testing/faultline-server.js';
import { failure } from '../core/testing/failure.js';
import { scratchDir, writeScenario } from '../test/e2e-cli.js';
import { readResults, renderReport, writeReports } from './reports.js';
import { run } from './run.js';
import type { Scenario } from './scenario-types.js';

const LATENCY: Scenario = {
  name: 'in-code-latency',
  tags: ['code'],
  timeout: '10s',
  targets: { echo: { builtin: 'echo' } },
  proxies: { path: { protocol: 'tcp', target: 'echo' } },
  workloads: { client: { type: 'tcp-echo', via: 'path', messages: 5 } },
  faults: [{ proxy: 'path', toxic: { type: 'latency', attributes: { latency: 20 } } }],
  assert: { client: ['delivered', 'rtt_ms p(50) >= 20ms'] },
};

let scratch: ReturnType<typeof scratchDir>;
beforeAll(() => {
  scratch = scratchDir('api-run');
});
afterAll(() => scratch.remove());

describe('run', () => {
  it('runs a scenario written in code and resolves to the RunResult results.json holds', async () => {
    const result = await run(LATENCY, { seed: 3 });
    expect(result.schemaVersion).toBe(2);
    expect(result.run).toMatchObject({ seed: 3, backend: 'embedded' });
    expect(result.summary).toMatchObject({ total: 1, passed: 1 });
    const [scenario] = result.scenarios;
    expect(scenario).toMatchObject({ id: 'in-code-latency', name: 'in-code-latency', status: 'passed', tags: ['code'] });
    expect(scenario!.file).toBeUndefined();
    expect(scenario!.replay).toBe('run(<the scenario "in-code-latency">, {"seed":3})');
    expect(scenario!.workloads[0]!.histograms.rtt_ms!.p50).toBeGreaterThanOrEqual(20);

    // Its reports render without a file, and results.json reads back to the same result.
    const dir = join(scratch.path, 'in-code-reports');
    const files = await writeReports(result, { dir, formats: ['json', 'junit', 'html', 'markdown'] });
    expect(Object.keys(files).sort()).toEqual(['html', 'json', 'junit', 'markdown']);
    expect(await readResults(dir)).toEqual(result);
    expect(renderReport(result, 'junit')).toContain('<testcase name="in-code-latency" classname="faultline"');
    expect(renderReport(result, 'console')).toContain('1 scenario: 1 passed');
  });

  it('runs files and in-code scenarios together, selected by grep, tags and shard as the CLI selects', async () => {
    const file = writeScenario(
      scratch.path,
      'from-file.yaml',
      `
name: from-file
tags: [file]
timeout: 10s
targets: { echo: { builtin: echo } }
workloads: { ping: { type: udp-echo, target: echo, messages: 5 } }
`,
    );
    const both = await run([file, LATENCY], { seed: 1, cwd: scratch.path, tags: ['file', 'code'] });
    expect(both.scenarios.map((s) => [s.id, s.status])).toEqual([
      ['from-file.yaml#from-file', 'passed'],
      ['in-code-latency', 'passed'],
    ]);
    expect(both.scenarios[0]!.replay).toBe('npx faultline run from-file.yaml --grep ^from-file$ --seed 1');

    const grepped = await run([file, LATENCY], { cwd: scratch.path, grep: /^from/ });
    expect(grepped.scenarios.map((s) => s.name)).toEqual(['from-file']);
    const shards = await Promise.all(['1/2', '2/2'].map((shard) => run([file, LATENCY], { cwd: scratch.path, shard })));
    expect(shards.map((r) => r.scenarios.length)).toEqual([1, 1]);
    expect(shards[0]!.run.shard).toEqual({ index: 1, total: 2 });
    expect((await failure(run([file, LATENCY], { cwd: scratch.path, tags: ['nope'] }))).code).toBe('NOT_FOUND');
  });

  it('refuses invalid scenarios before anything runs, every problem with its path', async () => {
    const broken = { ...LATENCY, name: 'broken', workloads: { client: { type: 'tcp-echo', via: 'nowhere', rate: 100 } } } as unknown as Scenario;
    const error = await failure(run([LATENCY, broken]));
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.problems.map((p) => p.path)).toEqual(['[1].workloads.client.via', '[1].workloads.client.rate']);
    expect(error.problems[1]!.message).toContain('expected max, a message rate such as 100/s');
    expect(error.problems.every((p) => p.file === undefined && p.line === undefined)).toBe(true);

    const twice = await failure(run([LATENCY, LATENCY]));
    expect(twice.message).toContain('scenario name "in-code-latency" is used twice in this run');
    expect((await failure(run([]))).code).toBe('INVALID_ARGUMENT');
    expect((await failure(run(LATENCY, { seed: 1.5 }))).message).toBe('seed: expected an integer from 0 to 4294967295, got 1.5');
    expect((await failure(run(LATENCY, { shard: '3/2' }))).code).toBe('INVALID_ARGUMENT');
    expect((await failure(run('no/such/dir'))).code).toBe('NOT_FOUND');
  });

  describe('on a server', () => {
    let server: FaultlineServer;
    beforeAll(async () => {
      server = await startFaultlineServer();
    });
    afterAll(() => server.close());

    it('runs there, and its replays say so: the command with --backend, the in-code call with backend', async () => {
      const file = writeScenario(scratch.path, 'remote.yaml', `name: remote\ntimeout: 10s\ntargets: { echo: { builtin: echo } }\nproxies: { p: { target: echo } }\nworkloads: { c: { type: tcp-echo, via: p, messages: 3 } }\n`);
      const result = await run([file, LATENCY], { backend: server.url, seed: 9, cwd: scratch.path, timeoutMs: 8000 });
      expect(result.run.backend).toBe(`http ${server.url}`);
      expect(result.scenarios.map((s) => s.status)).toEqual(['passed', 'passed']);
      expect(result.scenarios[0]!.replay).toBe(`npx faultline run remote.yaml --grep ^remote$ --seed 9 --backend ${server.url} --timeout 8s`);
      expect(result.scenarios[1]!.replay).toBe(`run(<the scenario "in-code-latency">, {"seed":9,"backend":"${server.url}","timeoutMs":8000})`);
      expect(await server.embedded.listProxies()).toEqual([]);
      expect((await failure(run(LATENCY, { backend: server.url, parallel: 2 }))).code).toBe('INVALID_ARGUMENT');
    });
  });
});

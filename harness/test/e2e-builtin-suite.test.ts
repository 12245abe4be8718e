/**
 * The built-in suite (`scenarios/`, what `npx faultline run` runs): every file valid and
 * documented, scenarios/README.md in step with the files, and a few of the scenarios run end to
 * end — the quick ones, including an `expect: fail` demonstration (the whole suite takes ~20 s and
 * is exercised by running it, not by the unit test suite).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadNativeUdpIo } from '../proxy/udp-io-native.js';
import { faultline, readResults, requireBuild, ROOT, scenarioNamed, scratchDir } from './e2e-cli.js';

const SCENARIOS = join(ROOT, 'scenarios');
const files = readdirSync(SCENARIOS).filter((f) => f.endsWith('.yaml')).sort();

let scratch: ReturnType<typeof scratchDir>;
beforeAll(() => {
  requireBuild();
  scratch = scratchDir('e2e-builtin');
});
afterAll(() => scratch.remove());

describe('the built-in suite', () => {
  it('has at least the eleven demonstrations, each file valid', async () => {
    expect(files.length).toBeGreaterThanOrEqual(11);
    const run = await faultline(['validate', 'scenarios/']);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout.trim().split('\n')).toHaveLength(files.length);
  });

  it.each(files)('%s starts with the schema line and a header comment that explains it', (file) => {
    const lines = readFileSync(join(SCENARIOS, file), 'utf8').split('\n');
    expect(lines[0]).toBe('# yaml-language-server: $schema=./faultline.schema.json');
    const header = lines.slice(1, lines.findIndex((line) => !line.startsWith('#')));
    expect(header.filter((line) => line.replace(/^#\s*/, '').length > 0).length).toBeGreaterThanOrEqual(6);
  });

  /** `faultline list scenarios/ --json`, run once for the tests that read it. */
  let listing: ReturnType<typeof faultline> | undefined;
  const listScenarios = () => (listing ??= faultline(['list', 'scenarios/', '--json']));

  it('keeps the explore demonstrations (scenarios/explore/) out of the suite, valid and documented', async () => {
    const list = await listScenarios();
    expect(list.code).toBe(0);
    const names = (JSON.parse(list.stdout) as Array<{ name: string; file: string }>).map((s) => s.file);
    expect(names.filter((file) => file.includes('/explore/'))).toEqual([]);
    const demos = readdirSync(join(SCENARIOS, 'explore')).filter((f) => f.endsWith('.yaml'));
    expect(demos.length).toBeGreaterThanOrEqual(2);
    const run = await faultline(['validate', 'scenarios/explore/']);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const readme = readFileSync(join(SCENARIOS, 'README.md'), 'utf8');
    for (const file of demos) {
      expect(readFileSync(join(SCENARIOS, 'explore', file), 'utf8').split('\n')[0]).toBe('# yaml-language-server: $schema=../faultline.schema.json');
      expect(readme).toContain(`(explore/${file})`);
    }
  });

  it('lists every file and every scenario in scenarios/README.md, with a description in each scenario', async () => {
    const readme = readFileSync(join(SCENARIOS, 'README.md'), 'utf8');
    const list = await listScenarios();
    expect(list.code).toBe(0);
    const scenarios = JSON.parse(list.stdout) as Array<{ name: string; description?: string }>;
    for (const file of files) expect(readme).toContain(`(${file})`);
    for (const scenario of scenarios) {
      expect(readme).toContain(`\`${scenario.name}\``);
      expect(scenario.description ?? '').not.toBe('');
    }
  });

  it.each(['native', 'dgram'])('runs TCP against UDP under random loss on %s UDP I/O, the ledger accounting for every lost datagram', async (io) => {
    if (io === 'native' && !loadNativeUdpIo().io) return; // not built here: the dgram run covers the suite
    const out = join(scratch.path, `loss-${io}`);
    const run = await faultline(['run', '--grep', '^tcp-vs-udp-random-loss$', '--seed', '3', '--out', out, '--reporter', 'json'], {
      env: { FAULTLINE_UDP_IO: io },
    });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const scenario = scenarioNamed(readResults(out), 'tcp-vs-udp-random-loss');
    expect(scenario).toMatchObject({ status: 'passed' });
    expect(scenario.assertions.length).toBeGreaterThan(0);
    expect(scenario.assertions.every((a) => a.status === 'passed')).toBe(true);
  });

  it('runs the reset and framing scenarios: the naive server fails as expected, the correct one passes', async () => {
    const out = join(scratch.path, 'out');
    const run = await faultline(['run', '--grep', '^(connection-reset|framing-.*)$', '--seed', '8', '--out', out, '--reporter', 'console,json']);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const result = readResults(out);
    expect(result.summary).toMatchObject({ total: 3, passed: 3 });
    const naive = scenarioNamed(result, 'framing-bug-naive-server');
    expect(naive).toMatchObject({ status: 'passed', outcome: 'failed', expect: 'fail' });
    expect(naive.assertions).toEqual([expect.objectContaining({ source: 'responses_mismatched_total == 0', status: 'failed' })]);
    expect(naive.targets[0]).toMatchObject({ exitCode: null, signal: 'SIGTERM' }); // still serving when faultline stopped it: wrong, not crashed
    expect(scenarioNamed(result, 'framing-correct-server')).toMatchObject({ status: 'passed', outcome: 'passed' });
    expect(scenarioNamed(result, 'connection-reset').workloads.find((w) => w.name === 'clients')!.errors.map((e) => e.code)).toContain('ECONNRESET');
  });
});

/**
 * The built-in suite against a real Toxiproxy server (`faultline run --backend URL`): every
 * scenario whose proxies are all TCP runs there and passes, except one that resets connections
 * already open, which Toxiproxy cannot do and which is refused before it starts, saying why; the
 * UDP ones are refused for their UDP proxies. Each replay command reproduces its run — on the
 * same server, not on the embedded proxy.
 *
 * Needs toxiproxy-server (FAULTLINE_TOXIPROXY_BIN or PATH; CI sets FAULTLINE_TOXIPROXY=required).
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startToxiproxy, describeWithToxiproxy, type ToxiproxyServer } from '../admin/testing/toxiproxy-server.js';
import type { RunResult } from '../core/result.js';
import { findScenarioFiles } from '../scenario/discover.js';
import { loadScenarioFiles } from '../scenario/load-files.js';
import { faultline, readResults, requireBuild, ROOT, scenarioNamed, scratchDir } from './e2e-cli.js';
import { errorOf } from './scenario-results.js';

const SEED = '42';

describeWithToxiproxy('the built-in suite on a real Toxiproxy', (bin) => {
  let toxiproxy: ToxiproxyServer;
  let scratch: ReturnType<typeof scratchDir>;
  let result: RunResult;
  let exitCode: number | null;

  beforeAll(async () => {
    requireBuild();
    scratch = scratchDir('e2e-toxiproxy');
    toxiproxy = await startToxiproxy(bin);
    const run = await faultline(['run', '--backend', toxiproxy.url, '--seed', SEED, '--out', join(scratch.path, 'suite'), '--reporter', 'json']);
    exitCode = run.code;
    result = readResults(join(scratch.path, 'suite'));
  }, 120_000);
  afterAll(async () => {
    await toxiproxy?.close();
    scratch?.remove();
  });

  const specs = loadScenarioFiles(findScenarioFiles(['scenarios'], ROOT)).specs;
  // Wire paths run on the wire backend whatever --backend says: only the proxies are Toxiproxy's.
  const proxiesOf = (s: (typeof specs)[number]) => s.proxies.filter((p) => p.layer === 'proxy');
  const tcpOnly = specs.filter((s) => s.proxies.every((p) => p.layer === 'proxy' && p.protocol === 'tcp')).map((s) => s.name);
  const withUdp = specs.filter((s) => proxiesOf(s).some((p) => p.protocol === 'udp')).map((s) => s.name);

  it('runs every TCP scenario there; each passes, except connection-reset, refused before it starts because Toxiproxy cannot reset open connections', () => {
    expect(tcpOnly.length).toBeGreaterThanOrEqual(6);
    expect(result.run.backend).toBe(`toxiproxy ${toxiproxy.url}`);
    for (const name of tcpOnly.filter((n) => n !== 'connection-reset')) {
      const scenario = scenarioNamed(result, name);
      expect(scenario.status, `${name}: ${JSON.stringify(scenario.status === 'errored' ? scenario.error : scenario.assertions.filter((a) => a.status !== 'passed'))}`).toBe('passed');
    }
    const reset = scenarioNamed(result, 'connection-reset');
    expect(reset).toMatchObject({ status: 'errored', error: { code: 'ENVIRONMENT' } });
    expect(errorOf(reset).message).toContain('resets only connections opened after a toxic is added (open ones end with a clean FIN, not an RST)');
    // Refused before anything started: nothing was measured, no fault applied.
    expect(reset.workloads).toEqual([]);
    expect(reset.faults).toEqual([]);
    expect(exitCode).toBe(3);
  });

  it('refuses the scenarios with a UDP proxy, naming every reason', () => {
    expect(withUdp.length).toBeGreaterThan(0);
    for (const name of withUdp) {
      const error = errorOf(scenarioNamed(result, name));
      expect(error.code, name).toBe('ENVIRONMENT');
      expect(error.message, name).toMatch(/is UDP, and .* proxies TCP only/);
    }
    // The random-loss scenario also has a TCP `loss` toxic Toxiproxy lacks: both reasons are given.
    const both = errorOf(scenarioNamed(result, 'tcp-vs-udp-random-loss'));
    expect(both.problems?.map((p) => p.path)).toEqual(['proxies.udp_path', 'faults[0]']);
    expect(both.message).toContain('has no TCP toxic "loss"');
  });

  it('leaves no proxy behind on the server', async () => {
    expect(await (await fetch(`${toxiproxy.url}/proxies`)).json()).toEqual({});
  });

  it('prints replay commands that reproduce the run on the same backend, not on the embedded proxy', async () => {
    for (const name of ['connection-reset', 'bandwidth-limit']) {
      const original = scenarioNamed(result, name);
      expect(original.replay).toContain(`--backend ${toxiproxy.url}`);
      const argv = shellWords(original.replay);
      expect(argv.slice(0, 3)).toEqual(['npx', 'faultline', 'run']);
      const out = join(scratch.path, `replay-${name}`);
      const replay = await faultline([...argv.slice(2), '--out', out, '--reporter', 'json']);
      const again = readResults(out);
      expect(again.run.backend).toBe(result.run.backend);
      expect(again.scenarios.map((s) => s.name)).toEqual([name]);
      const [scenario] = again.scenarios;
      expect(scenario).toMatchObject({ status: original.status, seed: original.seed });
      if (original.status === 'errored') expect(errorOf(scenario).message).toBe(errorOf(original).message);
      expect(replay.code).toBe(original.status === 'passed' ? 0 : 3);
    }
  }, 60_000);
});

/** The words a POSIX shell makes of a command line, as a user pasting the replay command gets them. */
function shellWords(command: string): string[] {
  return execFileSync('sh', ['-c', `printf '%s\\0' ${command}`], { encoding: 'utf8' }).split('\0').slice(0, -1);
}

/**
 * `faultline run` with wire paths, end to end through the built CLI, on real namespaces, TUN
 * devices and kernel TCP: a TCP and a UDP workload on one path with a command target inside it,
 * --capture and a failure's recent packets as pcap files that hold exactly the ledger's packets,
 * what happens where the layer is unavailable (skip with the reason, or ENVIRONMENT before
 * anything starts), and nothing left in `ip netns list` after a pass, a failure, a timeout or
 * SIGINT.
 */
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { PathResult } from '../core/result.js';
import { readPcap } from '../wire/pcap-reader.js';
import { readRunRecords } from '../wire/run-registry.js';
import { faultlineNamespaces } from '../wire/testing/namespaces.js';
import { faultlineAsNobody, nobodyFolder, nobodySkipReason } from '../wire/testing/unprivileged.js';
import { describeWire } from '../wire/testing/wire-gate.js';
import { faultline, readResults, requireBuild, scenarioNamed, scratchDir, SERVERS, startFaultline, writeScenario } from './e2e-cli.js';

let scratch: ReturnType<typeof scratchDir>;
beforeAll(() => {
  requireBuild();
  scratch = scratchDir('e2e-wire');
});
afterAll(() => scratch?.remove());


/** The namespaces of a scenario's paths that still exist. */
const leftOf = (paths: readonly PathResult[] | undefined) => {
  const names = (paths ?? []).flatMap((p) => [p.namespaces.client, p.namespaces.target]);
  expect(names.length).toBeGreaterThan(0);
  return faultlineNamespaces().filter((name) => names.includes(name));
};

/** The namespaces the run registry lists for faultline process `pid`. */
const namespacesOfRun = (pid: number) =>
  readRunRecords()
    .filter((r) => r.record?.pid === pid)
    .flatMap((r) => r.record!.namespaces.map((n) => n.name));

/** TCP and UDP through one path into a command target (a python echo server) inside it. */
const SHARED_PATH = `
name: wire-shared
timeout: 20s
targets:
  app:
    command: [python3, ${JSON.stringify(join(SERVERS, 'target-fixture-server.py'))}, --host, 0.0.0.0, --port, '{tcp_port}', --udp-port, '{udp_port}']
    tcp: auto
    udp: auto
proxies:
  path: { layer: wire, target: app }
workloads:
  tcp: { type: tcp-echo, via: path, messages: 100, size: 1KiB }
  udp: { type: udp-echo, via: path, messages: 400, rate: 2000/s, timeout: 300ms }
faults:
  - proxy: path
    toxic: { type: loss, stream: upstream, attributes: { probability: 0.05 } }
  - proxy: path
    at: 50ms
    toxic: { name: udp_delay, type: latency, stream: downstream, protocol: udp, attributes: { latency: 5 } }
assert:
  tcp: [delivered, in_order, intact, tcp_retransmits_total > 0, rtt_ms max < 5s]
  udp: [lost_ratio > 0, incidental_lost_total == 0]
`;

/** Sum of a counter over transports and directions of a path's per-protocol ledger. */
function total(path: PathResult, counter: string): number {
  let sum = 0;
  for (const directions of Object.values(path.protocols)) for (const counters of Object.values(directions)) sum += counters[counter] ?? 0;
  return sum;
}

describeWire('faultline run on wire paths', () => {
  it('puts TCP and UDP through one path to a command target inside it, captures every packet, and leaves no namespace', async () => {
    const file = writeScenario(scratch.path, 'shared.yaml', SHARED_PATH);
    const out = join(scratch.path, 'out-shared');
    const run = await faultline(['run', file, '--out', out, '--seed', '3', '--capture']);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const scenario = scenarioNamed(readResults(out), 'wire-shared');
    expect(scenario.status).toBe('passed');
    const [path] = scenario.paths!;
    // Both protocols crossed the same path and the same loss fault.
    expect(path!.protocols.tcp!.upstream.dropped_loss).toBeGreaterThan(0);
    expect(path!.protocols.udp!.upstream.dropped_loss).toBeGreaterThan(0);
    // The UDP-only delay fault touched no TCP packet.
    expect(path!.protocols.udp!.downstream.delayed).toBeGreaterThan(0);
    expect(path!.protocols.tcp!.downstream.delayed).toBeUndefined();
    // Its ledger in the ProxyLedger shape, a fault record per fault with its match.
    const ledger = scenario.ledger.find((l) => l.proxy === 'path')!;
    expect(ledger.protocol).toBe('ip');
    expect(ledger.toxics.map((t) => t.name).sort()).toEqual(['loss_upstream', 'udp_delay']);
    expect(scenario.faults.find((f) => f.kind === 'toxic' && f.toxic.name === 'udp_delay')).toMatchObject({ match: { protocol: 'udp' }, appliedAtMs: expect.any(Number) });
    // The kernels' view: the client retransmitted what the engine dropped, per connection too.
    expect(path!.kernel.client.tcp_retransmits).toBeGreaterThan(0);
    const tcp = scenario.workloads.find((w) => w.name === 'tcp')!;
    expect(tcp.tcpConnections).toHaveLength(1);
    expect(tcp.tcpConnections![0]!.retransmits).toBeGreaterThan(0);
    // --capture: the pcaps hold exactly the packets of the ledger.
    expect(path!.capture).toMatchObject({ scope: 'all' });
    const entered = readPcap(join(out, path!.capture!.entered));
    const left = readPcap(join(out, path!.capture!.left));
    expect(entered.linkType).toBe(101);
    expect(entered.records).toHaveLength(total(path!, 'seen'));
    expect(left.records).toHaveLength(total(path!, 'forwarded') + total(path!, 'injected'));
    expect(path!.tcpTraces?.[0]?.drops).toBeGreaterThan(0);
    expect(readFileSync(join(out, 'index.html'), 'utf8')).toContain('Time–sequence graph');
    expect(leftOf(scenario.paths)).toEqual([]);
  });

  it('keeps the recent packets of a scenario that fails, and tears the path down', async () => {
    const file = writeScenario(
      scratch.path,
      'failing.yaml',
      `
name: wire-failing
timeout: 10s
targets: { sink: { builtin: sink } }
proxies: { path: { layer: wire, target: sink } }
workloads: { udp: { type: udp-stream, via: path, messages: 300, rate: 3000/s, timeout: 300ms } }
faults: [{ proxy: path, toxic: { type: loss, stream: upstream, attributes: { probability: 0.2 } } }]
assert: { udp: [lost_ratio == 0] }
`,
    );
    const out = join(scratch.path, 'out-failing');
    const run = await faultline(['run', file, '--out', out, '--seed', '4']);
    expect(run.code, run.stdout + run.stderr).toBe(1);
    const { paths } = scenarioNamed(readResults(out), 'wire-failing');
    expect(paths![0]!.capture).toMatchObject({ scope: 'recent', entered: 'captures/wire-failing/path.entered.pcap' });
    expect(readPcap(join(out, paths![0]!.capture!.entered)).records).toHaveLength(total(paths![0]!, 'seen'));
    expect(leftOf(paths)).toEqual([]);
  });

  it('stops a scenario that times out and removes its path', async () => {
    const file = writeScenario(
      scratch.path,
      'timeout.yaml',
      `
name: wire-timeout
timeout: 1500ms
targets: { echo: { builtin: echo } }
proxies: { path: { layer: wire, target: echo } }
workloads: { ping: { type: tcp-echo, via: path, duration: 1400ms, rate: 20/s, timeout: 5s } }
faults: [{ proxy: path, at: 200ms, toxic: { type: blackhole, stream: downstream } }]
`,
    );
    const out = join(scratch.path, 'out-timeout');
    const run = await faultline(['run', file, '--out', out, '--seed', '5']);
    expect(run.code, run.stdout + run.stderr).toBe(1);
    const scenario = scenarioNamed(readResults(out), 'wire-timeout');
    expect(scenario.status === 'errored' && scenario.error.code).toBe('SCENARIO_TIMEOUT');
    expect(leftOf(scenario.paths)).toEqual([]);
  });

  it('exits 130 on SIGINT and leaves no namespace and no process of the target behind', async () => {
    const marker = `faultline-wire-sigint-${process.pid}`;
    const file = writeScenario(
      scratch.path,
      'long.yaml',
      `
name: wire-long
timeout: 60s
targets:
  app:
    command: [python3, ${JSON.stringify(join(SERVERS, 'target-fixture-server.py'))}, --host, 0.0.0.0, --port, '{tcp_port}', --announce, ${marker}]
    tcp: auto
proxies: { path: { layer: wire, target: app } }
workloads: { ping: { type: tcp-echo, via: path, duration: 30s, rate: 50/s } }
`,
    );
    const cli = startFaultline(['run', file, '--out', join(scratch.path, 'out-long'), '--seed', '6']);
    try {
      const deadline = Date.now() + 15_000;
      while (targetPids(marker).length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(targetPids(marker).length).toBeGreaterThan(0);
      const namespaces = namespacesOfRun(cli.child.pid!);
      expect(namespaces).toHaveLength(2);
      expect(faultlineNamespaces().filter((name) => namespaces.includes(name))).toHaveLength(2);
      await new Promise((resolve) => setTimeout(resolve, 500));
      cli.child.kill('SIGINT');
      const run = await cli.done;
      expect(run.code, run.stdout + run.stderr).toBe(130);
      expect(faultlineNamespaces().filter((name) => namespaces.includes(name))).toEqual([]);
      expect(namespacesOfRun(cli.child.pid!)).toEqual([]);
      expect(targetPids(marker)).toEqual([]);
    } finally {
      cli.child.kill('SIGKILL');
    }
  });
});

/**
 * Pids of processes whose command line contains `marker` and that live in another network
 * namespace than this one (the target side of a path).
 */
function targetPids(marker: string): number[] {
  const own = readlinkSync('/proc/self/ns/net');
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.includes(marker) && cmdline.includes('target-fixture-server') && readlinkSync(`/proc/${entry}/ns/net`) !== own) found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

describeWire('faultline run where the wire layer is unavailable', () => {
  const cannot = nobodySkipReason();
  const unprivilegedIt = cannot ? it.skip : it;
  const why = cannot ? ` (skipped: ${cannot})` : '';
  const scenario = (name: string, ifUnavailable: string) => `
name: ${name}
timeout: 10s
if_unavailable: ${ifUnavailable}
targets: { echo: { builtin: echo } }
proxies: { path: { layer: wire, target: echo } }
workloads: { ping: { type: udp-echo, via: path, messages: 10 } }
`;
  /** A folder the unprivileged user may write, with one scenario file in it. */
  const folder = (name: string, yaml: string) => {
    const dir = nobodyFolder(scratch.path, name);
    return { dir, file: writeScenario(dir, `${name}.yaml`, yaml) };
  };
  /** `faultline run FILE` as uid 65534, who may create no namespace here. */
  const runAsNobody = (dir: string, file: string, env: Record<string, string> = {}) => faultlineAsNobody(['run', file, '--out', join(dir, 'out')], { cwd: dir, env });

  unprivilegedIt(`skips a scenario that says if_unavailable: skip, with the reason, and passes${why}`, () => {
    const { dir, file } = folder('nobody-skip', scenario('wire-optional', 'skip'));
    const run = runAsNobody(dir, file);
    expect(run.status, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(/SKIPPED wire-optional: the wire layer is unavailable here: creating network namespaces needs CAP_NET_ADMIN/);
    expect(scenarioNamed(readResults(join(dir, 'out')), 'wire-optional')).toMatchObject({ status: 'skipped', reason: expect.stringContaining('wire layer is unavailable') });
  });

  unprivilegedIt(`stops before anything starts (exit 3) for a scenario that needs it, and under FAULTLINE_WIRE=required for any${why}`, () => {
    const needs = folder('nobody-error', scenario('wire-needed', 'error'));
    const needed = runAsNobody(needs.dir, needs.file);
    expect(needed.status, needed.stdout + needed.stderr).toBe(3);
    expect(needed.stderr).toMatch(/scenario "wire-needed" needs the wire layer, which is unavailable here: creating network namespaces needs CAP_NET_ADMIN/);
    expect(existsSync(join(needs.dir, 'out', 'results.json'))).toBe(false);
    const optional = folder('nobody-required', scenario('wire-optional-in-ci', 'skip'));
    const required = runAsNobody(optional.dir, optional.file, { FAULTLINE_WIRE: 'required' });
    expect(required.status, required.stdout + required.stderr).toBe(3);
    expect(required.stderr).toContain('FAULTLINE_WIRE=required');
  });
});

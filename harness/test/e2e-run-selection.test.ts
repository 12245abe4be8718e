/**
 * `faultline run` end to end, across scenarios: selection (--grep, --tag), CI sharding and
 * `report merge`, --parallel, and replay from a seed (the same seed gives the same fault
 * decisions; another seed gives others).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProxyLedger } from '../core/ledger.js';
import type { RunResult } from '../core/result.js';
import { faultline, readResults, requireBuild, scenarioNamed, scratchDir, writeScenario } from './e2e-cli.js';

let scratch: ReturnType<typeof scratchDir>;
let suite: string;

/** Four quick scenarios (≈ 100–200 ms of traffic each), with tags to select by. */
const SUITE: Array<{ name: string; tags: string[] }> = [
  { name: 'alpha-udp', tags: ['udp', 'quick'] },
  { name: 'beta-tcp', tags: ['tcp'] },
  { name: 'gamma-udp', tags: ['udp'] },
  { name: 'delta-tcp', tags: ['tcp', 'quick'] },
];

function quickScenario(name: string, tags: string[]): string {
  const udp = tags.includes('udp');
  return `
name: ${name}
tags: [${tags.join(', ')}]
timeout: 10s
targets: { echo: { builtin: echo } }
proxies: { path: { protocol: ${udp ? 'udp' : 'tcp'}, target: echo } }
workloads:
  w: { type: ${udp ? 'udp-echo' : 'tcp-echo'}, via: path, messages: 100, rate: 1000/s, timeout: 500ms }
faults:
  - { proxy: path, toxic: { type: latency, stream: downstream, attributes: { latency: 1 } } }
assert:
  w: [delivered, ${udp ? 'rtt_ms p(50) >= 1ms' : 'in_order'}]
`;
}

beforeAll(() => {
  requireBuild();
  scratch = scratchDir('e2e-select');
  suite = join(scratch.path, 'suite');
  mkdirSync(suite);
  for (const { name, tags } of SUITE) writeScenario(suite, `${name}.yaml`, quickScenario(name, tags));
});
afterAll(() => scratch.remove());

const names = (result: RunResult) => result.scenarios.map((s) => s.name).sort();

describe('selecting scenarios', () => {
  it('--grep runs only the scenarios whose name matches', async () => {
    const out = join(scratch.path, 'out-grep');
    const run = await faultline(['run', suite, '--grep', '^(alpha|delta)-', '--out', out, '--reporter', 'json']);
    expect(run.code, run.stderr).toBe(0);
    expect(names(readResults(out))).toEqual(['alpha-udp', 'delta-tcp']);
  });

  it('--tag runs the scenarios with any of the tags', async () => {
    const out = join(scratch.path, 'out-tag');
    const quick = await faultline(['run', suite, '--tag', 'quick', '--out', out, '--reporter', 'json']);
    expect(quick.code, quick.stderr).toBe(0);
    expect(names(readResults(out))).toEqual(['alpha-udp', 'delta-tcp']);
    const either = await faultline(['run', suite, '--tag', 'quick,udp', '--out', out, '--reporter', 'json']);
    expect(either.code, either.stderr).toBe(0);
    expect(names(readResults(out))).toEqual(['alpha-udp', 'delta-tcp', 'gamma-udp']);
  });

  it('--grep that matches nothing is an error, not an empty green run', async () => {
    const run = await faultline(['run', suite, '--grep', 'nothing-like-this', '--out', join(scratch.path, 'out-none')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('no scenario matches --grep nothing-like-this');
  });

  it('--shard 1/2 and 2/2 split the suite into disjoint halves, and report merge puts them back together', async () => {
    const [one, two] = await Promise.all(
      ['1/2', '2/2'].map(async (shard, i) => {
        const out = join(scratch.path, `out-shard-${i + 1}`);
        const run = await faultline(['run', suite, '--shard', shard, '--seed', '21', '--out', out, '--reporter', 'json']);
        expect(run.code, run.stderr).toBe(0);
        return { out, result: readResults(out) };
      }),
    );
    const first = names(one!.result);
    const second = names(two!.result);
    expect(first.length).toBeGreaterThan(0);
    expect(second.length).toBeGreaterThan(0);
    expect(first.filter((n) => second.includes(n))).toEqual([]);
    expect([...first, ...second].sort()).toEqual(SUITE.map((s) => s.name).sort());
    expect(one!.result.run.shard).toEqual({ index: 1, total: 2 });

    const merged = join(scratch.path, 'out-merged');
    const merge = await faultline(['report', 'merge', one!.out, two!.out, '--out', merged, '--reporter', 'json']);
    expect(merge.code, merge.stderr).toBe(0);
    const result = readResults(merged);
    expect(names(result)).toEqual(SUITE.map((s) => s.name).sort());
    expect(result.summary).toMatchObject({ total: 4, passed: 4 });
  });
});

describe('--parallel', () => {
  it('runs scenarios at the same time without port clashes', async () => {
    const out = join(scratch.path, 'out-parallel');
    const run = await faultline(['run', suite, '--parallel', '2', '--out', out, '--reporter', 'json']);
    expect(run.code, run.stderr).toBe(0);
    const result = readResults(out);
    expect(result.summary).toMatchObject({ total: 4, passed: 4 });
    // At least two scenarios overlapped in time: they really ran side by side.
    const spans = result.scenarios.map((s) => [Date.parse(s.startedAt), Date.parse(s.startedAt) + s.durationMs] as const);
    const overlapping = spans.some(([start, end], i) => spans.some(([otherStart], j) => j !== i && otherStart >= start && otherStart < end));
    expect(overlapping).toBe(true);
  });
});

describe('replay from a seed', () => {
  // UDP: loss decided per datagram (which ones is in the ledger's events). TCP: a toxic with
  // toxicity 0.5 is decided once per connection (how many is in its activations).
  const SEEDED = `
name: seeded-faults
timeout: 10s
targets: { echo: { builtin: echo } }
proxies:
  udp_path: { protocol: udp, target: echo }
  tcp_path: { protocol: tcp, target: echo }
workloads:
  udp: { type: udp-echo, via: udp_path, messages: 300, rate: 2000/s, timeout: 300ms }
  tcp: { type: tcp-echo, via: tcp_path, connections: 16, messages: 3 }
faults:
  - { proxy: udp_path, toxic: { type: loss, stream: upstream, attributes: { probability: 0.2 } } }
  - { proxy: tcp_path, toxic: { type: latency, toxicity: 0.5, attributes: { latency: 1 } } }
assert:
  tcp: [delivered]
`;

  function decisions(result: RunResult): { udpDropped: number[]; tcpActivations: number } {
    const scenario = scenarioNamed(result, 'seeded-faults');
    const ledger = (proxy: string): ProxyLedger => scenario.ledger.find((l) => l.proxy === proxy)!;
    return {
      udpDropped: ledger('udp_path').events.filter((e) => e.action === 'dropped_loss').map((e) => e.datagram!),
      tcpActivations: ledger('tcp_path').toxics.find((t) => t.name === 'latency_downstream')!.counters.activations!,
    };
  }

  it('gives the same fault decisions for the same --seed, and different ones for another', async () => {
    const file = writeScenario(scratch.path, 'seeded.yaml', SEEDED);
    const runs = await Promise.all(
      [5, 5, 6].map(async (seed, i) => {
        const out = join(scratch.path, `out-seed-${i}`);
        const run = await faultline(['run', file, '--seed', String(seed), '--out', out, '--reporter', 'json']);
        expect(run.code, run.stderr).toBe(0);
        return decisions(readResults(out));
      }),
    );
    const [first, again, other] = runs;
    expect(first!.udpDropped.length).toBeGreaterThan(20);
    expect(again).toEqual(first);
    expect(other!.udpDropped).not.toEqual(first!.udpDropped);
  });
});

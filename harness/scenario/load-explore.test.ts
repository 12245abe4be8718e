import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FaultlineError } from '../core/errors.js';
import { loadScenarioText } from './load.js';

const FILE = resolve(fileURLToPath(new URL('../../fixtures/scenarios/valid/', import.meta.url)), 'explore.yaml');

/** A scenario of `sections` (targets, proxies, workloads) with `explore` as its explore: section. */
const withExplore = (sections: string) => (explore: string) => `${sections}timeout: 10s\nexplore:\n${explore}\n`;

const scenario = withExplore(`
targets: { echo: { builtin: echo } }
proxies:
  tcp_path: { protocol: tcp, target: echo }
  udp_path: { protocol: udp, target: echo }
workloads: { ping: { type: udp-echo, via: udp_path } }
`);

/** A TCP proxy, and a wire path a TCP workload takes. */
const wireScenario = withExplore(`
targets: { echo: { builtin: echo }, inside: { builtin: echo } }
proxies:
  tcp_path: { protocol: tcp, target: echo }
  net: { layer: wire, target: inside }
workloads: { ping: { type: tcp-echo, via: net } }
`);

function problems(explore: string, text = scenario): string[] {
  try {
    loadScenarioText(text(explore), FILE);
  } catch (error) {
    expect(error).toBeInstanceOf(FaultlineError);
    return (error as FaultlineError).problems.map((p) => `${p.line}:${p.column} ${p.path}: ${p.message}${p.hint ? ` (hint: ${p.hint})` : ''}`);
  }
  throw new Error('expected problems');
}

describe('explore:', () => {
  it('loads every key, ranges as numbers and durations', () => {
    const [spec] = loadScenarioText(
      scenario(`  proxies: [udp_path]
  faults:
    down: {}
    latency: { latency: 0..500, jitter: 20 }
    loss:
  max_faults: 2
  streams: [upstream]
  start: 0s..1.5s
  duration: 100ms..1s
  runs: 50
  time: 2m`),
      FILE,
    );
    expect(spec!.explore).toMatchObject({
      proxies: ['udp_path'],
      faults: [
        { kind: 'down' },
        { kind: 'toxic', type: 'latency', attributes: { latency: { min: 0, max: 500 }, jitter: { min: 20, max: 20 } } },
        { kind: 'toxic', type: 'loss', attributes: {} },
      ],
      maxFaults: 2,
      streams: ['upstream'],
      start: { min: 0, max: 1500 },
      duration: { min: 100, max: 1000 },
      runs: 50,
      timeMs: 120_000,
      where: { line: 9, column: 3 },
    });
  });

  it('is optional, and an empty section takes every default', () => {
    expect(loadScenarioText(scenario('  {}'), FILE)[0]!.explore).toEqual({ where: expect.objectContaining({ path: 'explore' }) });
    expect(loadScenarioText(scenario('').replace('explore:\n', ''), FILE)[0]!.explore).toBeUndefined();
  });

  it('reports every problem at its place, in the words the toxic schema uses', () => {
    expect(
      problems(`  proxies: [udp_pth]
  faults:
    latnecy: { latency: 0..500 }
    loss: { probability: 0..2, burts: 1..2 }
    slicer: { average_size: 1..64 }
    down: { for: 1s }
  max_faults: 0
  streams: [sideways]
  start: 0s..20s
  duration: 2s..1s
  runs: 1.5
  time: 30`),
    ).toEqual([
      '9:13 explore.proxies[0]: unknown proxy "udp_pth" (hint: did you mean "udp_path"? proxies in this scenario: tcp_path, udp_path)',
      '11:5 explore.faults.latnecy: "latnecy" is not a fault the proxies explored can have (hint: did you mean "latency"? kinds: down, noop, latency, bandwidth, slow_close, timeout, reset_peer, slicer, limit_data, reset_after, loss, reorder, duplicate, corrupt)',
      '12:26 explore.faults.loss.probability: must be at most 1 (probability), got 2',
      '12:32 explore.faults.loss.burts: unknown attribute "burts" of loss (hint: loss takes: probability, burst, mss, rto, max_rto)',
      '14:11 explore.faults.down: down takes no attributes: write down: {}',
      '15:15 explore.max_faults: must be at least 1, got 0',
      '16:13 explore.streams[0]: expected one of upstream, downstream, got "sideways" (a string)',
      '17:10 explore.start: faults would start at up to 20000ms, at or after the scenario timeout (10000ms) (hint: raise the scenario timeout)',
      '18:13 explore.duration: the range 2s..1s goes down: write the lower end first',
      '19:9 explore.runs: expected an integer, got 1.5',
      '20:9 explore.time: expected a duration such as 250ms, 2s, 1.5s, 1m (units: us, ms, s, m, h), got 30 (number) (hint: durations need a unit: write 30s or 30ms)',
    ]);
  });

  it('checks a toxic against the protocols of the proxies explored', () => {
    // slicer is TCP only: fine on every proxy, refused when only the UDP proxy is explored.
    expect(loadScenarioText(scenario('  faults: { slicer: {} }'), FILE)).toHaveLength(1);
    expect(problems('  proxies: [udp_path]\n  faults: { slicer: { average_size: 1..8 } }')[0]).toContain('"slicer" is not a fault the proxies explored can have');
    expect(problems('  faults: { latency: { latency: 10 .. 5 } }')).toEqual(['9:33 explore.faults.latency.latency: the range 10 .. 5 goes down: write the lower end first']);
    expect(problems('  faults: { latency: { latency: lots } }')).toEqual(['9:33 explore.faults.latency.latency: expected a range LOW..HIGH (e.g. 0..500) or a single number, got "lots" (a string)']);
  });

  it("takes a wire path's fault types, with ranges checked by their schemas", () => {
    const [spec] = loadScenarioText(wireScenario('  proxies: [net]\n  faults: { blackhole: {}, mtu: { mtu: 1000..1400 }, reset: { timeout: 0..100 }, latency: { allow_reorder: 0..1 } }'), FILE);
    expect(spec!.explore!.faults).toMatchObject([
      { kind: 'toxic', type: 'blackhole', attributes: {} },
      { kind: 'toxic', type: 'mtu', attributes: { mtu: { min: 1000, max: 1400 } } },
      { kind: 'toxic', type: 'reset', attributes: { timeout: { min: 0, max: 100 } } },
      { kind: 'toxic', type: 'latency', attributes: { allow_reorder: { min: 0, max: 1 } } },
    ]);
    // On a proxy and a wire path, each kind needs one of them to have it: down the proxy, mtu the path.
    expect(loadScenarioText(wireScenario('  faults: { down: {}, mtu: {}, slicer: {} }'), FILE)).toHaveLength(1);
  });

  it('reports wire fault kinds and attributes the paths explored cannot have, and down on wire paths only', () => {
    expect(
      problems(
        `  proxies: [net]
  faults:
    down: {}
    blackhoel: {}
    mtu: { mtu: 10..1500 }
    reset: { timeuot: 0..5 }
    slicer: {}`,
        wireScenario,
      ),
    ).toEqual([
      '11:5 explore.faults.down: down is not explored on wire paths, and only wire paths are explored (hint: a wire path goes dark with blackhole, one direction a fault: write blackhole: {})',
      '12:5 explore.faults.blackhoel: "blackhoel" is not a fault the proxies explored can have (hint: did you mean "blackhole"? kinds: loss, latency, reorder, duplicate, corrupt, bandwidth, mtu, blackhole, reset)',
      '13:17 explore.faults.mtu.mtu: must be at least 68 (bytes), got 10',
      '14:14 explore.faults.reset.timeuot: unknown attribute "timeuot" of reset (hint: reset takes: timeout)',
      '15:5 explore.faults.slicer: "slicer" is not a fault the proxies explored can have (hint: kinds: loss, latency, reorder, duplicate, corrupt, bandwidth, mtu, blackhole, reset)',
    ]);
    // A wire fault type is refused where only stream proxies are explored.
    expect(problems('  proxies: [tcp_path]\n  faults: { mtu: {} }', wireScenario)[0]).toContain('"mtu" is not a fault the proxies explored can have');
  });

  it('needs a proxy to put faults on', () => {
    const text = `
targets: { echo: { builtin: echo } }
workloads: { ping: { type: udp-echo, target: echo } }
explore: {}
`;
    expect(() => loadScenarioText(text, FILE)).toThrow(/explore needs a proxy to put faults on, and this scenario has none/);
  });
});

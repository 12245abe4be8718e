import { describe, expect, it } from 'vitest';
import { listToxicTypes } from '../toxics/registry.js';
import { describeFaultSpace, faultChoices, resolveFaultSpace } from './fault-space.js';
import { loadOne, twoProxyScenario } from './testing/explore-scenarios.js';

describe('resolveFaultSpace', () => {
  it('without explore: every toxic each proxy supports but noop, and down, over every attribute', () => {
    const spec = loadOne(twoProxyScenario());
    const choices = faultChoices(spec);
    const kinds = (proxy: string) => choices.filter((c) => c.proxy === proxy).map((c) => (c.kind === 'down' ? 'down' : c.type));
    expect(kinds('tcp_path')).toEqual([...listToxicTypes('tcp').map((t) => t.type).filter((t) => t !== 'noop'), 'down']);
    expect(kinds('udp_path')).toEqual([...listToxicTypes('udp').map((t) => t.type).filter((t) => t !== 'noop'), 'down']);
    const tcpLatency = choices.find((c) => c.proxy === 'tcp_path' && c.kind === 'toxic' && c.type === 'latency');
    // No max in the schema: the search goes up to the attribute's own `upTo`, in log steps.
    expect(tcpLatency).toMatchObject({ attributes: [{ key: 'latency', values: [0, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000] }, { key: 'jitter' }] });
  });

  it("orders each attribute's values mildest first, and keeps model parameters at their default", () => {
    const choices = faultChoices(loadOne(twoProxyScenario()));
    const attribute = (type: string, key: string) => {
      const choice = choices.find((c) => c.proxy === 'tcp_path' && c.kind === 'toxic' && c.type === type);
      return choice?.kind === 'toxic' ? choice.attributes.find((a) => a.key === key)?.values : undefined;
    };
    expect(attribute('bandwidth', 'rate')!.slice(0, 3)).toEqual([100_000, 50_000, 20_000]); // a higher rate is milder
    expect(attribute('bandwidth', 'rate')!.at(-1)).toBe(100); // never the exclusive 0
    expect(attribute('slicer', 'average_size')![0]).toBe(4096);
    expect(attribute('loss', 'probability')).toEqual([0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5]);
    expect(attribute('loss', 'mss')).toEqual([1460]);
  });

  it("takes the file's kinds, ranges and fixed values, on the proxies it names", () => {
    const spec = loadOne(twoProxyScenario('  proxies: [udp_path]\n  faults: { latency: { latency: 100..400, jitter: 0 }, down: {} }\n  max_faults: 2\n  streams: [downstream]\n  start: 0s..1s\n  duration: 200ms\n  runs: 7\n  time: 1m'));
    const space = resolveFaultSpace(spec, { workloadsEndMs: 123 });
    expect(space.choices).toEqual([
      { proxy: 'udp_path', protocol: 'udp', kind: 'toxic', type: 'latency', attributes: [{ key: 'latency', values: [100, 200, 400] }, { key: 'jitter', values: [0] }] },
      { proxy: 'udp_path', protocol: 'udp', kind: 'down' },
    ]);
    expect(space).toMatchObject({ maxFaults: 2, streams: ['downstream'], durationMs: [200], runs: 7, timeMs: 60_000, timeoutMs: 5000 });
    expect(space.startMs).toEqual([0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]);
    // The command line's budget wins over the file's.
    expect(resolveFaultSpace(spec, { workloadsEndMs: 123, runs: 3, timeMs: 5000 })).toMatchObject({ runs: 3, timeMs: 5000 });
  });

  it('starts faults within the baseline run’s traffic when the file does not say', () => {
    const space = resolveFaultSpace(loadOne(twoProxyScenario()), { workloadsEndMs: 137 });
    expect(space.startMs).toEqual([0, 20, 40, 60, 80, 100, 120, 140, 160, 180, 200]);
    expect(space.durationMs).toEqual([20, 40, 60, 80, 100, 120, 140, 160, 180, 200]);
    expect(space.runs).toBe(100);
    expect(space.timeMs).toBeUndefined();
  });

  it('says what it searches, a line per dimension', () => {
    const spec = loadOne(twoProxyScenario('  proxies: [tcp_path]\n  faults: { slicer: { average_size: 1..64, delay: 0 } }\n  runs: 20'));
    expect(describeFaultSpace(resolveFaultSpace(spec, { workloadsEndMs: 90 }))).toEqual([
      'up to 3 faults, starting at 0ms..100ms (11 values), lasting 10ms..100ms (10 values)',
      'toxics on upstream or downstream',
      'tcp_path: slicer (average_size 1..64 (7 values), size_variation 0..4096 (11 values), delay 0)',
      'budget: 20 schedules',
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import { listToxicTypes } from '../toxics/registry.js';
import { wireFaultTypes } from '../toxics/wire/fault-types.js';
import { describeFaultSpace, faultChoices, resolveFaultSpace, type FaultChoice } from './fault-space.js';
import { loadOne, twoProxyScenario, wirePathScenario } from './testing/explore-scenarios.js';

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
      { proxy: 'udp_path', layer: 'udp', kind: 'toxic', type: 'latency', attributes: [{ key: 'latency', values: [100, 200, 400] }, { key: 'jitter', values: [0] }] },
      { proxy: 'udp_path', layer: 'udp', kind: 'down' },
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

describe('the fault space over wire paths', () => {
  const kinds = (choices: FaultChoice[], proxy: string) => choices.filter((c) => c.proxy === proxy).map((c) => (c.kind === 'down' ? 'down' : c.type));
  const values = (choices: FaultChoice[], proxy: string, type: string, key: string) => {
    const choice = choices.find((c) => c.proxy === proxy && c.kind === 'toxic' && c.type === type);
    return choice?.kind === 'toxic' ? choice.attributes.find((a) => a.key === key)?.values : undefined;
  };

  it('without explore: every wire fault type on each path, no down, and reset only where TCP goes', () => {
    const choices = faultChoices(loadOne(wirePathScenario()));
    expect(kinds(choices, 'net')).toEqual(wireFaultTypes.map((t) => t.type));
    // Only a UDP workload takes udp_net: a forged TCP reset could do nothing there.
    expect(kinds(choices, 'udp_net')).toEqual(wireFaultTypes.map((t) => t.type).filter((t) => t !== 'reset'));
    expect(choices.filter((c) => c.proxy !== 'tcp_path').every((c) => c.layer === 'wire')).toBe(true);
    // The stream proxy beside them keeps its toxics and down.
    expect(kinds(choices, 'tcp_path')).toEqual([...listToxicTypes('tcp').map((t) => t.type).filter((t) => t !== 'noop'), 'down']);
  });

  it("draws each attribute from the wire fault type's schema and search hint", () => {
    const choices = faultChoices(loadOne(wirePathScenario()));
    // mtu: from the 576 bytes every IPv4 host takes up to a default path's 1500, larger is milder.
    expect(values(choices, 'net', 'mtu', 'mtu')).toEqual([1500, 1400, 1300, 1200, 1100, 1000, 900, 800, 700, 600, 576]);
    expect(choices.find((c) => c.proxy === 'net' && c.kind === 'toxic' && c.type === 'blackhole')).toMatchObject({ attributes: [] });
    // Where a wire fault takes a UDP toxic's attribute, it is searched the same way.
    expect(values(choices, 'net', 'loss', 'probability')).toEqual(values(faultChoices(loadOne(twoProxyScenario())), 'udp_path', 'loss', 'probability'));
    expect(values(choices, 'net', 'bandwidth', 'rate')!.slice(0, 3)).toEqual([100_000, 50_000, 20_000]);
    // Model parameters stay at their defaults: the queue's byte limit, the bucket, reordering latency.
    expect(values(choices, 'net', 'bandwidth', 'queue_bytes')).toEqual([0]);
    expect(values(choices, 'net', 'bandwidth', 'bucket')).toEqual([0]);
    expect(values(choices, 'net', 'latency', 'allow_reorder')).toEqual([0]);
    expect(values(choices, 'net', 'reset', 'timeout')![0]).toBe(10_000);
  });

  it("takes the file's kinds on the layers that have them: down on proxies, wire types on wire paths", () => {
    const spec = loadOne(wirePathScenario('  proxies: [tcp_path, net]\n  faults: { latency: { latency: 0..100, allow_reorder: 0..1 }, down: {}, blackhole: {}, mtu: { mtu: 1000..1400 } }'));
    const choices = faultChoices(spec);
    expect(kinds(choices, 'tcp_path')).toEqual(['latency', 'down']);
    expect(kinds(choices, 'net')).toEqual(['latency', 'blackhole', 'mtu']);
    expect(kinds(choices, 'udp_net')).toEqual([]);
    // A stream latency has no allow_reorder: the range is the wire path's.
    expect(choices.find((c) => c.proxy === 'tcp_path' && c.kind === 'toxic')).toMatchObject({ attributes: [{ key: 'latency' }, { key: 'jitter' }] });
    expect(values(choices, 'net', 'latency', 'allow_reorder')).toEqual([0, 1]);
    expect(values(choices, 'net', 'mtu', 'mtu')).toEqual([1400, 1350, 1300, 1250, 1200, 1150, 1100, 1050, 1000]);
  });

  it('names wire paths in the space it describes', () => {
    const spec = loadOne(wirePathScenario('  proxies: [tcp_path, net]\n  faults: { blackhole: {}, mtu: { mtu: 1000..1400 }, latency: { latency: 50, jitter: 0, allow_reorder: 0 } }'));
    expect(describeFaultSpace(resolveFaultSpace(spec, { workloadsEndMs: 90 }))).toEqual([
      'up to 3 faults, starting at 0ms..100ms (11 values), lasting 10ms..100ms (10 values)',
      'toxics and wire faults on upstream or downstream',
      'tcp_path: latency (latency 50, jitter 0)',
      'wire path net: blackhole',
      'wire path net: mtu (mtu 1000..1400 (9 values))',
      'wire path net: latency (latency 50, jitter 0, allow_reorder 0)',
      'budget: 100 schedules',
    ]);
  });
});

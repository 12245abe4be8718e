/**
 * The runner with both backends in one scenario, on real sockets and real namespaces: a wire
 * path and a stream-level proxy side by side, each fault sent to the backend that holds its
 * proxy, a partition (`down`) on the wire path, and a scenario with wire paths refused where the
 * run has no wire layer.
 */
import { expect, it } from 'vitest';
import type { ScenarioRunDeps } from '../scenario/run-scenario.js';
import { runScenarioText } from './run-scenario-text.js';
import { describeWire } from '../wire/testing/wire-gate.js';
import { createWireBackend } from '../wire/wire-backend.js';
import { errorOf } from './scenario-results.js';

const SIDE_BY_SIDE = `
name: side-by-side
timeout: 15s
targets:
  wire_echo: { builtin: echo }
  proxy_echo: { builtin: echo }
proxies:
  wire: { layer: wire, target: wire_echo }
  proxy: { protocol: udp, target: proxy_echo }
workloads:
  over_wire: { type: udp-echo, via: wire, messages: 600, rate: 1000/s, timeout: 300ms }
  over_proxy: { type: udp-echo, via: proxy, messages: 600, rate: 1000/s, timeout: 300ms }
faults:
  - proxy: [wire, proxy]
    toxic: { type: loss, stream: upstream, attributes: { probability: 0.1 } }
  - proxy: wire
    down: true
    at: 200ms
    for: 100ms
assert:
  over_wire: [lost_ratio > 10%]
  over_proxy: [lost_ratio ~ configured at 99.9%]
`;

function run(yaml: string, deps: Partial<ScenarioRunDeps> = {}) {
  return runScenarioText(yaml, { seed: 11, file: 'side-by-side.yaml', deps });
}

describeWire('runScenario with a wire path and a proxy', () => {
  it('sends each fault to the backend that holds its proxy, and partitions the wire path while it is down', async () => {
    const result = await run(SIDE_BY_SIDE, { createWireBackend: (seed) => createWireBackend({ seed }) });
    expect(result.status, JSON.stringify(result.assertions.map((a) => a.message))).toBe('passed');
    const wire = result.ledger.find((l) => l.proxy === 'wire')!;
    const proxy = result.ledger.find((l) => l.proxy === 'proxy')!;
    expect(wire.protocol).toBe('ip');
    expect(proxy.protocol).toBe('udp');
    expect(wire.toxics[0]!.counters.dropped_loss).toBeGreaterThan(0);
    expect(proxy.toxics[0]!.counters.dropped_loss).toBeGreaterThan(0);
    // The partition dropped what was sent while it lasted (a request a millisecond) as
    // dropped_down; the proxy had none.
    const down = result.faults.find((f) => f.kind === 'down')!;
    expect(down.removedAtMs! - down.appliedAtMs!).toBeGreaterThan(50);
    expect(wire.directions.upstream.dropped_down).toBeGreaterThan(50);
    expect(proxy.directions.upstream.dropped_down).toBeUndefined();
    // The wire path's own loss fault, counted apart from the partition, still drops about 10%.
    const seen = wire.toxics[0]!.counters.seen!;
    expect(wire.toxics[0]!.counters.dropped_loss! / seen).toBeGreaterThan(0.05);
    expect(wire.toxics[0]!.counters.dropped_loss! / seen).toBeLessThan(0.15);
    expect(result.paths).toHaveLength(1);
    expect(result.notes.join(' ')).toMatch(/wire path wire: faults act on packets/);
  });

  it('refuses a scenario with a wire path, before anything starts, when the run has no wire layer', async () => {
    const result = await run(SIDE_BY_SIDE);
    expect(result.status).toBe('errored');
    expect(errorOf(result)).toMatchObject({ code: 'ENVIRONMENT', message: 'wire path "wire": this run has no wire layer' });
    expect(result.workloads).toEqual([]);
    expect(result.targets).toEqual([]);
  });
});

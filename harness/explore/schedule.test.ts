import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fc, test } from '@fast-check/vitest';
import { afterAll, describe, expect, it } from 'vitest';
import { describeExploredFault, type ExploredSchedule } from '../core/exploration.js';
import { loadScenarioText } from '../scenario/load.js';
import { resolveFaultSpace } from './fault-space.js';
import { renderMinimalScenario } from './minimal-scenario.js';
import { describeShrink, scheduleArbitrary, toFaultSpecs } from './schedule.js';
import { loadOne, twoProxyScenario, wirePathScenario } from './testing/explore-scenarios.js';

const scratch = mkdtempSync(join(tmpdir(), 'faultline-schedule-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const SPACES = {
  'every default (both protocols, every toxic, down)': twoProxyScenario(),
  'a narrowed space': twoProxyScenario('  faults: { latency: { latency: 0..300 }, down: {}, loss: { probability: 0..0.3 }, slicer: {} }\n  max_faults: 5\n  start: 0s..300ms\n  duration: 50ms..400ms'),
  'long faults near the timeout': twoProxyScenario('  start: 4s..4.9s\n  duration: 1s..5s\n  max_faults: 4'),
  'wire paths beside a proxy (every default)': wirePathScenario('  max_faults: 5'),
  'wire paths only, a narrowed space': wirePathScenario('  proxies: [net, udp_net]\n  faults: { blackhole: {}, mtu: { mtu: 576..1400 }, reset: {}, loss: { burst: 1..4 } }\n  max_faults: 6\n  start: 0s..300ms'),
};

describe('every generated schedule is a valid scenario', () => {
  for (const [what, source] of Object.entries(SPACES)) {
    const spec = loadOne(source);
    const space = resolveFaultSpace(spec, { workloadsEndMs: 300 });
    const outFile = join(scratch, `${spec.name}.min.yaml`);
    test.prop([scheduleArbitrary(spec, space)], { numRuns: 150 })(what, (schedule) => {
      expect(schedule.faults.length).toBeGreaterThanOrEqual(1);
      expect(schedule.faults.length).toBeLessThanOrEqual(space.maxFaults);
      // The scenario validator itself: the minimal file with this schedule must load, with the
      // schedule's faults as written after the scenario's own.
      const [loaded] = loadScenarioText(renderMinimalScenario({ spec, sourceText: source, schedule, outFile, header: [] }), outFile);
      const generated = loaded!.faults.slice(spec.faults.length);
      expect(generated.map(({ where: _, ...fault }) => fault)).toEqual(toFaultSpecs(spec, schedule).map(({ where: _, ...fault }) => fault));
      for (const fault of schedule.faults) expect(fault.atMs + fault.forMs).toBeLessThanOrEqual(spec.timeoutMs);
      // A fault says it is on a wire path exactly when it is, and nothing but a wire fault is.
      const wirePaths = new Set(spec.proxies.filter((p) => p.layer === 'wire').map((p) => p.name));
      for (const fault of schedule.faults) expect(fault.layer === 'wire').toBe(wirePaths.has(fault.proxy));
      expect(schedule.faults.filter((f) => f.layer === 'wire' && f.kind === 'down')).toEqual([]);
    });
  }
});

describe('the arbitrary', () => {
  it('draws the same schedules for the same seed, and shrinks toward fewer, milder, earlier, shorter faults', async () => {
    const spec = loadOne(SPACES['a narrowed space']);
    const arbitrary = scheduleArbitrary(spec, resolveFaultSpace(spec, { workloadsEndMs: 300 }));
    expect(fc.sample(arbitrary, { seed: 7, numRuns: 20 })).toEqual(fc.sample(arbitrary, { seed: 7, numRuns: 20 }));
    // Shrinking against "fails when some latency ≥ 100 is on at 200ms": one latency of 100,
    // upstream (the first stream), that ends at the first grid point past 200ms.
    const fails = (s: ExploredSchedule) => s.faults.some((f) => f.kind === 'toxic' && f.toxic.type === 'latency' && f.toxic.attributes.latency! >= 100 && f.atMs <= 200 && f.atMs + f.forMs > 200);
    const details = await fc.check(fc.asyncProperty(arbitrary, async (s) => !fails(s)), { seed: 7, numRuns: 500 });
    expect(details.failed).toBe(true);
    const [minimal] = details.counterexample!;
    expect(minimal.faults).toHaveLength(1);
    expect(fails(minimal)).toBe(true);
    expect(minimal.faults[0]).toMatchObject({ kind: 'toxic', toxic: { type: 'latency', stream: 'upstream', attributes: { latency: 100 } } });
    expect(minimal.faults[0]!.atMs + minimal.faults[0]!.forMs).toBe(250);
  });
});

describe('the arbitrary over a wire path', () => {
  it('shrinks an mtu fault toward the largest packets that still fail', async () => {
    const spec = loadOne(wirePathScenario('  proxies: [net]\n  faults: { mtu: {}, blackhole: {} }\n  start: 0s..300ms\n  duration: 50ms..400ms'));
    const arbitrary = scheduleArbitrary(spec, resolveFaultSpace(spec, { workloadsEndMs: 300 }));
    // "Fails when packets of 1200 bytes and more are dropped at any time": one mtu of 1200, on the
    // first stream, from the start, for the shortest window.
    const fails = (s: ExploredSchedule) => s.faults.some((f) => f.kind === 'toxic' && f.toxic.type === 'mtu' && f.toxic.attributes.mtu! < 1300);
    const details = await fc.check(fc.asyncProperty(arbitrary, async (s) => !fails(s)), { seed: 3, numRuns: 500 });
    expect(details.failed).toBe(true);
    const [minimal] = details.counterexample!;
    expect(minimal.faults).toEqual([
      { proxy: 'net', layer: 'wire', atMs: 0, forMs: 50, kind: 'toxic', toxic: { name: 'mtu_upstream', type: 'mtu', stream: 'upstream', toxicity: 1, attributes: { mtu: 1200 } } },
    ]);
    expect(describeExploredFault(minimal.faults[0]!)).toBe('mtu upstream on wire path net (mtu 1200) at 0ms for 50ms');
  });
});

describe('describeShrink', () => {
  const down = { proxy: 'p', atMs: 100, forMs: 200, kind: 'down' as const };
  const latency = (ms: number, atMs = 0) => ({ proxy: 'p', atMs, forMs: 300, kind: 'toxic' as const, toxic: { name: 'latency_upstream', type: 'latency', stream: 'upstream' as const, toxicity: 1, attributes: { latency: ms, jitter: 0 } } });
  it('names the faults removed, by their label in the previous step', () => {
    expect(describeShrink({ seed: 1, faults: [down, latency(200)] }, { seed: 1, faults: [latency(200)] })).toEqual(['removed F1 (p down at 100ms for 200ms)']);
  });
  it('names each value lowered or moved', () => {
    expect(describeShrink({ seed: 1, faults: [down, latency(400, 50)] }, { seed: 1, faults: [down, latency(200, 0)] })).toEqual(['F2 starts at 50ms → 0ms', 'F2 latency latency 400 → 200']);
  });
});

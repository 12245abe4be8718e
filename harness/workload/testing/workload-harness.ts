/**
 * Test helpers for running workloads over real loopback sockets: a context with the system
 * clock and a seeded rng, resolved specs with the documented defaults, and metric lookup.
 */
import type { HostPort } from '../../core/address.js';
import { systemClock } from '../../core/clock.js';
import type { WorkloadResult } from '../../core/result.js';
import { createRng } from '../../core/rng.js';
import type { WorkloadContext } from '../context.js';
import type { WorkloadCommon } from '../spec.js';

let nextWorkloadId = 1;

export function testContext(endpoint: HostPort, extra: Partial<WorkloadContext> = {}): WorkloadContext {
  return {
    clock: systemClock,
    rng: createRng(42).fork('test'),
    signal: new AbortController().signal,
    endpoint,
    scenarioStartMs: systemClock.now(),
    workloadId: nextWorkloadId++,
    ...extra,
  };
}

/** The defaults of docs/scenarios.md ("Workloads"), resolved. */
export function common(overrides: Partial<WorkloadCommon> = {}): WorkloadCommon {
  return {
    name: 'w',
    startMs: 0,
    messages: 100,
    size: 64,
    rate: 'max',
    connections: 1,
    timeoutMs: 2000,
    connectTimeoutMs: 2000,
    ...overrides,
  };
}

/** The value of a metric (summed over labels matching `labels`); undefined when absent. */
export function metric(result: WorkloadResult, name: string, labels?: Record<string, string>): number | undefined {
  const matches = result.metrics.filter(
    (m) => m.name === name && Object.entries(labels ?? {}).every(([k, v]) => m.labels?.[k] === v),
  );
  return matches.length === 0 ? undefined : matches.reduce((sum, m) => sum + m.value, 0);
}

export function errorCount(result: WorkloadResult, code: string): number {
  return result.errors.find((e) => e.code === code)?.count ?? 0;
}

/**
 * The runner on real loopback sockets with the embedded proxy: lifecycle edge cases that the
 * end-to-end tests (harness/test/e2e-*) do not reach through the CLI.
 */
import { describe, expect, it } from 'vitest';
import type { ProxyBackend } from '../core/backend.js';
import { FaultlineError } from '../core/errors.js';
import { createEmbeddedProxy } from '../proxy/embedded-proxy.js';
import type { ScenarioRunDeps } from './run-scenario.js';
import { runScenarioText } from '../test/run-scenario-text.js';
import { errorOf } from '../test/scenario-results.js';

const SCENARIO = `
name: one-fault
timeout: 10s
targets: { echo: { builtin: echo } }
proxies: { path: { protocol: tcp, target: echo } }
workloads: { client: { type: tcp-echo, via: path, messages: 20 } }
faults:
  - proxy: path
    toxic: { type: latency, attributes: { latency: 5 } }
assert:
  client: [delivered == 100%]
`;

function run(createBackend: ScenarioRunDeps['createBackend']) {
  return runScenarioText(SCENARIO, { seed: 1, file: 'one-fault.yaml', id: 'one-fault', backendKind: 'test', deps: { createBackend } });
}

describe('runScenario', () => {
  it('passes a scenario whose fault applied, recording planned and applied times', async () => {
    const result = await run((seed) => createEmbeddedProxy({ seed }));
    expect(result.status).toBe('passed');
    expect(result.faults).toHaveLength(1);
    expect(result.faults[0]!.plannedAtMs).toBe(0);
    expect(result.faults[0]!.appliedAtMs).toBeGreaterThanOrEqual(0);
    expect(result.ledger[0]!.toxics[0]!.counters.delayed).toBeGreaterThan(0);
    // Locations name the file as results do (relative), not the absolute path the loader saw.
    expect(result.assertions[0]!.where).toMatchObject({ file: 'one-fault.yaml', line: 11 });
  });

  it('errors, rather than judging another path, when a fault cannot be applied', async () => {
    const result = await run((seed) => {
      const proxy = createEmbeddedProxy({ seed });
      const failing: ProxyBackend = Object.create(proxy);
      failing.addToxic = async () => {
        throw new FaultlineError('UNREACHABLE', 'backend went away');
      };
      return failing;
    });
    expect(result.status).toBe('errored');
    expect(errorOf(result)).toMatchObject({ code: 'UNREACHABLE' });
    expect(errorOf(result).message).toBe('fault faults[0] on proxy "path" could not be applied or removed: backend went away');
    // What was measured is kept for the report.
    expect(result.workloads[0]!.name).toBe('client');
    expect(result.faults[0]!.error).toMatchObject({ code: 'UNREACHABLE' });
  });
});

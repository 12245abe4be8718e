/**
 * Scenario texts the explore tests load: a TCP and a UDP proxy in front of the builtin echo, with
 * faults of their own that generated schedules must not clash with; and the same beside two wire
 * paths, one TCP and UDP workloads take, one only UDP.
 */
import { fileURLToPath } from 'node:url';
import { loadScenarioText } from '../../scenario/load.js';
import type { FileScenarioSpec } from '../minimal-scenario.js';

/** Where the test scenarios pretend to live (relative paths resolve from here). */
export const EXPLORE_TEST_FILE = fileURLToPath(new URL('../../../fixtures/scenarios/valid/explore-test.yaml', import.meta.url));

/** A scenario over a TCP and a UDP proxy, with `explore` as the text of its explore: section (or none). */
export function twoProxyScenario(explore?: string): string {
  return `
name: two-paths
timeout: 5s
targets: { echo: { builtin: echo } }
proxies:
  tcp_path: { protocol: tcp, target: echo }
  udp_path: { protocol: udp, target: echo }
workloads:
  tcp: { type: tcp-echo, via: tcp_path, messages: 5 }
  udp: { type: udp-echo, via: udp_path, messages: 20, rate: 200/s }
faults:
  - { proxy: tcp_path, toxic: { type: latency, stream: upstream, attributes: { latency: 1 } }, at: 100ms, for: 200ms }
  - { proxy: udp_path, down: true, at: 50ms, for: 100ms }
assert:
  tcp: [delivered]
${explore === undefined ? '' : `explore:\n${explore}`}
`;
}

/**
 * A TCP proxy, a wire path `net` that a TCP and a UDP workload take, a wire path `udp_net` that
 * only a UDP workload takes, and a wire fault of the scenario's own (`explore` as in twoProxyScenario).
 */
export function wirePathScenario(explore?: string): string {
  return `
name: wire-paths
timeout: 5s
targets: { echo: { builtin: echo }, inside: { builtin: echo }, sink: { builtin: sink } }
proxies:
  tcp_path: { protocol: tcp, target: echo }
  net: { layer: wire, target: inside }
  udp_net: { layer: wire, target: sink }
workloads:
  tcp: { type: tcp-echo, via: tcp_path, messages: 5 }
  wire_tcp: { type: tcp-echo, via: net, messages: 5 }
  wire_udp: { type: udp-echo, via: net, messages: 20, rate: 200/s }
  stream: { type: udp-stream, via: udp_net, messages: 20, rate: 200/s }
faults:
  - { proxy: net, toxic: { type: blackhole, stream: upstream, protocol: udp }, at: 100ms, for: 200ms }
assert:
  wire_tcp: [delivered]
${explore === undefined ? '' : `explore:\n${explore}`}
`;
}

export function loadOne(text: string, file = EXPLORE_TEST_FILE): FileScenarioSpec {
  const specs = loadScenarioText(text, file);
  if (specs.length !== 1) throw new Error(`expected one scenario, got ${specs.length}`);
  return { ...specs[0]!, file };
}

/**
 * What a backend cannot run, decided from the scenario and the backend's capabilities: every
 * reason at once, and a reset of open connections only where the backend cannot do it.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BackendCapabilities } from '../core/backend.js';
import { ROOT } from '../test/e2e-cli.js';
import { backendProblems, backendUnfit } from './backend-fit.js';
import { loadScenarioFile, loadScenarioText } from './load.js';

/** What the HTTP backend declares for a real Toxiproxy, and for the embedded proxy. */
const TOXIPROXY: BackendCapabilities = {
  protocols: ['tcp'],
  ledger: false,
  tcpFaultLevel: 'stream',
  toxics: { tcp: ['noop', 'latency', 'bandwidth', 'slow_close', 'timeout', 'reset_peer', 'slicer', 'limit_data'] },
  resetsOpenConnections: false,
};
const EMBEDDED: BackendCapabilities = { protocols: ['tcp', 'udp'], ledger: true, tcpFaultLevel: 'stream', resetsOpenConnections: true };
const KIND = 'toxiproxy http://127.0.0.1:8474';
const ON = `the backend (${KIND})`;

function spec(yaml: string) {
  return loadScenarioText(yaml, '/tmp/fit.yaml')[0]!;
}

/** A scenario with a reset_peer fault at `at` on a TCP proxy a workload starting at `start` uses. */
function resetScenario(at: string, start: string, toxic = 'reset_peer') {
  return spec(`
name: reset
targets: { echo: { builtin: echo } }
proxies: { path: { protocol: tcp, target: echo } }
workloads:
  clients: { type: tcp-echo, via: path, start: ${start}, messages: 10 }
  direct: { type: tcp-echo, target: echo, messages: 10 }
faults:
  - { proxy: path, at: ${at}, toxic: { type: ${toxic}, stream: upstream } }
`);
}

describe('backendProblems', () => {
  it('names every reason a scenario cannot run, not only the first', () => {
    const twoReasons = spec(`
name: two-reasons
targets: { echo: { builtin: echo } }
proxies:
  udp_path: { protocol: udp, target: echo }
  tcp_path: { protocol: tcp, target: echo }
workloads:
  udp: { type: udp-echo, via: udp_path, messages: 10 }
  tcp: { type: tcp-echo, via: tcp_path, messages: 10 }
faults:
  - { proxy: udp_path, toxic: { type: loss, attributes: { probability: 0.1 } } }
  - { proxy: tcp_path, toxic: { type: loss, attributes: { probability: 0.1 } } }
`);
    const problems = backendProblems(twoReasons, TOXIPROXY, ON);
    // The UDP proxy once (its fault adds nothing: the proxy itself cannot exist there), the TCP loss once.
    expect(problems).toEqual([
      { path: 'proxies.udp_path', message: `proxy "udp_path" is UDP, and ${ON} proxies TCP only` },
      { path: 'faults[1]', message: `faults[1]: ${ON} has no TCP toxic "loss" (it has noop, latency, bandwidth, slow_close, timeout, reset_peer, slicer, limit_data)` },
    ]);
    const error = backendUnfit(twoReasons, TOXIPROXY, KIND)!;
    expect(error.code).toBe('ENVIRONMENT');
    expect(error.message).toBe(
      `${ON} cannot run this scenario, for 2 reasons: (1) proxy "udp_path" is UDP, and the backend proxies TCP only; ` +
        '(2) faults[1]: the backend has no TCP toxic "loss" (it has noop, latency, bandwidth, slow_close, timeout, reset_peer, slicer, limit_data)',
    );
    expect(error.problems).toEqual(problems);
    expect(backendUnfit(twoReasons, EMBEDDED, 'embedded')).toBeUndefined();
  });

  it('keeps the one reason as the message when there is one', () => {
    const scenario = resetScenario('0ms', '0ms', 'loss');
    const problems = backendProblems(scenario, TOXIPROXY, ON);
    expect(problems).toHaveLength(1);
    expect(backendUnfit(scenario, TOXIPROXY, KIND)!.message).toBe(problems[0]!.message);
  });

  it('refuses a reset added while a workload has connections open, on a backend that resets only new ones, saying why', () => {
    const scenario = resetScenario('300ms', '0ms');
    const problems = backendProblems(scenario, TOXIPROXY, ON);
    expect(problems).toEqual([
      {
        path: 'faults[0]',
        message:
          `faults[0]: ${ON} resets only connections opened after a toxic is added (open ones end with a clean FIN, not an RST), ` +
          'and the reset_peer toxic is added to proxy "path" at 300ms, when workload "clients" (from the start) already has connections through it',
        hint: expect.stringContaining('add the toxic at 0ms'),
      },
    ]);
    expect(backendUnfit(scenario, TOXIPROXY, KIND)!.hint).toContain('add the toxic at 0ms');
  });

  it('lets a reset run where every connection it meets is opened after it: at 0ms, or before the workload starts', () => {
    expect(backendProblems(resetScenario('0ms', '0ms'), TOXIPROXY, ON)).toEqual([]);
    expect(backendProblems(resetScenario('300ms', '300ms'), TOXIPROXY, ON)).toEqual([]);
    expect(backendProblems(resetScenario('300ms', '500ms'), TOXIPROXY, ON)).toEqual([]);
  });

  it('lets a backend that resets open connections run it, and ignores toxics that close with a FIN', () => {
    expect(backendProblems(resetScenario('300ms', '0ms'), EMBEDDED, ON)).toEqual([]);
    expect(backendProblems(resetScenario('300ms', '0ms', 'limit_data'), TOXIPROXY, ON)).toEqual([]);
  });

  it("refuses the built-in connection-reset scenario on Toxiproxy, and no other TCP-only one", () => {
    const refused = ['06-bandwidth', '07-connection-reset', '08-server-down', '10-framing-bug', '11-head-of-line-blocking']
      .flatMap((file) => loadScenarioFile(join(ROOT, 'scenarios', `${file}.yaml`)))
      .filter((s) => backendProblems(s, TOXIPROXY, ON).length > 0)
      .map((s) => s.name);
    expect(refused).toEqual(['connection-reset']);
  });
});

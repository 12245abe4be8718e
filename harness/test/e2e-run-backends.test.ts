/**
 * `faultline run --backend URL` end to end: the built CLI against a `faultline` admin API server
 * (here in the test's process, on an embedded proxy), against a server that answers as a real
 * Toxiproxy does (it proxies TCP only), and against nobody.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createAdminServer } from '../admin/server.js';
import { createEmbeddedProxy } from '../proxy/embedded-proxy.js';
import { faultline, PASSING, readResults, requireBuild, ROOT, scratchDir, SERVERS, writeScenario } from './e2e-cli.js';
import { errorOf } from './scenario-results.js';

let scratch: ReturnType<typeof scratchDir>;
beforeAll(() => {
  requireBuild();
  scratch = scratchDir('e2e-backends');
});
afterAll(() => scratch.remove());

describe('faultline run --backend', () => {
  it('runs TCP and UDP scenarios on a faultline admin API server, and leaves no proxy behind there', async () => {
    const embedded = createEmbeddedProxy({ seed: 1 });
    const server = await createAdminServer({ backend: embedded, port: 0 });
    try {
      const file = writeScenario(scratch.path, 'both.yaml', PASSING);
      const out = join(scratch.path, 'out-faultline');
      const run = await faultline(['run', file, '--out', out, '--backend', server.url]);
      expect(run.code, run.stdout + run.stderr).toBe(0);
      const result = readResults(out);
      expect(result.run.backend).toBe(`http ${server.url}`);
      expect(result.scenarios[0]).toMatchObject({ status: 'passed' });
      // The proxies' own ledger came back over HTTP: every UDP datagram the proxy dropped is counted.
      const udpLedger = result.scenarios[0]!.ledger.find((l) => l.proxy === 'udp_path')!;
      const dropped = udpLedger.toxics.find((t) => t.type === 'loss')!.counters.dropped_loss!;
      expect(dropped).toBeGreaterThan(0);
      expect(udpLedger.directions.upstream.seen! - udpLedger.directions.upstream.forwarded!).toBe(dropped);
      expect(await embedded.listProxies()).toEqual([]);
    } finally {
      await server.close();
      await embedded.close();
    }
  });

  describe('against a Toxiproxy server', () => {
    let toxiproxy: Server;
    let url: string;
    const requests: string[] = [];

    beforeAll(async () => {
      // What a real Toxiproxy 2.12 answers to what the run asks before a scenario starts. It has
      // no faultline request-id header, which is how the run tells it from a faultline server.
      toxiproxy = createServer((req, res) => {
        requests.push(`${req.method} ${req.url}`);
        if (req.method === 'GET' && req.url === '/version') {
          res.writeHead(200, { 'Content-Type': 'application/json;charset=utf-8' });
          res.end('{"version": "2.12.0"}\n');
        } else {
          res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
          res.end('404 page not found\n');
        }
      });
      await new Promise<void>((resolve) => toxiproxy.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(toxiproxy.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((resolve) => toxiproxy.close(() => resolve())));

    it('a scenario with a UDP proxy errors before any target starts, saying Toxiproxy proxies TCP only (exit 3)', async () => {
      const pidFile = join(scratch.path, 'app.pids');
      const file = writeScenario(
        scratch.path,
        'udp.yaml',
        `
name: udp-on-toxiproxy
timeout: 10s
targets:
  echo: { builtin: echo }
  app: { command: [python3, ${JSON.stringify(join(SERVERS, 'target-fixture-server.py'))}, --port, '{tcp_port}', --pid-file, ${JSON.stringify(pidFile)}], tcp: auto }
proxies: { udp_path: { protocol: udp, target: echo } }
workloads:
  udp: { type: udp-echo, via: udp_path, messages: 10 }
  app: { type: tcp-echo, target: app, messages: 1 }
`,
      );
      const out = join(scratch.path, 'out-toxiproxy');
      const run = await faultline(['run', file, '--out', out, '--backend', url]);
      expect(run.code, run.stdout + run.stderr).toBe(3);
      const result = readResults(out);
      expect(result.run.backend).toBe(`toxiproxy ${url}`);
      const [scenario] = result.scenarios;
      expect(scenario).toMatchObject({ status: 'errored', error: { code: 'ENVIRONMENT' } });
      expect(errorOf(scenario).message).toBe(`proxy "udp_path" is UDP, and the backend (toxiproxy ${url}) proxies TCP only`);
      expect(run.stdout).toContain('proxies TCP only');
      expect(existsSync(pidFile)).toBe(false);
      // Asked what it is, once; never asked to create the UDP proxy it would have made a TCP one.
      expect(requests.filter((r) => r.startsWith('POST'))).toEqual([]);
      expect(requests.filter((r) => r === 'GET /version')).toHaveLength(1);
    });

    it("a fault with one of faultline's own toxics errors before anything starts, listing Toxiproxy's (exit 3)", async () => {
      requests.length = 0;
      const file = writeScenario(
        scratch.path,
        'tcp-loss.yaml',
        `
name: tcp-loss-on-toxiproxy
timeout: 10s
targets: { echo: { builtin: echo } }
proxies: { tcp_path: { protocol: tcp, target: echo } }
workloads: { tcp: { type: tcp-echo, via: tcp_path, messages: 10 } }
faults:
  - proxy: tcp_path
    toxic: { type: latency, attributes: { latency: 5 } }
  - proxy: tcp_path
    at: 100ms
    toxic: { type: loss, stream: upstream, attributes: { probability: 0.1 } }
`,
      );
      const out = join(scratch.path, 'out-toxiproxy-loss');
      const run = await faultline(['run', file, '--out', out, '--backend', url]);
      expect(run.code, run.stdout + run.stderr).toBe(3);
      const [scenario] = readResults(out).scenarios;
      expect(errorOf(scenario)).toMatchObject({
        code: 'ENVIRONMENT',
        message: `faults[1]: the backend (toxiproxy ${url}) has no TCP toxic "loss" (it has noop, latency, bandwidth, slow_close, timeout, reset_peer, slicer, limit_data)`,
      });
      expect(requests).toEqual(['GET /version']);
    });
  });

  it('rejects what is not an http(s) URL, quoting it (exit 2)', async () => {
    const file = writeScenario(scratch.path, 'bad-url.yaml', PASSING);
    for (const bad of ['http://', 'ftp://127.0.0.1:8474', 'toxiproxy']) {
      const run = await faultline(['run', file, '--out', join(scratch.path, 'out-bad-url'), '--backend', bad]);
      expect(run.code, run.stdout + run.stderr).toBe(2);
      expect(run.stderr).toContain(`--backend: expected "embedded" or an http(s):// URL of a Toxiproxy-API server, got ${JSON.stringify(bad)}`);
    }
  });

  it('stops before any scenario when nobody answers at the URL, naming it (exit 3)', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(blocker.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => blocker.close(() => resolve()));
    const file = writeScenario(scratch.path, 'nobody.yaml', PASSING);
    const out = join(scratch.path, 'out-nobody');
    const run = await faultline(['run', file, '--out', out, '--backend', url]);
    expect(run.code, run.stdout + run.stderr).toBe(3);
    expect(run.stderr).toContain(url);
    expect(run.stderr).toContain('ECONNREFUSED');
    expect(existsSync(join(out, 'results.json'))).toBe(false);
  });
});

// Docker does not run here, so the compose file is only read: it must start Toxiproxy where the
// docs send `--backend`, on the host's network, where the scenarios' targets listen.
describe('docker-compose.yml', () => {
  it('runs Toxiproxy on the host network with its API on 127.0.0.1:8474', () => {
    const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')) as { services: Record<string, { image: string; network_mode?: string; command?: string[] }> };
    const toxiproxy = compose.services.toxiproxy!;
    expect(toxiproxy.image).toMatch(/^ghcr\.io\/shopify\/toxiproxy:2\.\d+\.\d+$/);
    expect(toxiproxy.network_mode).toBe('host');
    expect(toxiproxy.command).toEqual(['-host=127.0.0.1', '-port=8474']);
  });
});

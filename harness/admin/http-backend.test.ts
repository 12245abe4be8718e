/**
 * The HTTP client backend: against faultline's own admin API (which must behave like the
 * embedded proxy it fronts, errors included), against a stand-in that answers exactly as
 * Toxiproxy does (bodies from docs/…/toxiproxy.md §1.3), and against nothing at all.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ProxyBackend } from '../core/backend.js';
import { failure } from '../core/testing/failure.js';
import type { ProxyInput, ToxicInput } from '../core/spec.js';
import { FAULTLINE_VERSION } from '../core/version.js';
import { createEmbeddedProxy, type EmbeddedProxy } from '../proxy/embedded-proxy.js';
import { startTcpEcho, tcpRoundTrip, type Closable } from '../test/admin-kit.js';
import { createHttpBackend, FAULTLINE_USER_AGENT, probeAdminApi, TOXIPROXY_TOXICS } from './http-backend.js';
import { createAdminServer, type AdminServer } from './server.js';

describe('against faultline', () => {
  let embedded: EmbeddedProxy;
  let server: AdminServer;
  let echo: Closable;
  let http: ProxyBackend;

  beforeEach(async () => {
    echo = await startTcpEcho();
    embedded = createEmbeddedProxy({ seed: 3 });
    server = await createAdminServer({ backend: embedded, port: 0 });
    http = createHttpBackend({ url: `${server.url}/` });
  });

  afterEach(async () => {
    await http.close();
    await server.close();
    await embedded.close();
    await echo.close();
  });

  it('does every operation of the interface over HTTP', async () => {
    expect(http.kind).toBe('http');
    expect(http.capabilities).toEqual({ protocols: ['tcp', 'udp'], ledger: true, tcpFaultLevel: 'stream', resetsOpenConnections: true });
    const upstream = `127.0.0.1:${echo.port}`;
    const created = await http.createProxy({ name: 'db', listen: '127.0.0.1:0', upstream });
    expect(created).toMatchObject({ name: 'db', protocol: 'tcp', upstream, enabled: true, toxics: [] });
    expect((await tcpRoundTrip(created.listen, Buffer.from('hi'))).toString()).toBe('hi');
    expect(await http.getProxy('db')).toEqual(created);
    const populated = await http.populate([{ name: 'db', listen: created.listen, upstream }, { name: 'other', listen: '127.0.0.1:0', upstream }]);
    expect(populated.map((p) => p.name)).toEqual(['db', 'other']);
    expect((await http.listProxies()).map((p) => p.name).sort()).toEqual(['db', 'other']);
    expect((await http.updateProxy('other', { enabled: false })).enabled).toBe(false);
    const toxic = await http.addToxic('db', { name: 'lat', type: 'latency', attributes: { latency: 5 } });
    expect(toxic).toEqual({ name: 'lat', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 5, jitter: 0 } });
    expect(await http.getToxic('db', 'lat')).toEqual(toxic);
    expect(await http.updateToxic('db', 'lat', { toxicity: 0.5 })).toEqual({ ...toxic, toxicity: 0.5 });
    await http.removeToxic('db', 'lat');
    expect((await http.getProxy('db')).toxics).toEqual([]);
    await http.addToxic('db', { type: 'latency' });
    await http.reset();
    expect((await http.listProxies()).every((p) => p.enabled && p.toxics.length === 0)).toBe(true);
    const ledger = await http.ledger('db');
    expect(ledger).toMatchObject({ proxy: 'db', protocol: 'tcp', counters: expect.objectContaining({ connections_accepted: 1 }) });
    expect(ledger).toEqual(await embedded.ledger('db'));
    await http.deleteProxy('other');
    expect((await embedded.listProxies()).map((p) => p.name)).toEqual(['db']);
  });

  it('raises the same error codes and problems as the embedded proxy it fronts', async () => {
    const upstream = `127.0.0.1:${echo.port}`;
    await embedded.createProxy({ name: 'db', listen: '127.0.0.1:0', upstream });
    await embedded.addToxic('db', { name: 'lat', type: 'latency' });
    const proxyCases: ProxyInput[] = [
      { name: 'db', listen: '127.0.0.1:0', upstream },
      { name: 'x', listen: 'nonsense', upstream, enabled: 'yes' },
      { name: 'x', listen: '127.0.0.1:0', upstream, protocol: 'sctp' },
      { name: 'x', listen: '127.0.0.1:0', upstream, session_idle_timeout: 5 },
    ];
    for (const input of proxyCases) {
      const direct = await failure(embedded.createProxy(input));
      const remote = await failure(http.createProxy(input));
      expect(remote.code, JSON.stringify(input)).toBe(direct.code);
      expect(remote.problems).toEqual(direct.problems);
      expect(remote.message.endsWith(direct.message) || remote.message.startsWith(direct.message)).toBe(true);
    }
    const toxicCases: ToxicInput[] = [
      { name: 'lat', type: 'latency' },
      { type: 'warp' },
      { type: 'duplicate' },
      { type: 'latency', stream: 'sideways' },
      { type: 'latency', toxicity: 2 },
      { type: 'latency', attributes: { latency: -1, extra: 1 } },
    ];
    for (const input of toxicCases) {
      const direct = await failure(embedded.addToxic('db', input));
      const remote = await failure(http.addToxic('db', input));
      expect(remote.code, JSON.stringify(input)).toBe(direct.code);
      expect(remote.problems).toEqual(direct.problems);
      expect(remote.hint).toBe(direct.hint);
    }
    for (const call of [(b: ProxyBackend) => b.getProxy('nope'), (b: ProxyBackend) => b.getToxic('db', 'nope'), (b: ProxyBackend) => b.ledger('nope')]) {
      expect((await failure(call(http))).code).toBe((await failure(call(embedded))).code);
    }
  });

  it('close() deletes exactly the proxies this backend created', async () => {
    const upstream = `127.0.0.1:${echo.port}`;
    await embedded.createProxy({ name: 'theirs', listen: '127.0.0.1:0', upstream });
    await http.createProxy({ name: 'mine', listen: '127.0.0.1:0', upstream });
    await http.populate([{ name: 'mine2', listen: '127.0.0.1:0', upstream }]);
    await http.close();
    expect((await embedded.listProxies()).map((p) => p.name)).toEqual(['theirs']);
  });

  it('probeAdminApi recognises faultline by its request-id header', async () => {
    expect(await probeAdminApi(server.url)).toEqual({ flavor: 'faultline', version: FAULTLINE_VERSION });
  });
});

describe('against a server that answers as Toxiproxy does', () => {
  let toxiproxy: Server;
  let url: string;
  const seen: Array<{ method: string; url: string; userAgent: string; body: string }> = [];

  /** Toxiproxy's error: JSON, but labelled text/plain by Go's http.Error. */
  const goError = (res: import('node:http').ServerResponse, status: number, error: string) => {
    res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Toxiproxy-Request-Id': 'c1' });
    res.end(`${JSON.stringify({ error, status })}\n`);
  };
  const proxyJson = { name: 'db', listen: '127.0.0.1:21001', upstream: '127.0.0.1:5432', enabled: true, Logger: {}, toxics: [] as unknown[] };

  beforeEach(async () => {
    seen.length = 0;
    toxiproxy = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        seen.push({ method: req.method!, url: req.url!, userAgent: req.headers['user-agent'] ?? '', body });
        const route = `${req.method} ${req.url}`;
        if (route === 'GET /version') {
          res.writeHead(200, { 'Content-Type': 'application/json;charset=utf-8' });
          res.end('{"version": "2.12.0"}\n');
        } else if (route === 'GET /proxies/db') {
          res.writeHead(200, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify({ ...proxyJson, toxics: [{ attributes: { latency: 100, jitter: 0 }, name: 'latency_downstream', type: 'latency', stream: 'downstream', toxicity: 1 }] }));
        } else if (route === 'POST /proxies' && JSON.parse(body).name === 'busy') {
          goError(res, 500, 'listen tcp 127.0.0.1:21001: bind: address already in use');
        } else if (route === 'POST /proxies' && JSON.parse(body).name === 'db') {
          goError(res, 409, 'proxy already exists');
        } else if (route === 'POST /proxies') {
          res.writeHead(201, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify({ ...proxyJson, ...JSON.parse(body), toxics: null }));
        } else if (route === 'GET /proxies/nope') {
          goError(res, 404, 'proxy not found');
        } else if (route === 'POST /proxies/db/toxics' && JSON.parse(body).type === 'warp') {
          goError(res, 400, 'invalid toxic type');
        } else if (route === 'POST /proxies/db/toxics' && JSON.parse(body).stream === 'sideways') {
          goError(res, 400, 'stream was invalid, can be either upstream or downstream');
        } else if (route === 'POST /proxies/db/toxics') {
          goError(res, 400, 'bad request body: json: cannot unmarshal string into Go struct field LatencyToxic.attributes.latency of type int64');
        } else if (route === 'PATCH /proxies/db/toxics/nope' || route === 'POST /proxies/db/toxics/nope') {
          goError(res, 404, 'toxic not found');
        } else if (route === 'PATCH /proxies/db') {
          // Toxiproxy before 2.6 routed only POST here: gorilla/mux's 405, empty body.
          res.writeHead(405);
          res.end();
        } else if (route === 'POST /proxies/db') {
          res.writeHead(200, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify({ ...proxyJson, enabled: false }));
        } else if (route === 'DELETE /proxies/db') {
          res.writeHead(204);
          res.end();
        } else {
          res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
          res.end('404 page not found\n');
        }
      });
    });
    await new Promise<void>((resolve) => toxiproxy.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(toxiproxy.address() as AddressInfo).port}`;
  });

  afterEach(async () => {
    toxiproxy.closeAllConnections();
    await new Promise<void>((resolve) => toxiproxy.close(() => resolve()));
  });

  it('is probed as toxiproxy and reports TCP-only capabilities without a ledger', async () => {
    expect(await probeAdminApi(url)).toEqual({ flavor: 'toxiproxy', version: '2.12.0' });
    const backend = createHttpBackend({ url, flavor: 'toxiproxy' });
    expect(backend.kind).toBe('toxiproxy');
    expect(backend.capabilities).toEqual({ protocols: ['tcp'], ledger: false, tcpFaultLevel: 'stream', toxics: { tcp: TOXIPROXY_TOXICS }, resetsOpenConnections: false });
    expect(await backend.ledger('db')).toBeUndefined();
  });

  it('refuses a UDP proxy itself, which Toxiproxy would create as a TCP one, without asking it', async () => {
    const backend = createHttpBackend({ url, flavor: 'toxiproxy' });
    const error = await failure(backend.createProxy({ name: 'dns', protocol: 'udp', listen: '127.0.0.1:0', upstream: '127.0.0.1:53' }));
    expect(error.code).toBe('ENVIRONMENT');
    expect(error.message).toBe(`proxy "dns" is UDP, and the toxiproxy server at ${url} proxies TCP only`);
    expect((await failure(backend.populate([{ name: 'dns', protocol: 'udp', upstream: '127.0.0.1:53' }]))).code).toBe('ENVIRONMENT');
    expect(seen).toEqual([]);
  });

  it('reads its JSON: no protocol means tcp, toxics null means none, the stray Logger is ignored', async () => {
    const backend = createHttpBackend({ url, flavor: 'toxiproxy' });
    expect(await backend.getProxy('db')).toEqual({
      name: 'db',
      protocol: 'tcp',
      listen: '127.0.0.1:21001',
      upstream: '127.0.0.1:5432',
      enabled: true,
      toxics: [{ name: 'latency_downstream', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 100, jitter: 0 } }],
    });
    expect((await backend.createProxy({ name: 'new', listen: '127.0.0.1:0', upstream: '127.0.0.1:1' })).toxics).toEqual([]);
  });

  it("maps Toxiproxy's statuses and words to faultline codes", async () => {
    const backend = createHttpBackend({ url, flavor: 'toxiproxy' });
    const cases: Array<[Promise<unknown>, string, string]> = [
      [backend.getProxy('nope'), 'NOT_FOUND', 'proxy not found'],
      [backend.createProxy({ name: 'db', listen: ':0', upstream: 'x:1' }), 'ALREADY_EXISTS', 'proxy already exists'],
      [backend.createProxy({ name: 'busy', listen: ':0', upstream: 'x:1' }), 'ADDRESS_IN_USE', 'listen tcp 127.0.0.1:21001: bind: address already in use'],
      [backend.addToxic('db', { type: 'warp' }), 'INVALID_TOXIC_TYPE', 'invalid toxic type'],
      [backend.addToxic('db', { type: 'latency', stream: 'sideways' }), 'INVALID_TOXIC_ATTRIBUTE', 'stream was invalid, can be either upstream or downstream'],
      [backend.addToxic('db', { type: 'latency', attributes: { latency: 'x' } }), 'INVALID_TOXIC_ATTRIBUTE', 'bad request body: json: cannot unmarshal'],
      [backend.updateToxic('db', 'nope', { toxicity: 1 }), 'NOT_FOUND', 'toxic not found'],
    ];
    for (const [promise, code, message] of cases) {
      const error = await failure(promise);
      expect(error.code).toBe(code);
      expect(error.message.startsWith(message), error.message).toBe(true);
    }
  });

  it('updates with PATCH, falls back to POST for good where a server answers 405 (Toxiproxy before 2.6), and sends a non-browser User-Agent', async () => {
    const backend = createHttpBackend({ url, flavor: 'toxiproxy' });
    expect((await backend.updateProxy('db', { enabled: false })).enabled).toBe(false);
    await backend.updateProxy('db', { enabled: false });
    expect((await failure(backend.updateToxic('db', 'nope', { toxicity: 0.5 }))).code).toBe('NOT_FOUND');
    await backend.deleteProxy('db');
    expect(seen.map((r) => `${r.method} ${r.url}`)).toEqual(['PATCH /proxies/db', 'POST /proxies/db', 'POST /proxies/db', 'POST /proxies/db/toxics/nope', 'DELETE /proxies/db']);
    expect(seen[0]!.body).toBe('{"enabled":false}');
    expect(seen[1]!.body).toBe('{"enabled":false}');
    for (const r of seen) expect(r.userAgent).toBe(FAULTLINE_USER_AGENT);
    expect(FAULTLINE_USER_AGENT).toBe(`faultline/${FAULTLINE_VERSION}`);
  });
});

describe('against nothing', () => {
  it('raises UNREACHABLE naming the URL', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as AddressInfo).port;
    await new Promise<void>((resolve) => blocker.close(() => resolve()));
    const backend = createHttpBackend({ url: `http://127.0.0.1:${port}` });
    const error = await failure(backend.listProxies());
    expect(error.code).toBe('UNREACHABLE');
    expect(error.exitCode).toBe(3);
    expect(error.message).toContain(`http://127.0.0.1:${port}`);
    expect(error.message).toContain('ECONNREFUSED');
    await expect(probeAdminApi(`http://127.0.0.1:${port}`)).rejects.toMatchObject({ code: 'UNREACHABLE' });
  });

  it('raises UNREACHABLE when the server does not answer within timeoutMs', async () => {
    const silent = createServer(() => {}); // accepts, never answers
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const backend = createHttpBackend({ url: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`, timeoutMs: 100 });
      const error = await failure(backend.reset());
      expect(error.code).toBe('UNREACHABLE');
      expect(error.message).toContain('no answer within 100 ms');
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});

/**
 * The admin API's contract on any request a client can send: a success, or a client error with a
 * code (a 4xx JSON body; Toxiproxy's own bodies for its 403, 404 and 405) — never a 500 INTERNAL,
 * never a hang, never a connection cut before the answer. Two properties:
 *
 *  - arbitrary JSON bodies (shaped like proxies and toxics, and not) on every route that takes one;
 *  - arbitrary requests written by hand on a socket: any method (lowercase, unknown, non-ASCII),
 *    any path (known routes, percent-encoded junk, 20 KB segments), any headers (duplicated
 *    lengths, chunked framing, browsers, Connection: close), any body, on any route.
 *
 * The run budget is short in `npm test` (a fixed seed); `npm run fuzz` runs it for longer
 * (harness/test/fuzz-budget.ts).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmbeddedProxy, type EmbeddedProxy } from '../proxy/embedded-proxy.js';
import { call, rawHttp, startTcpEcho, type Closable } from '../test/admin-kit.js';
import { fuzzParameters, reportPeakMemory } from '../test/fuzz-budget.js';
import { createAdminServer, type AdminServer } from './server.js';

let backend: EmbeddedProxy;
let server: AdminServer;
let echo: Closable;

beforeAll(async () => {
  echo = await startTcpEcho();
  backend = createEmbeddedProxy({ seed: 11 });
  server = await createAdminServer({ backend, port: 0 });
});

afterAll(async () => {
  reportPeakMemory('admin API');
  await server.close();
  await backend.close();
  await echo.close();
});

/** Values that look like the fields the API reads, mixed with arbitrary JSON. */
const fieldValue = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom('latency', 'loss', 'bandwidth', 'slicer', 'upstream', 'downstream', 'UPSTREAM', 'tcp', 'udp', 'x:1', '', 'db', 'lat'),
  fc.double({ noNaN: false }),
  fc.integer({ min: -5, max: 5 }),
);
const attributes = fc.dictionary(fc.constantFrom('latency', 'jitter', 'rate', 'average_size', 'probability', 'bytes', 'timeout', 'nope'), fieldValue);
const proxyish = fc.record(
  { name: fieldValue, upstream: fieldValue, enabled: fieldValue, protocol: fieldValue, session_idle_timeout: fieldValue, toxics: fieldValue },
  { requiredKeys: [] },
);
const toxicish = fc.record({ name: fieldValue, type: fieldValue, stream: fieldValue, toxicity: fieldValue, attributes: fc.oneof(attributes, fieldValue) }, { requiredKeys: [] });
const body = fc.oneof(fc.jsonValue({ maxDepth: 3 }), proxyish, toxicish, fc.array(proxyish, { maxLength: 3 }));

/** Tests bind only 127.0.0.1 port 0: any listen a generated body carries is replaced. */
function loopbackOnly(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(loopbackOnly);
  if (value !== null && typeof value === 'object') {
    const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
    if ('listen' in copy) copy.listen = '127.0.0.1:0';
    copy.upstream = typeof copy.upstream === 'string' && copy.upstream.length > 0 ? `127.0.0.1:${echo.port}` : copy.upstream;
    return copy;
  }
  return value;
}

const routes = fc.constantFrom(
  ['POST', '/proxies'],
  ['POST', '/populate'],
  ['PATCH', '/proxies/db'],
  ['POST', '/proxies/db/toxics'],
  ['PATCH', '/proxies/db/toxics/lat'],
  ['POST', '/proxies/dns/toxics'],
  ['PATCH', '/proxies/dns/toxics/lat'],
);

describe('admin API under arbitrary JSON bodies', () => {
  it('answers 2xx or a 4xx with a FaultlineError code, never 500', async () => {
    await fc.assert(
      fc.asyncProperty(routes, body, async ([method, path], raw) => {
        // A fixed starting point for each run: proxies db (tcp) and dns (udp), each with a toxic "lat".
        await call(server.url, 'POST', '/populate', [
          { name: 'db', listen: '127.0.0.1:0', upstream: `127.0.0.1:${echo.port}` },
          { name: 'dns', listen: '127.0.0.1:0', upstream: `127.0.0.1:${echo.port}`, protocol: 'udp' },
        ]);
        await call(server.url, 'POST', '/reset');
        await call(server.url, 'POST', '/proxies/db/toxics', { name: 'lat', type: 'latency' });
        await call(server.url, 'POST', '/proxies/dns/toxics', { name: 'lat', type: 'latency' });

        const res = await call(server.url, method, path, JSON.stringify(loopbackOnly(raw)));
        expect([200, 201, 400, 404, 409], `${method} ${path} ${JSON.stringify(raw)} → ${res.status} ${res.text}`).toContain(res.status);
        if (res.status >= 400) {
          expect(res.json.code).toMatch(/^[A-Z_]+$/);
          expect(res.json.code).not.toBe('INTERNAL');
          expect(typeof res.json.error).toBe('string');
        }
        // Leave only db and dns for the next run.
        for (const name of Object.keys((await call(server.url, 'GET', '/proxies')).json)) {
          if (name !== 'db' && name !== 'dns') await call(server.url, 'DELETE', `/proxies/${encodeURIComponent(name)}`);
        }
      }),
      fuzzParameters('admin-json', 150),
    );
  });
});

// ── requests written by hand ──────────────────────────────────────────────

const NAMES = ['db', 'dns', 'lat', 'nope', '', '%20', '%ff', '%2F', '..', 'a%00b', 'x'.repeat(300), 'é', '💥'];
const method = fc.oneof(
  fc.constantFrom('GET', 'POST', 'PATCH', 'DELETE', 'PUT', 'HEAD', 'OPTIONS', 'get', 'post', 'PURGE', 'CONNECT', 'TRACE'),
  fc.stringMatching(/^[A-Za-z]{1,10}$/),
  fc.constantFrom('G\u00e9T', 'GET\u0000', ''),
);
const path = fc.oneof(
  fc.tuple(fc.constantFrom('/proxies', '/proxies/', '/populate', '/reset', '/version', '/metrics', '/'), fc.constantFrom('', '?x=1', '#f')).map(([p, q]) => p + q),
  fc
    .tuple(fc.constantFrom(...NAMES), fc.constantFrom('', '/toxics', '/toxics/lat', '/toxics/', '/ledger', '/x/y'), fc.constantFrom(...NAMES))
    .map(([proxy, rest, toxic]) => `/proxies/${proxy}${rest.replace('lat', toxic)}`),
  fc.string({ maxLength: 30 }).map((p) => `/${p}`),
  fc.constantFrom(`/proxies/${'a'.repeat(20_000)}`, '*', 'http://x/proxies', '/proxies/%E0%A4%A'),
);
const header = fc.oneof(
  fc.constantFrom(
    'Connection: close',
    'User-Agent: Mozilla/5.0',
    'User-Agent: toxiproxy-cli',
    'Transfer-Encoding: chunked',
    'Content-Length: 5',
    'Content-Length: -1',
    'Content-Length: 99999999999',
    'Content-Type: text/html',
    'Expect: 100-continue',
    'Host:',
    `X-Big: ${'h'.repeat(17_000)}`,
    'Bad Header: x',
    'Connection: Upgrade\r\nUpgrade: websocket',
    'X-Bytes: \u00ff\u0001',
  ),
  fc.tuple(fc.stringMatching(/^[A-Za-z-]{1,12}$/), fc.string({ maxLength: 20 })).map(([k, v]) => `${k}: ${v}`),
);
const rawBody = fc.oneof(
  fc.constant(''),
  body.map((b) => JSON.stringify(loopbackOnly(b)) ?? ''),
  fc.string({ maxLength: 100, unit: 'binary' }),
  fc.constantFrom('{', '[]', 'null', '{"name":', '0\r\n\r\n', '5\r\nhello\r\n0\r\n\r\n', 'x'.repeat(70 * 1024)),
);

/** The bodies Toxiproxy answers with text or nothing: the route layer's 403, 404 and 405. */
function isToxiproxyText(status: number, text: string): boolean {
  return (status === 403 && text === 'User agent not allowed\n') || (status === 404 && text === '404 page not found\n') || (status === 405 && text === '');
}

describe('admin API under arbitrary requests written on a socket', () => {
  it('answers every one: a success or a coded client error, never a 500, a hang or a cut connection', async () => {
    const baseline = new Set(Object.keys((await call(server.url, 'GET', '/proxies')).json));
    const port = Number(new URL(server.url).port);
    await fc.assert(
      fc.asyncProperty(method, path, fc.array(header, { maxLength: 4 }), rawBody, fc.boolean(), async (verb, target, headers, payload, declareLength) => {
        const head = [`${verb} ${target} HTTP/1.1`, 'Host: 127.0.0.1', ...headers];
        if (declareLength && !headers.some((h) => /^(content-length|transfer-encoding):/i.test(h))) head.push(`Content-Length: ${Buffer.byteLength(payload)}`);
        const request = `${head.join('\r\n')}\r\n\r\n${payload}`;
        const res = await rawHttp(port, [Buffer.from(request, 'utf8')], { timeoutMs: 20_000 });
        const what = `${JSON.stringify(request.slice(0, 300))} → ${res.status} ${res.error ?? ''} ${res.body.slice(0, 200)}`;
        // Answered, before any reset: a status line came back (the request timeout answers 408).
        expect(res.status, what).toBeGreaterThanOrEqual(200);
        expect(res.status, what).toBeLessThan(500);
        // (A HEAD response carries the headers of a GET and no body.)
        if (res.status >= 400 && verb !== 'HEAD' && !isToxiproxyText(res.status, res.body)) {
          expect(res.headers['content-type'], what).toBe('application/json');
          const json = JSON.parse(res.body) as { code?: unknown; error?: unknown; status?: unknown };
          expect(json.code, what).toMatch(/^[A-Z_]+$/);
          expect(json.status, what).toBe(res.status);
          expect(typeof json.error, what).toBe('string');
        }
        // Whatever a request created goes, so /metrics and memory stay bounded across runs.
        const now = await call(server.url, 'GET', '/proxies');
        for (const name of Object.keys(now.json)) if (!baseline.has(name)) await call(server.url, 'DELETE', `/proxies/${encodeURIComponent(name)}`);
        const metrics = await call(server.url, 'GET', '/metrics');
        expect(metrics.text.length).toBeLessThan(64 * 1024);
      }),
      fuzzParameters('admin-raw', 150),
    );
  });
});

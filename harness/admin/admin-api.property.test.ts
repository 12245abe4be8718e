/**
 * Whatever JSON a client sends to any route that takes a body, the API answers with a client
 * error or a success: never a 500 INTERNAL (a crash in validation) and never a hang.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmbeddedProxy, type EmbeddedProxy } from '../proxy/embedded-proxy.js';
import { call, startTcpEcho, type Closable } from '../test/admin-kit.js';
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
      { numRuns: 150 },
    );
  });
});

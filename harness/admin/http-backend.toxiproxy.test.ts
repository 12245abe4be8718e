/**
 * The HTTP backend against a real Toxiproxy server (built from source; see
 * admin/testing/toxiproxy-server.ts for how it is found): every operation, updates without
 * Toxiproxy's deprecation warning, and the capabilities it declares held to what the server does.
 */
import { createConnection } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import type { ProxyBackend } from '../core/backend.js';
import { FaultlineError } from '../core/errors.js';
import { splitHostPort, startTcpEcho, tcpRoundTrip, type Closable } from '../test/admin-kit.js';
import { createHttpBackend, probeAdminApi } from './http-backend.js';
import { describeWithToxiproxy, startToxiproxy, type ToxiproxyServer } from './testing/toxiproxy-server.js';

describeWithToxiproxy('the HTTP backend against a real Toxiproxy', (bin) => {
  let toxiproxy: ToxiproxyServer;
  let echo: Closable;
  let backend: ProxyBackend;

  beforeAll(async () => {
    toxiproxy = await startToxiproxy(bin);
  });
  afterAll(() => toxiproxy?.close());
  beforeEach(async () => {
    echo = await startTcpEcho();
    backend = createHttpBackend({ url: toxiproxy.url, flavor: 'toxiproxy' });
  });
  afterEach(async () => {
    await backend.close();
    await echo.close();
  });

  it('is told apart from a faultline server', async () => {
    expect((await probeAdminApi(toxiproxy.url)).flavor).toBe('toxiproxy');
  });

  it('does every operation, updating with PATCH so that Toxiproxy logs no deprecation', async () => {
    const upstream = `127.0.0.1:${echo.port}`;
    const created = await backend.createProxy({ name: 'db', listen: '127.0.0.1:0', upstream });
    expect(created).toMatchObject({ name: 'db', protocol: 'tcp', upstream, enabled: true, toxics: [] });
    expect(created.listen).not.toBe('127.0.0.1:0');
    expect((await tcpRoundTrip(created.listen, Buffer.from('hi'))).toString()).toBe('hi');

    const toxic = await backend.addToxic('db', { name: 'lat', type: 'latency', attributes: { latency: 40 } });
    expect(toxic).toEqual({ name: 'lat', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 40, jitter: 0 } });
    expect(await backend.updateToxic('db', 'lat', { attributes: { latency: 60 } })).toMatchObject({ attributes: { latency: 60, jitter: 0 } });
    const started = performance.now();
    await tcpRoundTrip(created.listen, Buffer.from('slow'));
    expect(performance.now() - started).toBeGreaterThanOrEqual(59);
    await backend.removeToxic('db', 'lat');

    expect((await backend.updateProxy('db', { enabled: false })).enabled).toBe(false);
    expect((await backend.updateProxy('db', { enabled: true })).enabled).toBe(true);
    expect((await backend.listProxies()).map((p) => p.name)).toEqual(['db']);
    expect(await backend.ledger('db')).toBeUndefined();
    expect(toxiproxy.log()).not.toMatch(/deprecated/i);
  });

  it('refuses a UDP proxy, which Toxiproxy would create as a TCP one', async () => {
    const error = await backend.createProxy({ name: 'dns', protocol: 'udp', listen: '127.0.0.1:0', upstream: '127.0.0.1:53' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FaultlineError);
    expect(error).toMatchObject({ code: 'ENVIRONMENT' });
    expect(await backend.listProxies()).toEqual([]);
  });

  it('declares resetsOpenConnections: false because reset_peer ends an open connection with a FIN, and resets only new ones', async () => {
    expect(backend.capabilities.resetsOpenConnections).toBe(false);
    const { listen } = await backend.createProxy({ name: 'reset', listen: '127.0.0.1:0', upstream: `127.0.0.1:${echo.port}` });
    const open = await connected(listen);
    await backend.addToxic('reset', { type: 'reset_peer', stream: 'upstream', attributes: { timeout: 0 } });
    const later = await connected(listen);
    expect(await ending(open)).toBe('end');
    expect(await ending(later)).toBe('ECONNRESET');
  });
});

/** A client connection through `address`, once established. */
function connected(address: string): Promise<import('node:net').Socket> {
  const [host, port] = splitHostPort(address);
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host, port }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Writes a byte and tells how the connection ends: `end` (FIN) or the error code (ECONNRESET). */
function ending(socket: import('node:net').Socket): Promise<string> {
  return new Promise((resolve) => {
    socket.removeAllListeners('error');
    socket.on('data', () => {});
    socket.once('end', () => {
      resolve('end');
      socket.destroy();
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    socket.write('x');
  });
}

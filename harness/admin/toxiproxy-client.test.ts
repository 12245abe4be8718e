/**
 * toxiproxy-node-client 4.x, unchanged, against faultline's admin API and the real embedded
 * proxy: every call the client has, and the traffic through what it created.
 */
import { Toxiproxy, ToxiproxyError, type Toxic } from 'toxiproxy-node-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FAULTLINE_VERSION } from '../core/version.js';
import { createEmbeddedProxy, type EmbeddedProxy } from '../proxy/embedded-proxy.js';
import { call, connectOutcome, startTcpEcho, startUdpEcho, tcpRoundTrip, udpRoundTrip, type Closable } from '../test/admin-kit.js';
import { createAdminServer, type AdminServer } from './server.js';

let backend: EmbeddedProxy;
let server: AdminServer;
let echo: Closable;
let toxiproxy: Toxiproxy;

beforeEach(async () => {
  echo = await startTcpEcho();
  backend = createEmbeddedProxy({ seed: 7 });
  server = await createAdminServer({ backend, port: 0 });
  toxiproxy = new Toxiproxy(server.url);
});

afterEach(async () => {
  await server.close();
  await backend.close();
  await echo.close();
});

const upstream = () => `127.0.0.1:${echo.port}`;

describe('toxiproxy-node-client against faultline', () => {
  it('getVersion returns the version document', async () => {
    expect(JSON.parse(await toxiproxy.getVersion())).toEqual({ version: FAULTLINE_VERSION });
  });

  it('createProxy, then bytes flow through the proxy to the upstream', async () => {
    const proxy = await toxiproxy.createProxy({ name: 'db', listen: '127.0.0.1:0', upstream: upstream() });
    expect(proxy.name).toBe('db');
    expect(proxy.enabled).toBe(true);
    expect(proxy.upstream).toBe(upstream());
    expect(proxy.listen).toMatch(/^127\.0\.0\.1:[1-9]\d*$/);
    const payload = Buffer.from('x'.repeat(100_000));
    expect((await tcpRoundTrip(proxy.listen, payload)).equals(payload)).toBe(true);
  });

  it('get and getAll', async () => {
    await toxiproxy.createProxy({ name: 'a', listen: '127.0.0.1:0', upstream: upstream() });
    await toxiproxy.createProxy({ name: 'b', listen: '127.0.0.1:0', upstream: upstream(), enabled: false });
    const b = await toxiproxy.get('b');
    expect(b.toJson()).toEqual({ name: 'b', listen: '127.0.0.1:0', upstream: upstream(), enabled: false });
    const all = await toxiproxy.getAll();
    expect(Object.keys(all).sort()).toEqual(['a', 'b']);
    expect(all.a!.enabled).toBe(true);
  });

  it('populate creates proxies and returns them by name', async () => {
    const proxies = await toxiproxy.populate([
      { name: 'a', listen: '127.0.0.1:0', upstream: upstream() },
      { name: 'b', listen: '127.0.0.1:0', upstream: upstream() },
    ]);
    expect(Object.keys(proxies).sort()).toEqual(['a', 'b']);
    expect((await tcpRoundTrip(proxies.b!.listen, Buffer.from('via b'))).toString()).toBe('via b');
  });

  it('update disables and re-enables (the whole proxy JSON sent back)', async () => {
    const proxy = await toxiproxy.createProxy({ name: 'db', listen: '127.0.0.1:0', upstream: upstream() });
    const down = await proxy.update({ ...proxy.toJson(), enabled: false });
    expect(down.enabled).toBe(false);
    expect(await connectOutcome(proxy.listen)).toBe('ECONNREFUSED');
    const up = await down.update({ ...down.toJson(), enabled: true });
    expect(up.enabled).toBe(true);
    expect(up.listen).toBe(proxy.listen);
    expect((await tcpRoundTrip(up.listen, Buffer.from('up'))).toString()).toBe('up');
  });

  it('remove deletes the proxy and frees its port', async () => {
    const proxy = await toxiproxy.createProxy({ name: 'db', listen: '127.0.0.1:0', upstream: upstream() });
    await proxy.remove();
    expect(await connectOutcome(proxy.listen)).toBe('ECONNREFUSED');
    await expect(toxiproxy.get('db')).rejects.toThrow(ToxiproxyError);
    await expect(toxiproxy.get('db')).rejects.toThrow('Request failed with status code 404');
  });

  it('errors surface as ToxiproxyError with the status (duplicate → 409)', async () => {
    await toxiproxy.createProxy({ name: 'db', listen: '127.0.0.1:0', upstream: upstream() });
    await expect(toxiproxy.createProxy({ name: 'db', listen: '127.0.0.1:0', upstream: upstream() })).rejects.toThrow(
      'Request failed with status code 409',
    );
  });

  it('addToxic, getToxic, toxic update and remove; the latency really delays the echo', async () => {
    const proxy = await toxiproxy.createProxy({ name: 'db', listen: '127.0.0.1:0', upstream: upstream() });
    const toxic = await proxy.addToxic({ name: 'lat', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 60, jitter: 0 } });
    expect(toxic.toJson()).toEqual({ name: 'lat', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 60, jitter: 0 } });
    expect((await proxy.getToxic('lat')).toJson()).toEqual(toxic.toJson());

    let started = performance.now();
    await tcpRoundTrip(proxy.listen, Buffer.from('slow'));
    expect(performance.now() - started).toBeGreaterThanOrEqual(60);

    const updated: Toxic<{ latency: number; jitter: number }> = await toxic.update({ ...toxic.toJson(), attributes: { latency: 5, jitter: 0 } });
    expect(updated.attributes).toEqual({ latency: 5, jitter: 0 });
    await updated.remove();
    await expect(proxy.getToxic('lat')).rejects.toThrow('Request failed with status code 404');
    started = performance.now();
    await tcpRoundTrip(proxy.listen, Buffer.from('fast'));
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('reset removes toxics and re-enables proxies (toxics added on a UDP proxy, created with raw HTTP)', async () => {
    const udpEcho = await startUdpEcho();
    try {
      // The client's types have no `protocol`; the server takes it as an extension.
      const dns = await call(server.url, 'POST', '/proxies', { name: 'dns', protocol: 'udp', listen: '127.0.0.1:0', upstream: `127.0.0.1:${udpEcho.port}` });
      expect(dns.status).toBe(201);
      const proxy = await toxiproxy.get('dns');
      expect(proxy.listen).toBe(dns.json.listen);
      // A UDP toxic through the client (its TS types list only Toxiproxy's TCP types).
      const toxic = await proxy.addToxic({ name: 'drop', type: 'loss' as 'latency', stream: 'upstream', toxicity: 1, attributes: { probability: 1 } as never });
      expect(toxic.type).toBe('loss');
      await expect(udpRoundTrip(proxy.listen, Buffer.from('lost'), 200)).rejects.toThrow(/no UDP reply/);
      await proxy.update({ ...proxy.toJson(), enabled: false });
      await toxiproxy.reset();
      const after = await toxiproxy.get('dns');
      expect(after.enabled).toBe(true);
      expect((await call(server.url, 'GET', '/proxies/dns/toxics')).json).toEqual([]);
      expect((await udpRoundTrip(after.listen, Buffer.from('back'))).toString()).toBe('back');
    } finally {
      await udpEcho.close();
    }
  });
});

/**
 * createFaultProxy over real loopback sockets: the same test on the embedded proxy, on a
 * `faultline proxy` admin server and on a real Toxiproxy (when one is found), which is the
 * promise of the `backend` option. Plus what only some backends do (UDP, the ledger, the seed).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFaultlineServer, type FaultlineServer } from '../admin/testing/faultline-server.js';
import { describeWithToxiproxy, startToxiproxy, type ToxiproxyServer } from '../admin/testing/toxiproxy-server.js';
import { failure } from '../core/testing/failure.js';
import { tcpRoundTrip, udpRoundTrip } from '../test/admin-kit.js';
import { createFaultProxy, type FaultProxy } from './fault-proxy.js';
import { startEchoServer, type BuiltinServer } from './servers.js';

/** Milliseconds a TCP round trip through `listen` takes. */
async function roundTripMs(listen: string): Promise<number> {
  const started = performance.now();
  expect((await tcpRoundTrip(listen, Buffer.from('ping'))).toString()).toBe('ping');
  return performance.now() - started;
}

/** What every backend must do the same way. */
function behavesLikeToxiproxy(backend: () => string) {
  let echo: BuiltinServer;
  beforeAll(async () => {
    echo = await startEchoServer();
  });
  afterAll(() => echo.close());

  it('creates a TCP proxy on a free port, adds, updates and removes a typed toxic, disables and deletes it', async () => {
    await using faults = await createFaultProxy({ backend: backend() });
    const db = await faults.createProxy({ name: 'db', upstream: echo.tcp });
    expect(db).toMatchObject({ name: 'db', protocol: 'tcp', upstream: echo.tcp, enabled: true, host: '127.0.0.1' });
    expect(db.port).toBeGreaterThan(0);
    expect(db.listen).toBe(`127.0.0.1:${db.port}`);
    await roundTripMs(db.listen);

    const latency = await db.addToxic({ type: 'latency', attributes: { latency: 40 } });
    expect(latency).toMatchObject({ proxy: 'db', name: 'latency_downstream', type: 'latency', stream: 'downstream', toxicity: 1 });
    expect(latency.attributes).toEqual({ latency: 40, jitter: 0 });
    expect(await roundTripMs(db.listen)).toBeGreaterThanOrEqual(39);
    const slower = await latency.update({ attributes: { latency: 80 } });
    expect(slower.attributes).toEqual({ latency: 80, jitter: 0 });
    expect(latency.attributes.latency).toBe(40); // a snapshot: the old one did not change
    expect(await roundTripMs(db.listen)).toBeGreaterThanOrEqual(79);

    const listed = await db.listToxics();
    expect(listed.map((t) => t.name)).toEqual(['latency_downstream']);
    const found = await db.getToxic('latency_downstream');
    if (found.type !== 'latency') throw new Error(`expected the latency toxic, got ${found.type}`);
    expect(found.attributes.latency).toBe(80);
    await slower.remove();
    expect(await db.listToxics()).toEqual([]);

    await db.disable();
    expect(db.enabled).toBe(false);
    await expect(tcpRoundTrip(db.listen, Buffer.from('x'), 1_000)).rejects.toThrow();
    await db.enable();
    expect(db.enabled).toBe(true);
    await roundTripMs(db.listen);

    expect((await faults.listProxies()).map((p) => p.name)).toEqual(['db']);
    expect((await faults.getProxy('db')).listen).toBe(db.listen);
    await db.delete();
    expect(await faults.listProxies()).toEqual([]);
  });

  it('raises FaultlineErrors with their codes', async () => {
    await using faults = await createFaultProxy({ backend: backend() });
    expect((await failure(faults.getProxy('nope'))).code).toBe('NOT_FOUND');
    const db = await faults.createProxy({ name: 'db', upstream: echo.tcp });
    expect((await failure(faults.createProxy({ name: 'db', upstream: echo.tcp }))).code).toBe('ALREADY_EXISTS');
    // Typed away, but JavaScript callers can still send it.
    expect((await failure(db.addToxic({ type: 'warp' as 'latency' }))).code).toBe('INVALID_TOXIC_TYPE');
    expect((await failure(db.getToxic('nope'))).code).toBe('NOT_FOUND');
  });

  it('close() leaves nothing behind: the proxies it created are gone and their ports free', async () => {
    const faults = await createFaultProxy({ backend: backend() });
    const db = await faults.createProxy({ name: 'gone', upstream: echo.tcp });
    await faults.close();
    await faults.close(); // idempotent
    await expect(tcpRoundTrip(db.listen, Buffer.from('x'), 1_000)).rejects.toThrow();
    await using again = await createFaultProxy({ backend: backend() });
    expect((await again.listProxies()).map((p) => p.name)).not.toContain('gone');
  });
}

describe('createFaultProxy, embedded', () => {
  behavesLikeToxiproxy(() => 'embedded');

  it('proxies UDP, keeps a ledger, and says which seed replays it', async () => {
    await using echo = await startEchoServer();
    await using faults = await createFaultProxy({ seed: 7 });
    expect(faults).toMatchObject({ backend: 'embedded', url: undefined, seed: 7 });
    expect(faults.capabilities).toMatchObject({ protocols: ['tcp', 'udp'], ledger: true });
    const dns = await faults.createProxy({ name: 'dns', protocol: 'udp', upstream: echo.udp });
    expect(dns.protocol).toBe('udp');
    const loss = await dns.addToxic({ type: 'loss', stream: 'upstream', attributes: { probability: 1 } });
    expect(loss.attributes).toMatchObject({ probability: 1 });
    await expect(udpRoundTrip(dns.listen, Buffer.from('lost'), 200)).rejects.toThrow();
    await loss.remove();
    expect((await udpRoundTrip(dns.listen, Buffer.from('back'))).toString()).toBe('back');
    const ledger = await dns.ledger();
    expect(ledger.toxics.find((t) => t.name === 'loss_upstream')!.counters.dropped_loss).toBe(1);
    expect(ledger.directions.upstream.forwarded).toBe(1);
  });

  it('picks a random seed when given none, and refuses a bad one', async () => {
    await using faults = await createFaultProxy();
    expect(Number.isInteger(faults.seed)).toBe(true);
    expect((await failure(createFaultProxy({ seed: -1 }))).code).toBe('INVALID_ARGUMENT');
    expect((await failure(createFaultProxy({ backend: 'toxiproxy' }))).message).toContain('backend: expected "embedded" or an http(s):// URL');
  });
});

describe('createFaultProxy, on a faultline proxy server', () => {
  let server: FaultlineServer;
  beforeAll(async () => {
    server = await startFaultlineServer();
  });
  afterAll(() => server.close());

  behavesLikeToxiproxy(() => server.url);

  it('is told apart from Toxiproxy, and reads the server’s ledger', async () => {
    await using echo = await startEchoServer();
    await using faults = await createFaultProxy({ backend: server.url });
    expect(faults).toMatchObject({ backend: 'faultline', url: server.url, seed: undefined });
    const db = await faults.createProxy({ name: 'counted', upstream: echo.tcp });
    await roundTripMs(db.listen);
    expect((await db.ledger()).counters.connections_accepted).toBe(1);
  });
});

describeWithToxiproxy('createFaultProxy, on a real Toxiproxy', (bin) => {
  let toxiproxy: ToxiproxyServer;
  beforeAll(async () => {
    toxiproxy = await startToxiproxy(bin);
  });
  afterAll(() => toxiproxy?.close());

  behavesLikeToxiproxy(() => toxiproxy.url);

  it('says what it cannot do: UDP and a ledger', async () => {
    await using echo = await startEchoServer();
    await using faults: FaultProxy = await createFaultProxy({ backend: toxiproxy.url });
    expect(faults.backend).toBe('toxiproxy');
    expect(faults.capabilities).toMatchObject({ protocols: ['tcp'], ledger: false, resetsOpenConnections: false });
    expect((await failure(faults.createProxy({ name: 'dns', protocol: 'udp', upstream: echo.udp }))).code).toBe('ENVIRONMENT');
    const db = await faults.createProxy({ name: 'db', upstream: echo.tcp });
    const error = await failure(db.ledger());
    expect(error.code).toBe('ENVIRONMENT');
    expect(error.message).toContain('keeps no ledger');
  });
});

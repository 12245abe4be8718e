import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FaultlineError } from '../core/errors.js';
import { MAX_NAME_LENGTH } from '../core/spec.js';
import { createEmbeddedProxy, PopulateError, type EmbeddedProxy } from './embedded-proxy.js';
import { RETIRED_TOXIC_CAPACITY } from './ledger-recorder.js';
import { defaultListenBacklog } from './listen-backlog.js';
import { connectClient, startTestServer, tryConnect, type TestServer } from './testing/tcp-test-kit.js';

let proxy: EmbeddedProxy;
let servers: TestServer[] = [];

async function server(): Promise<TestServer> {
  const s = await startTestServer('echo');
  servers.push(s);
  return s;
}

/**
 * A client for the backlog test, in a process of its own: opens N connections to PORT at once,
 * waits 300 ms, and writes to FILE how many the kernel has established (client side, from
 * /proc/net/tcp), while the proxy's process accepts none.
 */
const BURST_CLIENT = `
const [port, n, file] = process.argv.slice(1);
const net = require('node:net');
const fs = require('node:fs');
const sockets = [];
for (let i = 0; i < Number(n); i++) sockets.push(net.connect({ host: '127.0.0.1', port: Number(port) }).on('error', () => {}));
setTimeout(() => {
  const hex = Number(port).toString(16).toUpperCase().padStart(4, '0');
  const established = fs.readFileSync('/proc/net/tcp', 'utf8').split('\\n').slice(1)
    .map((line) => line.trim().split(/\\s+/))
    .filter((f) => f[2] && f[2].endsWith(':' + hex) && f[3] === '01').length;
  fs.writeFileSync(file + '.tmp', String(established));
  fs.renameSync(file + '.tmp', file);
}, 300);
`;

function portOf(listen: string): number {
  return Number(listen.slice(listen.lastIndexOf(':') + 1));
}

async function rejection(promise: Promise<unknown>): Promise<FaultlineError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof FaultlineError) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

afterEach(async () => {
  await proxy?.close();
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

describe('embedded proxy registry', () => {
  it('creates a proxy on a free port and carries bytes both ways', async () => {
    proxy = createEmbeddedProxy({ seed: 1 });
    const echo = await server();
    const state = await proxy.createProxy({ name: 'p', listen: '127.0.0.1:0', upstream: echo.address });
    expect(state).toEqual({ name: 'p', protocol: 'tcp', listen: expect.stringMatching(/^127\.0\.0\.1:\d+$/), upstream: echo.address, enabled: true, toxics: [] });
    expect(portOf(state.listen)).toBeGreaterThan(0);
    const client = await connectClient(portOf(state.listen));
    client.socket.end('hello');
    await client.until(() => client.ended, 'echo and FIN');
    expect(client.received().toString()).toBe('hello');
    const ledger = await proxy.ledger('p');
    expect(ledger.counters.connections_accepted).toBe(1);
    expect(ledger.directions.upstream.bytes_forwarded).toBe(5);
    expect(ledger.directions.downstream.bytes_forwarded).toBe(5);
    expect(proxy.seed).toBe(1);
  });

  it('rejects missing and malformed fields with Toxiproxy\'s words', async () => {
    proxy = createEmbeddedProxy();
    const missingName = await rejection(proxy.createProxy({ listen: ':0', upstream: '127.0.0.1:1' }));
    expect([missingName.code, missingName.message]).toEqual(['INVALID_INPUT', 'missing required field: name']);
    const missingUpstream = await rejection(proxy.createProxy({ name: 'a', listen: ':0' }));
    expect(missingUpstream.message).toBe('missing required field: upstream');
    const missingListen = await rejection(proxy.createProxy({ name: 'a', upstream: '127.0.0.1:1' }));
    expect(missingListen.message).toBe('missing required field: listen');
    const bad = await rejection(proxy.createProxy({ name: 'a', listen: 'nowhere', upstream: '127.0.0.1:0', protocol: 'sctp', enabled: 'yes' }));
    expect(bad.code).toBe('INVALID_INPUT');
    expect(bad.problems.map((p) => p.path)).toEqual(['listen', 'upstream', 'enabled', 'protocol']);
    expect(bad.message).toMatch(/^listen must be host:port.*got "nowhere" \(a string\) \(and 3 more\)$/);
    const tcpIdle = await rejection(proxy.createProxy({ name: 'a', listen: ':0', upstream: '127.0.0.1:1', session_idle_timeout: 5 }));
    expect(tcpIdle.message).toBe('session_idle_timeout applies to udp proxies only');
    expect(await proxy.listProxies()).toEqual([]);
  });

  it('reports duplicates and unknown names', async () => {
    proxy = createEmbeddedProxy();
    const echo = await server();
    await proxy.createProxy({ name: 'p', listen: ':0', upstream: echo.address });
    const dup = await rejection(proxy.createProxy({ name: 'p', listen: ':0', upstream: echo.address }));
    expect([dup.code, dup.message]).toEqual(['ALREADY_EXISTS', 'proxy already exists']);
    for (const call of [proxy.getProxy('nope'), proxy.deleteProxy('nope'), proxy.updateProxy('nope', {}), proxy.addToxic('nope', { type: 'noop' }), proxy.ledger('nope')]) {
      const error = await rejection(call);
      expect([error.code, error.message]).toEqual(['NOT_FOUND', 'proxy not found']);
    }
    for (const call of [proxy.getToxic('p', 'x'), proxy.updateToxic('p', 'x', {}), proxy.removeToxic('p', 'x')]) {
      const error = await rejection(call);
      expect([error.code, error.message]).toEqual(['NOT_FOUND', 'toxic not found']);
    }
  });

  it('names the address when the listen port is taken', async () => {
    proxy = createEmbeddedProxy();
    const echo = await server();
    const error = await rejection(proxy.createProxy({ name: 'p', listen: echo.address, upstream: echo.address }));
    expect(error.code).toBe('ADDRESS_IN_USE');
    expect(error.message).toBe(`listen ${echo.address}: address already in use`);
    expect(error.exitCode).toBe(3);
    expect(await proxy.listProxies()).toEqual([]);
  });

  it('reports a listen address that cannot be bound as ADDRESS_UNAVAILABLE', async () => {
    proxy = createEmbeddedProxy();
    // 192.0.2.1 (TEST-NET-1) is never a local address: bind() fails locally, no packet is sent.
    const error = await rejection(proxy.createProxy({ name: 'p', listen: '192.0.2.1:0', upstream: '127.0.0.1:9' }));
    expect(error.code).toBe('ADDRESS_UNAVAILABLE');
    expect(error.message).toBe('listen 192.0.2.1:0: cannot bind (EADDRNOTAVAIL)');
  });

  it('accepts a burst of 2,000 simultaneous connections: the listen backlog is the kernel\'s, not Node\'s 511', async () => {
    // With Node's default backlog the kernel completed 512 of them and dropped the rest's SYNs,
    // which came back only after the 1 s retransmission timeout, or were reset. Counted without
    // a clock: a child process opens the connections while this process, the proxy's, is blocked
    // and accepts none, and reads from /proc/net/tcp how many the kernel completed.
    proxy = createEmbeddedProxy({ seed: 1 });
    const n = Math.min(2000, defaultListenBacklog());
    const state = await proxy.createProxy({ name: 'p', listen: '127.0.0.1:0', upstream: '127.0.0.1:9' });
    const report = join(mkdtempSync(join(tmpdir(), 'faultline-backlog-')), 'established');
    const client = spawn(process.execPath, ['-e', BURST_CLIENT, String(portOf(state.listen)), String(n), report], { stdio: 'ignore' });
    try {
      // Blocked on purpose, until the client has counted (at most 20 s).
      for (const started = Date.now(); !existsSync(report) && Date.now() - started < 20_000; ) {
        // nothing: no accept may run meanwhile
      }
      expect(Number(readFileSync(report, 'utf8'))).toBe(n);
      for (let i = 0; i < 500 && ((await proxy.ledger('p')).counters.connections_accepted ?? 0) < n; i++) await new Promise((r) => setTimeout(r, 20));
      expect((await proxy.ledger('p')).counters.connections_accepted).toBe(n);
    } finally {
      client.kill('SIGKILL');
      rmSync(dirname(report), { recursive: true, force: true });
    }
  });

  it('limits name lengths, and refuses addresses that are not addresses before any lookup', async () => {
    proxy = createEmbeddedProxy();
    const long = 'x'.repeat(MAX_NAME_LENGTH + 1);
    const tooLong = await rejection(proxy.createProxy({ name: long, listen: ':0', upstream: '127.0.0.1:1' }));
    expect([tooLong.code, tooLong.message]).toEqual(['INVALID_INPUT', `name is too long: ${MAX_NAME_LENGTH + 1} characters, at most ${MAX_NAME_LENGTH}`]);
    await proxy.createProxy({ name: 'x'.repeat(MAX_NAME_LENGTH), listen: ':0', upstream: '127.0.0.1:1', enabled: false });
    await proxy.createProxy({ name: 'p', listen: ':0', upstream: '127.0.0.1:1', enabled: false });
    const toxicName = await rejection(proxy.addToxic('p', { name: long, type: 'noop' }));
    expect([toxicName.code, toxicName.problems[0]?.message]).toEqual(['INVALID_TOXIC_ATTRIBUTE', `name is too long: ${MAX_NAME_LENGTH + 1} characters, at most ${MAX_NAME_LENGTH}`]);
    // Each of these went to DNS and came back 500 (ADDRESS_UNAVAILABLE), or was stored as is.
    for (const address of ['[]:0', '256.1.1.1:0', '1.2.3:0', '[::1:0', '[127.0.0.1x]:0', 'a..b:0', '-a:0', `${'a'.repeat(300)}:0`, 'exa mple:0']) {
      const error = await rejection(proxy.createProxy({ name: 'q', listen: address, upstream: '127.0.0.1:1' }));
      expect([address, error.code, error.httpStatus]).toEqual([address, 'INVALID_INPUT', 400]);
      const upstream = await rejection(proxy.createProxy({ name: 'q', listen: ':0', upstream: address.replace(/:0$/, ':80') }));
      expect([address, upstream.code]).toEqual([address, 'INVALID_INPUT']);
    }
    expect((await proxy.listProxies()).map((p) => p.name)).toEqual(['x'.repeat(MAX_NAME_LENGTH), 'p']);
  });

  it('keeps the ledger entries of the last 100 removed toxics, not of every toxic ever added', async () => {
    // A long-running proxy whose clients churned uniquely named toxics listed every one of them in
    // every ledger and /metrics scrape: the soak benchmark saw memory and loop delay grow.
    proxy = createEmbeddedProxy();
    await proxy.createProxy({ name: 'p', listen: ':0', upstream: '127.0.0.1:1' });
    await proxy.addToxic('p', { name: 'live', type: 'noop' });
    for (let i = 0; i < 250; i++) {
      await proxy.addToxic('p', { name: `t${i}`, type: 'noop' });
      await proxy.removeToxic('p', `t${i}`);
    }
    const names = (await proxy.ledger('p')).toxics.map((t) => t.name);
    expect(names).toHaveLength(RETIRED_TOXIC_CAPACITY + 1);
    expect(names).toContain('live');
    expect(names).toContain('t249');
    expect(names).toContain(`t${250 - RETIRED_TOXIC_CAPACITY}`);
    expect(names).not.toContain(`t${249 - RETIRED_TOXIC_CAPACITY}`);
    // Re-added, a retired toxic is live again and is not the next to go.
    await proxy.addToxic('p', { name: 't150', type: 'noop' });
    await proxy.addToxic('p', { name: 'x', type: 'noop' });
    await proxy.removeToxic('p', 'x');
    expect((await proxy.ledger('p')).toxics.map((t) => t.name)).toContain('t150');
  });

  it('udp proxies get a session idle timeout, default or given, and keep it across updates', async () => {
    proxy = createEmbeddedProxy();
    const a = await proxy.createProxy({ name: 'u', protocol: 'udp', listen: ':0', upstream: '127.0.0.1:9', enabled: false });
    expect(a).toMatchObject({ protocol: 'udp', session_idle_timeout: 60_000 });
    const b = await proxy.updateProxy('u', { session_idle_timeout: 500 });
    expect(b.session_idle_timeout).toBe(500);
    expect((await proxy.updateProxy('u', { upstream: '127.0.0.1:10' })).session_idle_timeout).toBe(500);
    const bad = await rejection(proxy.updateProxy('u', { session_idle_timeout: 0 }));
    expect(bad.message).toBe('session_idle_timeout must be a whole number of milliseconds ≥ 1, got 0 (number)');
  });

  it('disable closes live connections and refuses new ones; enable listens again on the same port', async () => {
    proxy = createEmbeddedProxy();
    const echo = await server();
    const { listen } = await proxy.createProxy({ name: 'p', listen: '127.0.0.1:0', upstream: echo.address });
    const client = await connectClient(portOf(listen));
    client.socket.write('x');
    await client.until(() => client.receivedBytes === 1, 'echo');
    const disabled = await proxy.updateProxy('p', { enabled: false });
    expect(disabled).toMatchObject({ enabled: false, listen });
    await client.until(() => client.ended, 'the live connection to close');
    expect(await tryConnect(portOf(listen))).toBe('ECONNREFUSED');
    expect(await proxy.updateProxy('p', { enabled: true })).toMatchObject({ enabled: true, listen });
    expect(await tryConnect(portOf(listen))).toBe('connected');
  });

  it('a proxy created disabled reports the address it was asked for', async () => {
    proxy = createEmbeddedProxy();
    const state = await proxy.createProxy({ name: 'p', listen: 'localhost:0', upstream: 'localhost:9', enabled: false });
    expect(state).toMatchObject({ listen: '127.0.0.1:0', upstream: '127.0.0.1:9', enabled: false });
  });

  it('changing upstream restarts the proxy on the same port and drops connections', async () => {
    proxy = createEmbeddedProxy();
    const a = await server();
    const b = await server();
    const { listen } = await proxy.createProxy({ name: 'p', listen: ':0', upstream: a.address });
    const client = await connectClient(portOf(listen));
    await a.accepted(1);
    expect(await proxy.updateProxy('p', { upstream: b.address })).toMatchObject({ listen, upstream: b.address });
    await client.until(() => client.ended, 'the old connection to close');
    const again = await connectClient(portOf(listen));
    await b.accepted(1);
    again.socket.destroy();
  });

  it('a failed listen change leaves the proxy running where it was', async () => {
    proxy = createEmbeddedProxy();
    const echo = await server();
    const { listen } = await proxy.createProxy({ name: 'p', listen: ':0', upstream: echo.address });
    const error = await rejection(proxy.updateProxy('p', { listen: echo.address }));
    expect(error.code).toBe('ADDRESS_IN_USE');
    expect(await proxy.getProxy('p')).toMatchObject({ listen, enabled: true });
    expect(await tryConnect(portOf(listen))).toBe('connected');
  });

  it('populate creates, keeps identical proxies with their toxics, replaces changed ones', async () => {
    proxy = createEmbeddedProxy();
    const a = await server();
    const b = await server();
    const [first] = await proxy.populate([{ name: 'p', listen: ':0', upstream: a.address }]);
    await proxy.addToxic('p', { type: 'noop' });
    const kept = await proxy.populate([{ name: 'p', listen: first!.listen, upstream: a.address }, { name: 'q', listen: ':0', upstream: b.address }]);
    expect(kept.map((p) => p.name)).toEqual(['p', 'q']);
    expect(kept[0]!.toxics.map((t) => t.name)).toEqual(['noop_downstream']);
    const replaced = await proxy.populate([{ name: 'p', listen: first!.listen, upstream: b.address }]);
    expect(replaced[0]).toMatchObject({ upstream: b.address, toxics: [] });
    expect((await proxy.listProxies()).map((p) => p.name)).toEqual(['q', 'p']);
  });

  it('populate validates every entry before applying any, then is not atomic', async () => {
    proxy = createEmbeddedProxy();
    const echo = await server();
    const invalid = await rejection(proxy.populate([{ name: 'a', listen: ':0', upstream: echo.address }, { listen: ':0', upstream: echo.address }]));
    expect(invalid).toBeInstanceOf(PopulateError);
    expect(invalid.message).toBe('missing required field: name at proxy 2');
    expect((invalid as PopulateError).proxies).toBeNull();
    expect(await proxy.listProxies()).toEqual([]);

    const partial = await rejection(proxy.populate([{ name: 'a', listen: ':0', upstream: echo.address }, { name: 'b', listen: echo.address, upstream: echo.address }]));
    expect(partial.code).toBe('ADDRESS_IN_USE');
    expect((partial as PopulateError).proxies?.map((p) => p.name)).toEqual(['a']);
    expect((await proxy.listProxies()).map((p) => p.name)).toEqual(['a']);
    const notArray = await rejection(proxy.populate({} as never));
    expect(notArray.message).toBe('expected an array of proxies, got an object');
  });

  it('reset removes every toxic and re-enables every proxy', async () => {
    proxy = createEmbeddedProxy();
    const echo = await server();
    const { listen } = await proxy.createProxy({ name: 'p', listen: ':0', upstream: echo.address });
    await proxy.addToxic('p', { type: 'noop', name: 'n1' });
    await proxy.addToxic('p', { type: 'noop', name: 'n2', stream: 'upstream' });
    await proxy.updateProxy('p', { enabled: false });
    await proxy.reset();
    expect(await proxy.getProxy('p')).toMatchObject({ enabled: true, listen, toxics: [] });
    expect(await tryConnect(portOf(listen))).toBe('connected');
  });

  it('toxics: defaults, unique names across directions, partial updates, removal', async () => {
    proxy = createEmbeddedProxy();
    const echo = await server();
    await proxy.createProxy({ name: 'p', listen: ':0', upstream: echo.address });
    const added = await proxy.addToxic('p', { type: 'latency', attributes: { latency: 10 } });
    expect(added).toEqual({ name: 'latency_downstream', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 10, jitter: 0 } });
    const dup = await rejection(proxy.addToxic('p', { type: 'noop', name: 'latency_downstream', stream: 'upstream' }));
    expect(dup.code).toBe('ALREADY_EXISTS');
    const updated = await proxy.updateToxic('p', 'latency_downstream', { attributes: { jitter: 2 } });
    expect(updated).toMatchObject({ toxicity: 1, attributes: { latency: 10, jitter: 2 } });
    expect(await proxy.getToxic('p', 'latency_downstream')).toEqual(updated);
    await proxy.removeToxic('p', 'latency_downstream');
    expect((await proxy.getProxy('p')).toxics).toEqual([]);
    const ledger = await proxy.ledger('p');
    expect(ledger.toxics.map((t) => t.name)).toEqual(['latency_downstream']);
  });

  it('returns copies: mutating a result does not change the registry', async () => {
    proxy = createEmbeddedProxy();
    const echo = await server();
    await proxy.createProxy({ name: 'p', listen: ':0', upstream: echo.address, enabled: false });
    const toxic = await proxy.addToxic('p', { type: 'latency', attributes: { latency: 5 } });
    toxic.attributes.latency = 999;
    (await proxy.getProxy('p')).toxics[0]!.attributes.latency = 998;
    expect((await proxy.getToxic('p', 'latency_downstream')).attributes.latency).toBe(5);
  });

  it('close stops every proxy', async () => {
    proxy = createEmbeddedProxy();
    const echo = await server();
    const { listen } = await proxy.createProxy({ name: 'p', listen: ':0', upstream: echo.address });
    await proxy.close();
    expect(await proxy.listProxies()).toEqual([]);
    expect(await tryConnect(portOf(listen))).toBe('ECONNREFUSED');
  });
});

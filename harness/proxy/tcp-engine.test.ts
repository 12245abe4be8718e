/**
 * The TCP engine over real loopback sockets: half-close, resets, refusal, and the observable
 * effect of every stream toxic. Timing bounds are a strict lower bound and a generous upper one.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ToxicInput } from '../core/spec.js';
import { createEmbeddedProxy, type EmbeddedProxy } from './embedded-proxy.js';
import { connectClient, startTestServer, testPayload, type RecordingSocket, type ServerBehaviour, type TestServer } from './testing/tcp-test-kit.js';
import { startPythonServer } from '../workload/testing/python-server.js';

let proxies: EmbeddedProxy[] = [];
let servers: TestServer[] = [];
let clients: RecordingSocket[] = [];

afterEach(async () => {
  for (const c of clients) c.socket.destroy();
  await Promise.all(proxies.map((p) => p.close()));
  await Promise.all(servers.map((s) => s.close()));
  proxies = [];
  servers = [];
  clients = [];
});

interface Setup {
  proxy: EmbeddedProxy;
  server: TestServer;
  port: number;
  client(): Promise<RecordingSocket>;
}

async function setup(options: { behaviour?: ServerBehaviour; toxics?: ToxicInput[]; seed?: number } = {}): Promise<Setup> {
  const server = await startTestServer(options.behaviour ?? 'echo');
  servers.push(server);
  const proxy = createEmbeddedProxy({ seed: options.seed ?? 42 });
  proxies.push(proxy);
  const { listen } = await proxy.createProxy({ name: 'p', listen: '127.0.0.1:0', upstream: server.address });
  for (const toxic of options.toxics ?? []) await proxy.addToxic('p', toxic);
  const port = Number(listen.split(':')[1]);
  return {
    proxy,
    server,
    port,
    client: async () => {
      const c = await connectClient(port);
      clients.push(c);
      return c;
    },
  };
}

describe('tcp engine: connections', () => {
  it('carries a megabyte each way intact (fast path) and counts it', async () => {
    const { proxy, client } = await setup();
    const c = await client();
    const data = testPayload(1 << 20);
    c.socket.end(data);
    await c.until(() => c.ended, 'the echo and FIN');
    expect(c.received().equals(data)).toBe(true);
    const ledger = await proxy.ledger('p');
    expect(ledger.directions.upstream.bytes_forwarded).toBe(1 << 20);
    expect(ledger.directions.downstream.bytes_forwarded).toBe(1 << 20);
    await c.until(() => c.closed || c.ended, 'close');
  });

  it('half-close: a client that shut its write side still receives the whole reply', async () => {
    const { server, client } = await setup();
    const c = await client();
    const data = testPayload(2 << 20, 3);
    c.socket.end(data);
    const s = await server.accepted(1);
    await s.until(() => s.ended, 'the server to see FIN');
    await c.until(() => c.ended, 'the reply and FIN');
    expect(c.received().equals(data)).toBe(true);
    expect(c.error).toBeUndefined();
  });

  it('a FIN from the server reaches the client while the client can still send', async () => {
    const { server, client } = await setup({ behaviour: 'sink' });
    const c = await client();
    const s = await server.accepted(1);
    s.socket.end('bye');
    await c.until(() => c.ended, 'FIN at the client');
    expect(c.received().toString()).toBe('bye');
    c.socket.end('still here');
    await s.until(() => s.ended, 'the late bytes and FIN at the server');
    expect(s.received().toString()).toBe('still here');
  });

  it('a client reset resets the server side, and a server reset resets the client', async () => {
    const { server, client, proxy } = await setup();
    const a = await client();
    const sa = await server.accepted(1);
    a.socket.resetAndDestroy();
    await sa.until(() => sa.error !== undefined, 'ECONNRESET at the server');
    expect(sa.error).toBe('ECONNRESET');

    const b = await client();
    const sb = await server.accepted(2);
    sb.socket.resetAndDestroy();
    await b.until(() => b.error !== undefined, 'ECONNRESET at the client');
    expect(b.error).toBe('ECONNRESET');
    await expectEventually(async () => (await proxy.ledger('p')).counters.connections_open === 0);
  });

  it('an unreachable upstream resets the client (ECONNRESET, not EOF) and is counted', async () => {
    const dead = await startTestServer('echo');
    const address = dead.address;
    await dead.close();
    const logs: string[] = [];
    const proxy = createEmbeddedProxy({ log: (e) => logs.push(e.message) });
    proxies.push(proxy);
    const { listen } = await proxy.createProxy({ name: 'p', listen: ':0', upstream: address });
    const c = await connectClient(Number(listen.split(':')[1]));
    clients.push(c);
    c.socket.write('buffered before the upstream failed');
    await c.until(() => c.error !== undefined, 'the reset');
    expect(c.error).toBe('ECONNRESET');
    expect(c.ended).toBe(false);
    expect((await proxy.ledger('p')).counters.upstream_refused).toBe(1);
    expect(logs.some((line) => line.includes(`upstream ${address} unreachable (ECONNREFUSED)`))).toBe(true);
  });

  it('buffers what the client sends before the upstream connection is up', async () => {
    const { client, server } = await setup({ behaviour: 'sink' });
    const c = await client();
    // Written immediately after connect: the proxy's upstream connect is still in progress.
    c.socket.end('early bytes');
    const s = await server.accepted(1);
    await s.until(() => s.ended, 'everything at the server');
    expect(s.received().toString()).toBe('early bytes');
  });
});

describe('tcp engine: toxics over real sockets', () => {
  it('latency: the echo RTT includes the delay, never less', async () => {
    const { client } = await setup({ toxics: [{ type: 'latency', attributes: { latency: 60 } }] });
    const c = await client();
    const started = performance.now();
    c.socket.write('ping');
    await c.until(() => c.receivedBytes === 4, 'the echo');
    const rtt = performance.now() - started;
    expect(rtt).toBeGreaterThanOrEqual(60);
    expect(rtt).toBeLessThan(1000);
  });

  it('latency does not cap throughput: 4 MB through a 50 ms toxic', async () => {
    const { client } = await setup({ toxics: [{ type: 'latency', stream: 'upstream', attributes: { latency: 50 } }] });
    const c = await client();
    const data = testPayload(4 << 20, 9);
    const started = performance.now();
    c.socket.end(data);
    await c.until(() => c.ended, 'the echo', 10_000);
    expect(c.received().equals(data)).toBe(true);
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(50);
    // Per-chunk sequential delays would take 64 × 50 ms; queueing time counts, so it is ~50 ms.
    expect(elapsed).toBeLessThan(2000);
  });

  it('bandwidth: 300 KB at 1000 KB/s takes about 300 ms', async () => {
    const { client, server } = await setup({ behaviour: 'sink', toxics: [{ type: 'bandwidth', stream: 'upstream', attributes: { rate: 1000 } }] });
    const c = await client();
    const data = testPayload(300_000, 4);
    const started = performance.now();
    c.socket.end(data);
    const s = await server.accepted(1);
    await s.until(() => s.ended, 'all bytes at the server', 10_000);
    const elapsed = performance.now() - started;
    expect(s.received().equals(data)).toBe(true);
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(2000);
  });

  it('slow_close: the FIN arrives delay ms after the data', async () => {
    const { client, server } = await setup({ behaviour: 'sink', toxics: [{ type: 'slow_close', attributes: { delay: 200 } }] });
    const c = await client();
    const s = await server.accepted(1);
    const started = performance.now();
    s.socket.end('bye');
    await c.until(() => c.receivedBytes === 3, 'the data');
    expect(performance.now() - started).toBeLessThan(150);
    await c.until(() => c.ended, 'the FIN');
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(200);
    expect(elapsed).toBeLessThan(1500);
  });

  it('timeout: holds data and closes the connection timeout ms after activation', async () => {
    const { client, server, proxy } = await setup({ behaviour: 'sink', toxics: [{ type: 'timeout', stream: 'upstream', attributes: { timeout: 250 } }] });
    const started = performance.now();
    const c = await client();
    const s = await server.accepted(1);
    const timer = setInterval(() => c.socket.write('tick'), 50);
    try {
      await c.until(() => c.ended, 'the close', 5000);
    } finally {
      clearInterval(timer);
    }
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(1500);
    await s.until(() => s.ended, 'FIN at the server');
    expect(s.receivedBytes).toBe(0);
    const ledger = await proxy.ledger('p');
    expect(ledger.toxics.find((t) => t.name === 'timeout_upstream')?.counters.closes).toBe(1);
  });

  it('timeout 0 holds data until removed, then delivers it in order and the connection carries on', async () => {
    const { client, server, proxy } = await setup({ behaviour: 'sink', toxics: [{ type: 'timeout', stream: 'upstream' }] });
    const c = await client();
    const s = await server.accepted(1);
    for (let i = 0; i < 5; i++) c.socket.write(`part${i};`);
    await expectEventually(async () => ((await proxy.ledger('p')).directions.upstream.bytes_seen ?? 0) === 30);
    expect(s.receivedBytes).toBe(0);
    await proxy.removeToxic('p', 'timeout_upstream');
    c.socket.end('after;');
    await s.until(() => s.ended, 'everything at the server');
    expect(s.received().toString()).toBe('part0;part1;part2;part3;part4;after;');
  });

  it('reset_peer: both peers see ECONNRESET', async () => {
    const { client, server, proxy } = await setup({ toxics: [{ type: 'reset_peer', stream: 'upstream', attributes: { timeout: 0 } }] });
    const c = await client();
    const s = await server.accepted(1);
    c.socket.write('x');
    await c.until(() => c.error !== undefined, 'the client reset');
    await s.until(() => s.error !== undefined, 'the server reset');
    expect([c.error, s.error]).toEqual(['ECONNRESET', 'ECONNRESET']);
    const ledger = await proxy.ledger('p');
    expect(ledger.toxics[0]?.counters).toMatchObject({ resets: 1, activations: 1 });
    expect(ledger.events.some((e) => e.action === 'resets' && e.toxic === 'reset_peer_upstream')).toBe(true);
  });

  it('reset_peer added to an already open connection still sends RST (Toxiproxy sends FIN)', async () => {
    const { client, proxy } = await setup();
    const c = await client();
    c.socket.write('before');
    await c.until(() => c.receivedBytes === 6, 'the first echo');
    await proxy.addToxic('p', { type: 'reset_peer', attributes: { timeout: 20 } });
    c.socket.write('after');
    await c.until(() => c.error !== undefined, 'the reset');
    expect(c.error).toBe('ECONNRESET');
    expect(c.received().toString()).toBe('before');
  });

  it('reset_peer with toxicity 0 has no effect: ordinary closes stay clean', async () => {
    const { client, proxy } = await setup({ toxics: [{ type: 'reset_peer', toxicity: 0, attributes: { timeout: 0 } }] });
    for (let i = 0; i < 3; i++) {
      const c = await client();
      c.socket.end('hello');
      await c.until(() => c.ended, 'echo and FIN');
      expect(c.received().toString()).toBe('hello');
      expect(c.error).toBeUndefined();
    }
    const ledger = await proxy.ledger('p');
    expect(ledger.toxics[0]?.counters.activations).toBeUndefined();
  });

  it('slicer: the receiver sees many small reads, bytes intact', async () => {
    // About 40 pieces 4 ms apart: far enough apart that a busy machine's event loop still reads
    // most of them one by one (1 ms apart, a loaded 2-core runner merged many of them).
    const { client } = await setup({ toxics: [{ type: 'slicer', attributes: { average_size: 10, size_variation: 5, delay: 4000 } }] });
    const c = await client();
    const data = testPayload(400, 6);
    c.socket.write(data);
    await c.until(() => c.receivedBytes === 400, 'the sliced echo');
    expect(c.received().equals(data)).toBe(true);
    expect(c.chunks.length).toBeGreaterThanOrEqual(15);
  });

  it('limit_data: exactly N bytes, then end of stream', async () => {
    const { client } = await setup({ toxics: [{ type: 'limit_data', attributes: { bytes: 100 } }] });
    const c = await client();
    const data = testPayload(1000, 7);
    c.socket.write(data);
    await c.until(() => c.ended, 'the end');
    expect(c.received().equals(data.subarray(0, 100))).toBe(true);
    expect(c.error).toBeUndefined();
  });

  it('reset_after: exactly N bytes reach the receiver, then both peers see ECONNRESET', async () => {
    // The receiver is a Python process that reads in order and asks the kernel how the stream
    // ended: Node's libuv reports end of stream when data and the RST arrive together.
    const receiver = await startPythonServer('count-until-close.py');
    const proxy = createEmbeddedProxy({ seed: 42 });
    proxies.push(proxy);
    try {
      const { listen } = await proxy.createProxy({ name: 'p', listen: '127.0.0.1:0', upstream: `127.0.0.1:${receiver.port}` });
      await proxy.addToxic('p', { type: 'reset_after', stream: 'upstream', attributes: { bytes: 4096 } });
      const c = await connectClient(Number(listen.split(':')[1]));
      clients.push(c);
      // The proxy connects upstream when the client connects; write once that connection exists.
      expect(await receiver.nextLine()).toBe('accepted');
      c.socket.write(testPayload(64 * 1024, 11));
      await c.until(() => c.error !== undefined, 'the client reset');
      expect(c.error).toBe('ECONNRESET');
      expect(await receiver.nextLine()).toBe('received 4096 ECONNRESET');
      const ledger = await proxy.ledger('p');
      expect(ledger.toxics[0]?.counters).toMatchObject({ resets: 1, dropped_limit: 1, bytes_forwarded: 4096 });
      expect(ledger.events.some((e) => e.action === 'resets' && e.toxic === 'reset_after_upstream')).toBe(true);
    } finally {
      await receiver.stop();
    }
  });

  it('reset_after: the budget survives an update, and lowering it below what was sent resets at once', async () => {
    const { client, server, proxy } = await setup({ behaviour: 'sink', toxics: [{ type: 'reset_after', stream: 'upstream', attributes: { bytes: 1000 } }] });
    const c = await client();
    const s = await server.accepted(1);
    c.socket.write(testPayload(600, 12));
    await s.until(() => s.receivedBytes === 600, 'the first 600 bytes');
    await proxy.updateToxic('p', 'reset_after_upstream', { attributes: { bytes: 500 } });
    await c.until(() => c.error !== undefined, 'the reset');
    expect(c.error).toBe('ECONNRESET');
    expect(s.receivedBytes).toBe(600);
  });

  it('loss: bytes intact and in order, later, with emulated retransmissions in the ledger', async () => {
    const { client, server, proxy } = await setup({
      behaviour: 'sink',
      toxics: [{ type: 'loss', stream: 'upstream', attributes: { probability: 0.2, mss: 1000, rto: 5, max_rto: 20 } }],
    });
    const c = await client();
    const data = testPayload(100_000, 8);
    const started = performance.now();
    c.socket.end(data);
    const s = await server.accepted(1);
    await s.until(() => s.ended, 'everything at the server', 10_000);
    expect(s.received().equals(data)).toBe(true);
    const counters = (await proxy.ledger('p')).toxics[0]!.counters;
    expect(counters.retransmits).toBeGreaterThan(0);
    expect(counters.delayed).toBeGreaterThan(0);
    expect(performance.now() - started).toBeGreaterThanOrEqual(5 * counters.delayed!);
  });

  it('removing a toxic mid-stream loses nothing: latency holding data is flushed in order', async () => {
    const { client, proxy } = await setup({ toxics: [{ type: 'latency', attributes: { latency: 300 } }] });
    const c = await client();
    const data = testPayload(200_000, 10);
    c.socket.write(data);
    await expectEventually(async () => ((await proxy.ledger('p')).directions.downstream.bytes_seen ?? 0) > 0);
    await proxy.removeToxic('p', 'latency_downstream');
    c.socket.end();
    await c.until(() => c.ended, 'the echo');
    expect(c.received().equals(data)).toBe(true);
  });
});

describe('tcp engine: determinism', () => {
  /** Which of `n` sequential connections a 100 ms latency toxic with toxicity 0.5 hit. */
  async function pattern(seed: number, n: number): Promise<boolean[]> {
    const { client, proxy } = await setup({ seed, toxics: [{ type: 'latency', toxicity: 0.5, attributes: { latency: 100 } }] });
    const hits: boolean[] = [];
    for (let i = 0; i < n; i++) {
      const c = await client();
      const started = performance.now();
      c.socket.write('x');
      await c.until(() => c.receivedBytes === 1, 'the echo');
      hits.push(performance.now() - started >= 100);
      c.socket.destroy();
    }
    const activations = (await proxy.ledger('p')).toxics[0]!.counters.activations ?? 0;
    expect(activations).toBe(hits.filter(Boolean).length);
    return hits;
  }

  it('the same seed and traffic give the same toxicity decisions; another seed differs', async () => {
    const a = await pattern(7, 10);
    const b = await pattern(7, 10);
    expect(b).toEqual(a);
    expect(a.some(Boolean)).toBe(true);
    expect(a.every(Boolean)).toBe(false);
    const c = await pattern(8, 10);
    expect(c).not.toEqual(a);
  });

  it('raising toxicity only turns a toxic on for connections it was off for (no re-roll)', async () => {
    const { client, proxy } = await setup({ seed: 3, toxics: [{ type: 'noop', toxicity: 0.3 }] });
    const cs = await Promise.all(Array.from({ length: 20 }, () => client()));
    await expectEventually(async () => ((await proxy.ledger('p')).counters.connections_accepted ?? 0) === 20);
    const before = (await proxy.ledger('p')).toxics[0]!.counters.activations ?? 0;
    await proxy.updateToxic('p', 'noop_downstream', { toxicity: 1 });
    expect((await proxy.ledger('p')).toxics[0]!.counters.activations).toBe(20);
    await proxy.updateToxic('p', 'noop_downstream', { toxicity: 0.3 });
    await proxy.updateToxic('p', 'noop_downstream', { toxicity: 1 });
    // Turning off and on again counts a new activation only for connections that were switched off.
    expect((await proxy.ledger('p')).toxics[0]!.counters.activations).toBe(20 + (20 - before));
    for (const c of cs) c.socket.destroy();
  });
});

/** Polls an async condition on the proxy's ledger (no socket event to wait on). */
async function expectEventually(condition: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * The native fast path of the TCP engine (tcp-io-native.ts, native/tcp_relay.c) over real
 * loopback sockets: what it forwards is counted like what JavaScript forwards, a switch that finds
 * bytes held in its buffer hands them on in order, and closing or disabling a proxy works whichever
 * way a direction goes. The engine's other tests (tcp-engine.test.ts, the hot-swap property) run
 * on the native I/O by default, and again on Node's sockets in tcp-engine.js-io.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createEmbeddedProxy, type EmbeddedProxy } from './embedded-proxy.js';
import { loadNativeTcpIo } from './tcp-io-native.js';
import { connectClient, countingTcpIo, startTestServer, testPayload, type RecordingSocket, type TestServer } from './testing/tcp-test-kit.js';

const native = loadNativeTcpIo().io;

let proxy: EmbeddedProxy | undefined;
let server: TestServer | undefined;
let clients: RecordingSocket[] = [];

afterEach(async () => {
  for (const c of clients) c.socket.destroy();
  await proxy?.close();
  await server?.close();
  proxy = undefined;
  server = undefined;
  clients = [];
});

async function setup(behaviour: 'echo' | 'sink') {
  const counting = countingTcpIo(native!);
  server = await startTestServer(behaviour);
  proxy = createEmbeddedProxy({ seed: 5, tcpIo: counting.io });
  const { listen } = await proxy.createProxy({ name: 'p', listen: '127.0.0.1:0', upstream: server.address });
  const port = Number(listen.split(':')[1]);
  return {
    proxy,
    server,
    counts: counting.counts,
    client: async () => {
      const c = await connectClient(port);
      clients.push(c);
      return c;
    },
  };
}

/** Writes `text` and waits for all of it to come back (the client has received nothing before). */
async function echoed(c: RecordingSocket, text: string): Promise<void> {
  const expected = c.receivedBytes + text.length;
  c.socket.write(text);
  await c.until(() => c.receivedBytes === expected, `the echo of "${text}"`);
}

/** Polls the ledger (there is no socket event for "the proxy has read this much"). */
async function eventually(condition: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe.runIf(native)('tcp engine: the native fast path', () => {
  it('forwards toxic-free directions natively, counted in the ledger while the connection is open', async () => {
    const { proxy, client, counts } = await setup('echo');
    const c = await client();
    const data = testPayload(3 << 20, 21);
    c.socket.write(data);
    await c.until(() => c.receivedBytes === data.length, 'the echo');
    // Both directions went native at connect and never came back to JavaScript.
    expect(counts).toMatchObject({ entered: 2, left: 0 });
    const ledger = await proxy.ledger('p');
    for (const direction of ['upstream', 'downstream'] as const) {
      expect(ledger.directions[direction].bytes_seen).toBe(data.length);
      expect(ledger.directions[direction].bytes_forwarded).toBe(data.length);
      expect(ledger.directions[direction].seen).toBeGreaterThan(0);
    }
    c.socket.end();
    await c.until(() => c.ended, 'FIN');
    expect(c.received().equals(data)).toBe(true);
  });

  it('a toxic added while the sink is blocked takes the bytes the relay held, in order, then goes back', async () => {
    const { proxy, server, client, counts } = await setup('sink');
    const c = await client();
    const s = await server.accepted(1);
    s.socket.pause();
    // More than the kernel buffers between the proxy and a server that does not read (~4 MiB).
    const data = testPayload(12 << 20, 22);
    c.socket.write(data);
    const held = async () => {
      const up = (await proxy.ledger('p')).directions.upstream;
      return (up.bytes_seen ?? 0) > (up.bytes_forwarded ?? 0);
    };
    await eventually(held, 'the fast path to hold bytes it cannot forward');
    await proxy.addToxic('p', { name: 'slow', type: 'latency', stream: 'upstream', attributes: { latency: 1 } });
    expect(counts.leftHolding).toBe(1);
    expect(counts.heldBytes).toBeGreaterThan(0);
    s.socket.resume();
    await s.until(() => s.receivedBytes >= 6 << 20, 'half the data through the toxic');
    await proxy.removeToxic('p', 'slow');
    expect(counts.entered).toBe(3); // both at connect, then upstream again
    c.socket.end();
    await s.until(() => s.ended, 'everything and FIN at the server', 20_000);
    expect(s.receivedBytes).toBe(data.length);
    expect(s.received().equals(data)).toBe(true);
    const up = (await proxy.ledger('p')).directions.upstream;
    expect(up.bytes_seen).toBe(data.length);
    expect(up.bytes_forwarded).toBe(data.length);
  });

  it('many connections at once, while a toxic comes and goes on all of them: every echo intact', async () => {
    const { proxy, client, counts } = await setup('echo');
    const cs = await Promise.all(Array.from({ length: 40 }, () => client()));
    const payloads = cs.map((_, i) => testPayload(512 * 1024, 100 + i));
    cs.forEach((c, i) => c.socket.end(payloads[i]!));
    for (let i = 0; i < 10; i++) {
      await proxy.addToxic('p', { name: 'flip', type: 'latency', stream: i % 2 === 0 ? 'upstream' : 'downstream', attributes: { latency: 1 } });
      await new Promise((resolve) => setTimeout(resolve, 2));
      await proxy.removeToxic('p', 'flip');
    }
    await Promise.all(cs.map((c) => c.until(() => c.ended, 'every echo and FIN', 20_000)));
    cs.forEach((c, i) => expect(c.received().equals(payloads[i]!)).toBe(true));
    expect(counts.left).toBeGreaterThan(0);
    const ledger = await proxy.ledger('p');
    expect(ledger.directions.upstream.bytes_forwarded).toBe(40 * 512 * 1024);
    expect(ledger.directions.downstream.bytes_forwarded).toBe(40 * 512 * 1024);
  });

  it('half-close: a FIN forwarded natively ends one direction while the other still flows', async () => {
    const { server, client, counts } = await setup('sink');
    const c = await client();
    const s = await server.accepted(1);
    s.socket.end('bye');
    await c.until(() => c.ended, 'FIN at the client');
    const data = testPayload(1 << 20, 23);
    c.socket.end(data);
    await s.until(() => s.ended, 'the client still reaches the server, then FIN');
    expect(c.received().toString()).toBe('bye');
    expect(s.received().equals(data)).toBe(true);
    expect(counts.left).toBe(0);
  });

  it('a client reset reaches the server as a reset while both directions are native', async () => {
    const { server, client, proxy } = await setup('echo');
    const c = await client();
    const s = await server.accepted(1);
    await echoed(c, 'x');
    c.socket.resetAndDestroy();
    await s.until(() => s.error !== undefined, 'ECONNRESET at the server');
    expect(s.error).toBe('ECONNRESET');
    await eventually(async () => (await proxy.ledger('p')).counters.connections_open === 0, 'the connection to close');
  });

  it('disabling a proxy closes native connections; enabled again, new ones go native', async () => {
    const { proxy, client, counts } = await setup('echo');
    const c = await client();
    await echoed(c, 'one');
    await proxy.updateProxy('p', { enabled: false });
    await c.until(() => c.ended || c.error !== undefined, 'the connection to close');
    await proxy.updateProxy('p', { enabled: true });
    await echoed(await client(), 'two');
    expect(counts.entered).toBe(4);
  });

  it('reset_peer on a direction that was native resets both peers', async () => {
    const { proxy, server, client } = await setup('echo');
    const c = await client();
    const s = await server.accepted(1);
    await echoed(c, 'before');
    await proxy.addToxic('p', { type: 'reset_peer', stream: 'upstream', attributes: { timeout: 0 } });
    c.socket.write('x');
    await c.until(() => c.error !== undefined, 'the client reset');
    await s.until(() => s.error !== undefined, 'the server reset');
    expect([c.error, s.error]).toEqual(['ECONNRESET', 'ECONNRESET']);
  });
});

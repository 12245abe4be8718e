/**
 * The UDP engine over real loopback sockets: a client, the proxy, and an echo upstream, all on
 * 127.0.0.1 port 0. Every count a receiver sees is compared exactly with the proxy's ledger.
 */
import { createSocket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseHostPort } from '../core/address.js';
import { systemClock, type Clock } from '../core/clock.js';
import { isFaultlineError } from '../core/errors.js';
import type { Direction, ToxicInput } from '../core/spec.js';
import { ManualClock } from '../core/manual-clock.js';
import { createRng } from '../core/rng.js';
import { resolveToxic } from '../toxics/registry.js';
import { LedgerRecorder } from './ledger-recorder.js';
import { UdpEngine } from './udp-engine.js';
import type { UdpIo } from './udp-io.js';
import { dgramUdpIo } from './udp-io-dgram.js';
import { loadNativeUdpIo } from './udp-io-native.js';
import { blockEventLoop, numberedPayload, openUdpPeer, payloadSeq, type UdpPeer } from './testing/udp-test-kit.js';

// Every test runs over both socket implementations; the native one where it was built.
const native = loadNativeUdpIo();
let io: UdpIo = dgramUdpIo;

const toClose: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(toClose.splice(0).map((c) => c.close()));
});

interface Setup {
  engine: UdpEngine;
  ledger: LedgerRecorder;
  echo: UdpPeer;
  client: UdpPeer;
  listen: string;
  logs: string[];
  add(toxic: ToxicInput): void;
  counters(name: string): Record<string, number>;
  direction(d: Direction): Record<string, number>;
}

async function setup(options: { clock?: Clock; seed?: number; idleMs?: number; host?: string; upstream?: string } = {}): Promise<Setup> {
  const host = options.host ?? '127.0.0.1';
  const clock = options.clock ?? systemClock;
  const echo = await openUdpPeer({ host, echo: true });
  toClose.push(echo);
  const ledger = new LedgerRecorder('udp_test', 'udp', clock);
  const logs: string[] = [];
  const engine = new UdpEngine({
    name: 'udp_test',
    protocol: 'udp',
    upstream: options.upstream ?? echo.address,
    clock,
    rng: createRng(options.seed ?? 1),
    ledger,
    log: (e) => logs.push(`${e.level ?? 'info'}: ${e.message}`),
    udpIo: io,
    ...(options.idleMs !== undefined ? { sessionIdleTimeoutMs: options.idleMs } : {}),
  });
  toClose.push(engine);
  const listen = await engine.listen(host.includes(':') ? `[${host}]:0` : `${host}:0`);
  const client = await openUdpPeer({ host });
  toClose.push(client);
  return {
    engine,
    ledger,
    echo,
    client,
    listen,
    logs,
    add: (toxic) => engine.addToxic(resolveToxic('udp', toxic)),
    counters: (name) => ledger.snapshot().toxics.find((t) => t.name === name)?.counters ?? {},
    direction: (d) => ledger.directions[d],
  };
}

const payloads = (n: number, size = 64) => Array.from({ length: n }, (_, i) => numberedPayload(i, size));

/** Waits until `n` datagrams entered the proxy upstream and nothing is held or unanswered. */
async function settled(s: Setup, n: number): Promise<void> {
  const up = s.direction('upstream');
  const down = s.direction('downstream');
  await s.client.waitFor(
    () =>
      (up.seen ?? 0) === n &&
      s.engine.inFlight() === 0 &&
      s.engine.queuedSends() === 0 &&
      s.echo.received.length === (up.forwarded ?? 0) &&
      (down.seen ?? 0) === s.echo.received.length &&
      s.client.received.length === (down.forwarded ?? 0),
    `all ${n} datagrams through (ledger ${JSON.stringify(s.ledger.directions)}, echo ${s.echo.received.length}, client ${s.client.received.length})`,
  );
}

/** seen + duplicated = forwarded + every drop, per direction, once nothing is in flight. */
function expectConserved(s: Setup): void {
  const snapshot = s.ledger.snapshot();
  for (const direction of ['upstream', 'downstream'] as const) {
    const d = snapshot.directions[direction];
    const toxics = snapshot.toxics.filter((t) => t.stream === direction);
    const sum = (k: string) => toxics.reduce((total, t) => total + (t.counters[k] ?? 0), 0);
    const drops = sum('dropped_loss') + sum('dropped_queue') + sum('dropped_blackhole') + sum('dropped_limit') + (d.dropped_down ?? 0);
    expect((d.seen ?? 0) + sum('duplicated'), direction).toBe((d.forwarded ?? 0) + drops);
    expect(d.send_errors ?? 0, direction).toBe(0);
  }
}

function bitsSet(data: Buffer): number {
  let bits = 0;
  for (const byte of data) for (let x = byte; x; x >>= 1) bits += x & 1;
  return bits;
}

for (const candidate of [dgramUdpIo, native.io]) {
  (candidate ? describe : describe.skip)(`${candidate?.kind ?? `native (${native.problem})`} I/O`, () => {
    beforeAll(() => {
      io = candidate!;
    });

    describe('UDP engine: listening', () => {
      it('reports the real port, names a busy address, and closes idempotently', async () => {
        const s = await setup();
        expect(s.listen).toMatch(/^127\.0\.0\.1:\d+$/);
        expect(s.listen).not.toBe('127.0.0.1:0');
        expect(s.logs[0]).toBe(`info: listening on ${s.listen} (udp, ${io.kind} I/O), upstream ${s.echo.address}`);

        const second = new UdpEngine({
          name: 'dup',
          protocol: 'udp',
          upstream: s.echo.address,
          clock: systemClock,
          rng: createRng(1),
          ledger: new LedgerRecorder('dup', 'udp', systemClock),
          log: () => {},
          udpIo: io,
        });
        toClose.push(second);
        const error = await second.listen(s.listen).catch((e: unknown) => e);
        expect(isFaultlineError(error) && error.code).toBe('ADDRESS_IN_USE');
        expect((error as Error).message).toBe(`cannot listen on ${s.listen} (UDP): the address is already in use`);

        const bad = await second.listen('not an address').catch((e: unknown) => e);
        expect(isFaultlineError(bad) && bad.code).toBe('ADDRESS_UNAVAILABLE');

        await s.engine.close();
        await s.engine.close();
        // The port is free again once close() resolves.
        const rebound = createSocket('udp4');
        await new Promise<void>((resolve, reject) => {
          rebound.once('error', reject);
          rebound.bind(Number(s.listen.split(':')[1]), '127.0.0.1', resolve);
        });
        await new Promise<void>((resolve) => rebound.close(() => resolve()));
      });
    });

    describe('UDP engine: forwarding and sessions', () => {
      it('forwards datagrams both ways unchanged: never merged, never split', async () => {
        const s = await setup();
        const sizes = [0, 1, 100, 1472, 9000, 65_507];
        const sent = sizes.map((size, i) => Buffer.alloc(size, i + 1));
        await s.client.sendAll(sent, s.listen, 1);
        await settled(s, sizes.length);
        // Compared as base64: vitest's deep equality walks a 64 KB buffer byte by byte, slowly.
        const fingerprints = (list: Buffer[]) => list.map((b) => b.toString('base64')).sort();
        expect(fingerprints(s.client.received.map((r) => r.data))).toEqual(fingerprints(sent));
        expect(fingerprints(s.echo.received.map((r) => r.data))).toEqual(fingerprints(sent));
        const total = sizes.reduce((a, b) => a + b, 0);
        for (const d of ['upstream', 'downstream'] as const) {
          expect(s.direction(d)).toEqual({ seen: 6, bytes_seen: total, forwarded: 6, bytes_forwarded: total });
        }
        expect(s.ledger.counters).toEqual({ sessions_created: 1, sessions_open: 1 });
        expect(s.engine.liveCount()).toBe(1);
        // Replies come from the address the client sent to.
        expect(new Set(s.client.received.map((r) => r.from))).toEqual(new Set([s.listen]));
      });

      it('gives each client its own session and routes replies back to the right client', async () => {
        const s = await setup();
        const other = await openUdpPeer();
        toClose.push(other);
        await Promise.all([
          s.client.sendAll(payloads(20, 10), s.listen, 5),
          other.sendAll(
            payloads(20, 30).map((p) => p.fill(0xee, 4)),
            s.listen,
            5,
          ),
        ]);
        await s.client.waitFor(() => s.client.received.length === 20 && other.received.length === 20, 'both clients answered');
        expect(s.client.received.every((r) => r.data.length === 10)).toBe(true);
        expect(other.received.every((r) => r.data.length === 30 && r.data[4] === 0xee)).toBe(true);
        expect(new Set(s.echo.received.map((r) => r.from)).size).toBe(2);
        expect(s.ledger.counters).toEqual({ sessions_created: 2, sessions_open: 2 });
        expect(s.engine.liveCount()).toBe(2);
      });

      it('expires idle sessions on the injected clock, and a returning client gets a new one', async () => {
        const clock = new ManualClock();
        const s = await setup({ clock, idleMs: 1000 });
        s.client.send(numberedPayload(1), s.listen);
        await s.client.waitFor(() => s.client.received.length === 1, 'the first reply');
        await clock.advance(999);
        expect(s.engine.liveCount()).toBe(1);
        await clock.advance(1);
        expect(s.engine.liveCount()).toBe(0);
        expect(s.ledger.counters).toEqual({ sessions_created: 1, sessions_expired: 1, sessions_open: 0 });
        expect(s.logs).toContain(`info: session ${s.client.address} expired after 1000 ms idle`);

        s.client.send(numberedPayload(2), s.listen);
        await s.client.waitFor(() => s.client.received.length === 2, 'the reply after expiry');
        const sources = s.echo.received.map((r) => r.from);
        expect(sources[0]).not.toBe(sources[1]); // a new upstream socket
        expect(s.ledger.counters).toEqual({ sessions_created: 2, sessions_expired: 1, sessions_open: 1 });
      });

      it('a datagram held past its session expiry reopens the session when it leaves', async () => {
        const s = await setup({ idleMs: 30 });
        s.client.send(numberedPayload(0), s.listen);
        await s.client.waitFor(() => s.client.received.length === 1, 'the first reply');
        s.add({ type: 'latency', stream: 'upstream', attributes: { latency: 150 } });
        s.client.send(numberedPayload(1), s.listen);
        await s.client.waitFor(() => (s.ledger.counters.sessions_expired ?? 0) === 1, 'the session to expire while the datagram is held');
        expect(s.engine.inFlight()).toBe(1);
        await s.client.waitFor(() => s.client.received.length === 2, 'the reply through a new session');
        const sources = s.echo.received.map((r) => r.from);
        expect(sources[0]).not.toBe(sources[1]);
        expect(s.ledger.counters.sessions_created).toBe(2);
        await settled(s, 2);
        expectConserved(s);
      });

      it('replies keep a session alive', async () => {
        const clock = new ManualClock();
        const s = await setup({ clock, idleMs: 1000 });
        s.client.send(numberedPayload(1), s.listen);
        await s.client.waitFor(() => s.client.received.length === 1, 'the reply');
        await clock.advance(600);
        // A datagram from the upstream (here, the echo's reply to a new request) refreshes it.
        s.client.send(numberedPayload(2), s.listen);
        await s.client.waitFor(() => s.client.received.length === 2, 'the second reply');
        await clock.advance(600);
        expect(s.engine.liveCount()).toBe(1);
      });

      it('counts ICMP port-unreachable from an upstream where nothing listens', async () => {
        const probe = createSocket('udp4');
        await new Promise<void>((resolve) => probe.bind(0, '127.0.0.1', resolve));
        const deadPort = (probe.address() as AddressInfo).port;
        await new Promise<void>((resolve) => probe.close(() => resolve()));
        const s = await setup({ upstream: `127.0.0.1:${deadPort}` });
        await s.client.sendAll(payloads(5), s.listen, 1);
        await s.client.waitFor(() => (s.ledger.counters.upstream_refused ?? 0) >= 1 && s.engine.queuedSends() === 0, 'an ICMP report');
        expect(s.direction('upstream').forwarded).toBe(5);
        // Linux reports the ICMP on the socket's next call: a receive (an 'error' event) or a send
        // (which then fails and counts as a send error too).
        expect(s.logs.some((l) => l.startsWith('warn: ') && l.includes('ECONNREFUSED'))).toBe(true);
      });

      it('works over IPv6 loopback', async (context) => {
        const probe = createSocket('udp6');
        const hasIpv6 = await new Promise<boolean>((resolve) => {
          probe.once('error', () => resolve(false));
          probe.bind(0, '::1', () => resolve(true));
        });
        await new Promise<void>((resolve) => probe.close(() => resolve()));
        if (!hasIpv6) context.skip();
        const s = await setup({ host: '::1' });
        expect(s.listen).toMatch(/^\[::1\]:\d+$/);
        await s.client.sendAll(payloads(5), s.listen, 1);
        await settled(s, 5);
        expect(s.logs).toContain(`info: session ${s.client.address} opened`);
      });
    });

    describe('UDP engine: faults, counted exactly', () => {
      it('loss: the receiver gets exactly what the ledger did not drop', async () => {
        const s = await setup({ seed: 42 });
        s.add({ name: 'lossy', type: 'loss', stream: 'upstream', attributes: { probability: 0.1 } });
        const n = 2000;
        await s.client.sendAll(payloads(n, 100), s.listen);
        await settled(s, n);
        const c = s.counters('lossy');
        expect(c.seen).toBe(n);
        expect(c.activations).toBe(n);
        expect(c.dropped_loss).toBeGreaterThan(100);
        expect(s.echo.received.length).toBe(n - c.dropped_loss!);
        expect(s.client.received.length).toBe(n - c.dropped_loss!);
        const events = s.ledger.snapshot().events.filter((e) => e.action === 'dropped_loss');
        expect(events).toHaveLength(c.dropped_loss!);
        expect(new Set(events.map((e) => e.datagram)).size).toBe(c.dropped_loss);
        expect(events.every((e) => e.toxic === 'lossy' && e.direction === 'upstream' && e.bytes === 100)).toBe(true);
        expectConserved(s);
      });

      it('latency: never early, and within a generous bound', async () => {
        const s = await setup();
        s.add({ type: 'latency', stream: 'downstream', attributes: { latency: 50 } });
        const n = 40;
        const sentAt: number[] = [];
        for (let i = 0; i < n; i++) {
          sentAt.push(performance.now());
          s.client.send(numberedPayload(i), s.listen);
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
        await settled(s, n);
        const rtts = s.client.received.map((r) => r.atMs - sentAt[payloadSeq(r.data)]!);
        expect(Math.min(...rtts)).toBeGreaterThanOrEqual(50);
        expect(Math.max(...rtts)).toBeLessThan(50 + 200);
        expect(s.counters('latency_downstream')).toEqual({ seen: n, activations: n, delayed: n });
      });

      if (candidate?.kind === 'native') {
        /** A client on the native I/O, which tells when the kernel received each reply. */
        const kernelTimedClient = async (listen: string) => {
          const arrivals: number[] = [];
          const client = io.open('udp4', {
            message: (_data, _from, receivedAt) => arrivals.push(receivedAt!),
            error: () => {},
            sendError: () => {},
          });
          toClose.push(client);
          const to = parseHostPort(listen)!;
          await client.connect(to.host, to.port);
          return { client, arrivals };
        };

        /** A proxy with a 60 ms latency toxic on `stream`, and one datagram just sent through it by a kernel-timed client. */
        const sendThroughLatency = async (stream: Direction) => {
          const s = await setup();
          s.add({ type: 'latency', stream, attributes: { latency: 60 } });
          const { client, arrivals } = await kernelTimedClient(s.listen);
          const start = performance.now();
          client.send(numberedPayload(0));
          return { s, arrivals, start };
        };

        it('latency counts from when the kernel received the datagram, however late the proxy read it', async () => {
          const { s, arrivals, start } = await sendThroughLatency('upstream');
          await Promise.resolve(); // it leaves at the end of this task
          blockEventLoop(100); // the proxy reads it 100 ms late: its 60 ms are over by then
          await s.client.waitFor(() => arrivals.length === 1, 'the reply');
          expect(arrivals[0]! - start).toBeGreaterThanOrEqual(60);
          expect(arrivals[0]! - start).toBeLessThan(100 + 60); // counted from the read, it would be later
        });

        it('a held datagram leaves on time while the event loop is blocked: the sender thread sends it', async () => {
          const { s, arrivals, start } = await sendThroughLatency('downstream');
          await s.client.waitFor(() => s.engine.inFlight() === 1, 'the reply held by the proxy');
          const blockedAt = performance.now();
          blockEventLoop(150);
          await s.client.waitFor(() => arrivals.length === 1 && s.engine.inFlight() === 0, 'the reply');
          expect(arrivals[0]! - start).toBeGreaterThanOrEqual(60);
          expect(arrivals[0]!).toBeLessThan(blockedAt + 150); // it left before the loop was free again
          expect(s.direction('downstream')).toMatchObject({ seen: 1, forwarded: 1 });
          expectConserved(s);
        });
      }

      it('latency with jitter: bounded both ways, reorders, loses nothing', async () => {
        const s = await setup({ seed: 5 });
        s.add({ type: 'latency', stream: 'upstream', attributes: { latency: 30, jitter: 20 } });
        const n = 200;
        const sentAt: number[] = [];
        for (let i = 0; i < n; i++) {
          sentAt.push(performance.now());
          s.client.send(numberedPayload(i), s.listen);
          if (i % 4 === 3) await new Promise<void>((resolve) => setImmediate(resolve));
        }
        await settled(s, n);
        const rtts = s.client.received.map((r) => r.atMs - sentAt[payloadSeq(r.data)]!);
        expect(Math.min(...rtts)).toBeGreaterThanOrEqual(10);
        expect(Math.max(...rtts)).toBeLessThan(50 + 200);
        const order = s.echo.received.map((r) => payloadSeq(r.data));
        expect(new Set(order).size).toBe(n);
        expect(order).not.toEqual([...order].sort((a, b) => a - b));
      });

      it('duplicate: every extra copy the receiver sees is in the ledger', async () => {
        const s = await setup({ seed: 8 });
        s.add({ type: 'duplicate', stream: 'upstream', attributes: { probability: 0.3 } });
        const n = 1000;
        await s.client.sendAll(payloads(n), s.listen);
        await settled(s, n);
        const duplicated = s.counters('duplicate_upstream').duplicated!;
        expect(duplicated).toBeGreaterThan(200);
        expect(s.echo.received.length).toBe(n + duplicated);
        const copies = new Map<number, number>();
        for (const r of s.client.received) copies.set(payloadSeq(r.data), (copies.get(payloadSeq(r.data)) ?? 0) + 1);
        expect(copies.size).toBe(n);
        expect([...copies.values()].filter((c) => c === 2)).toHaveLength(duplicated);
        expectConserved(s);
      });

      it('reorder: held datagrams are overtaken, none is lost', async () => {
        const s = await setup({ seed: 3 });
        s.add({ type: 'reorder', stream: 'upstream', attributes: { probability: 0.2, delay: 20 } });
        const n = 500;
        await s.client.sendAll(payloads(n), s.listen, 5);
        await settled(s, n);
        let highest = -1;
        let late = 0;
        for (const r of s.echo.received) {
          const seq = payloadSeq(r.data);
          if (seq < highest) late++;
          else highest = seq;
        }
        const reordered = s.counters('reorder_upstream').reordered!;
        expect(late).toBeGreaterThan(0);
        expect(late).toBeLessThanOrEqual(reordered);
        expect(new Set(s.echo.received.map((r) => payloadSeq(r.data))).size).toBe(n);
        expectConserved(s);
      });

      it('corrupt: each corrupted datagram differs by exactly one bit', async () => {
        const s = await setup({ seed: 4 });
        s.add({ type: 'corrupt', stream: 'upstream', attributes: { probability: 1 } });
        const n = 300;
        await s.client.sendAll(
          Array.from({ length: n }, () => Buffer.alloc(64)),
          s.listen,
        );
        await settled(s, n);
        expect(s.echo.received.every((r) => r.data.length === 64 && bitsSet(r.data) === 1)).toBe(true);
        expect(s.counters('corrupt_upstream').corrupted).toBe(n);
      });

      it('bandwidth: paces at the rate, and the receiver misses exactly the queue drops', async () => {
        const s = await setup();
        // 100 KB/s = 100 bytes/ms: each 1000-byte datagram occupies the link for 10 ms.
        s.add({ type: 'bandwidth', stream: 'upstream', attributes: { rate: 100, queue: 5 } });
        const n = 40;
        const start = performance.now();
        await s.client.sendAll(payloads(n, 1000), s.listen, n);
        await settled(s, n);
        const dropped = s.counters('bandwidth_upstream').dropped_queue!;
        expect(dropped).toBeGreaterThan(0);
        const accepted = n - dropped;
        expect(s.echo.received.length).toBe(accepted);
        // Never early: the k-th accepted datagram cannot leave before k link times after the burst began.
        expect(s.echo.received.at(-1)!.atMs - start).toBeGreaterThanOrEqual(accepted * 10);
        expect(s.echo.received.at(-1)!.atMs - start).toBeLessThan(accepted * 10 + 300);
        expectConserved(s);
      });

      it('timeout: a blackhole while present; traffic flows again once removed', async () => {
        const s = await setup();
        s.add({ type: 'timeout', stream: 'upstream', attributes: { timeout: 1000 } });
        await s.client.sendAll(payloads(100), s.listen);
        await settled(s, 100);
        expect(s.echo.received).toHaveLength(0);
        expect(s.counters('timeout_upstream').dropped_blackhole).toBe(100);
        s.engine.removeToxic('timeout_upstream');
        await s.client.sendAll(payloads(10), s.listen);
        await settled(s, 110);
        expect(s.client.received).toHaveLength(10);
        expectConserved(s);
      });

      it('limit_data: whole datagrams up to the byte budget, then nothing', async () => {
        const s = await setup();
        s.add({ type: 'limit_data', stream: 'upstream', attributes: { bytes: 1000 } });
        await s.client.sendAll(payloads(100, 100), s.listen, 1);
        await settled(s, 100);
        expect(s.echo.received).toHaveLength(10);
        expect(s.counters('limit_data_upstream').dropped_limit).toBe(90);
        expectConserved(s);
      });

      it('closing the proxy drops what toxics hold and counts it as dropped_down', async () => {
        const s = await setup();
        s.add({ type: 'latency', stream: 'downstream', attributes: { latency: 60_000 } });
        const n = 20;
        await s.client.sendAll(payloads(n, 10), s.listen);
        await s.client.waitFor(() => (s.direction('downstream').seen ?? 0) === n, 'replies held by the proxy');
        expect(s.engine.inFlight()).toBe(n);
        await s.engine.close();
        expect(s.engine.inFlight()).toBe(0);
        expect(s.engine.liveCount()).toBe(0);
        expect(s.direction('downstream').dropped_down).toBe(n);
        expect(s.ledger.counters).toEqual({ sessions_created: 1, sessions_open: 0 });
        expect(s.ledger.snapshot().events.filter((e) => e.action === 'dropped_down')).toHaveLength(n);
        expect(s.client.received).toHaveLength(0);
        expectConserved(s);
      });
    });

    describe('UDP engine: restarts', () => {
      it('a new engine on the same ledger (disable, enable) takes toxics before listening and continues datagram indices', async () => {
        const s = await setup();
        await s.client.sendAll(payloads(3), s.listen, 1);
        await settled(s, 3);
        await s.engine.close();
        const restarted = new UdpEngine({
          name: 'udp_test',
          protocol: 'udp',
          upstream: s.echo.address,
          clock: systemClock,
          rng: createRng(1).fork('start:1'),
          ledger: s.ledger,
          log: () => {},
          udpIo: io,
        });
        toClose.push(restarted);
        restarted.addToxic(resolveToxic('udp', { name: 'all', type: 'loss', stream: 'upstream', attributes: { probability: 1 } }));
        const listen = await restarted.listen('127.0.0.1:0');
        await s.client.sendAll(payloads(2), listen, 1);
        await s.client.waitFor(() => s.direction('upstream').seen === 5, 'two more datagrams seen');
        expect(s.ledger.snapshot().events.map((e) => e.datagram)).toEqual([3, 4]);
        expect(s.ledger.counters).toEqual({ sessions_created: 2, sessions_open: 1 });
      });
    });

    describe('UDP engine: hot changes while traffic flows', () => {
      it('adding and removing a toxic mid-stream loses nothing; removal releases held datagrams at once', async () => {
        const s = await setup();
        const n = 1000;
        const up = s.direction('upstream');
        const sending = s.client.sendAll(payloads(n), s.listen, 5);
        await s.client.waitFor(() => (up.seen ?? 0) >= 200, '200 datagrams through');
        s.add({ name: 'slow', type: 'latency', stream: 'upstream', attributes: { latency: 40 } });
        await s.client.waitFor(() => (up.seen ?? 0) >= 600 && s.engine.inFlight() > 0, 'datagrams held by the new toxic');
        s.engine.removeToxic('slow');
        // Nothing waits any more; with native I/O a datagram the sender thread has just sent is
        // counted until its report comes in, on the next turns of the event loop.
        await s.client.waitFor(() => s.engine.inFlight() === 0, 'nothing held', 10);
        await sending;
        await settled(s, n);
        expect(new Set(s.echo.received.map((r) => payloadSeq(r.data))).size).toBe(n);
        expect(s.client.received).toHaveLength(n);
        const slow = s.counters('slow');
        expect(slow.delayed).toBe(slow.seen);
        expect(slow.seen).toBeGreaterThan(0);
        expectConserved(s);
      });

      it('updating loss mid-stream keeps its counts and stream; the ledger still accounts for every datagram', async () => {
        const s = await setup({ seed: 11 });
        s.add({ name: 'lossy', type: 'loss', stream: 'upstream', attributes: { probability: 0.05 } });
        const n = 600;
        const up = s.direction('upstream');
        const sending = s.client.sendAll(payloads(n), s.listen, 5);
        await s.client.waitFor(() => (up.seen ?? 0) >= 300, 'half the datagrams through');
        s.engine.updateToxic(resolveToxic('udp', { name: 'lossy', type: 'loss', stream: 'upstream', attributes: { probability: 0.5, burst: 3 } }));
        await sending;
        await settled(s, n);
        const c = s.counters('lossy');
        expect(c.seen).toBe(n);
        expect(s.echo.received.length).toBe(n - c.dropped_loss!);
        expectConserved(s);
      });
    });
  });
}

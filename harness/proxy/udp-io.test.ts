/**
 * Both UDP socket implementations (udp-io.ts) against real loopback peers: datagrams arrive
 * exactly as sent, one by one and in order — also when the native one hands a run of equal-sized
 * datagrams to the kernel as one segmented send — and errors surface as dgram's would.
 */
import { spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { isFaultlineError } from '../core/errors.js';
import { parseHostPort } from '../core/address.js';
import type { UdpEndpoint, UdpHandlers } from './udp-io.js';
import { chooseUdpIo, UDP_IO_ENV } from './udp-io-choice.js';
import { dgramUdpIo } from './udp-io-dgram.js';
import { addonPath } from '../core/addon-path.js';
import { ClockBridge, loadNativeUdpIo } from './udp-io-native.js';
import { blockEventLoop, numberedPayload, openUdpPeer, payloadSeq, type UdpPeer } from './testing/udp-test-kit.js';

const native = loadNativeUdpIo();
const toClose: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(toClose.splice(0).map((c) => c.close()));
});

async function waitUntil(predicate: () => boolean, what: string, timeoutMs = 2000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!predicate()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

interface Recorded {
  endpoint: UdpEndpoint;
  /** receivedAt as the endpoint reported it; atMs: performance.now() when it did. */
  messages: Array<{ data: Buffer; from: string; receivedAt: number | undefined; atMs: number }>;
  errors: string[];
  sendErrors: string[];
}

for (const io of [dgramUdpIo, native.io]) {
  (io ? describe : describe.skip)(`UDP I/O: ${io?.kind ?? `native (${native.problem})`}`, () => {
    const open = (type: 'udp4' | 'udp6' = 'udp4'): Recorded => {
      const messages: Recorded['messages'] = [];
      const errors: string[] = [];
      const sendErrors: string[] = [];
      const handlers: UdpHandlers = {
        message: (data, from, receivedAt) => messages.push({ data: Buffer.from(data), from, receivedAt, atMs: performance.now() }),
        error: (e) => errors.push(e.code ?? e.message),
        sendError: (e) => sendErrors.push(e.code ?? e.message),
      };
      const endpoint = io!.open(type, handlers);
      toClose.push(endpoint);
      return { endpoint, messages, errors, sendErrors };
    };
    const peer = async (host = '127.0.0.1', echo = false): Promise<UdpPeer> => {
      const p = await openUdpPeer({ host, echo });
      toClose.push(p);
      return p;
    };

    it('delivers every datagram as sent, separately and in order: equal-sized runs, a shorter last one, mixed sizes, empty', async () => {
      const receiver = await peer();
      const { endpoint } = open();
      const to = parseHostPort(receiver.address)!;
      await endpoint.connect(to.host, to.port);
      const sizes = [
        ...Array.from({ length: 300 }, () => 1200), // runs the native side segments
        700, // shorter: ends a run
        ...Array.from({ length: 70 }, () => 64),
        1500, 9000, 4, 1200, 1200, 65_507 - 8, // larger ones break runs
      ];
      const sent = sizes.map((size, seq) => numberedPayload(seq, size));
      for (const data of sent) endpoint.send(data); // all in one task: one batch
      endpoint.send(Buffer.alloc(0));
      await receiver.waitFor(() => receiver.received.length === sent.length + 1, `${sent.length + 1} datagrams`);
      expect(receiver.received.slice(0, -1).map((r) => r.data)).toEqual(sent);
      expect(receiver.received.at(-1)!.data.length).toBe(0);
      if (io!.kind === 'native') {
        // The 300 equal datagrams left as a few segmented runs, not one message each.
        const stats = endpoint.sendStats!()!;
        expect(stats).toMatchObject({ datagrams: sent.length + 1, segmentation: true });
        expect(stats.messages).toBeLessThan(sent.length / 4);
      }
    });

    it('a bound endpoint names each sender and answers each at its own address (IPv4 and IPv6)', async () => {
      for (const [host, type] of [['127.0.0.1', 'udp4'], ['::1', 'udp6']] as const) {
        const listener = open(type);
        const port = await listener.endpoint.bind(host, 0);
        const listen = type === 'udp6' ? `[${host}]:${port}` : `${host}:${port}`;
        const a = await peer(host);
        const b = await peer(host);
        a.send(numberedPayload(1), listen);
        b.send(numberedPayload(2), listen);
        await a.waitFor(() => listener.messages.length === 2, 'two datagrams at the listener');
        expect(new Set(listener.messages.map((m) => m.from))).toEqual(new Set([a.address, b.address]));
        for (const m of listener.messages) {
          for (let i = 0; i < 5; i++) listener.endpoint.send(numberedPayload(payloadSeq(m.data) * 10 + i, 300), parseHostPort(m.from)!);
        }
        await a.waitFor(() => a.received.length === 5 && b.received.length === 5, 'five replies each');
        expect(a.received.map((r) => payloadSeq(r.data))).toEqual([10, 11, 12, 13, 14]);
        expect(b.received.map((r) => payloadSeq(r.data))).toEqual([20, 21, 22, 23, 24]);
        expect(a.received[0]!.from).toBe(listen);
      }
    });

    // dgram refuses explicit destinations on a connected socket; the native I/O allows them.
    if (io?.kind === 'native') it('native: one batch may mix the connected peer and explicit destinations', async () => {
      const peerA = await peer();
      const peerB = await peer();
      const { endpoint } = open();
      const a = parseHostPort(peerA.address)!;
      await endpoint.connect(a.host, a.port);
      const b = parseHostPort(peerB.address)!;
      for (let i = 0; i < 10; i++) endpoint.send(numberedPayload(i, 200), i % 3 === 0 ? b : undefined);
      await peerA.waitFor(() => peerA.received.length === 6 && peerB.received.length === 4, 'six to the peer, four to the other');
      expect(peerA.received.map((r) => payloadSeq(r.data))).toEqual([1, 2, 4, 5, 7, 8]);
      expect(peerB.received.map((r) => payloadSeq(r.data))).toEqual([0, 3, 6, 9]);
    });

    if (io?.kind === 'native') {
      it('native: a worker thread loads the addon beside the main thread, each with its own state', async () => {
        const receiver = await peer();
        // The main thread's endpoint receives while a worker loads the addon and relays a batch.
        const main = open();
        const mainPort = await main.endpoint.bind('127.0.0.1', 0);
        const to = parseHostPort(receiver.address)!;
        const worker = new Worker(
          `const { workerData, parentPort } = require('node:worker_threads');
           const addon = require(workerData.addon);
           const socket = new addon.UdpSocket(4);
           socket.connect('127.0.0.1', workerData.port);
           const payloads = Array.from({ length: 100 }, (_, i) => Buffer.alloc(500, i));
           const sent = socket.send(payloads, 0, payloads.length, null);
           // A timed send starts this thread's own sender thread, which must stop when it exits.
           addon.onTimedSent((tickets, errnos) => {
             parentPort.postMessage([sent, Array.from(tickets), Array.from(errnos)]);
             socket.close();
           });
           socket.sendAt(Buffer.alloc(500, 100), null, addon.monotonicMs() + 5, 1, 42);`,
          { eval: true, workerData: { addon: addonPath(), port: to.port } },
        );
        const sentByWorker = await new Promise((resolve, reject) => worker.once('message', resolve).once('error', reject));
        await worker.terminate();
        expect(sentByWorker).toEqual([100, [42], [0]]);
        const sender = await peer();
        for (let i = 0; i < 5; i++) sender.send(numberedPayload(i), `127.0.0.1:${mainPort}`);
        await waitUntil(() => main.messages.length === 5 && receiver.received.length === 101, "both threads' datagrams");
        expect(main.messages.map((m) => payloadSeq(m.data))).toEqual([0, 1, 2, 3, 4]);
        expect(receiver.received.map((r) => r.data[0])).toEqual(Array.from({ length: 101 }, (_, i) => i));
      });
    }

    if (io?.kind === 'native') {
      describe('native: timed sends and receive times', () => {
        /** A bound native receiver and a native sender connected to it. */
        const pair = async () => {
          const receiver = open();
          const port = await receiver.endpoint.bind('127.0.0.1', 0);
          const sender = open();
          await sender.endpoint.connect('127.0.0.1', port);
          return { receiver, sender, port };
        };

        it('each leaves at its time, in due order, while the event loop is blocked; each is reported once', async () => {
          const { receiver, sender } = await pair();
          const line = io.timedLine!();
          const reports: Array<[number, string | undefined]> = [];
          const start = performance.now();
          const delays = [30, 10, 20, 40, 40];
          const tickets = delays.map((delayMs, seq) =>
            line.send(sender.endpoint, numberedPayload(seq), undefined, start + delayMs, (error) => reports.push([seq, error?.code])),
          );
          expect(new Set(tickets).size).toBe(delays.length);
          blockEventLoop(100);
          await waitUntil(() => receiver.messages.length === delays.length && reports.length === delays.length, 'all five datagrams');
          // Equal due times leave in the order handed over.
          expect(receiver.messages.map((m) => payloadSeq(m.data))).toEqual([1, 2, 0, 3, 4]);
          for (const m of receiver.messages) {
            const arrivedAt = m.receivedAt!; // the kernel's receive time
            const delayMs = delays[payloadSeq(m.data)]!;
            expect(arrivedAt - start).toBeGreaterThanOrEqual(delayMs);
            // Sent while the loop was still blocked: the thread did not wait for it.
            expect(arrivedAt - start).toBeLessThan(100);
          }
          expect(reports.sort()).toEqual(delays.map((_, seq) => [seq, undefined]));
        });

        it('recall takes back what a line has not sent, in due order: never sent, never reported; other lines go on', async () => {
          const { receiver, sender } = await pair();
          const line = io.timedLine!();
          const other = io.timedLine!();
          const reports: number[] = [];
          const sent = (seq: number) => () => reports.push(seq);
          const start = performance.now();
          line.send(sender.endpoint, numberedPayload(0), undefined, start + 1, sent(0));
          const later = [80, 60, 70].map((delayMs, i) => line.send(sender.endpoint, numberedPayload(i + 1), undefined, start + delayMs, sent(i + 1)));
          other.send(sender.endpoint, numberedPayload(9), undefined, start + 40, sent(9));
          await waitUntil(() => reports.includes(0), 'the first one sent');
          expect(line.recall()).toEqual([later[1], later[2], later[0]]);
          expect(line.recall()).toEqual([]);
          await waitUntil(() => reports.includes(9), "the other line's datagram");
          await new Promise((resolve) => setTimeout(resolve, 100));
          expect(receiver.messages.map((m) => payloadSeq(m.data))).toEqual([0, 9]);
          expect(reports).toEqual([0, 9]);
        });

        it("a socket that closes reports its timed sends not sent yet as ECANCELED, and they never leave", async () => {
          const { receiver, sender } = await pair();
          const line = io.timedLine!();
          const reports: Array<string | undefined> = [];
          for (let i = 0; i < 3; i++) line.send(sender.endpoint, numberedPayload(i), undefined, performance.now() + 50, (error) => reports.push(error?.code));
          await sender.endpoint.close();
          await waitUntil(() => reports.length === 3, 'three reports');
          expect(reports).toEqual(['ECANCELED', 'ECANCELED', 'ECANCELED']);
          await new Promise((resolve) => setTimeout(resolve, 80));
          expect(receiver.messages).toEqual([]);
          expect(() => line.send(sender.endpoint, numberedPayload(3), undefined, performance.now(), () => {})).toThrow(/closed/);
        });

        it("the addon's clock maps onto performance.now() to within microseconds", () => {
          const addon = createRequire(import.meta.url)(addonPath()!) as { monotonicMs(): number };
          const bridge = new ClockBridge(addon);
          for (let i = 0; i < 20; i++) {
            const before = performance.now();
            const mapped = bridge.toPerformanceNow(addon.monotonicMs());
            const after = performance.now();
            expect(mapped).toBeGreaterThanOrEqual(before - 0.005);
            expect(mapped).toBeLessThanOrEqual(after + 0.005);
          }
        });

        it('a datagram read late says when the kernel received it, in performance.now() time', async () => {
          const { receiver, sender } = await pair();
          const sentAt = performance.now();
          sender.endpoint.send(numberedPayload(1));
          await Promise.resolve(); // the send leaves at the end of this task, without an event loop turn
          blockEventLoop(40);
          await waitUntil(() => receiver.messages.length === 1, 'the datagram');
          const { receivedAt, atMs } = receiver.messages[0]!;
          expect(receivedAt).toBeGreaterThanOrEqual(sentAt);
          expect(receivedAt! - sentAt).toBeLessThan(20); // received at once, read 40 ms later
          expect(atMs - receivedAt!).toBeGreaterThanOrEqual(30);
        });
      });
    }

    it('reports a busy address as ADDRESS_IN_USE, naming it', async () => {
      const first = open();
      const port = await first.endpoint.bind('127.0.0.1', 0);
      const error = await open().endpoint.bind('127.0.0.1', port).catch((e: unknown) => e);
      expect(isFaultlineError(error) && error.code).toBe('ADDRESS_IN_USE');
      expect((error as Error).message).toContain(`127.0.0.1:${port}`);
    });

    it('an upstream that is gone shows as ECONNREFUSED (error or refused send), never a throw; when it is back, replies flow again', async () => {
      const gone = await peer();
      const to = parseHostPort(gone.address)!;
      await gone.close();
      const r = open();
      await r.endpoint.connect(to.host, to.port);
      for (let i = 0; i < 20; i++) {
        r.endpoint.send(numberedPayload(i));
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect([...r.errors, ...r.sendErrors]).toContain('ECONNREFUSED');
      expect([...r.errors, ...r.sendErrors].filter((code) => code !== 'ECONNREFUSED')).toEqual([]);

      // The same port comes back: the error did not stop the endpoint from receiving.
      const back = createSocket('udp4');
      toClose.push({ close: () => new Promise<void>((resolve) => back.close(() => resolve())) });
      back.on('message', (data, rinfo) => back.send(data, rinfo.port, rinfo.address));
      await new Promise<void>((resolve) => back.bind(to.port, to.host, resolve));
      r.endpoint.send(numberedPayload(99));
      await waitUntil(() => r.messages.length === 1, 'the echo from the upstream that came back');
      expect(payloadSeq(r.messages[0]!.data)).toBe(99);
    });

    it('a host name that does not resolve fails connect()', async () => {
      const error = await open().endpoint.connect('no-such-host.invalid', 9).catch((e: unknown) => e);
      expect((error as NodeJS.ErrnoException).code).toMatch(/ENOTFOUND|EAI_AGAIN/);
    });

    it('after close() nothing more arrives, and close() is idempotent', async () => {
      const r = open();
      const port = await r.endpoint.bind('127.0.0.1', 0);
      const sender = await peer();
      await r.endpoint.close();
      await r.endpoint.close();
      sender.send(numberedPayload(1), `127.0.0.1:${port}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(r.messages).toEqual([]);
    });
  });
}

/**
 * A receiving native socket that nobody else holds goes on receiving: an unreferenced, started
 * socket was once collected (and so closed) by the next full GC, and a timed sink in a worker
 * that kept only its callback lost every datagram after it (the wire benchmark: a quarter of
 * 3,000, as NoPorts in the target's namespace). Run in a child with `--expose-gc`.
 */
const unheldSocket = `
import { createRequire } from 'node:module';
import { createSocket } from 'node:dgram';
const addon = createRequire(import.meta.url)(process.argv[1]);
let received = 0;
const port = (() => {
  const socket = new addon.UdpSocket(4);
  const port = socket.bind('127.0.0.1', 0);
  socket.start((data, lengths, count) => { received += count; }, () => {}, false);
  return port;
})();
for (let i = 0; i < 3; i++) { globalThis.gc(); await new Promise((r) => setImmediate(r)); }
const sender = createSocket('udp4');
for (let i = 0; i < 10; i++) sender.send(Buffer.alloc(8), port, '127.0.0.1');
await new Promise((r) => setTimeout(r, 100));
sender.close();
console.log(JSON.stringify({ received }));
process.exit(0);
`;

describe.runIf(native.io !== undefined)('a started native socket', () => {
  it('is not collected while it receives, held by nothing but its callback', () => {
    const result = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', unheldSocket, addonPath()!], { encoding: 'utf8', timeout: 20_000 });
    expect(result.status, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ received: 10 });
  });
});

describe(`${UDP_IO_ENV}`, () => {
  it('chooses dgram on request, native or dgram by default, and names a bad value', () => {
    expect(chooseUdpIo('dgram').kind).toBe('dgram');
    expect(chooseUdpIo(undefined).kind).toBe(native.io ? 'native' : 'dgram');
    const error = (() => {
      try {
        chooseUdpIo('fast');
      } catch (e) {
        return e;
      }
    })();
    expect(isFaultlineError(error) && error.code).toBe('INVALID_ARGUMENT');
    expect((error as Error).message).toBe(`${UDP_IO_ENV}="fast" is not one of native, dgram, auto`);
    if (native.io) expect(chooseUdpIo('native')).toBe(native.io);
    else expect(() => chooseUdpIo('native')).toThrow(/native UDP addon is not available/);
  });
});

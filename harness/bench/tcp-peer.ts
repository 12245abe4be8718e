/**
 * The TCP client and servers of the forwarding benchmark (tcp-forwarding.ts), in a process of
 * their own, driven over IPC: the proxies under test (faultline's, Toxiproxy) each run in another
 * process, so none of them shares an event loop or a core's time slice with the traffic it moves,
 * and the direct baseline goes through exactly the same client and sink.
 *
 *   start() → { sinkPort, echoPort }
 *   bulk({ port, bytes, writeSize, verify? }) → { seconds, arrivals?, intact? }
 *       one connection, timed from connect to the sink's last byte; `verify` checks every byte
 *       against the pattern sent and records when they arrived (process.hrtime: the machine's
 *       monotonic clock, comparable with the other processes' timestamps)
 *   concurrent({ port, connections, bytesEach, writeSize }) → { seconds }
 *   pingPong({ port, samples, warmup }) → { rtts }   (ms)
 */
import { createServer, type Socket } from 'node:net';
import { serveChild } from './ipc-child.js';
import { connectTo, pingPong, startEchoServer, type Listening } from './loopback.js';

export interface BulkOptions {
  port: number;
  bytes: number;
  writeSize: number;
  /** Check every byte against the sent pattern and record arrival times. */
  verify?: boolean;
}

export interface BulkResult {
  seconds: number;
  /** With `verify`: [hrtime ms, bytes so far] at every read, flattened. */
  arrivals?: number[];
  /** With `verify`: every byte arrived, once, in order. */
  intact?: boolean;
}

/** A block of pseudo-random bytes: the payload repeats it, so the sink can check every byte cheaply. */
const PATTERN = (() => {
  const block = Buffer.alloc(256 * 1024);
  let x = 0x2545f491;
  for (let i = 0; i < block.length; i++) {
    x = (Math.imul(x, 1_103_515_245) + 12_345) >>> 0;
    block[i] = x >>> 24;
  }
  return block;
})();

const hrtimeMs = () => Number(process.hrtime.bigint()) / 1e6;

interface Expectation {
  bytes: number;
  verify: boolean;
  resolve(result: { at: number; arrivals?: number[]; intact?: boolean }): void;
}

let sink: Listening | undefined;
let echo: Listening | undefined;
/** The next connection the sink accepts belongs to this bulk transfer (one at a time). */
let next: Expectation | undefined;
/** Bytes the sink received on connections of a concurrent run. */
let concurrentTotal = 0;
let concurrentWaiter: { bytes: number; resolve: (at: number) => void } | undefined;

function startSink(): Promise<Listening> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    const expectation = next;
    next = undefined;
    if (!expectation) {
      socket.on('data', (chunk: Buffer) => {
        concurrentTotal += chunk.length;
        if (concurrentWaiter && concurrentTotal >= concurrentWaiter.bytes) {
          concurrentWaiter.resolve(performance.now());
          concurrentWaiter = undefined;
        }
      });
      return;
    }
    let received = 0;
    let intact = true;
    const arrivals: number[] = [];
    socket.on('data', (chunk: Buffer) => {
      if (expectation.verify) {
        intact &&= matchesPattern(chunk, received);
        arrivals.push(hrtimeMs(), received + chunk.length);
      }
      received += chunk.length;
      if (received >= expectation.bytes) {
        intact &&= received === expectation.bytes;
        expectation.resolve({ at: performance.now(), ...(expectation.verify ? { arrivals, intact } : {}) });
      }
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({
        port: (server.address() as { port: number }).port,
        close: () =>
          new Promise<void>((done) => {
            for (const socket of sockets) socket.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

/** Whether `chunk`, found at stream offset `offset`, is what the pattern has there. */
function matchesPattern(chunk: Buffer, offset: number): boolean {
  let at = 0;
  while (at < chunk.length) {
    const inBlock = (offset + at) % PATTERN.length;
    const n = Math.min(chunk.length - at, PATTERN.length - inBlock);
    if (chunk.compare(PATTERN, inBlock, inBlock + n, at, at + n) !== 0) return false;
    at += n;
  }
  return true;
}

/** Writes `bytes` of the pattern to `socket` in `writeSize` pieces, respecting backpressure. */
async function writePattern(socket: Socket, bytes: number, writeSize: number): Promise<void> {
  let sent = 0;
  while (sent < bytes) {
    const inBlock = sent % PATTERN.length;
    const n = Math.min(writeSize, bytes - sent, PATTERN.length - inBlock);
    sent += n;
    if (!socket.write(PATTERN.subarray(inBlock, inBlock + n))) await new Promise<void>((resolve) => socket.once('drain', resolve));
  }
}

async function bulk({ port, bytes, writeSize, verify = false }: BulkOptions): Promise<BulkResult> {
  const done = new Promise<{ at: number; arrivals?: number[]; intact?: boolean }>((resolve) => {
    next = { bytes, verify, resolve };
  });
  const start = performance.now();
  const socket = await connectTo(port);
  await writePattern(socket, bytes, writeSize);
  const { at, arrivals, intact } = await done;
  socket.destroy();
  return { seconds: (at - start) / 1000, ...(arrivals ? { arrivals, intact: intact! } : {}) };
}

async function concurrent({ port, connections, bytesEach, writeSize }: { port: number; connections: number; bytesEach: number; writeSize: number }) {
  concurrentTotal = 0;
  const done = new Promise<number>((resolve) => {
    concurrentWaiter = { bytes: connections * bytesEach, resolve };
  });
  const start = performance.now();
  const sockets = await Promise.all(Array.from({ length: connections }, () => connectTo(port)));
  await Promise.all(sockets.map((socket) => writePattern(socket, bytesEach, writeSize)));
  const at = await done;
  for (const socket of sockets) socket.destroy();
  return { seconds: (at - start) / 1000 };
}

serveChild(
  {
    async start() {
      sink = await startSink();
      echo = await startEchoServer();
      return { sinkPort: sink.port, echoPort: echo.port };
    },
    bulk,
    concurrent,
    async pingPong({ port, samples, warmup }: { port: number; samples: number; warmup: number }) {
      return { rtts: await pingPong(port, { samples, warmup }) };
    },
  },
  async () => {
    await sink?.close();
    await echo?.close();
  },
);

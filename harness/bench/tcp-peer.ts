/**
 * The TCP client and servers of the forwarding benchmark (tcp-forwarding.ts), in a process of
 * their own, driven over IPC: the proxies under test (faultline's, Toxiproxy) each run in another
 * process, so none of them shares an event loop or a core's time slice with the traffic it moves,
 * and the direct baseline goes through exactly the same client and source.
 *
 * Bulk data flows from a source server to the client (a download: the proxy's downstream
 * direction). The client reads with `onread` into one reused 1 MiB buffer; a server-side socket
 * cannot (Node's servers have no `onread`), and its 'data' events allocate a Buffer per read,
 * which on this machine class capped a sink at ~1.45 GB/s while the direct path, read this way,
 * runs at ~2.7: a ceiling that every path met, so the comparison measured the load generator
 * (docs/performance.md, "TCP forwarding without toxics").
 *
 *   start() → { sourcePort, echoPort }
 *   bulk({ port, bytes, writeSize, verify? }) → { seconds, arrivals?, intact? }
 *       one connection; the source writes `bytes` in `writeSize` pieces; timed from connect to the
 *       client's last byte; `verify` checks every byte against the pattern sent and records when
 *       they arrived (process.hrtime: the machine's monotonic clock, comparable with the other
 *       processes' timestamps)
 *   concurrent({ port, connections, bytesEach, writeSize }) → { seconds }
 *   pingPong({ port, samples, warmup }) → { rtts }   (ms)
 */
import { connect, createServer, type Socket } from 'node:net';
import { serveChild } from './ipc-child.js';
import { hrtimeMs, listen, pingPong, startEchoServer, type Listening } from './loopback.js';

interface BulkOptions {
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

/** A block of pseudo-random bytes: the payload repeats it, so the client can check every byte cheaply. */
const PATTERN = (() => {
  const block = Buffer.alloc(256 * 1024);
  let x = 0x2545f491;
  for (let i = 0; i < block.length; i++) {
    x = (Math.imul(x, 1_103_515_245) + 12_345) >>> 0;
    block[i] = x >>> 24;
  }
  return block;
})();

/** Where every client reads: the callback consumes it before the next read. */
const READ_BUFFER = Buffer.allocUnsafe(1024 * 1024);

let source: Listening | undefined;
let echo: Listening | undefined;
/** What the source writes on each connection it accepts (one benchmark at a time). */
let plan = { bytes: 0, writeSize: 64 * 1024 };

function startSource(): Promise<Listening> {
  const server = createServer((socket) => {
    socket.on('error', () => {});
    void writePattern(socket, plan.bytes, plan.writeSize).then(() => socket.end(), () => socket.destroy());
  });
  return listen(server, { backlog: 1024 }); // 100 connections open at once
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
    if (socket.destroyed) throw new Error('closed');
    const inBlock = sent % PATTERN.length;
    const n = Math.min(writeSize, bytes - sent, PATTERN.length - inBlock);
    sent += n;
    if (!socket.write(PATTERN.subarray(inBlock, inBlock + n))) await new Promise<void>((resolve) => socket.once('drain', resolve));
  }
}

/**
 * Connects to `port` and hands every read to `onBytes` (its bytes are valid until it returns);
 * resolves when the peer has closed, rejects on an error.
 */
function receive(port: number, onBytes: (bytes: Buffer) => void): { socket: Socket; closed: Promise<void> } {
  let socket!: Socket;
  const closed = new Promise<void>((resolve, reject) => {
    socket = connect({
      port,
      host: '127.0.0.1',
      onread: {
        buffer: READ_BUFFER,
        callback: (n: number, buffer: Uint8Array) => {
          onBytes(Buffer.from(buffer.buffer, buffer.byteOffset, n));
          return true;
        },
      },
    });
    socket.once('end', () => resolve());
    socket.once('error', reject);
  });
  return { socket, closed };
}
async function bulk({ port, bytes, writeSize, verify = false }: BulkOptions): Promise<BulkResult> {
  plan = { bytes, writeSize };
  let received = 0;
  let intact = true;
  const arrivals: number[] = [];
  const start = performance.now();
  let end = start;
  const { socket, closed } = receive(port, (chunk) => {
    if (verify) {
      intact &&= matchesPattern(chunk, received);
      arrivals.push(hrtimeMs(), received + chunk.length);
    }
    received += chunk.length;
    if (received >= bytes) end = performance.now();
  });
  await closed;
  socket.destroy();
  if (received < bytes) throw new Error(`the source closed after ${received} of ${bytes} bytes`);
  return { seconds: (end - start) / 1000, ...(verify ? { arrivals, intact: intact && received === bytes } : {}) };
}

async function concurrent({ port, connections, bytesEach, writeSize }: { port: number; connections: number; bytesEach: number; writeSize: number }) {
  plan = { bytes: bytesEach, writeSize };
  const total = connections * bytesEach;
  let received = 0;
  const start = performance.now();
  let end = start;
  const clients = Array.from({ length: connections }, () =>
    receive(port, (chunk) => {
      received += chunk.length;
      if (received >= total) end = performance.now();
    }),
  );
  await Promise.all(clients.map((c) => c.closed));
  for (const c of clients) c.socket.destroy();
  if (received < total) throw new Error(`the source closed after ${received} of ${total} bytes`);
  return { seconds: (end - start) / 1000 };
}

serveChild(
  {
    async start() {
      source = await startSource();
      echo = await startEchoServer();
      return { sourcePort: source.port, echoPort: echo.port };
    },
    bulk,
    concurrent,
    async pingPong({ port, samples, warmup }: { port: number; samples: number; warmup: number }) {
      return { rtts: await pingPong(port, { samples, warmup }) };
    },
  },
  async () => {
    await source?.close();
    await echo?.close();
  },
);

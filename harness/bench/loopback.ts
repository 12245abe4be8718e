/**
 * Loopback building blocks shared by the benchmark suites: a byte-counting TCP sink, a TCP echo
 * server, bulk transfer and ping-pong clients, and percentile helpers. Measurements use
 * `performance.now()` directly: benchmarks measure the real world, they are not replayed.
 */
import { createSocket } from 'node:dgram';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';

export interface Listening {
  port: number;
  close(): Promise<void>;
}

/** Listens on a free loopback port; `close` destroys every connection it accepted, then closes. */
export function listen(server: Server, options: { backlog?: number } = {}): Promise<Listening> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1', ...options }, () => {
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () =>
          new Promise<void>((done) => {
            for (const socket of sockets) socket.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

/** A sink that counts bytes per connection; `expect(n)` resolves when a connection has read n bytes. */
export interface CountingSink extends Listening {
  /** Resolves with `performance.now()` when the next connection has received `bytes`. */
  expect(bytes: number): Promise<number>;
}

export async function startCountingSink(): Promise<CountingSink> {
  let waiter: { bytes: number; resolve: (at: number) => void } | null = null;
  const server = createServer((socket) => {
    let received = 0;
    const target = waiter;
    waiter = null;
    socket.on('data', (chunk) => {
      received += chunk.length;
      if (target && received >= target.bytes) {
        target.resolve(performance.now());
        target.bytes = Infinity;
      }
    });
    socket.on('error', () => {});
  });
  const listening = await listen(server);
  return {
    ...listening,
    expect: (bytes) =>
      new Promise<number>((resolve) => {
        waiter = { bytes, resolve };
      }),
  };
}

export async function startEchoServer(): Promise<Listening> {
  const server = createServer((socket) => {
    socket.setNoDelay(true);
    socket.on('error', () => {});
    socket.pipe(socket);
  });
  return listen(server);
}

/** A UDP echo server on a free loopback port. */
export async function startUdpEchoServer(): Promise<{ port: number; close(): void }> {
  const socket = createSocket('udp4');
  socket.on('message', (message, from) => socket.send(message, from.port, from.address));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { port: socket.address().port, close: () => socket.close() };
}

export function connectTo(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', noDelay: true }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/**
 * Writes `totalBytes` in `writeSize` writes (respecting backpressure) to `port`, where a counting
 * sink (directly or behind a proxy) reads them. Returns bytes per second, timed from the connect
 * to the moment the sink has read the last byte.
 */
export async function bulkTransfer(port: number, sink: CountingSink, totalBytes: number, writeSize = 256 * 1024): Promise<number> {
  const block = Buffer.alloc(writeSize, 0x61);
  const done = sink.expect(totalBytes);
  const start = performance.now();
  const socket = await connectTo(port);
  let sent = 0;
  while (sent < totalBytes) {
    const piece = Math.min(writeSize, totalBytes - sent);
    sent += piece;
    if (!socket.write(piece === writeSize ? block : block.subarray(0, piece))) {
      await new Promise<void>((resolve) => socket.once('drain', resolve));
    }
  }
  const end = await done;
  socket.destroy();
  return totalBytes / ((end - start) / 1000);
}

export interface PingPongOptions {
  samples: number;
  warmup: number;
  size?: number;
  /** Idle time before each ping, ms (the client keeps polling meanwhile). */
  gapMs?: number;
}

/**
 * Sequential ping-pongs; returns each round trip in ms (warm-up excluded). The client polls with
 * setImmediate while it waits, so its own wake-up from idle (0.3–0.5 ms on a VM after a 50 ms
 * wait) is not counted: what is measured is the path, not the measuring process.
 */
export async function pingPong(port: number, options: PingPongOptions): Promise<number[]> {
  const { samples, warmup, size = 64, gapMs = 0 } = options;
  const socket = await connectTo(port);
  const payload = Buffer.alloc(size, 0x62);
  const rtts: number[] = [];
  let got = 0;
  socket.on('data', (chunk) => {
    got += chunk.length;
  });
  const spinUntil = async (done: () => boolean) => {
    while (!done()) await new Promise((resolve) => setImmediate(resolve));
  };
  for (let i = 0; i < warmup + samples; i++) {
    if (gapMs > 0) {
      const until = performance.now() + gapMs;
      await spinUntil(() => performance.now() >= until);
    }
    got = 0;
    const start = performance.now();
    socket.write(payload);
    await spinUntil(() => got >= size);
    if (i >= warmup) rtts.push(performance.now() - start);
  }
  socket.destroy();
  return rtts;
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** The machine's monotonic clock in ms, comparable between processes (process.hrtime). */
export const hrtimeMs = (): number => Number(process.hrtime.bigint()) / 1e6;

export function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

export function median(values: number[]): number {
  return percentile(values, 50);
}

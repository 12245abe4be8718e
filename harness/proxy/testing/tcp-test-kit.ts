/**
 * Loopback TCP peers for tests of the TCP engine (and benchmarks): servers that echo or record
 * what they receive, and a client that records what it receives and how its connection ended.
 * Everything binds 127.0.0.1 on port 0 and is closed by `close()`.
 *
 * Waiting is on events, never on sleeps: a peer's `until` re-checks its predicate on every event
 * it sees and fails with a message after a deadline. `countingTcpIo` counts the switches of the
 * native fast path, so that a test can tell that it crossed them.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { FastPath, TcpIo } from '../tcp-io.js';

/** How a connection ended, as its owner saw it. */
export interface PeerOutcome {
  /** The peer's FIN arrived (`'end'`). */
  ended: boolean;
  /** The error code, e.g. ECONNRESET, if the socket errored. */
  error: string | undefined;
  /** The socket fully closed. */
  closed: boolean;
}

/** One side of a TCP connection, recording everything it receives. */
export interface RecordingSocket extends PeerOutcome {
  readonly socket: Socket;
  readonly chunks: Buffer[];
  /** Everything received so far, concatenated. */
  received(): Buffer;
  receivedBytes: number;
  /** `performance.now()` of each chunk's arrival. */
  readonly arrivals: number[];
  /** Resolves once `predicate()` holds; rejects after `timeoutMs` naming `what`. */
  until(predicate: () => boolean, what: string, timeoutMs?: number): Promise<void>;
}

export interface TestServer {
  readonly port: number;
  readonly address: string;
  /** Server-side sockets, in accept order. */
  readonly connections: RecordingSocket[];
  /** Resolves once `count` connections were accepted. */
  accepted(count: number, timeoutMs?: number): Promise<RecordingSocket>;
  close(): Promise<void>;
}

export type ServerBehaviour = 'echo' | 'sink';

/**
 * Starts a loopback server. `echo` writes back what it reads and ends when the client ends
 * (half-close aware); `sink` only records and ends when the client ends.
 */
export async function startTestServer(behaviour: ServerBehaviour): Promise<TestServer> {
  const connections: RecordingSocket[] = [];
  const waiters = new Set<() => void>();
  const sockets = new Set<Socket>();
  const server: Server = createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    const recording = record(socket);
    if (behaviour === 'echo') socket.on('data', (data: Buffer) => socket.write(data));
    socket.on('end', () => socket.end());
    connections.push(recording);
    for (const wake of waiters) wake();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    port,
    address: `127.0.0.1:${port}`,
    connections,
    accepted: (count, timeoutMs = 5000) =>
      waitUntil(waiters, () => connections.length >= count, `${count} accepted connection(s)`, timeoutMs).then(
        () => connections[count - 1]!,
      ),
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Connects a recording client to `port` on 127.0.0.1. Resolves once connected. */
export async function connectClient(port: number, options: { allowHalfOpen?: boolean } = {}): Promise<RecordingSocket> {
  const socket = connect({ host: '127.0.0.1', port, noDelay: true, allowHalfOpen: options.allowHalfOpen ?? true });
  const recording = record(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return recording;
}

/** Deterministic pseudo-random bytes (an LCG), so a failing comparison can be reproduced. */
export function testPayload(length: number, seed = 1): Buffer {
  const out = Buffer.alloc(length);
  let x = seed >>> 0;
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1_103_515_245) + 12_345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** Opens a client and returns how its first connect attempt ended: `'connected'` or an error code. */
export async function tryConnect(port: number): Promise<string> {
  const socket = connect({ host: '127.0.0.1', port });
  return new Promise((resolve) => {
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

function record(socket: Socket): RecordingSocket {
  const waiters = new Set<() => void>();
  const wakeAll = () => {
    for (const wake of waiters) wake();
  };
  const recording: RecordingSocket = {
    socket,
    chunks: [],
    arrivals: [],
    receivedBytes: 0,
    ended: false,
    error: undefined,
    closed: false,
    received: () => Buffer.concat(recording.chunks),
    until: (predicate, what, timeoutMs = 5000) => waitUntil(waiters, predicate, what, timeoutMs),
  };
  socket.on('data', (data: Buffer) => {
    recording.chunks.push(data);
    recording.arrivals.push(performance.now());
    recording.receivedBytes += data.length;
    wakeAll();
  });
  socket.on('end', () => {
    recording.ended = true;
    wakeAll();
  });
  socket.on('error', (error: NodeJS.ErrnoException) => {
    recording.error = error.code ?? error.message;
    wakeAll();
  });
  socket.on('close', () => {
    recording.closed = true;
    wakeAll();
  });
  return recording;
}

function waitUntil(waiters: Set<() => void>, predicate: () => boolean, what: string, timeoutMs: number): Promise<void> {
  if (predicate()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const check = () => {
      if (!predicate()) return;
      cleanup();
      resolve();
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      waiters.delete(check);
    };
    waiters.add(check);
  });
}

/** What a counting TCP I/O saw: switches of directions between the fast path and JavaScript. */
export interface FastPathCounts {
  /** Switches into the fast path (a direction left JavaScript). */
  entered: number;
  /** Switches out of it (a toxic took a fast direction back). */
  left: number;
  /** Of those, switches that handed back bytes read but not yet forwarded, and how many bytes. */
  leftHolding: number;
  heldBytes: number;
}

/**
 * Wraps a TCP I/O so that every real switch of a direction between the fast path and the toxic
 * chain is counted (nothing else changes): how a test knows that it crossed the boundary.
 */
export function countingTcpIo(io: TcpIo): { io: TcpIo; counts: FastPathCounts } {
  const counts: FastPathCounts = { entered: 0, left: 0, leftHolding: 0, heldBytes: 0 };
  const count = (fast: FastPath): FastPath => ({
    get active() {
      return fast.active;
    },
    get onEnded() {
      return fast.onEnded;
    },
    set onEnded(listener) {
      fast.onEnded = listener;
    },
    enter() {
      const was = fast.active;
      const entered = fast.enter();
      if (entered && !was) counts.entered++;
      return entered;
    },
    leave() {
      const was = fast.active;
      const held = fast.leave();
      if (was) counts.left++;
      if (held) {
        counts.leftHolding++;
        counts.heldBytes += held.length;
      }
      return held;
    },
  });
  return {
    counts,
    io: {
      kind: io.kind,
      pauseOnConnect: io.pauseOnConnect,
      open(client, options) {
        const sockets = io.open(client, options);
        const { fastPaths } = sockets;
        return fastPaths ? { ...sockets, fastPaths: { upstream: count(fastPaths.upstream), downstream: count(fastPaths.downstream) } } : sockets;
      },
    },
  };
}

/**
 * Test helpers for the admin API: loopback echo servers (TCP and UDP), a raw HTTP call that
 * keeps status, headers and body text, and a TCP round trip through a proxy. Everything binds
 * 127.0.0.1 port 0 and every helper returns a close function; tests close in afterEach.
 */
import { createSocket } from 'node:dgram';
import { createConnection, createServer, type AddressInfo, type Socket } from 'node:net';

export interface Closable {
  port: number;
  close(): Promise<void>;
}

/** A TCP echo server that tracks its sockets so close() leaves nothing behind. */
export async function startTcpEcho(): Promise<Closable> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A UDP echo server: each datagram goes back to its sender. */
export async function startUdpEcho(): Promise<Closable> {
  const socket = createSocket('udp4');
  socket.on('message', (msg, rinfo) => socket.send(msg, rinfo.port, rinfo.address));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    port: socket.address().port,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON, or undefined when it is empty or not JSON. */
  json: any;
}

/** One HTTP request with fetch; `body` objects are JSON-encoded, strings sent verbatim. */
export async function call(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<RawResponse> {
  const init: RequestInit = { method, headers: { 'User-Agent': 'faultline-test', ...headers } };
  if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
  const response = await fetch(`${base}${path}`, init);
  const text = await response.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

/** Connects to host:port, writes `payload`, resolves with the same number of bytes read back. */
export function tcpRoundTrip(address: string, payload: Buffer, timeoutMs = 5_000): Promise<Buffer> {
  const [host, port] = splitHostPort(address);
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host, port });
    const chunks: Buffer[] = [];
    let received = 0;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`round trip through ${address} timed out after ${timeoutMs} ms (${received}/${payload.length} bytes)`));
    }, timeoutMs);
    socket.on('connect', () => socket.write(payload));
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      received += chunk.length;
      if (received >= payload.length) {
        clearTimeout(timer);
        socket.destroy();
        resolve(Buffer.concat(chunks));
      }
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('end', () => {
      clearTimeout(timer);
      socket.destroy();
      reject(new Error(`connection through ${address} ended after ${received}/${payload.length} bytes`));
    });
  });
}

/** Sends one datagram to host:port and resolves with the first reply (or rejects on timeout). */
export function udpRoundTrip(address: string, payload: Buffer, timeoutMs = 5_000): Promise<Buffer> {
  const [host, port] = splitHostPort(address);
  const socket = createSocket('udp4');
  return new Promise<Buffer>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no UDP reply through ${address} within ${timeoutMs} ms`)), timeoutMs);
    socket.on('message', (msg) => {
      clearTimeout(timer);
      resolve(msg);
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.send(payload, port, host);
  }).finally(() => socket.close());
}

/** Resolves with the error code a connection attempt to host:port ends with, or 'connected'. */
export function connectOutcome(address: string): Promise<string> {
  const [host, port] = splitHostPort(address);
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    socket.on('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

export function splitHostPort(address: string): [string, number] {
  const i = address.lastIndexOf(':');
  return [address.slice(0, i).replace(/^\[|\]$/g, ''), Number(address.slice(i + 1))];
}

export interface RawHttpResponse {
  /** 0 when nothing parseable came back. */
  status: number;
  /** Header names lower-cased. */
  headers: Record<string, string>;
  body: string;
  /** A socket error the client saw (EPIPE, ECONNRESET), if any. */
  error?: string;
  /** Every byte received, as latin1 text. */
  raw: string;
}

/**
 * One HTTP request written by hand on a fresh connection, as a careful but naive client would:
 * everything is sent first (each part after `gapMs`), and only then is the answer read, so an
 * answer the server sends and then destroys by closing early is lost as it would be for such a
 * client. The connection stays half-open after the server's FIN so that sending can go on.
 */
export function rawHttp(port: number, parts: Array<string | Buffer>, options: { gapMs?: number; timeoutMs?: number } = {}): Promise<RawHttpResponse> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port, allowHalfOpen: true });
    const chunks: Buffer[] = [];
    let error: string | undefined;
    const timer = setTimeout(() => socket.destroy(), options.timeoutMs ?? 5_000);
    socket.on('connect', async () => {
      socket.pause();
      for (const [i, part] of parts.entries()) {
        if (i > 0 && options.gapMs) await new Promise((r) => setTimeout(r, options.gapMs));
        if (socket.destroyed) return;
        socket.write(part);
      }
      socket.write('', () => {
        socket.resume();
        socket.end();
      });
    });
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (e: NodeJS.ErrnoException) => (error ??= e.code ?? e.message));
    socket.on('close', () => {
      clearTimeout(timer);
      const raw = Buffer.concat(chunks).toString('latin1');
      // Interim answers (100 Continue) come before the real one: skip them.
      let start = 0;
      while (/^HTTP\/1\.[01] 1\d\d /.test(raw.slice(start)) && raw.indexOf('\r\n\r\n', start) >= 0) start = raw.indexOf('\r\n\r\n', start) + 4;
      const split = raw.indexOf('\r\n\r\n', start);
      const head = split < 0 ? raw.slice(start) : raw.slice(start, split);
      const [statusLine = '', ...headerLines] = head.split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of headerLines) {
        const colon = line.indexOf(':');
        if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0);
      // The body ends where Content-Length says (a pipelined answer may follow it).
      const length = headers['content-length'] === undefined ? undefined : Number(headers['content-length']);
      const bodyBytes = split < 0 ? '' : raw.slice(split + 4, length === undefined ? undefined : split + 4 + length);
      resolve({ status, headers, body: Buffer.from(bodyBytes, 'latin1').toString('utf8'), raw, ...(error ? { error } : {}) });
    });
  });
}

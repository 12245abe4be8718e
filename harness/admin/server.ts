/**
 * The admin HTTP server: Toxiproxy's API (see admin-api.ts and docs/admin-api.md) on Node's
 * `http`, with the limits a server on a shared machine needs.
 *
 *   request ──▶ request id ──▶ body read, at most maxBodyBytes (413), on every route
 *           ──▶ browser check (403) ──▶ route (404 / 405) ──▶ JSON (400) ──▶ AdminApi ──▶ response
 *
 *   not HTTP (Node's parser gives up before a route runs: a bad method, raw bytes in the request
 *   line, headers over 16 KiB, a client too slow) ──▶ clientError ──▶ a JSON error with a code
 *   (400 MALFORMED_REQUEST, 431 HEADERS_TOO_LARGE, 408 REQUEST_TIMEOUT), or the 405/404 a route
 *   would give an unknown method, as Toxiproxy does ──▶ close, reading what the client still sends
 *
 * The body is read on routes that take none too: answering and closing while a client is still
 * sending makes the kernel reset the connection, and the client loses the answer.
 *
 * Slow or stuck clients cannot hold the server: headers must arrive within headersTimeoutMs and
 * the whole request within requestTimeoutMs (Toxiproxy: ReadTimeout 15 s); an operation that
 * takes longer than operationTimeoutMs answers 503 (Toxiproxy: 25 s). `close()` drops every
 * connection, idle or not, so nothing outlives it.
 */
import { randomUUID } from 'node:crypto';
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { formatHostPort } from '../core/address.js';
import { parseJsonText } from '../core/json-text.js';
import { ERROR_CATALOG, FaultlineError, type ErrorCode } from '../core/errors.js';
import { FAULTLINE_VERSION } from '../core/version.js';
import { AdminApi, errorResponse, type AdminBackend, type AdminLog, type ApiResponse } from './admin-api.js';
import { errorBody } from './api-error.js';
import { matchRoute, ROUTES_WITH_BODY } from './router.js';

export interface AdminServerOptions {
  backend: AdminBackend;
  /** Default `127.0.0.1`; `localhost` means 127.0.0.1 (docs/decisions.md #5). */
  host?: string;
  /** Default 8474 (Toxiproxy's); 0 picks a free port, reported in `address`. */
  port?: number;
  log?: AdminLog;
  /** Largest request body accepted, in bytes. Default 1 MiB. */
  maxBodyBytes?: number;
  /** Longest a single operation may take before the answer is 503, in ms. Default 25 000. */
  operationTimeoutMs?: number;
  /** Longest a client may take to send a whole request, in ms. Default 15 000. */
  requestTimeoutMs?: number;
  /** Longest a client may take to send the request headers, in ms. Default 10 000. */
  headersTimeoutMs?: number;
}

export interface AdminServer {
  /** Where the API listens (the real port when asked for port 0). */
  readonly address: { host: string; port: number };
  /** `http://host:port`, for clients. */
  readonly url: string;
  /** Stops listening and closes every connection. Does not close the backend. Idempotent. */
  close(): Promise<void>;
}

export const DEFAULT_ADMIN_HOST = '127.0.0.1';
export const DEFAULT_ADMIN_PORT = 8474;
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

const TEXT_TYPE = 'text/plain; charset=utf-8';

export async function createAdminServer(options: AdminServerOptions): Promise<AdminServer> {
  const host = !options.host || options.host === 'localhost' ? DEFAULT_ADMIN_HOST : options.host;
  const port = options.port ?? DEFAULT_ADMIN_PORT;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const operationTimeoutMs = options.operationTimeoutMs ?? 25_000;
  const requestTimeoutMs = options.requestTimeoutMs ?? 15_000;
  const log = options.log ?? (() => {});
  const api = new AdminApi({ backend: options.backend, version: FAULTLINE_VERSION, log });

  const server = createServer(
    {
      requestTimeout: requestTimeoutMs,
      headersTimeout: Math.min(options.headersTimeoutMs ?? 10_000, requestTimeoutMs),
      // Node enforces both timeouts from a periodic sweep (default every 30 s, which would let a
      // slow client hold a connection twice as long as asked).
      connectionsCheckingInterval: Math.min(1_000, Math.max(50, Math.floor(requestTimeoutMs / 4))),
      // Toxiproxy's IdleTimeout. Go clients keep idle connections 90 s; closing them sooner makes
      // a reused connection race the close.
      keepAliveTimeout: 60_000,
    },
    (req, res) => {
      handle(req, res).catch((error: unknown) => {
        // Only a bug in this file gets here; answer if still possible and say so.
        log({ level: 'warn', message: `admin API internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}` });
        if (!res.headersSent) send(res, errorResponse(errorBody(error, 'proxy')));
        else res.destroy();
      });
    },
  );
  // A client that half-closes still gets its answer; Node would otherwise drop the connection when
  // it sees the end of a request it cannot complete (an upgrade request with a chunked body).
  // `httpAllowHalfOpen` is Node's own switch for this (undocumented, there since 0.x, tested here).
  (server as Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
  server.on('clientError', (error: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: Socket) => {
    const response = clientErrorResponse(error);
    // Nothing to answer (the client left), or a response of ours is already under way.
    const current = (socket as Socket & { _httpMessage?: ServerResponse })._httpMessage;
    if (response === undefined || !socket.writable || current?.headersSent) {
      socket.destroy();
      return;
    }
    if (response.status >= 400 && response.status !== 404 && response.status !== 405) {
      log({ level: 'info', message: `${error.code ?? 'bad request'} → ${response.status} ${errorText(response.body ?? '')}` });
    }
    lingeringClose(socket, rawResponse(response));
  });
  // CONNECT never reaches the request handler: Node hands it over as a tunnel, and without a
  // listener drops the connection unanswered. No route takes it: a 405 or a 404, as for any method.
  server.on('connect', (req: IncomingMessage, socket: Socket) => {
    const route = matchRoute(req.method ?? 'CONNECT', req.url ?? '');
    lingeringClose(socket, rawResponse(route.kind === 'route' ? routeMiss({ kind: 'not-found' }) : routeMiss(route)));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const id = randomUUID();
    res.setHeader('X-Toxiproxy-Request-Id', id);
    res.setHeader('X-Faultline-Request-Id', id);
    req.on('error', () => {}); // a client that hangs up mid-body is not our error
    res.on('error', () => {});
    const method = req.method ?? 'GET';
    const route = matchRoute(method, req.url ?? '/');
    const extra = route.kind === 'route' && route.name === 'populate' ? { proxies: null } : {};

    // Every route reads the body, even one that ignores it: see the header.
    const read = await readBody(req, maxBodyBytes);
    if (read.kind === 'gone') return;
    if (read.kind === 'incomplete') {
      const error = new FaultlineError('MALFORMED_REQUEST', 'bad request: the request ended before its body did', { hint: 'send the whole body its Content-Length or chunks announce' });
      res.setHeader('Connection', 'close');
      finish(req, res, method, errorResponse({ ...errorBody(error, 'proxy'), ...extra }));
      return;
    }
    if (read.kind === 'too-large') {
      const error = new FaultlineError(
        'BODY_TOO_LARGE',
        `request body too large: ${read.receivedBytes > maxBodyBytes ? `more than ${maxBodyBytes}` : read.receivedBytes} bytes, the limit is ${maxBodyBytes} bytes`,
        { hint: 'split a large /populate into several requests' },
      );
      // Stop reading: say so, then close the connection instead of draining the rest.
      res.setHeader('Connection', 'close');
      res.once('finish', () => req.socket.destroySoon());
      finish(req, res, method, errorResponse({ ...errorBody(error, 'proxy'), ...extra }));
      return;
    }

    // Toxiproxy's CSRF protection: a browser page must not drive a proxy on localhost.
    if ((req.headers['user-agent'] ?? '').startsWith('Mozilla/')) {
      send(res, { status: 403, contentType: TEXT_TYPE, body: 'User agent not allowed\n' });
      return;
    }
    if (route.kind !== 'route') {
      send(res, routeMiss(route));
      return;
    }

    let body: unknown;
    if (ROUTES_WITH_BODY.has(route.name)) {
      try {
        body = parseJsonBody(read.text);
      } catch (error) {
        finish(req, res, method, errorResponse({ ...errorBody(error, 'proxy'), ...extra }));
        return;
      }
    }

    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<ApiResponse>((resolve) => {
      timer = setTimeout(() => {
        resolve(
          errorResponse({
            error: `operation did not finish within ${operationTimeoutMs} ms`,
            status: 503,
            code: 'INTERNAL',
          }),
        );
      }, operationTimeoutMs);
    });
    try {
      const response = await Promise.race([api.handle(route.name, route.proxy, route.toxic, body), timedOut]);
      finish(req, res, method, response);
    } finally {
      clearTimeout(timer);
    }
  }

  function finish(req: IncomingMessage, res: ServerResponse, method: string, response: ApiResponse): void {
    if (response.status >= 400) {
      const detail = response.body ? errorText(response.body) : '';
      // A client's mistake is information; the server failing is a warning.
      const level = response.status >= 500 ? 'warn' : 'info';
      log({ level, message: `${method} ${req.url ?? ''} → ${response.status}${detail ? ` ${detail}` : ''}` });
    }
    send(res, response);
  }

  await listen(server, host, port);
  const bound = server.address() as AddressInfo;
  const address = { host: bound.address, port: bound.port };
  let closing: Promise<void> | undefined;
  return {
    address,
    url: `http://${formatHostPort(address)}`,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

/** Toxiproxy's answers (gorilla/mux) for a path it does not know and a method a path does not take. */
function routeMiss(route: { kind: 'not-found' } | { kind: 'method-not-allowed'; allow: string[] }): ApiResponse & { allow?: string[] } {
  return route.kind === 'not-found' ? { status: 404, contentType: TEXT_TYPE, body: '404 page not found\n' } : { status: 405, allow: route.allow };
}

/** How long a connection we close after a clientError keeps reading what the client still sends. */
const LINGER_MS = 2000;
/** …and how much of it, at most. */
const LINGER_BYTES = 4 * 1024 * 1024;

/**
 * The answer to a request Node's HTTP parser refused before any route ran, or undefined when
 * there is no one to answer (the client reset the connection).
 */
function clientErrorResponse(error: NodeJS.ErrnoException & { rawPacket?: Buffer }): (ApiResponse & { allow?: string[] }) | undefined {
  const coded = (code: ErrorCode, message: string, hint?: string) =>
    errorResponse({ error: message, status: ERROR_CATALOG[code].http, code, ...(hint ? { hint } : {}) });
  switch (error.code) {
    case 'ECONNRESET':
    case 'EPIPE':
      return undefined;
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return coded('REQUEST_TIMEOUT', 'request timeout: the whole request must arrive within the server\'s request timeout', 'send the request at once');
    case 'HPE_HEADER_OVERFLOW':
      return coded('HEADERS_TOO_LARGE', 'request header fields too large: the request line and headers may be at most 16 KiB', 'names in paths are at most 256 characters');
    case 'HPE_INVALID_METHOD': {
      // Go's server takes any token as a method, and gorilla/mux answers by the path: a known path
      // with another method is a 405, an unknown path a 404. So does this one.
      const line = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) (\S+) HTTP\/1\.[01]\r?\n/.exec(error.rawPacket?.toString('latin1') ?? '');
      if (line) {
        const route = matchRoute(line[1]!, line[2]!);
        if (route.kind !== 'route') return routeMiss(route);
      }
      return coded('MALFORMED_REQUEST', 'bad request: the request line has no valid method', 'methods are GET, POST, PATCH and DELETE');
    }
    default:
      return coded('MALFORMED_REQUEST', `bad request: not valid HTTP/1.1 (${error.code ?? error.message})`, 'the request line and headers must be ASCII, as HTTP/1.1 defines them');
  }
}

/** An ApiResponse as raw HTTP/1.1 bytes, for a socket whose parser has given up. */
function rawResponse(response: ApiResponse & { allow?: string[] }): string {
  const id = randomUUID();
  const body = response.body ?? '';
  const headers = [
    `HTTP/1.1 ${response.status} ${STATUS_CODES[response.status] ?? 'Error'}`,
    ...(body ? [`Content-Type: ${response.contentType ?? TEXT_TYPE}`] : []),
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...(response.allow ? [`Allow: ${response.allow.join(', ')}`] : []),
    `X-Toxiproxy-Request-Id: ${id}`,
    `X-Faultline-Request-Id: ${id}`,
    'Connection: close',
  ];
  return `${headers.join('\r\n')}\r\n\r\n${body}`;
}

/**
 * Answers and closes without losing the answer: closing a socket with unread bytes makes the
 * kernel send a reset, and a client still sending then loses the response. So: answer, half-close,
 * and read (and drop) what still comes for a while, then close.
 */
function lingeringClose(socket: Socket, text: string): void {
  let dropped = 0;
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  timer.unref();
  socket.on('data', (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > LINGER_BYTES) socket.destroy();
  });
  socket.on('end', () => socket.destroy());
  socket.on('close', () => clearTimeout(timer));
  socket.on('error', () => {});
  socket.end(text);
  socket.resume();
}

function send(res: ServerResponse, response: ApiResponse & { allow?: string[] }): void {
  if (res.writableEnded || res.destroyed) return;
  res.statusCode = response.status;
  if (response.allow) res.setHeader('Allow', response.allow.join(', '));
  if (response.body !== undefined) {
    res.setHeader('Content-Type', response.contentType ?? TEXT_TYPE);
    res.setHeader('Content-Length', Buffer.byteLength(response.body));
    res.end(response.body);
  } else {
    res.setHeader('Content-Length', 0);
    res.end();
  }
}

type BodyRead = { kind: 'ok'; text: string } | { kind: 'too-large'; receivedBytes: number } | { kind: 'incomplete' } | { kind: 'gone' };

/** Reads the body up to `maxBytes`; past that it stops reading (the caller closes the socket). */
function readBody(req: IncomingMessage, maxBytes: number): Promise<BodyRead> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    req.pause();
    return Promise.resolve({ kind: 'too-large', receivedBytes: declared });
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const done = (result: BodyRead) => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onClose);
      req.socket.off('end', onSocketEnd);
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > maxBytes) {
        req.pause();
        done({ kind: 'too-large', receivedBytes: received });
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => done({ kind: 'ok', text: Buffer.concat(chunks).toString('utf8') });
    const onClose = () => done({ kind: 'gone' });
    // The client stopped sending before the body was complete (but still reads: the server is half-open).
    const onSocketEnd = () => {
      if (!req.complete) done({ kind: 'incomplete' });
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('close', onClose);
    req.socket.once('end', onSocketEnd);
  });
}

/** JSON.parse with Toxiproxy's `bad request body` wording (added by api-error). */
function parseJsonBody(text: string): unknown {
  if (text.trim() === '') {
    throw new FaultlineError('PARSE_ERROR', 'bad request body: the body is empty, expected JSON', {
      hint: 'send a JSON object, e.g. {"name": "db", "listen": "127.0.0.1:0", "upstream": "127.0.0.1:5432"}',
    });
  }
  const parsed = parseJsonText(text);
  if (parsed.ok) return parsed.value;
  const { line, column, message } = parsed.problem;
  throw new FaultlineError('PARSE_ERROR', `bad request body: ${message} (line ${line}, column ${column})`);
}

/** The `error` field of an error response, for the log line. */
function errorText(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: unknown };
    return typeof parsed.error === 'string' ? parsed.error : '';
  } catch {
    return body.trim();
  }
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      const where = formatHostPort({ host, port });
      if (error.code === 'EADDRINUSE') {
        reject(
          new FaultlineError('ADDRESS_IN_USE', `admin API address ${where} is already in use`, {
            hint: `another faultline proxy or toxiproxy-server may be running there; pick another --port (or 0 for any free port)`,
            cause: error,
          }),
        );
      } else {
        reject(
          new FaultlineError('ADDRESS_UNAVAILABLE', `admin API cannot listen on ${where}: ${error.code ?? error.message}`, {
            hint: 'use a local address such as 127.0.0.1 or ::1',
            cause: error,
          }),
        );
      }
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

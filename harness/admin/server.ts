/**
 * The admin HTTP server: Toxiproxy's API (see admin-api.ts and docs/admin-api.md) on Node's
 * `http`, with the limits a server on a shared machine needs.
 *
 *   request ──▶ request id ──▶ browser check (403) ──▶ route (404 / 405)
 *           ──▶ body, at most maxBodyBytes (413) ──▶ JSON (400) ──▶ AdminApi ──▶ response
 *
 * Slow or stuck clients cannot hold the server: headers must arrive within headersTimeoutMs and
 * the whole request within requestTimeoutMs (Toxiproxy: ReadTimeout 15 s); an operation that
 * takes longer than operationTimeoutMs answers 503 (Toxiproxy: 25 s). `close()` drops every
 * connection, idle or not, so nothing outlives it.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { formatHostPort } from '../core/address.js';
import { FaultlineError } from '../core/errors.js';
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

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const id = randomUUID();
    res.setHeader('X-Toxiproxy-Request-Id', id);
    res.setHeader('X-Faultline-Request-Id', id);
    req.on('error', () => {}); // a client that hangs up mid-body is not our error
    res.on('error', () => {});

    // Toxiproxy's CSRF protection: a browser page must not drive a proxy on localhost.
    if ((req.headers['user-agent'] ?? '').startsWith('Mozilla/')) {
      send(res, { status: 403, contentType: TEXT_TYPE, body: 'User agent not allowed\n' });
      return;
    }
    const method = req.method ?? 'GET';
    const route = matchRoute(method, req.url ?? '/');
    if (route.kind === 'not-found') {
      send(res, { status: 404, contentType: TEXT_TYPE, body: '404 page not found\n' });
      return;
    }
    if (route.kind === 'method-not-allowed') {
      res.setHeader('Allow', route.allow.join(', '));
      send(res, { status: 405 });
      return;
    }

    let body: unknown;
    if (ROUTES_WITH_BODY.has(route.name)) {
      const read = await readBody(req, maxBodyBytes);
      if (read.kind === 'gone') return;
      const extra = route.name === 'populate' ? { proxies: null } : {};
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

function send(res: ServerResponse, response: ApiResponse): void {
  if (res.writableEnded || res.destroyed) return;
  res.statusCode = response.status;
  if (response.body !== undefined) {
    res.setHeader('Content-Type', response.contentType ?? TEXT_TYPE);
    res.setHeader('Content-Length', Buffer.byteLength(response.body));
    res.end(response.body);
  } else {
    res.setHeader('Content-Length', 0);
    res.end();
  }
}

type BodyRead = { kind: 'ok'; text: string } | { kind: 'too-large'; receivedBytes: number } | { kind: 'gone' };

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
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('close', onClose);
  });
}

/** JSON.parse with Toxiproxy's `bad request body` wording (added by api-error). */
function parseJsonBody(text: string): unknown {
  if (text.trim() === '') {
    throw new FaultlineError('PARSE_ERROR', 'bad request body: the body is empty, expected JSON', {
      hint: 'send a JSON object, e.g. {"name": "db", "listen": "127.0.0.1:0", "upstream": "127.0.0.1:5432"}',
    });
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new FaultlineError('PARSE_ERROR', `bad request body: ${(error as Error).message}`);
  }
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

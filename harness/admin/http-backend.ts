/**
 * A ProxyBackend over HTTP, for any server speaking the Toxiproxy API: a `faultline proxy`
 * elsewhere, or a real Toxiproxy (the runner's second backend). Errors come back as the same
 * FaultlineError codes the embedded proxy raises:
 *
 *   faultline server ──▶ its JSON error carries `code` ──▶ same code, message, problems, hint
 *   Toxiproxy        ──▶ status + Toxiproxy's words   ──▶ 404 NOT_FOUND, 409 ALREADY_EXISTS,
 *                        400 INVALID_TOXIC_TYPE / INVALID_TOXIC_ATTRIBUTE / INVALID_INPUT,
 *                        500 "address already in use" ADDRESS_IN_USE, …
 *   nobody listening ──▶ UNREACHABLE naming the URL
 *
 * Updates use PATCH, which Toxiproxy has taken for proxies since 2.6 and wants (it logs POST as
 * deprecated); a server that answers PATCH with 405 (an older Toxiproxy) gets POST from then on.
 */
import type { BackendCapabilities, ProxyBackend } from '../core/backend.js';
import { ERROR_CATALOG, FaultlineError, type ErrorCode, type Problem } from '../core/errors.js';
import type { ProxyLedger } from '../core/ledger.js';
import { PROTOCOLS, type ProxyInput, type ProxyPatch, type ProxyState, type ToxicInput, type ToxicPatch, type ToxicSpec } from '../core/spec.js';
import { FAULTLINE_VERSION } from '../core/version.js';
import { proxyFromJson, toxicFromJson } from './wire-json.js';

/** `faultline`: our own admin API (UDP, ledger). `toxiproxy`: a real Toxiproxy (TCP only, no ledger). */
export type AdminApiFlavor = 'faultline' | 'toxiproxy';

export interface HttpBackendOptions {
  /** Base URL of the API, e.g. `http://127.0.0.1:8474` (a trailing slash is fine). */
  url: string;
  /** What the server is; decides `kind` and `capabilities`. Default `faultline`; see probeAdminApi. */
  flavor?: AdminApiFlavor;
  /** Per-request timeout in ms. Default 30 000 (Toxiproxy's Go client uses 30 s too). */
  timeoutMs?: number;
}

export const FAULTLINE_USER_AGENT = `faultline/${FAULTLINE_VERSION}`;

/** Toxiproxy 2.x's toxics (docs/toxics.md has faultline's, which add TCP `loss`). */
export const TOXIPROXY_TOXICS = ['noop', 'latency', 'bandwidth', 'slow_close', 'timeout', 'reset_peer', 'slicer', 'limit_data'] as const;

const CAPABILITIES: Record<AdminApiFlavor, BackendCapabilities> = {
  faultline: { protocols: ['tcp', 'udp'], ledger: true, tcpFaultLevel: 'stream', resetsOpenConnections: true },
  // reset_peer's RST needs SO_LINGER 0, which Toxiproxy sets only when it creates a connection's
  // link with the toxic already there: connections open when it is added end with a FIN.
  toxiproxy: { protocols: ['tcp'], ledger: false, tcpFaultLevel: 'stream', toxics: { tcp: TOXIPROXY_TOXICS }, resetsOpenConnections: false },
};

export function createHttpBackend(options: HttpBackendOptions): ProxyBackend {
  const flavor = options.flavor ?? 'faultline';
  const client = new AdminClient(options.url, options.timeoutMs ?? 30_000);
  /** Names this backend created, so close() deletes exactly those. */
  const created = new Set<string>();
  const capabilities = CAPABILITIES[flavor];
  /** Toxiproxy ignores `protocol`: it would make a TCP proxy of a UDP one, so that is refused here. */
  const checkProtocol = (input: ProxyInput) => {
    const protocol = PROTOCOLS.find((known) => known === input?.protocol);
    if (protocol === undefined || capabilities.protocols.includes(protocol)) return; // unknown ones are the server's to reject
    throw new FaultlineError('ENVIRONMENT', `proxy ${JSON.stringify(input.name)} is ${protocol.toUpperCase()}, and the toxiproxy server at ${client.url} proxies TCP only`, {
      hint: 'use the embedded proxy or a `faultline proxy` server for UDP',
    });
  };
  const p = (name: string) => `/proxies/${encodeURIComponent(name)}`;
  const t = (proxy: string, toxic: string) => `${p(proxy)}/toxics/${encodeURIComponent(toxic)}`;

  return {
    kind: flavor === 'faultline' ? 'http' : 'toxiproxy',
    capabilities,

    async createProxy(input: ProxyInput): Promise<ProxyState> {
      checkProtocol(input);
      const state = proxyFromJson(await client.request('POST', '/proxies', input));
      created.add(state.name);
      return state;
    },
    async populate(inputs: ProxyInput[]): Promise<ProxyState[]> {
      if (Array.isArray(inputs)) inputs.forEach(checkProtocol);
      const body = (await client.request('POST', '/populate', inputs)) as { proxies?: unknown };
      const states = (Array.isArray(body?.proxies) ? body.proxies : []).map(proxyFromJson);
      for (const state of states) created.add(state.name);
      return states;
    },
    async getProxy(name: string): Promise<ProxyState> {
      return proxyFromJson(await client.request('GET', p(name)));
    },
    async listProxies(): Promise<ProxyState[]> {
      const body = await client.request('GET', '/proxies');
      if (body === null || typeof body !== 'object') throw new Error(`${client.url} sent a proxy list that is not an object`);
      return Object.values(body as Record<string, unknown>).map(proxyFromJson);
    },
    async updateProxy(name: string, patch: ProxyPatch): Promise<ProxyState> {
      return proxyFromJson(await client.update(p(name), patch));
    },
    async deleteProxy(name: string): Promise<void> {
      await client.request('DELETE', p(name));
      created.delete(name);
    },
    async addToxic(proxy: string, toxic: ToxicInput): Promise<ToxicSpec> {
      return toxicFromJson(await client.request('POST', `${p(proxy)}/toxics`, toxic));
    },
    async getToxic(proxy: string, toxic: string): Promise<ToxicSpec> {
      return toxicFromJson(await client.request('GET', t(proxy, toxic)));
    },
    async updateToxic(proxy: string, toxic: string, patch: ToxicPatch): Promise<ToxicSpec> {
      return toxicFromJson(await client.update(t(proxy, toxic), patch));
    },
    async removeToxic(proxy: string, toxic: string): Promise<void> {
      await client.request('DELETE', t(proxy, toxic));
    },
    async reset(): Promise<void> {
      await client.request('POST', '/reset');
    },
    async ledger(proxy: string): Promise<ProxyLedger | undefined> {
      // A route the server does not have (Toxiproxy has no ledger) is gorilla/mux's plain-text 404.
      const answer = await client.exchange('GET', `${p(proxy)}/ledger`, undefined, (status, text) => status === 404 && !looksLikeJson(text));
      return answer.status === 404 ? undefined : (answer.body as ProxyLedger);
    },
    async close(): Promise<void> {
      // Best effort: a proxy someone else deleted, or a server that is gone, has nothing to release.
      const names = [...created];
      created.clear();
      await Promise.allSettled(names.map((name) => client.request('DELETE', p(name))));
    },
  };
}

/**
 * Asks a server what it is: faultline answers with an `X-Faultline-Request-Id` header, Toxiproxy
 * without. Throws UNREACHABLE when nothing answers.
 */
export async function probeAdminApi(url: string, timeoutMs = 5_000): Promise<{ flavor: AdminApiFlavor; version: string }> {
  const client = new AdminClient(url, timeoutMs);
  const { body, headers } = await client.exchange('GET', '/version');
  const version = (body as { version?: unknown } | undefined)?.version;
  return {
    flavor: headers.has('x-faultline-request-id') ? 'faultline' : 'toxiproxy',
    version: typeof version === 'string' ? version : 'unknown',
  };
}

/** Whether an error status is an answer the caller handles itself (`exchange` then returns it, body undefined). */
type Tolerated = (status: number, text: string) => boolean;

class AdminClient {
  readonly url: string;
  /** PATCH until the server answers it with 405 Method Not Allowed. */
  private updateMethod: 'PATCH' | 'POST' = 'PATCH';

  constructor(
    url: string,
    private readonly timeoutMs: number,
  ) {
    this.url = url.replace(/\/+$/, '');
  }

  /** Sends a request and returns the parsed JSON body (undefined when empty). */
  async request(method: string, path: string, body?: unknown): Promise<unknown> {
    return (await this.exchange(method, path, body)).body;
  }

  /** A partial update, with PATCH where the server has it (see the header comment). */
  async update(path: string, body: unknown): Promise<unknown> {
    if (this.updateMethod === 'PATCH') {
      const answer = await this.exchange('PATCH', path, body, (status) => status === 405);
      if (answer.status !== 405) return answer.body;
      this.updateMethod = 'POST';
    }
    return this.request('POST', path, body);
  }

  async exchange(method: string, path: string, body?: unknown, tolerated?: Tolerated): Promise<{ body: unknown; headers: Headers; status: number }> {
    const target = `${this.url}${path}`;
    let response: Response;
    try {
      response = await fetch(target, {
        method,
        headers: { 'User-Agent': FAULTLINE_USER_AGENT, Accept: 'application/json', ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw unreachable(this.url, method, path, error, this.timeoutMs);
    }
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      throw unreachable(this.url, method, path, error, this.timeoutMs);
    }
    const { status, headers } = response;
    if (!response.ok) {
      if (tolerated?.(status, text)) return { body: undefined, headers, status };
      throw httpError(this.url, method, path, status, text);
    }
    if (text.trim() === '') return { body: undefined, headers, status };
    try {
      return { body: JSON.parse(text), headers, status };
    } catch {
      throw new Error(`${method} ${this.url}${path} answered ${response.status} with a body that is not JSON: ${text.slice(0, 200)}`);
    }
  }
}

function unreachable(url: string, method: string, path: string, error: unknown, timeoutMs: number): FaultlineError {
  const err = error as Error & { cause?: { code?: string; message?: string } };
  const reason =
    err.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (err.cause?.code ?? err.cause?.message ?? err.message);
  return new FaultlineError('UNREACHABLE', `cannot reach the admin API at ${url} (${method} ${path}): ${reason}`, {
    hint: 'is `faultline proxy` (or toxiproxy-server) running there? Check the URL, e.g. http://127.0.0.1:8474',
    cause: error,
  });
}

/** Maps an error response to a FaultlineError (see the table at the top of this file). */
export function httpError(url: string, method: string, path: string, status: number, text: string): Error {
  const parsed = parseErrorBody(text);
  const message = parsed?.error ?? (text.trim() || `HTTP ${status}`);
  if (parsed?.code === 'INTERNAL') return new Error(`${method} ${url}${path} failed inside the server: ${message}`);
  const code = parsed?.code && parsed.code in ERROR_CATALOG ? (parsed.code as ErrorCode) : classify(status, message);
  const options: { problems?: Problem[]; hint?: string; where?: Problem } = {};
  if (parsed?.problems && parsed.problems.length > 0) {
    options.problems = parsed.problems;
    options.where = parsed.problems[0]!;
  }
  if (parsed?.hint) options.hint = parsed.hint;
  if (code === 'ENVIRONMENT' && parsed?.code === undefined) {
    return new FaultlineError(code, `${method} ${url}${path} answered HTTP ${status}: ${message}`, options);
  }
  return new FaultlineError(code, message, options);
}

/** Toxiproxy's error bodies carry no code; its status and words do. */
function classify(status: number, message: string): ErrorCode {
  switch (status) {
    case 404:
      return 'NOT_FOUND';
    case 409:
      return 'ALREADY_EXISTS';
    case 413:
      return 'BODY_TOO_LARGE';
    case 400:
      if (message.startsWith('invalid toxic type')) return 'INVALID_TOXIC_TYPE';
      if (message.startsWith('stream was invalid') || /attributes\./.test(message)) return 'INVALID_TOXIC_ATTRIBUTE';
      return 'INVALID_INPUT';
    case 500:
      // Toxiproxy validates no address; Go's listen errors surface as 500s.
      if (/address already in use/i.test(message)) return 'ADDRESS_IN_USE';
      if (/missing port|invalid port|too many colons/i.test(message)) return 'INVALID_INPUT';
      if (/cannot assign requested address|permission denied|no such host/i.test(message)) return 'ADDRESS_UNAVAILABLE';
      return 'ENVIRONMENT';
    case 502:
      return 'UNREACHABLE';
    default:
      return 'ENVIRONMENT';
  }
}

interface ErrorBodyJson {
  error?: string;
  code?: string;
  problems?: Problem[];
  hint?: string;
}

function parseErrorBody(text: string): ErrorBodyJson | undefined {
  if (!looksLikeJson(text)) return undefined;
  try {
    const value = JSON.parse(text) as unknown;
    if (value === null || typeof value !== 'object') return undefined;
    const o = value as Record<string, unknown>;
    const out: ErrorBodyJson = {};
    if (typeof o.error === 'string') out.error = o.error;
    if (typeof o.code === 'string') out.code = o.code;
    if (typeof o.hint === 'string') out.hint = o.hint;
    if (Array.isArray(o.problems)) out.problems = o.problems.filter((x): x is Problem => typeof (x as Problem)?.message === 'string');
    return out;
  } catch {
    return undefined;
  }
}

function looksLikeJson(text: string): boolean {
  return text.trimStart().startsWith('{');
}

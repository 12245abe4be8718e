/**
 * Where faults are injected, as a user names it — `embedded` (an in-process proxy) or the URL of
 * a server speaking the Toxiproxy API — turned into a factory of backends. `faultline run
 * --backend`, the library's `run()` and `createFaultProxy()` all go through here, so they accept
 * the same words and refuse the same mistakes.
 */
import type { ProxyBackend } from '../core/backend.js';
import { FaultlineError } from '../core/errors.js';
import { createEmbeddedProxy } from '../proxy/embedded-proxy.js';
import { createHttpBackend, probeAdminApi, type AdminApiFlavor } from './http-backend.js';

export interface BackendChoice {
  /** What results call it: `embedded`, `http <url>` (a faultline server) or `toxiproxy <url>`. */
  kind: string;
  /** `embedded`, or what answered at the URL. */
  flavor: 'embedded' | AdminApiFlavor;
  /** The server's URL without a trailing slash; `embedded` for the in-process proxy. */
  url: string;
  /** A fresh backend, seeded (the embedded proxy; a server has its own seed). */
  create(seed: number): ProxyBackend;
}

/** `embedded`, or an http(s) URL; anything else is INVALID_ARGUMENT naming `what` (e.g. `--backend`). */
export function parseBackend(text: string, what = '--backend'): 'embedded' | URL {
  if (text === 'embedded') return text;
  if (/^https?:\/\//.test(text) && URL.canParse(text)) return new URL(text);
  throw new FaultlineError('INVALID_ARGUMENT', `${what}: expected "embedded" or an http(s):// URL of a Toxiproxy-API server, got ${JSON.stringify(text)}`);
}

/**
 * A server is asked what it is once, before anything starts: one that does not answer stops here
 * (UNREACHABLE, exit 3), and a real Toxiproxy is told apart from a `faultline proxy` by the
 * request-id header only faultline sends, so that what runs there is held to what it can do (TCP
 * only, no ledger) instead of failing on a proxy it would silently create as TCP.
 */
export async function resolveBackend(text: string, options: { what?: string; timeoutMs?: number } = {}): Promise<BackendChoice> {
  const choice = parseBackend(text, options.what);
  if (choice === 'embedded') return { kind: 'embedded', flavor: 'embedded', url: 'embedded', create: (seed) => createEmbeddedProxy({ seed }) };
  const url = choice.href.replace(/\/+$/, '');
  const { flavor } = await probeAdminApi(url);
  return {
    kind: `${flavor === 'toxiproxy' ? 'toxiproxy' : 'http'} ${url}`,
    flavor,
    url,
    create: () => createHttpBackend({ url, flavor, ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }) }),
  };
}

/**
 * The admin API's endpoints over a ProxyBackend, independent of HTTP plumbing (server.ts does
 * sockets, limits and headers). Each endpoint answers with Toxiproxy's status codes and shapes:
 *
 *   route + parsed JSON body ──▶ api-input (Toxiproxy's required-field checks) ──▶ backend
 *        ──▶ wire-json ──▶ ApiResponse            errors ──▶ api-error (Toxiproxy's words + code)
 *
 * Toxic routes look the proxy up first, so a missing proxy is `proxy not found` and a missing
 * toxic on an existing proxy is `toxic not found`, exactly as Toxiproxy distinguishes them.
 */
import { FaultlineError } from '../core/errors.js';
import type { ProxyBackend } from '../core/backend.js';
import type { ProxyLedger } from '../core/ledger.js';
import type { ProxyState } from '../core/spec.js';
import { errorBody, type ApiErrorBody, type ErrorSubject } from './api-error.js';
import { populateInputFrom, proxyInputFrom, proxyPatchFrom, toxicInputFrom, toxicPatchFrom } from './api-input.js';
import { METRICS_CONTENT_TYPE, renderMetrics } from './metrics-exposition.js';
import type { RouteName } from './router.js';
import { proxyToJson, toxicToJson } from './wire-json.js';

/** A backend, optionally able to hand over every ledger at once (the embedded proxy can). */
export type AdminBackend = ProxyBackend & { ledgers?(): ProxyLedger[] };

/** One line per state change or server-side failure; the CLI timestamps and prints them. */
export type AdminLog = (event: { message: string; level?: 'info' | 'warn' }) => void;

export interface ApiResponse {
  status: number;
  contentType?: string;
  body?: string;
}

interface RequestContext {
  /** What a NOT_FOUND / ALREADY_EXISTS is about: the proxy until it was found, then the toxic. */
  subject: ErrorSubject;
  /** /populate: whether the backend was called (before that, nothing can have been created). */
  reachedBackend: boolean;
}

/** Toxiproxy sends JSON as `application/json` (and `/version` with a charset, verbatim). */
const JSON_TYPE = 'application/json';
const VERSION_TYPE = 'application/json;charset=utf-8';

export interface AdminApiOptions {
  backend: AdminBackend;
  version: string;
  log?: AdminLog;
}

export class AdminApi {
  private readonly backend: AdminBackend;
  private readonly version: string;
  private readonly log: AdminLog;

  constructor(options: AdminApiOptions) {
    this.backend = options.backend;
    this.version = options.version;
    this.log = options.log ?? (() => {});
  }

  /** Runs one endpoint. Never rejects: every error becomes an error response. */
  async handle(route: RouteName, proxy: string, toxic: string, body: unknown): Promise<ApiResponse> {
    const ctx: RequestContext = { subject: 'proxy', reachedBackend: false };
    try {
      return await this.dispatch(route, proxy, toxic, body, ctx);
    } catch (error) {
      const out = errorBody(error, ctx.subject);
      if (out.code === 'INTERNAL') {
        const stack = error instanceof Error && error.stack ? `\n${error.stack}` : '';
        this.log({ level: 'warn', message: `${route}: ${out.error}${stack}` });
      }
      if (route !== 'populate') return errorResponse(out);
      // Toxiproxy's /populate errors also list the proxies that exist after the failure
      // (`null` when the request was rejected before anything was created).
      const proxies = ctx.reachedBackend ? await this.populatedStates(error, body) : null;
      return errorResponse({ ...out, proxies });
    }
  }

  private async dispatch(route: RouteName, name: string, toxicName: string, body: unknown, ctx: RequestContext): Promise<ApiResponse> {
    const backend = this.backend;
    switch (route) {
      case 'version':
        return { status: 200, contentType: VERSION_TYPE, body: `{"version": ${JSON.stringify(this.version)}}\n` };
      case 'metrics':
        return { status: 200, contentType: METRICS_CONTENT_TYPE, body: renderMetrics(await this.metricsSources(), this.version) };
      case 'reset':
        await backend.reset();
        this.log({ message: 'reset: every proxy enabled, every toxic removed' });
        return { status: 204 };
      case 'listProxies': {
        const out: Record<string, unknown> = {};
        for (const state of await backend.listProxies()) out[state.name] = proxyToJson(state);
        return json(200, out);
      }
      case 'createProxy': {
        const state = await backend.createProxy(proxyInputFrom(body));
        this.log({ message: `created ${describeProxy(state)}` });
        return json(201, proxyToJson(state));
      }
      case 'populate': {
        const inputs = populateInputFrom(body);
        ctx.reachedBackend = true;
        const states = await backend.populate(inputs);
        this.log({ message: `populated ${states.length} ${states.length === 1 ? 'proxy' : 'proxies'}: ${states.map((s) => s.name).join(', ')}` });
        return json(201, { proxies: states.map(proxyToJson) });
      }
      case 'getProxy':
        return json(200, proxyToJson(await backend.getProxy(name)));
      case 'updateProxy': {
        const current = await backend.getProxy(name);
        const state = await backend.updateProxy(name, proxyPatchFrom(body, current));
        this.log({ message: `updated ${describeProxy(state)}` });
        return json(200, proxyToJson(state));
      }
      case 'deleteProxy':
        await backend.deleteProxy(name);
        this.log({ message: `deleted proxy ${name}` });
        return { status: 204 };
      case 'listToxics':
        return json(200, (await backend.getProxy(name)).toxics.map(toxicToJson));
      case 'ledger': {
        const ledger = await backend.ledger(name);
        if (ledger === undefined) {
          throw new FaultlineError('NOT_FOUND', `ledger not available: the ${backend.kind} backend keeps no ledger`);
        }
        return json(200, ledger);
      }
      case 'addToxic':
      case 'getToxic':
      case 'updateToxic':
      case 'removeToxic':
        break;
    }
    // Toxic routes: the proxy must exist first (its absence is `proxy not found`).
    await backend.getProxy(name);
    ctx.subject = 'toxic';
    switch (route) {
      case 'addToxic': {
        const toxic = await backend.addToxic(name, toxicInputFrom(body));
        this.log({ message: `proxy ${name}: added toxic ${toxic.name} (${toxic.type}, ${toxic.stream}, toxicity ${toxic.toxicity}) ${JSON.stringify(toxic.attributes)}` });
        return json(200, toxicToJson(toxic));
      }
      case 'getToxic':
        return json(200, toxicToJson(await backend.getToxic(name, toxicName)));
      case 'updateToxic': {
        const current = await backend.getToxic(name, toxicName);
        const toxic = await backend.updateToxic(name, toxicName, toxicPatchFrom(body, current));
        this.log({ message: `proxy ${name}: updated toxic ${toxic.name} (toxicity ${toxic.toxicity}) ${JSON.stringify(toxic.attributes)}` });
        return json(200, toxicToJson(toxic));
      }
      case 'removeToxic':
        await backend.removeToxic(name, toxicName);
        this.log({ message: `proxy ${name}: removed toxic ${toxicName}` });
        return { status: 204 };
    }
  }

  private async metricsSources() {
    const states = await this.backend.listProxies();
    const all = this.backend.ledgers?.();
    const byName = new Map(all?.map((l) => [l.proxy, l]));
    return Promise.all(
      states.map(async (state) => {
        const ledger = all ? byName.get(state.name) : await this.backend.ledger(state.name).catch(() => undefined);
        return ledger ? { state, ledger } : { state };
      }),
    );
  }

  /**
   * The proxies in place after a failed /populate. The embedded proxy's PopulateError says
   * exactly (`proxies`, null when nothing was applied); for other backends, the proxies the body
   * named that exist now, in the body's order.
   */
  private async populatedStates(error: unknown, body: unknown): Promise<unknown[] | null> {
    const reported = (error as { proxies?: unknown }).proxies;
    if (reported === null) return null;
    if (Array.isArray(reported)) return (reported as ProxyState[]).map(proxyToJson);
    const names = Array.isArray(body) ? body.map((e) => (e && typeof e === 'object' ? (e as { name?: unknown }).name : undefined)) : [];
    const existing = new Map((await this.backend.listProxies().catch(() => [] as ProxyState[])).map((s) => [s.name, s]));
    const out: unknown[] = [];
    for (const n of names) {
      const state = typeof n === 'string' ? existing.get(n) : undefined;
      if (state) out.push(proxyToJson(state));
    }
    return out;
  }
}

function json(status: number, value: unknown): ApiResponse {
  return { status, contentType: JSON_TYPE, body: JSON.stringify(value) };
}

/**
 * Errors are JSON with a trailing newline, as Toxiproxy writes them, but labelled
 * `application/json`: Toxiproxy's `text/plain` is an accident of Go's http.Error.
 */
export function errorResponse(body: ApiErrorBody & { proxies?: unknown[] | null }): ApiResponse {
  return { status: body.status, contentType: JSON_TYPE, body: `${JSON.stringify(body)}\n` };
}

function describeProxy(state: ProxyState): string {
  const status = state.enabled ? 'enabled' : 'disabled';
  return `proxy ${state.name} (${state.protocol}, ${status}) listening on ${state.listen}, upstream ${state.upstream}`;
}

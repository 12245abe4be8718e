/**
 * Request bodies of the admin API → backend inputs. This layer does only what Toxiproxy's API
 * layer does (required fields, body shape, defaults) so its error strings come out the same; every
 * other check (addresses, names, toxic types and attributes) is the backend's, so the embedded
 * proxy, `faultline validate` and this API reject the same things with the same words.
 *
 * Unknown keys are ignored, as Toxiproxy does, with one exception: a non-empty `toxics` list when
 * *creating* proxies is rejected. Toxiproxy silently drops it (its issue #79), which leaves users
 * believing their toxics are active. Updates ignore `toxics`, because Toxiproxy's own Go client
 * sends the proxy back whole, toxics included, when toggling it.
 */
import { FaultlineError, type Problem } from '../core/errors.js';
import type { ProxyInput, ProxyPatch, ProxyState, ToxicInput, ToxicPatch, ToxicSpec } from '../core/spec.js';
import { describe } from '../core/describe.js';

/** Toxiproxy's default listen address is all interfaces on a free port; faultline's is loopback. */
export const DEFAULT_LISTEN = '127.0.0.1:0';

const TOXICS_HINT = 'add toxics with POST /proxies/{proxy}/toxics after creating the proxy';

/** POST /proxies. */
export function proxyInputFrom(body: unknown): ProxyInput {
  const o = requireObject(body, 'a proxy');
  const problems = checkNewProxy(o, '');
  if (problems.length > 0) throw requestError(problems);
  return pickProxyInput(o);
}

/**
 * POST /populate and `--config`: a JSON array of proxies. Every entry is checked before anything
 * is created (Toxiproxy does the same); messages say `at proxy N`, 1-based, as Toxiproxy's do.
 */
export function populateInputFrom(body: unknown, file?: string): ProxyInput[] {
  if (!Array.isArray(body)) {
    throw new FaultlineError('INVALID_INPUT', `bad request body: expected a JSON array of proxies, got ${describe(body)}`, {
      ...(file ? { where: { file } } : {}),
      hint: 'send [{"name": "db", "listen": "127.0.0.1:0", "upstream": "127.0.0.1:5432"}, …]',
    });
  }
  const problems: Problem[] = [];
  const inputs: ProxyInput[] = [];
  body.forEach((entry, i) => {
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
      problems.push({ path: `[${i}]`, message: `expected a proxy object at proxy ${i + 1}, got ${describe(entry)}` });
      return;
    }
    const o = entry as Record<string, unknown>;
    problems.push(...checkNewProxy(o, `[${i}]`, ` at proxy ${i + 1}`));
    inputs.push(pickProxyInput(o));
  });
  if (problems.length > 0) throw requestError(file ? problems.map((p) => ({ ...p, file })) : problems);
  return inputs;
}

/** POST/PATCH /proxies/{p}: only what can change; the name and protocol cannot. */
export function proxyPatchFrom(body: unknown, current: ProxyState): ProxyPatch {
  const o = requireObject(body, 'a proxy update');
  const problems: Problem[] = [];
  immutable(o, 'name', current.name, problems, 'delete the proxy and create it under the new name');
  // Toxiproxy's JSON has no protocol: a missing one is "unchanged", not "tcp".
  immutable(o, 'protocol', current.protocol, problems, 'delete the proxy and create it with the other protocol');
  if (problems.length > 0) throw requestError(problems);
  const patch: ProxyPatch = {};
  if (o.listen !== undefined) patch.listen = o.listen;
  if (o.upstream !== undefined) patch.upstream = o.upstream;
  if (o.enabled !== undefined) patch.enabled = o.enabled;
  if (o.session_idle_timeout !== undefined) patch.session_idle_timeout = o.session_idle_timeout;
  return patch;
}

/** POST /proxies/{p}/toxics: passed on whole; the backend's toxic registry validates it. */
export function toxicInputFrom(body: unknown): ToxicInput {
  const o = requireObject(body, 'a toxic');
  const input: ToxicInput = {};
  for (const key of ['name', 'type', 'stream', 'toxicity', 'attributes'] as const) {
    if (o[key] !== undefined) input[key] = o[key];
  }
  return input;
}

/**
 * POST/PATCH /proxies/{p}/toxics/{t}: `toxicity` and `attributes` (merged into the current ones).
 * Clients often send the whole toxic back (toxiproxy-node-client's `Toxic.update` types it so);
 * `name`, `type` and `stream` are accepted when unchanged and rejected when they differ, where
 * Toxiproxy would silently ignore them.
 */
export function toxicPatchFrom(body: unknown, current: ToxicSpec): ToxicPatch {
  const o = requireObject(body, 'a toxic update');
  const problems: Problem[] = [];
  immutable(o, 'name', current.name, problems, 'remove the toxic and add it under the new name');
  immutable(o, 'type', current.type, problems, 'remove the toxic and add one of the other type');
  const stream = typeof o.stream === 'string' ? o.stream.toLowerCase() : o.stream;
  immutable({ stream }, 'stream', current.stream, problems, 'remove the toxic and add it on the other stream');
  if (problems.length > 0) throw requestError(problems);
  const patch: ToxicPatch = {};
  if (o.toxicity !== undefined) patch.toxicity = o.toxicity;
  if (o.attributes !== undefined) patch.attributes = o.attributes;
  return patch;
}

function checkNewProxy(o: Record<string, unknown>, at: string, suffix = ''): Problem[] {
  const path = (key: string) => (at ? `${at}.${key}` : key);
  const problems: Problem[] = [];
  // Toxiproxy's order and words: name first, then upstream.
  for (const key of ['name', 'upstream'] as const) {
    const value = o[key];
    if (value === undefined || value === null || value === '') {
      problems.push({ path: path(key), message: `missing required field: ${key}${suffix}` });
    }
  }
  if (Array.isArray(o.toxics) && o.toxics.length > 0) {
    problems.push({
      path: path('toxics'),
      message: `toxics cannot be set when creating a proxy${suffix} (Toxiproxy would silently ignore them)`,
      hint: TOXICS_HINT,
    });
  }
  return problems;
}

function pickProxyInput(o: Record<string, unknown>): ProxyInput {
  const input: ProxyInput = { name: o.name, upstream: o.upstream, listen: o.listen ?? DEFAULT_LISTEN };
  if (o.enabled !== undefined) input.enabled = o.enabled;
  if (o.protocol !== undefined) input.protocol = o.protocol;
  if (o.session_idle_timeout !== undefined) input.session_idle_timeout = o.session_idle_timeout;
  return input;
}

function requireObject(body: unknown, what: string): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new FaultlineError('INVALID_INPUT', `bad request body: expected ${what} as a JSON object, got ${describe(body)}`, {
    });
  }
  return body as Record<string, unknown>;
}

function immutable(o: Record<string, unknown>, key: string, current: string, problems: Problem[], hint: string): void {
  const value = o[key];
  if (value === undefined || value === null || value === current) return;
  problems.push({ path: key, message: `${key} cannot change: it is ${JSON.stringify(current)}, the request has ${describe(value)}`, hint });
}

/** One FaultlineError whose message is the first problem's, in Toxiproxy's words where it has them. */
function requestError(problems: Problem[]): FaultlineError {
  const first = problems[0]!;
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
  return new FaultlineError('INVALID_INPUT', `${first.message}${more}`, {
    problems,
    where: first,
    ...(first.hint ? { hint: first.hint } : {}),
  });
}

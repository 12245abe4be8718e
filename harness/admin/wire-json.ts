/**
 * Proxies and toxics as the Toxiproxy HTTP API writes them, and back.
 *
 * Toxiproxy's proxy JSON is `name, listen, upstream, enabled, toxics` (plus a stray `"Logger":{}`
 * that no client reads; faultline leaves it out). faultline adds `protocol` on every proxy and
 * `session_idle_timeout` (ms) on UDP proxies. Toxiproxy clients ignore unknown keys, and reading a
 * Toxiproxy server's JSON back, a missing `protocol` means `tcp`.
 */
import type { ProxyProtocol, ProxyState, ToxicSpec } from '../core/spec.js';

/** A toxic on the wire: Toxiproxy's keys, in its order of importance. */
export interface ToxicJson {
  name: string;
  type: string;
  stream: 'upstream' | 'downstream';
  toxicity: number;
  attributes: Record<string, number>;
}

/** A proxy on the wire. `protocol` and `session_idle_timeout` are faultline extensions. */
export interface ProxyJson {
  name: string;
  listen: string;
  upstream: string;
  enabled: boolean;
  toxics: ToxicJson[];
  protocol: ProxyProtocol;
  /** UDP only, in ms. */
  session_idle_timeout?: number;
}

export function toxicToJson(toxic: ToxicSpec): ToxicJson {
  return {
    name: toxic.name,
    type: toxic.type,
    stream: toxic.stream,
    toxicity: toxic.toxicity,
    attributes: { ...toxic.attributes },
  };
}

export function proxyToJson(state: ProxyState): ProxyJson {
  const json: ProxyJson = {
    name: state.name,
    listen: state.listen,
    upstream: state.upstream,
    enabled: state.enabled,
    toxics: state.toxics.map(toxicToJson),
    protocol: state.protocol,
  };
  if (state.protocol === 'udp' && state.session_idle_timeout !== undefined) {
    json.session_idle_timeout = state.session_idle_timeout;
  }
  return json;
}

/**
 * Reads a proxy from any server speaking the API (faultline or Toxiproxy). Throws a plain Error
 * when the shape is not a proxy at all: that is a broken server, not a user mistake.
 */
export function proxyFromJson(value: unknown): ProxyState {
  const o = asObject(value, 'proxy');
  const state: ProxyState = {
    name: field(o, 'name', 'string', 'proxy'),
    protocol: o.protocol === 'udp' ? 'udp' : 'tcp',
    listen: field(o, 'listen', 'string', 'proxy'),
    upstream: field(o, 'upstream', 'string', 'proxy'),
    enabled: field(o, 'enabled', 'boolean', 'proxy'),
    // Toxiproxy writes `null` for a proxy without toxics in some responses.
    toxics: o.toxics === null || o.toxics === undefined ? [] : asArray(o.toxics, 'proxy.toxics').map(toxicFromJson),
  };
  if (typeof o.session_idle_timeout === 'number') state.session_idle_timeout = o.session_idle_timeout;
  return state;
}

export function toxicFromJson(value: unknown): ToxicSpec {
  const o = asObject(value, 'toxic');
  const stream = field(o, 'stream', 'string', 'toxic');
  if (stream !== 'upstream' && stream !== 'downstream') throw new Error(`server sent a toxic with stream ${JSON.stringify(stream)}`);
  const attributes: Record<string, number> = {};
  if (o.attributes !== null && o.attributes !== undefined) {
    for (const [key, v] of Object.entries(asObject(o.attributes, 'toxic.attributes'))) {
      if (typeof v === 'number') attributes[key] = v;
    }
  }
  return {
    name: field(o, 'name', 'string', 'toxic'),
    type: field(o, 'type', 'string', 'toxic'),
    stream,
    toxicity: field(o, 'toxicity', 'number', 'toxic'),
    attributes,
  };
}

function asObject(value: unknown, what: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new Error(`server sent ${what} that is not a JSON object: ${JSON.stringify(value)?.slice(0, 200)}`);
  }
  return value as Record<string, unknown>;
}

function asArray(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) throw new Error(`server sent ${what} that is not a JSON array`);
  return value;
}

function field<T extends 'string' | 'number' | 'boolean'>(
  o: Record<string, unknown>,
  key: string,
  type: T,
  what: string,
): T extends 'string' ? string : T extends 'number' ? number : boolean {
  const v = o[key];
  if (typeof v !== type) throw new Error(`server sent ${what} without a ${type} "${key}": ${JSON.stringify(o).slice(0, 200)}`);
  return v as T extends 'string' ? string : T extends 'number' ? number : boolean;
}

/**
 * `workloads:` — traffic and measurement (docs/scenarios.md, "Workloads"). Each workload type's
 * definition (workload/registry.ts) says which keys it takes and reads its own options; this
 * loader reads the ones every type shares, and checks the workload's path end to end:
 *
 *   workload ──via──▶ proxy (same protocol) ──target──▶ target (serves that protocol)
 *            └─target──────────────────────────────────▶ target
 *
 * and that the end of the path can answer it, by the type's shape: stream workloads need
 * faultline's `builtin: sink` (it verifies every frame); round-trip and raw workloads need
 * something that replies, so a sink is refused; connect workloads take anything that listens. A
 * command or address target (or an explicit upstream) is assumed to echo: any echo server returns
 * faultline's framed requests unchanged, and raw workloads state their own expected replies.
 */
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Protocol } from '../core/spec.js';
import { type WorkloadDefinition, type WorkloadOption, type WorkloadOptionReader, type WorkloadSpecBase } from '../workload/definition.js';
import { FRAME_HEADER_BYTES, MAX_DATAGRAM_PAYLOAD_BYTES, MAX_FRAME_PAYLOAD_BYTES } from '../workload/frame.js';
import { WORKLOAD_DEFINITIONS, WORKLOAD_TYPES, workloadType } from '../workload/registry.js';
import type { Expectation, Framing, RawRequest, SizeSpec, WorkloadCommon } from '../workload/spec.js';
import type { Entries, Field } from './load-context.js';
import { loadNamed, type LoadedNamed } from './load-named.js';
import { wireOnly, type LoadedProxies } from './load-proxies.js';
import type { LoadedTargets, TargetInfo } from './load-targets.js';
import { parseRate, RATE_FORMAT } from './rate.js';
import { ALL_WORKLOAD_KEYS, FRAMING_KEYS, REQUEST_EXPECT_KEYS, REQUEST_KEYS, REQUEST_SEND_KEYS, WORKLOAD_KEYS } from './scenario-keys.js';
import type { ScenarioWorkload } from './spec.js';

/** Largest UDP payload over IPv4 (65 535 − 8 UDP − 20 IP): a bigger datagram cannot be sent. */
export const MAX_UDP_PAYLOAD_BYTES = 65_507;
/** Largest `send_file` a raw request may read. */
const MAX_SEND_FILE_BYTES = 16 * 1024 * 1024;

/** Defaults of the options every workload type shares (a type's own defaults are in its definition). */
export const WORKLOAD_DEFAULTS = {
  messages: 100,
  sizeBytes: 64,
  connections: 1,
  startMs: 0,
  timeoutMs: 2_000,
  connectTimeoutMs: 2_000,
} as const;

export interface WorkloadInfo {
  type: string;
}

export type LoadedWorkloads = LoadedNamed<ScenarioWorkload, WorkloadInfo>;

interface Context {
  targets: LoadedTargets;
  proxies: LoadedProxies;
  /** The scenario's timeout, ms (workloads must fit in it). */
  timeoutMs: number;
  /** Directory of the scenario file (send_file paths are relative to it). */
  dir: string;
}

export function loadWorkloads(field: Field, context: Context): LoadedWorkloads {
  return loadNamed(field, { what: 'workload', example: 'ping: { type: udp-echo, via: udp_path }', required: true }, (name, workload) => {
    const { loaded, type } = loadWorkload(name, workload, context);
    return { spec: loaded, info: type ? { type } : undefined };
  });
}

function loadWorkload(name: string, field: Field, context: Context): { loaded?: ScenarioWorkload; type?: string } {
  if (!field.require('a workload, e.g. { type: udp-echo, via: udp_path }')) return {};
  const entries = field.map('a workload, e.g. { type: udp-echo, via: udp_path }');
  if (!entries) return {};
  const typeField = entries.get('type');
  if (!typeField.require(`one of ${WORKLOAD_TYPES.join(', ')}`)) {
    entries.allowOnly(ALL_WORKLOAD_KEYS, 'a workload');
    return {};
  }
  const type = typeField.oneOf(WORKLOAD_TYPES);
  if (!type) {
    entries.allowOnly(ALL_WORKLOAD_KEYS, 'a workload');
    return {};
  }
  const definition = workloadType(type);
  entries.allowOnly(WORKLOAD_KEYS[type]!, `a ${type} workload`, (key) => (ALL_WORKLOAD_KEYS.includes(key) ? misplacedReason(key as WorkloadOption, definition) : undefined));

  const route = loadRoute(name, definition, field, entries, context);
  const common = loadCommon(name, definition, entries, context);
  const own = common && definition.load(optionReader(field, entries, definition, context), common);
  if (!route || !common || !own) return { type };
  const { rateBytesPerSec: _byteRate, ...shared } = common;
  const spec: WorkloadSpecBase = { ...shared, type, ...own };
  const loaded: ScenarioWorkload = { spec, where: field.where, ...route };
  return { loaded, type };
}

/** Why a key another workload type takes is wrong on this one. */
function misplacedReason(key: WorkloadOption, definition: WorkloadDefinition): string {
  const own = definition.rejects?.[key];
  if (own) return own;
  const takers = WORKLOAD_DEFINITIONS.filter((d) => d.options.includes(key));
  const protocols = [...new Set(takers.map((d) => d.protocol))];
  const wholeProtocol = protocols.length === 1 && WORKLOAD_DEFINITIONS.filter((d) => d.protocol === protocols[0]).every((d) => takers.includes(d));
  const who = wholeProtocol ? `${protocols[0]!.toUpperCase()} workloads` : `${takers.map((d) => d.type).join(' and ')} workloads`;
  return `${key} applies to ${who} only`;
}

// ── path: via / target, and what is at the end ─────────────────────────────

function loadRoute(
  name: string,
  definition: WorkloadDefinition,
  field: Field,
  entries: Entries,
  { targets, proxies }: Context,
): { via: string } | { target: string } | undefined {
  const { type, protocol } = definition;
  const viaField = entries.get('via');
  const targetField = entries.get('target');
  if (viaField.present && targetField.present) {
    targetField.keyProblem(`workload "${name}" has both via and target: expected exactly one (via a proxy, or straight to a target)`);
    return undefined;
  }
  const P = protocol.toUpperCase();
  if (viaField.present) {
    const via = viaField.reference(proxies.byName, 'proxy', 'proxies');
    const proxy = via === undefined ? undefined : proxies.byName.get(via);
    if (via === undefined || !proxy) return undefined;
    if (proxy.layer === 'wire') {
      // A wire path carries both protocols: its target must serve this one.
      const end = proxy.target === undefined ? undefined : targets.byName.get(proxy.target);
      if (end && !end[protocol]) return viaField.problem(`${type} workload "${name}" is ${P} but target "${proxy.target}" behind wire path "${via}" serves no ${P} port`);
      if (end && !checkEnd(definition, end, viaField, `wire path "${via}" leads to target "${proxy.target}"`)) return undefined;
      return { via };
    }
    if (proxy.protocol !== protocol) {
      return viaField.problem(`${type} workload "${name}" is ${P} but proxy "${via}" is ${proxy.protocol.toUpperCase()}`);
    }
    if (proxy.target !== undefined) {
      const end = targets.byName.get(proxy.target);
      if (end && !checkEnd(definition, end, viaField, `proxy "${via}" forwards to target "${proxy.target}"`)) return undefined;
    } else if (proxy.upstream && definition.shape === 'stream') {
      return viaField.problem(
        `${type} workloads need a builtin sink at the end of their path, but proxy "${via}" forwards to an explicit upstream`,
        'point the proxy at a target { builtin: sink }',
      );
    }
    return { via };
  }
  if (targetField.present) {
    const target = targetField.reference(targets.byName, 'target');
    const info = target === undefined ? undefined : targets.byName.get(target);
    if (target === undefined || !info) return undefined;
    const path = [...proxies.byName].find(([, p]) => p?.layer === 'wire' && p.target === target)?.[0];
    if (path) return targetField.problem(wireOnly(target, path, `workload "${name}" sending straight to it`), `send via: ${path}, or give the baseline a target of its own`);
    if (!info[protocol]) return targetField.problem(`${type} workload "${name}" is ${P} but target "${target}" serves no ${P} port`);
    if (!checkEnd(definition, info, targetField, `target "${target}"`)) return undefined;
    return { target };
  }
  field.problem(`workload "${name}" needs via (a proxy name) or target (a target name, for a baseline without faults)`);
  return undefined;
}

/** Whether the target at the end of the path can answer this workload. */
function checkEnd({ type, shape }: WorkloadDefinition, end: TargetInfo, at: Field, path: string): boolean {
  const isSink = end.kind === 'builtin' && end.server === 'sink';
  if (shape === 'stream' && !isSink) {
    const what = end.kind === 'builtin' ? `a builtin ${end.server}` : `a ${end.kind} target`;
    at.problem(`${type} workloads need a builtin sink at the end of their path (it checks every frame), but ${path}, ${what}`, 'add a target { builtin: sink } and send to it');
    return false;
  }
  if ((shape === 'round-trip' || shape === 'raw') && isSink) {
    at.problem(`${type} workloads wait for replies, but ${path}, a builtin sink, which replies nothing`, 'use { builtin: echo } or your server; a sink suits tcp-stream and udp-stream');
    return false;
  }
  return true;
}

// ── options ────────────────────────────────────────────────────────────────

type Common = WorkloadCommon & { rateBytesPerSec?: number };

function loadCommon(name: string, definition: WorkloadDefinition, entries: Entries, { timeoutMs: scenarioTimeoutMs }: Context): Common | undefined {
  const takes = (key: WorkloadOption) => definition.options.includes(key);
  const amount = definition.amount ?? ['messages', 'duration'];
  const given = amount.filter((k) => entries.has(k));
  if (given.length > 1) {
    entries.get(given[1]!).keyProblem(`workload "${name}" has both ${given[0]} and ${given[1]}: give only one of ${listOf(amount)}`);
  }
  const messages = entries.get('messages').integer({ min: 1 });
  const durationMs = entries.get('duration').duration({ above: 0 });
  const startMs = entries.get('start').duration() ?? WORKLOAD_DEFAULTS.startMs;
  const size = takes('size') ? loadSize(entries.get('size'), definition) : 0;
  const rate = loadRate(entries.get('rate'), definition);
  const connections = entries.get('connections').integer({ min: 1 }) ?? WORKLOAD_DEFAULTS.connections;
  const timeoutMs = entries.get('timeout').duration({ above: 0 }) ?? WORKLOAD_DEFAULTS.timeoutMs;
  const connectTimeoutMs = entries.get('connect_timeout').duration({ above: 0 }) ?? WORKLOAD_DEFAULTS.connectTimeoutMs;

  if (startMs >= scenarioTimeoutMs) {
    entries.get('start').problem(`workload "${name}" starts at ${startMs}ms, at or after the scenario timeout (${scenarioTimeoutMs}ms)`, 'raise the scenario timeout');
  } else if (durationMs !== undefined && startMs + durationMs > scenarioTimeoutMs) {
    entries.get('duration').problem(`workload "${name}" runs until ${startMs + durationMs}ms, past the scenario timeout (${scenarioTimeoutMs}ms)`, 'raise the scenario timeout');
  }
  if (size === undefined || rate === undefined) return undefined;
  const common: Common = { name, startMs, size, rate: rate.perSec, connections, timeoutMs, connectTimeoutMs };
  if (durationMs !== undefined) common.durationMs = durationMs;
  else if (takes('messages') && given.length === 0) common.messages = WORKLOAD_DEFAULTS.messages;
  else if (messages !== undefined) common.messages = messages;
  if (rate.bytesPerSec !== undefined) common.rateBytesPerSec = rate.bytesPerSec;
  return common;
}

/** `a and b`, `a, b and c`. */
function listOf(items: readonly string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

function loadSize(field: Field, { protocol, defaultSizeBytes }: WorkloadDefinition): SizeSpec | undefined {
  if (!field.present) return defaultSizeBytes ?? WORKLOAD_DEFAULTS.sizeBytes;
  let size: SizeSpec | undefined;
  let largest: number | undefined;
  if (field.isMap) {
    const range = field.map()!;
    range.allowOnly(['min', 'max'], 'a size range');
    const min = range.get('min');
    const max = range.get('max');
    min.require('a size');
    max.require('a size');
    const lo = min.byteSize();
    const hi = max.byteSize();
    if (lo !== undefined && hi !== undefined) {
      if (lo > hi) return min.problem(`min (${lo} bytes) is larger than max (${hi} bytes)`);
      size = { min: lo, max: hi };
      largest = hi;
    }
  } else {
    size = largest = field.byteSize();
  }
  if (largest !== undefined && protocol === 'udp' && largest > MAX_DATAGRAM_PAYLOAD_BYTES) {
    return field.problem(
      `a UDP datagram carries at most ${MAX_DATAGRAM_PAYLOAD_BYTES} payload bytes (${MAX_UDP_PAYLOAD_BYTES} less the ${FRAME_HEADER_BYTES}-byte frame header), got a size of ${largest}`,
    );
  }
  if (largest !== undefined && largest > MAX_FRAME_PAYLOAD_BYTES) {
    return field.problem(`a message carries at most ${MAX_FRAME_PAYLOAD_BYTES} bytes (16 MiB), got a size of ${largest}`, 'for bulk transfers use many messages, or bytes: on tcp-stream');
  }
  return size;
}

function loadRate(field: Field, { type, byteRate }: WorkloadDefinition): { perSec: number | 'max'; bytesPerSec?: number } | undefined {
  if (!field.present) return { perSec: 'max' };
  const value = field.scalar();
  if (typeof value === 'number') return field.problem(`expected ${RATE_FORMAT}, got ${field.describe()}`, `rates need a unit: write ${value}/s`);
  const rate = typeof value === 'string' ? parseRate(value) : undefined;
  if (!rate) return field.problem(`expected ${RATE_FORMAT} (above 0), got ${field.describe()}`);
  if (rate.kind === 'max') return { perSec: 'max' };
  if (rate.kind === 'messages') return { perSec: rate.perSec };
  if (!byteRate) {
    const takers = WORKLOAD_DEFINITIONS.filter((d) => d.byteRate).map((d) => d.type);
    return field.problem(`a byte rate applies to ${takers.join(' and ')} workloads only; ${type} takes messages per second, e.g. 100/s`);
  }
  return { perSec: 'max', bytesPerSec: rate.bytesPerSec };
}

/** The reader a type's `load` gets: this workload's entries, with problems at their keys. */
function optionReader(field: Field, entries: Entries, definition: WorkloadDefinition, context: Context): WorkloadOptionReader {
  return {
    has: (key) => entries.has(key),
    count: (key) => entries.get(key).integer({ min: 1 }),
    byteSize: (key) => entries.get(key).byteSize(),
    requests: () => loadRequests(entries.get('requests'), definition.protocol, context.dir),
    framing: () => loadFraming(entries.get('framing')),
    problem: (key, message, hint) => (entries.has(key) ? entries.get(key).problem(message, hint) : field.problem(message, hint)),
  };
}

// ── raw workloads ──────────────────────────────────────────────────────────

function loadRequests(field: Field, protocol: Protocol, dir: string): RawRequest[] | undefined {
  if (!field.require('a list of requests, e.g. [{ send: "PING\\n", expect: "PONG\\n" }]')) return undefined;
  const items = field.list('a list of requests, e.g. [{ send: "PING\\n", expect: "PONG\\n" }]');
  if (!items) return undefined;
  if (items.length === 0) return field.problem('expected at least one request, e.g. { send: "PING\\n", expect: "PONG\\n" }');
  const requests = items.map((item) => loadRequest(item, protocol, dir));
  return requests.every((r) => r !== undefined) ? (requests as RawRequest[]) : undefined;
}

function loadRequest(field: Field, protocol: Protocol, dir: string): RawRequest | undefined {
  const entries = field.map('a request, e.g. { send: "PING\\n", expect: "PONG\\n" }');
  if (!entries) return undefined;
  entries.allowOnly(REQUEST_KEYS, 'a request');
  const sends = REQUEST_SEND_KEYS.filter((k) => entries.has(k));
  const expects = REQUEST_EXPECT_KEYS.filter((k) => entries.has(k));
  if (sends.length !== 1) {
    if (sends.length === 0) field.problem('a request needs one of send (text), send_hex or send_file');
    else entries.get(sends[1]!).keyProblem(`a request has both ${sends[0]} and ${sends[1]}: expected exactly one of send, send_hex, send_file`);
    return undefined;
  }
  if (expects.length > 1) {
    entries.get(expects[1]!).keyProblem(`a request has both ${expects[0]} and ${expects[1]}: expected at most one of ${REQUEST_EXPECT_KEYS.join(', ')}`);
    return undefined;
  }
  const sendKey = sends[0]!;
  const sendField = entries.get(sendKey);
  let send: Buffer | undefined;
  let sourceValue: string | undefined;
  if (sendKey === 'send') {
    sourceValue = sendField.string('the text to send');
    send = sourceValue === undefined ? undefined : Buffer.from(sourceValue, 'utf8');
  } else if (sendKey === 'send_hex') {
    sourceValue = sendField.string('hex bytes, e.g. "01ff"');
    send = sourceValue === undefined ? undefined : parseHex(sendField, sourceValue);
  } else {
    sourceValue = sendField.string('a file path (relative to the scenario file)');
    send = sourceValue === undefined ? undefined : readSendFile(sendField, resolve(dir, sourceValue));
  }
  if (send !== undefined && send.length === 0) send = sendField.problem('expected something to send, got nothing (0 bytes)');
  if (send !== undefined && protocol === 'udp' && send.length > MAX_UDP_PAYLOAD_BYTES) {
    send = sendField.problem(`a UDP datagram carries at most ${MAX_UDP_PAYLOAD_BYTES} bytes, this request is ${send.length}`);
  }
  const expect = expects[0] === undefined ? undefined : loadExpectation(expects[0], entries.get(expects[0]));
  if (send === undefined || (expects[0] !== undefined && expect === undefined)) return undefined;
  const request: RawRequest = { send, source: `${sendKey}: ${JSON.stringify(sourceValue)}` };
  if (expect) request.expect = expect;
  return request;
}

function loadExpectation(key: (typeof REQUEST_EXPECT_KEYS)[number], field: Field): Expectation | undefined {
  switch (key) {
    case 'expect':
    case 'expect_prefix': {
      const text = field.string('the text of the expected response');
      return text === undefined ? undefined : { kind: key === 'expect' ? 'exact' : 'prefix', bytes: Buffer.from(text, 'utf8') };
    }
    case 'expect_hex': {
      const text = field.string('hex bytes, e.g. "01ff"');
      const bytes = text === undefined ? undefined : parseHex(field, text);
      return bytes && { kind: 'exact', bytes };
    }
    case 'expect_regex': {
      const text = field.string('a regular expression (a string)');
      if (text === undefined) return undefined;
      try {
        return { kind: 'regex', pattern: new RegExp(text) };
      } catch (error) {
        return field.problem((error as Error).message);
      }
    }
  }
}

function parseHex(field: Field, text: string): Buffer | undefined {
  const hex = text.replace(/\s+/g, '');
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(hex)) return field.problem(`expected hex bytes (pairs of 0-9a-f, spaces allowed), got ${field.describe()}`);
  return Buffer.from(hex, 'hex');
}

function readSendFile(field: Field, path: string): Buffer | undefined {
  try {
    const stat = statSync(path);
    if (!stat.isFile()) return field.problem(`${path} is not a regular file`);
    if (stat.size > MAX_SEND_FILE_BYTES) return field.problem(`${path} is ${stat.size} bytes; a request may be at most ${MAX_SEND_FILE_BYTES}`);
    return readFileSync(path);
  } catch (error) {
    return field.problem(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, 'send_file is relative to the scenario file');
  }
}

function loadFraming(field: Field): Framing | undefined {
  if (!field.present) return { kind: 'newline' };
  const expected = 'newline, { length_prefix: 1 | 2 | 4 }, { length: BYTES } or { idle: DURATION }';
  if (field.scalar() === 'newline') return { kind: 'newline' };
  if (!field.isMap) return field.problem(`expected ${expected}, got ${field.describe()}`);
  const entries = field.map()!;
  entries.allowOnly(FRAMING_KEYS, 'framing');
  const kinds = FRAMING_KEYS.filter((k) => entries.has(k));
  if (kinds.length !== 1) return field.problem(`expected exactly one of ${FRAMING_KEYS.join(', ')}: ${expected}`);
  const value = entries.get(kinds[0]!);
  switch (kinds[0]!) {
    case 'length_prefix': {
      const bytes = value.integer({ unit: 'bytes' });
      if (bytes === undefined) return undefined;
      if (bytes !== 1 && bytes !== 2 && bytes !== 4) return value.problem(`expected a length prefix of 1, 2 or 4 bytes (big-endian), got ${bytes}`);
      return { kind: 'length_prefix', bytes };
    }
    case 'length': {
      const bytes = value.byteSize();
      return bytes === undefined ? undefined : { kind: 'length', bytes };
    }
    case 'idle': {
      const ms = value.duration({ above: 0 });
      return ms === undefined ? undefined : { kind: 'idle', ms };
    }
  }
}

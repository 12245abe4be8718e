/**
 * The JSON Schema of scenario files, for editors (completion, hover docs, squiggles) through the
 * `# yaml-language-server: $schema=…` comment. `faultline schema` prints it; a copy is committed
 * at scenarios/faultline.schema.json and a test keeps it equal to this output.
 *
 * Draft-07, because that is what yaml-language-server (and VS Code's JSON service under it)
 * supports fully; later drafts are partial there. Key lists come from scenario-keys.ts and toxic
 * attributes from the toxic registry, the same tables the loader validates with, so the schema
 * cannot offer a key the loader rejects. The schema is an editor aid and deliberately looser
 * than the loader where JSON Schema cannot say it (references between names, `0s` vs > 0,
 * which toxic types a proxy's protocol supports): `faultline validate` is the authority.
 */
import { MAX_SEED } from '../core/rng.js';
import { DEFAULT_SESSION_IDLE_TIMEOUT_MS, PROTOCOLS } from '../core/spec.js';
import { GUARANTEES, METRIC_ALIASES, METRIC_NAMES } from '../assert/metric-catalog.js';
import { attributesJsonSchema } from '../toxics/attributes.js';
import { FAULT_LAYER_NAME, FAULT_LAYERS, listFaultTypes, type FaultLayer, type FaultType } from '../toxics/fault-layers.js';
import { DEFAULT_REPEAT, type WorkloadOption } from '../workload/definition.js';
import { WORKLOAD_DEFINITIONS, WORKLOAD_TYPES, workloadType } from '../workload/registry.js';
import { BYTE_SIZE_PATTERN } from './byte-size.js';
import { DURATION_RANGE_FORMAT, NUMBER_RANGE_PATTERN, RANGE_FORMAT } from './load-explore.js';
import { DEFAULT_SCENARIO_TIMEOUT_MS } from './load-scenario.js';
import { WORKLOAD_DEFAULTS } from './load-workloads.js';
import { RATE_PATTERN } from './rate.js';
import {
  BUILTIN_SERVERS,
  DEFAULT_EXPLORE_RUNS,
  DEFAULT_MAX_FAULTS,
  ENV_NAME,
  EXPLORE_DOWN,
  EXPLORE_KEYS,
  FAULT_KEYS,
  FRAMING_KEYS,
  IDENTIFIER,
  MAX_EXPLORE_FAULTS,
  MAX_EXPLORE_RUNS,
  PROXY_KEYS,
  PROXY_LAYER_KEYS,
  PROXY_LAYERS,
  REQUEST_KEYS,
  SCENARIO_KEYS,
  SCENARIO_NAME,
  TAG,
  TARGET_KEYS,
  TARGET_KINDS,
  TOXIC_KEYS,
  WORKLOAD_KEYS,
  WORKLOAD_ROUTE_KEYS,
} from './scenario-keys.js';

type Schema = Record<string, unknown>;

/** Mirrors core/duration.ts (a test checks both accept the same strings). */
export const DURATION_PATTERN = String.raw`^\s*(\d+(?:\.\d+)?|\.\d+)\s*(us|µs|ms|s|m|h)\s*$`;
const HOST_PORT_PATTERN = String.raw`^(\[[^\]]+\]|[^:\s]*):\d+$`;

const ref = (name: string): Schema => ({ $ref: `#/definitions/${name}` });
const describe = (schema: Schema, description: string, extra: Schema = {}): Schema => ({ ...schema, description, ...extra });
/** `$ref` siblings are ignored in draft-07: wrap it to attach a description. */
const refWith = (name: string, description: string, extra: Schema = {}): Schema => ({ allOf: [ref(name)], description, ...extra });
const msDefault = (ms: number) => (ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`);

/** The schema as `faultline schema` prints it and scenarios/faultline.schema.json holds it. */
export function renderScenarioSchema(): string {
  return `${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`;
}

/** Builds the schema (a fresh object each call). */
export function scenarioJsonSchema(): Schema {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'faultline scenario file',
    description: 'One scenario (a map), or a list of scenarios each with a distinct name. See docs/scenarios.md.',
    anyOf: [ref('scenario'), { type: 'array', minItems: 1, items: ref('scenario') }],
    definitions: {
      scenario: scenarioSchema(),
      name: { type: 'string', pattern: IDENTIFIER.regex.source, description: `A target, proxy or workload name: ${IDENTIFIER.text}.` },
      duration: { type: 'string', pattern: DURATION_PATTERN, description: 'A duration with a unit: 500us, 250ms, 2s, 1.5s, 1m, 1h.' },
      size: {
        description: 'Bytes: a number, or a string with a unit: 512B, 64KB, 10MB, 1GB (powers of 1000), 64KiB, 1MiB, 1GiB (powers of 1024).',
        oneOf: [
          { type: 'integer', minimum: 1 },
          { type: 'string', pattern: BYTE_SIZE_PATTERN },
        ],
      },
      port: { type: 'integer', minimum: 1, maximum: 65_535 },
      target: targetSchema(),
      proxy: proxySchema(),
      workload: workloadSchema(),
      ...Object.fromEntries(WORKLOAD_TYPES.map((type) => [`workload_${type}`, workloadTypeSchema(type)])),
      request: requestSchema(),
      fault: faultSchema(),
      toxic: toxicSchema(),
      check: checkSchema(),
      explore: exploreSchema(),
    },
  };
}

function scenarioSchema(): Schema {
  const properties: Record<(typeof SCENARIO_KEYS)[number], Schema> = {
    name: describe({ type: 'string', pattern: SCENARIO_NAME.regex.source }, `Unique within a run: ${SCENARIO_NAME.text}. Default: the file name (for a file of one scenario).`),
    description: describe({ type: 'string' }, 'Shown in reports.'),
    tags: describe({ type: 'array', uniqueItems: true, items: { type: 'string', pattern: TAG.regex.source } }, 'Select with `faultline run --tag`.', { default: [] }),
    seed: describe({ type: 'integer', minimum: 0, maximum: MAX_SEED }, "Fixes this scenario's randomness whatever the run seed. Default: derived from the run's seed."),
    timeout: refWith('duration', 'Hard deadline for the whole scenario, setup and teardown included.', { default: msDefault(DEFAULT_SCENARIO_TIMEOUT_MS) }),
    expect: describe({ enum: ['pass', 'fail'] }, '`fail`: the scenario demonstrates a bug; it passes when its assertions fail.', { default: 'pass' }),
    targets: describe(
      { type: 'object', minProperties: 1, propertyNames: ref('name'), additionalProperties: ref('target') },
      'The systems under test: name → { builtin }, { command } or { address }.',
    ),
    proxies: describe({ type: 'object', propertyNames: ref('name'), additionalProperties: ref('proxy') }, 'Fault-injecting proxies in front of targets.', { default: {} }),
    workloads: describe(
      { type: 'object', minProperties: 1, propertyNames: ref('name'), additionalProperties: ref('workload') },
      'Traffic and measurement: name → workload.',
    ),
    faults: describe({ type: 'array', items: ref('fault') }, 'The fault timeline.', { default: [] }),
    assert: describe(
      { type: 'object', propertyNames: ref('name'), additionalProperties: { type: 'array', minItems: 1, items: ref('check') } },
      'Workload name → list of checks that must hold.',
      { default: {} },
    ),
    compare: describe({ type: 'array', minItems: 2, uniqueItems: true, items: ref('name') }, 'Workload names to report side by side (TCP vs UDP).'),
    explore: ref('explore'),
    if_unavailable: describe(
      { enum: ['error', 'skip'] },
      'Where a layer the scenario needs (the wire layer) is unavailable: error stops the run (exit 3); skip reports the scenario skipped, with the reason.',
      { default: 'error' },
    ),
  };
  return { type: 'object', additionalProperties: false, required: ['targets', 'workloads'], properties };
}

// ── targets ────────────────────────────────────────────────────────────────

function targetSchema(): Schema {
  const port = (auto: boolean, description: string): Schema =>
    auto ? { description, oneOf: [ref('port'), { const: 'auto' }] } : refWith('port', description);
  const all: Record<string, Schema> = {
    builtin: describe({ enum: [...BUILTIN_SERVERS] }, "faultline's echo server, or a sink that verifies every frame and replies nothing. Serves TCP and UDP."),
    command: describe(
      { oneOf: [{ type: 'string', minLength: 1 }, { type: 'array', minItems: 1, items: { type: 'string' } }] },
      'A command line (split like a shell would, no shell features) or a list of arguments. {tcp_port} and {udp_port} are substituted.',
    ),
    cwd: describe({ type: 'string' }, 'Working directory, relative to the scenario file. Default: its directory.'),
    env: describe(
      { type: 'object', propertyNames: { pattern: ENV_NAME.regex.source }, additionalProperties: { type: ['string', 'number', 'boolean'] } },
      'Extra environment variables.',
    ),
    ready: describe(
      {
        oneOf: [
          { type: 'object', additionalProperties: false, required: ['tcp'], properties: { tcp: { const: true } } },
          { type: 'object', additionalProperties: false, required: ['stdout'], properties: { stdout: { type: 'string', description: 'A regex; a named group (?<port>…) sets the port.' } } },
        ],
      },
      'When the command is ready: { tcp: true } (the port accepts; the default with tcp) or { stdout: REGEX }.',
    ),
    ready_timeout: refWith('duration', 'A command not ready in time fails the scenario (exit 3).', { default: '10s' }),
    address: describe({ type: 'string', minLength: 1 }, 'Host of a running server (the port goes in tcp / udp).'),
  };
  const kind = (name: (typeof TARGET_KINDS)[number]): Schema => {
    const properties: Record<string, Schema> = {};
    for (const key of TARGET_KEYS[name]) {
      if (key === 'tcp' || key === 'udp') {
        properties[key] = port(name === 'command', `The ${key.toUpperCase()} port it serves${name === 'command' ? ', or auto: faultline picks a free one ({' + key + '_port})' : ''}.`);
      } else properties[key] = all[key]!;
    }
    const schema: Schema = { type: 'object', additionalProperties: false, required: [name], properties };
    if (name !== 'builtin') schema.anyOf = [{ required: ['tcp'] }, { required: ['udp'] }];
    return schema;
  };
  return { description: 'Exactly one of builtin, command, address.', oneOf: TARGET_KINDS.map(kind) };
}

// ── proxies ────────────────────────────────────────────────────────────────

function proxySchema(): Schema {
  const properties: Record<(typeof PROXY_KEYS)[number], Schema> = {
    layer: describe(
      { enum: [...PROXY_LAYERS] },
      'proxy: the backend\'s proxy (TCP faults are stream-level). wire: a wire path — the target runs in a network namespace of its own, workloads of both protocols in another, and faults act on packets between them (docs/wire.md).',
      { default: 'proxy' },
    ),
    protocol: describe({ enum: [...PROTOCOLS] }, 'tcp or udp.', { default: 'tcp' }),
    target: refWith('name', "A target name: the upstream is that target's port for the protocol (a wire path: the target runs inside the path)."),
    upstream: describe({ type: 'string', pattern: HOST_PORT_PATTERN }, 'An explicit host:port instead of target.'),
    listen: describe({ type: 'string', pattern: HOST_PORT_PATTERN }, 'Where the proxy listens; port 0 picks a free port.', { default: '127.0.0.1:0' }),
    session_idle_timeout: refWith('duration', "UDP: forget a client's session after this idle time.", { default: msDefault(DEFAULT_SESSION_IDLE_TIMEOUT_MS) }),
    mtu: describe({ type: 'integer', minimum: 576, maximum: 65_535 }, "Wire paths: the path's MTU, bytes.", { default: 1500 }),
  };
  const only = (layer: (typeof PROXY_LAYERS)[number]) => Object.fromEntries(PROXY_LAYER_KEYS[layer].map((key) => [key, properties[key]]));
  return {
    type: 'object',
    // Every key, for completion before `layer` is chosen; each layer then restricts them.
    properties,
    if: { properties: { layer: { const: 'wire' } }, required: ['layer'] },
    then: { additionalProperties: false, required: ['target'], properties: only('wire') },
    else: { additionalProperties: false, properties: only('proxy'), oneOf: [{ required: ['target'] }, { required: ['upstream'] }] },
  };
}

// ── workloads ──────────────────────────────────────────────────────────────

/** The type and route keys every workload takes. */
function workloadRouteProperties(): Record<(typeof WORKLOAD_ROUTE_KEYS)[number], Schema> {
  return {
    type: describe({ enum: [...WORKLOAD_TYPES] }, WORKLOAD_DEFINITIONS.map((d) => `${d.type}: ${d.summary}`).join('\n')),
    via: refWith('name', 'The proxy to send through. Exactly one of via and target.'),
    target: refWith('name', 'Send straight to this target (a baseline without faults). Exactly one of via and target.'),
  };
}

/**
 * Every option a workload type may take (workload/definition.ts WORKLOAD_OPTIONS): the record
 * type makes a new option without a schema a compile error.
 */
function workloadOptionProperties(): Record<WorkloadOption, Schema> {
  const d = WORKLOAD_DEFAULTS;
  return {
    rate: describe(
      { type: 'string', pattern: RATE_PATTERN },
      'Messages per second per connection/flow (100/s), max (as fast as possible), or for tcp-stream a byte rate (10MB/s).',
      { default: 'max' },
    ),
    connections: describe({ type: 'integer', minimum: 1 }, 'Concurrent TCP connections, or UDP flows (each its own socket).', { default: d.connections }),
    start: refWith('duration', 'Delay from the scenario start.', { default: '0s' }),
    timeout: refWith('duration', 'Echo: how long to wait for a reply. Stream: how long the sink waits for the tail.', { default: msDefault(d.timeoutMs) }),
    duration: refWith('duration', 'Send for this long instead of a count.'),
    messages: describe({ type: 'integer', minimum: 1 }, 'Messages per connection/flow. Exclusive with duration (and bytes).', { default: d.messages }),
    size: describe(
      {
        oneOf: [
          ref('size'),
          { type: 'object', additionalProperties: false, required: ['min', 'max'], properties: { min: ref('size'), max: ref('size') } },
        ],
      },
      `Payload bytes per message: a size, or { min, max } (uniform, seeded). Default ${d.sizeBytes}${sizeDefaults()}.`,
      { default: d.sizeBytes },
    ),
    bytes: refWith('size', 'Total bytes per connection instead of messages.'),
    connect_timeout: refWith('duration', 'TCP connect attempts slower than this are ETIMEDOUT.', { default: msDefault(d.connectTimeoutMs) }),
    requests: describe({ type: 'array', minItems: 1, items: ref('request') }, 'What to send, and what to expect back.'),
    repeat: describe({ type: 'integer', minimum: 1 }, 'Times the requests list is sent per connection. Exclusive with duration.', { default: DEFAULT_REPEAT }),
    attempts: describe({ type: 'integer', minimum: 1 }, 'tcp-connect: connections each connector opens, one after another. Exclusive with duration.'),
    framing: describe(
      {
        oneOf: [
          { const: 'newline' },
          { type: 'object', additionalProperties: false, required: ['length_prefix'], properties: { length_prefix: { enum: [1, 2, 4], description: 'Bytes of a big-endian length prefix.' } } },
          { type: 'object', additionalProperties: false, required: ['length'], properties: { length: ref('size') } },
          { type: 'object', additionalProperties: false, required: ['idle'], properties: { idle: ref('duration') } },
        ],
      },
      `How to cut responses out of the byte stream: newline, { length_prefix: 1|2|4 }, { length: BYTES } or { idle: DURATION }. Keys: ${FRAMING_KEYS.join(', ')}.`,
      { default: 'newline' },
    ),
  };
}

/** `; tcp-stream 16384` for each type whose default size differs. */
function sizeDefaults(): string {
  return WORKLOAD_DEFINITIONS.filter((d) => d.defaultSizeBytes !== undefined).map((d) => `; ${d.type} ${d.defaultSizeBytes}`).join('');
}

function workloadProperties(): Record<string, Schema> {
  return { ...workloadRouteProperties(), ...workloadOptionProperties() };
}

function workloadSchema(): Schema {
  return {
    type: 'object',
    required: ['type'],
    // Every key, for completion before `type` is chosen; the per-type schema then restricts them.
    properties: workloadProperties(),
    oneOf: [{ required: ['via'] }, { required: ['target'] }],
    allOf: WORKLOAD_TYPES.map((type) => ({ if: { properties: { type: { const: type } }, required: ['type'] }, then: ref(`workload_${type}`) })),
  };
}

function workloadTypeSchema(type: string): Schema {
  const all = workloadProperties();
  const properties = Object.fromEntries((WORKLOAD_KEYS[type] ?? []).map((key) => [key, all[key]]));
  return { type: 'object', description: workloadType(type).summary, additionalProperties: false, properties };
}

function requestSchema(): Schema {
  const text = (description: string): Schema => ({ type: 'string', description });
  const properties: Record<(typeof REQUEST_KEYS)[number], Schema> = {
    send: text('Text to send (YAML escapes like \\n work in double quotes).'),
    send_hex: { type: 'string', pattern: String.raw`^(\s*[0-9a-fA-F]{2})*\s*$`, description: 'Bytes to send, in hex: "01ff".' },
    send_file: text('A file whose bytes to send, relative to the scenario file.'),
    expect: text('The exact response.'),
    expect_hex: { type: 'string', pattern: String.raw`^(\s*[0-9a-fA-F]{2})*\s*$`, description: 'The exact response, in hex.' },
    expect_prefix: text('The response starts with this.'),
    expect_regex: text('The response matches this regular expression.'),
  };
  return {
    type: 'object',
    additionalProperties: false,
    properties,
    oneOf: [{ required: ['send'] }, { required: ['send_hex'] }, { required: ['send_file'] }],
  };
}

// ── faults ─────────────────────────────────────────────────────────────────

function faultSchema(): Schema {
  const properties: Record<(typeof FAULT_KEYS)[number], Schema> = {
    proxy: describe({ oneOf: [ref('name'), { type: 'array', minItems: 1, uniqueItems: true, items: ref('name') }] }, 'The proxy, or proxies, the fault applies to.'),
    toxic: ref('toxic'),
    down: describe({ const: true }, 'Disable the proxy: it refuses connections and closes live ones.'),
    at: refWith('duration', 'When the fault starts, from the scenario start.', { default: '0s' }),
    for: refWith('duration', 'How long it lasts. Default: to the end of the scenario.'),
  };
  return {
    type: 'object',
    additionalProperties: false,
    required: ['proxy'],
    properties,
    oneOf: [{ required: ['toxic'] }, { required: ['down'] }],
  };
}

/**
 * A toxic type's attributes. JSON Schema cannot see the protocol (or layer) of the proxy a fault
 * names, so a type both protocols — or a wire path — implement with different attributes accepts
 * either table (the loader then checks the right one for each proxy).
 */
function toxicSchema(): Schema {
  const byType = new Map<string, Array<{ layer: FaultLayer; summary: string; attributes: Schema }>>();
  const add = (layer: FaultLayer, type: FaultType) => {
    const list = byType.get(type.type) ?? [];
    list.push({ layer, summary: type.summary, attributes: attributesJsonSchema(type.attributes) });
    byType.set(type.type, list);
  };
  for (const layer of FAULT_LAYERS) for (const type of listFaultTypes(layer)) add(layer, type);
  const properties: Record<(typeof TOXIC_KEYS)[number], Schema> = {
    name: describe({ type: 'string' }, 'Unique per proxy among overlapping faults. Default: <type>_<stream>.'),
    type: describe(
      { enum: [...byType.keys()] },
      [...byType].map(([type, impls]) => `${type} (${impls.map((i) => FAULT_LAYER_NAME[i.layer]).join(', ')}): ${impls[0]!.summary}`).join('\n'),
    ),
    stream: describe({ enum: ['upstream', 'downstream'] }, 'upstream = client → server, downstream = server → client.', { default: 'downstream' }),
    toxicity: describe({ type: 'number', minimum: 0, maximum: 1 }, 'Probability the toxic applies (TCP: per connection, UDP: per datagram, wire: per packet).', { default: 1 }),
    protocol: describe({ enum: [...PROTOCOLS] }, 'Wire paths: act on packets of this transport only. Default: every packet.'),
    port: refWith('port', 'Wire paths: act on packets from or to this port only. Default: every port.'),
    attributes: describe({ type: 'object' }, "The toxic type's attributes, in Toxiproxy's keys and units (docs/toxics.md)."),
  };
  return {
    type: 'object',
    additionalProperties: false,
    required: ['type'],
    properties,
    allOf: [...byType].map(([type, impls]) => {
      const tables = impls.map((i) => i.attributes);
      const same = tables.every((t) => JSON.stringify(t) === JSON.stringify(tables[0]));
      const attributes = same ? tables[0]! : { anyOf: impls.map((i) => ({ ...i.attributes, description: `${FAULT_LAYER_NAME[i.layer]} attributes` })) };
      return { if: { properties: { type: { const: type } }, required: ['type'] }, then: { properties: { attributes } } };
    }),
  };
}

// ── explore ────────────────────────────────────────────────────────────────

/** `explore:`, the fault space of `faultline explore` (docs/explore.md). */
function exploreSchema(): Schema {
  const numberRange: Schema = { description: RANGE_FORMAT, oneOf: [{ type: 'number' }, { type: 'string', pattern: NUMBER_RANGE_PATTERN }] };
  const durationRange: Schema = { type: 'string', description: DURATION_RANGE_FORMAT };
  const kinds = [EXPLORE_DOWN, ...new Set(FAULT_LAYERS.flatMap((layer) => listFaultTypes(layer).map((t) => t.type)))];
  const properties: Record<(typeof EXPLORE_KEYS)[number], Schema> = {
    proxies: describe({ type: 'array', minItems: 1, uniqueItems: true, items: ref('name') }, 'Proxies and wire paths faults may be generated on. Default: every one.'),
    faults: describe(
      { type: 'object', minProperties: 1, propertyNames: { enum: kinds }, additionalProperties: { type: ['object', 'null'], additionalProperties: numberRange } },
      'Kinds of fault that may be generated: down (proxies only), or a toxic or wire fault type with ranges for its attributes (latency: { latency: 0..500 }). Default: every kind the proxies and wire paths support, every attribute over its default search range.',
    ),
    max_faults: describe({ type: 'integer', minimum: 1, maximum: MAX_EXPLORE_FAULTS }, 'Most faults in one schedule.', { default: DEFAULT_MAX_FAULTS }),
    streams: describe({ type: 'array', minItems: 1, uniqueItems: true, items: { enum: ['upstream', 'downstream'] } }, 'Directions toxics may be generated on.', { default: ['upstream', 'downstream'] }),
    start: describe(durationRange, "When faults may start, from the scenario start. Default: 0s until the workloads' end in a baseline run."),
    duration: describe(durationRange, 'How long a fault may last. Default: a tenth of the start range up to all of it.'),
    runs: describe({ type: 'integer', minimum: 1, maximum: MAX_EXPLORE_RUNS }, 'Budget: schedules to try (faultline explore --runs).', { default: DEFAULT_EXPLORE_RUNS }),
    time: refWith('duration', 'Budget: wall time for the whole exploration, shrinking included (faultline explore --time).'),
  };
  return describe({ type: 'object', additionalProperties: false, properties }, 'The fault space `faultline explore` searches; `faultline run` ignores it. See docs/explore.md.');
}

// ── assertions ─────────────────────────────────────────────────────────────

function checkSchema(): Schema {
  const metrics = [...METRIC_NAMES, ...Object.keys(METRIC_ALIASES)];
  return {
    description: `A check: "METRIC [AGGREGATE] OP VALUE" (rtt_ms p(99) < 500, lost_ratio ~ configured), a guarantee (${GUARANTEES.join(', ')}), or a map METRIC: "AGGREGATE OP VALUE" (or a list of them).`,
    oneOf: [
      { type: 'string', minLength: 1 },
      {
        type: 'object',
        minProperties: 1,
        propertyNames: { enum: metrics },
        additionalProperties: { oneOf: [{ type: ['string', 'number'] }, { type: 'array', minItems: 1, items: { type: ['string', 'number'] } }] },
      },
    ],
  };
}

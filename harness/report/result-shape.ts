/**
 * The shape of a RunResult (core/result.ts) as results.json holds it: every field any renderer
 * reads, with its type, so that `report render` and `report merge` refuse a file that would make a
 * renderer throw, naming each problem with its JSON path, instead of crashing (exit 70).
 *
 * Beyond JSON types, values the renderers compute with must make sense: timestamps parse as dates,
 * a series' bucket width is positive, counts and durations are not negative. Arrays an older or
 * partial writer may have left out default to empty, as documented in docs/reports.md.
 *
 * Keep it in step with core/result.ts: a field added there is unchecked until it is added here,
 * and the property test (result-shape.property.test.ts) renders mutated files to catch a gap.
 */
import {
  arrayOf,
  boolean,
  count,
  integer,
  nullable,
  number,
  object,
  oneOf,
  optional,
  positive,
  recordOf,
  string,
  timestamp,
  tuple,
  variants,
  withDefault,
  type Shape,
} from './json-shape.js';
import { MAX_SHARDS } from '../core/shard.js';

const DIRECTION = oneOf(['upstream', 'downstream']);
const PROTOCOL = oneOf(['tcp', 'udp']);
/** What a proxy carries: a TCP or UDP proxy's protocol, or `ip` for a wire path (both). */
const PROXY_PROTOCOL = oneOf(['tcp', 'udp', 'ip']);
const empty = () => [];

const location = object({ file: optional(string), line: optional(count), column: optional(count), path: optional(string) });

const problem = object({ file: optional(string), line: optional(count), column: optional(count), path: optional(string), message: string, hint: optional(string) });

const serializedError = object({
  code: string,
  message: string,
  where: optional(location),
  hint: optional(string),
  problems: optional(arrayOf(problem)),
  stack: optional(string),
});

const interval = object({ low: number, high: number, confidence: number, method: string });

const histogram = object({
  count: count,
  min: number,
  max: number,
  mean: number,
  stddev: count,
  p50: number,
  p90: number,
  p95: number,
  p99: number,
  p999: number,
  buckets: withDefault(arrayOf(tuple(number, count)), empty),
});

const workload = object({
  name: string,
  // Open: workload types are registered by name (workload/registry.ts).
  kind: string,
  protocol: PROTOCOL,
  shape: oneOf(['round-trip', 'stream', 'raw', 'connect']),
  proxy: optional(string),
  startedAtMs: number,
  durationMs: count,
  metrics: withDefault(arrayOf(object({ name: string, labels: optional(recordOf(string)), value: number })), empty),
  histograms: withDefault(recordOf(histogram), () => ({})),
  errors: withDefault(arrayOf(object({ code: string, count: count, firstAtMs: number, lastAtMs: number, message: string })), empty),
  series: withDefault(object({ bucketMs: positive, startMs: number, columns: recordOf(arrayOf(nullable(number))) }), () => ({ bucketMs: 1, startMs: 0, columns: {} })),
  stream: optional(
    object({
      bytesSent: count,
      bytesReceived: count,
      framesSent: count,
      framesReceived: count,
      inOrder: boolean,
      intact: boolean,
      missingFrames: count,
      duplicatedFrames: count,
      corruptedFrames: count,
    }),
  ),
  mismatches: optional(arrayOf(object({ index: count, expected: string, received: string, reason: string }))),
  harness: optional(
    object({
      sendLatenessMs: optional(histogram),
      incidentalLoss: optional(count),
      kernelUdp: optional(recordOf(number)),
      sendRate: optional(object({ askedPerSec: count, achievedPerSec: count })),
    }),
  ),
  tcpConnections: optional(
    arrayOf(
      object({
        connection: string,
        rttMs: number,
        rttVarMs: number,
        minRttMs: optional(number),
        cwnd: count,
        dataSegmentsOut: count,
        retransmits: count,
        rtos: optional(count),
      }),
    ),
  ),
  notes: optional(arrayOf(string)),
});

const toxic = object({ name: string, type: string, stream: DIRECTION, toxicity: number, attributes: recordOf(number) });

const fault = variants(
  'kind',
  {
    id: string,
    proxy: string,
    plannedAtMs: number,
    plannedUntilMs: optional(number),
    appliedAtMs: optional(number),
    removedAtMs: optional(number),
    error: optional(serializedError),
  },
  {
    // Effects are the toxic type's declaration (core/effect.ts); reports show them, none computes with them.
    toxic: { toxic, match: optional(object({ protocol: optional(PROTOCOL), port: optional(integer) })), effects: arrayOf(object({ kind: string })) },
    down: {},
  },
);

const counters = recordOf(number);
const bySide = (shape: Shape) => object({ client: shape, target: shape });
const byDirection = (shape: Shape) => object({ upstream: withDefault(shape, () => ({})), downstream: withDefault(shape, () => ({})) });

const ledger = object({
  proxy: string,
  protocol: PROXY_PROTOCOL,
  counters,
  directions: byDirection(counters),
  toxics: withDefault(arrayOf(object({ name: string, type: string, stream: DIRECTION, counters })), empty),
  events: withDefault(
    arrayOf(object({ atMs: number, direction: DIRECTION, toxic: optional(string), action: string, datagram: optional(count), bytes: optional(count) })),
    empty,
  ),
  eventsDropped: withDefault(count, () => 0),
});

const assertion = object({
  source: string,
  subject: string,
  status: oneOf(['passed', 'failed', 'error']),
  expected: string,
  observed: string,
  message: withDefault(string, () => ''),
  where: optional(location),
  interval: optional(interval),
});

const calibration = object({
  proxy: string,
  toxic: string,
  stream: DIRECTION,
  quantity: string,
  requested: number,
  achieved: nullable(number),
  samples: count,
  interval: optional(interval),
  note: optional(string),
});

const ratio = nullable(number);
const comparison = object({
  workload: string,
  protocol: PROTOCOL,
  delivered_ratio: ratio,
  lost_ratio: ratio,
  reordered_ratio: ratio,
  duplicated_ratio: ratio,
  corrupted_ratio: ratio,
  latency_p50_ms: ratio,
  latency_p99_ms: ratio,
  summary: string,
});

const target = object({
  name: string,
  kind: oneOf(['builtin', 'command', 'address']),
  command: optional(string),
  exitCode: optional(nullable(integer)),
  signal: optional(nullable(string)),
  stdout: withDefault(string, () => ''),
  stderr: withDefault(string, () => ''),
  truncated: withDefault(boolean, () => false),
});


/** A wire path of the scenario (core/result.ts PathResult), as the report draws it. */
const path = object({
  proxy: string,
  namespaces: bySide(string),
  addresses: bySide(string),
  mtu: count,
  kernel: bySide(recordOf(number)),
  deviceDrops: bySide(count),
  protocols: recordOf(byDirection(recordOf(number))),
  capture: optional(object({ entered: string, left: string, scope: oneOf(['all', 'recent']) })),
  tcpTraces: optional(
    arrayOf(
      object({
        flow: string,
        direction: DIRECTION,
        points: arrayOf(tuple(number, number, integer)),
        segments: count,
        retransmits: count,
        drops: count,
        thinned: optional(object({ from: count })),
        partial: optional(boolean),
      }),
    ),
  ),
});

const scenario = variants(
  'status',
  {
    id: string,
    name: string,
    file: optional(string),
    description: optional(string),
    tags: withDefault(arrayOf(string), empty),
    expect: withDefault(oneOf(['pass', 'fail']), () => 'pass'),
    seed: number,
    backend: string,
    startedAt: timestamp,
    durationMs: count,
    replay: string,
    workloads: withDefault(arrayOf(workload), empty),
    faults: withDefault(arrayOf(fault), empty),
    ledger: withDefault(arrayOf(ledger), empty),
    assertions: withDefault(arrayOf(assertion), empty),
    calibration: withDefault(arrayOf(calibration), empty),
    comparison: optional(arrayOf(comparison)),
    targets: withDefault(arrayOf(target), empty),
    paths: optional(arrayOf(path)),
    notes: withDefault(arrayOf(string), empty),
  },
  {
    passed: { outcome: oneOf(['passed', 'failed']) },
    failed: { outcome: oneOf(['passed', 'failed']) },
    errored: { error: serializedError },
    interrupted: {},
    skipped: { reason: withDefault(string, () => 'not run') },
  },
);

// `faultline explore`'s section (core/exploration.ts): optional; every field the renderers read.
const exploredSchedule = object({
  seed: number,
  faults: arrayOf(variants('kind', { proxy: string, layer: optional(oneOf(['wire'])), atMs: count, forMs: count }, { toxic: { toxic }, down: {} })),
});
const confirmation = object({ failed: count, runs: count });

const exploration = object({
  scenario: string,
  file: string,
  status: oneOf(['passed', 'failed', 'errored', 'interrupted', 'skipped']),
  stoppedBy: oneOf(['runs', 'time', 'shrunk', 'error', 'interrupt', 'unavailable']),
  seed: number,
  replay: string,
  startedAt: timestamp,
  durationMs: count,
  budget: object({ runs: count, timeMs: optional(count) }),
  confirm: count,
  parallel: count,
  space: withDefault(arrayOf(string), empty),
  schedulesTried: count,
  runs: count,
  failures: count,
  meanRunMs: count,
  shrinkPath: withDefault(arrayOf(object({ step: count, schedule: exploredSchedule, changes: arrayOf(string), confirmation, path: string })), empty),
  shrinkComplete: boolean,
  minimal: optional(object({ schedule: exploredSchedule, path: string, file: optional(string), scenarioId: optional(string) })),
  flaky: withDefault(arrayOf(object({ phase: oneOf(['search', 'shrink']), schedule: exploredSchedule, confirmation })), empty),
  error: optional(serializedError),
  reason: optional(string),
  notes: withDefault(arrayOf(string), empty),
});

/** `{ index, total }` as `--shard` accepts them: merging lists the missing ones, 1..total. */
const shard: Shape = (value, path, problems) => {
  const before = problems.length;
  object({ index: integer, total: integer })(value, path, problems);
  if (problems.length > before) return;
  const { index, total } = value as { index: number; total: number };
  if (total < 1 || total > MAX_SHARDS || index < 1 || index > total) {
    problems.push({ path, message: `expected a shard INDEX/TOTAL with 1 ≤ INDEX ≤ TOTAL ≤ ${MAX_SHARDS}, got ${index}/${total}` });
  }
};

/** A whole results.json after its schemaVersion was checked (the summary is recomputed, not read). */
export const RUN_RESULT_SHAPE: Shape = object({
  faultline: object({ version: string }),
  run: object({
    seed: number,
    startedAt: timestamp,
    durationMs: count,
    command: string,
    node: string,
    os: string,
    cpus: count,
    backend: string,
    shard: optional(shard),
    seeds: optional(arrayOf(number)),
    interrupted: boolean,
  }),
  scenarios: arrayOf(scenario),
  explorations: optional(arrayOf(exploration)),
});

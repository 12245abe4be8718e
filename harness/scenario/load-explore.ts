/**
 * `explore:` — the fault space `faultline explore` searches (docs/explore.md): which proxies and
 * wire paths, which kinds of fault with which attribute ranges, how many faults, when they may
 * start, how long they last, and the budget. Checked against the rest of the scenario like every
 * other section: proxies exist, each kind is supported by a proxy or wire path it may land on (a
 * toxic of its protocol, a wire fault type), each attribute range lies inside what the type's
 * schema accepts (the same words as a fault's attributes).
 *
 * Ranges are written `LOW..HIGH` (`0..500`, `0.1..0.3`, `0s..2s`) or as one value (fixed).
 */
import { DURATION_FORMAT, parseDuration } from '../core/duration.js';
import { didYouMean } from '../core/did-you-mean.js';
import { DIRECTIONS, type Direction } from '../core/spec.js';
import { resolveAttributes } from '../toxics/attributes.js';
import { faultLayerOf, findFaultType, listFaultTypes, type FaultLayer } from '../toxics/fault-layers.js';
import type { Field } from './load-context.js';
import type { LoadedProxies } from './load-proxies.js';
import { EXPLORE_DOWN, EXPLORE_KEYS, MAX_EXPLORE_FAULTS, MAX_EXPLORE_RUNS } from './scenario-keys.js';
import type { ExploreFaultKind, ExploreSpec, NumberRange } from './spec.js';

interface Context {
  proxies: LoadedProxies;
  /** The scenario's timeout, ms: faults must start (and end) within it. */
  timeoutMs: number;
}

const NUMBER = String.raw`[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?`;
/** `LOW..HIGH`, two numbers; also the JSON Schema's pattern, so editors accept what the loader does. */
export const NUMBER_RANGE_PATTERN = String.raw`^\s*(${NUMBER})\s*\.\.\s*(${NUMBER})\s*$`;
const NUMBER_RANGE = new RegExp(NUMBER_RANGE_PATTERN);
const DURATION_RANGE = /^\s*(\S+?)\s*\.\.\s*(\S+)\s*$/;
export const RANGE_FORMAT = 'a range LOW..HIGH (e.g. 0..500) or a single number';
export const DURATION_RANGE_FORMAT = 'a range of durations LOW..HIGH (e.g. 0s..2s) or a single duration';

export function loadExplore(field: Field, context: Context): ExploreSpec | undefined {
  if (!field.present) return undefined;
  const entries = field.map('the fault space: { faults: {…}, max_faults: 3, start: 0s..2s, … }');
  if (!entries) return undefined;
  entries.allowOnly(EXPLORE_KEYS, 'explore');
  const spec: ExploreSpec = { where: field.where };

  const proxies = loadProxyList(entries.get('proxies'), context.proxies);
  if (proxies) spec.proxies = proxies;
  const candidates = proxies ?? [...context.proxies.byName.keys()];
  if (candidates.length === 0) field.problem('explore needs a proxy to put faults on, and this scenario has none', 'add a proxy in front of a target');
  const layers = new Set(
    candidates.map((name) => context.proxies.byName.get(name)).flatMap((info) => (info ? [faultLayerOf(info)] : [])),
  );

  const faults = loadFaultKinds(entries.get('faults'), layers);
  if (faults) spec.faults = faults;
  const maxFaults = entries.get('max_faults').integer({ min: 1, max: MAX_EXPLORE_FAULTS });
  if (maxFaults !== undefined) spec.maxFaults = maxFaults;
  const streams = loadStreams(entries.get('streams'));
  if (streams) spec.streams = streams;

  const startField = entries.get('start');
  const start = durationRange(startField);
  if (start && start.max >= context.timeoutMs) {
    startField.problem(`faults would start at up to ${start.max}ms, at or after the scenario timeout (${context.timeoutMs}ms)`, 'raise the scenario timeout');
  } else if (start) spec.start = start;
  const durationField = entries.get('duration');
  const duration = durationRange(durationField);
  if (duration && duration.min <= 0) durationField.problem(`a fault must last longer than 0ms, got ${duration.min}ms`);
  else if (duration && duration.max > context.timeoutMs) {
    durationField.problem(`faults would last up to ${duration.max}ms, longer than the scenario timeout (${context.timeoutMs}ms)`, 'raise the scenario timeout');
  } else if (duration) spec.duration = duration;

  const runs = entries.get('runs').integer({ min: 1, max: MAX_EXPLORE_RUNS });
  if (runs !== undefined) spec.runs = runs;
  const timeMs = entries.get('time').duration({ above: 0 });
  if (timeMs !== undefined) spec.timeMs = timeMs;
  return spec;
}

function loadProxyList(field: Field, proxies: LoadedProxies): string[] | undefined {
  const items = field.list('a list of proxy names, e.g. [db_path]');
  if (!items) return undefined;
  if (items.length === 0) return field.problem('expected at least one proxy name, got an empty list');
  const names: string[] = [];
  for (const item of items) {
    const name = item.reference(proxies.byName, 'proxy', 'proxies');
    if (name === undefined) return undefined;
    if (names.includes(name)) return item.problem(`proxy "${name}" is listed twice`);
    names.push(name);
  }
  return names;
}

function loadStreams(field: Field): Direction[] | undefined {
  const items = field.list('a list of directions, e.g. [upstream]');
  if (!items) return undefined;
  if (items.length === 0) return field.problem('expected at least one direction (upstream, downstream), got an empty list');
  const streams: Direction[] = [];
  for (const item of items) {
    const stream = item.oneOf(DIRECTIONS);
    if (stream === undefined) return undefined;
    if (streams.includes(stream)) return item.problem(`"${stream}" is listed twice`);
    streams.push(stream);
  }
  return streams;
}

/**
 * `faults: { down: {}, latency: { latency: 0..500 }, slicer: }` — kinds in file order: `down`, and
 * the fault types of the layers explored (a stream proxy's toxics, a wire path's packet faults).
 * `down` is a stream proxy's only: a wire path's outage is `blackhole`, one direction a fault.
 */
function loadFaultKinds(field: Field, layers: ReadonlySet<FaultLayer>): ExploreFaultKind[] | undefined {
  const entries = field.map('a map of fault kinds, e.g. { latency: { latency: 0..500 }, down: {} }');
  if (!entries) return undefined;
  if (entries.size === 0) return field.problem('expected at least one kind of fault, got an empty map');
  const streamProxies = [...layers].some((layer) => layer !== 'wire');
  const available = [...(streamProxies ? [EXPLORE_DOWN] : []), ...new Set([...layers].flatMap((layer) => listFaultTypes(layer).map((t) => t.type)))];
  const kinds: ExploreFaultKind[] = [];
  let ok = true;
  for (const [name, value] of entries.entries()) {
    const body = value.isNull ? undefined : value.map(name === EXPLORE_DOWN ? 'an empty map: {}' : 'a map of attribute ranges, e.g. { latency: 0..500 }');
    if (!value.isNull && !body) {
      ok = false;
      continue;
    }
    if (name === EXPLORE_DOWN) {
      if (body && body.size > 0) {
        value.problem('down takes no attributes: write down: {}');
        ok = false;
      } else if (!streamProxies) {
        value.keyProblem('down is not explored on wire paths, and only wire paths are explored', 'a wire path goes dark with blackhole, one direction a fault: write blackhole: {}');
        ok = false;
      } else kinds.push({ kind: 'down', where: value.where });
      continue;
    }
    const types = [...layers].map((layer) => findFaultType(layer, name)).filter((t) => t !== undefined);
    if (types.length === 0) {
      const near = didYouMean(name, available);
      value.keyProblem(`"${name}" is not a fault the proxies explored can have`, `${near ? `did you mean "${near}"? ` : ''}kinds: ${available.join(', ')}`);
      ok = false;
      continue;
    }
    const attributes: Record<string, NumberRange> = {};
    for (const [key, rangeField] of body?.entries() ?? []) {
      const schemas = types.filter((t) => t.attributes[key] !== undefined).map((t) => t.attributes);
      if (schemas.length === 0) {
        const known = [...new Set(types.flatMap((t) => Object.keys(t.attributes)))];
        rangeField.keyProblem(`unknown attribute "${key}" of ${name}`, known.length > 0 ? `${name} takes: ${known.join(', ')}` : `${name} takes no attributes`);
        ok = false;
        continue;
      }
      const range = numberRange(rangeField);
      // Each end must be a value the toxic accepts, on every protocol that has the attribute.
      const problems = range ? schemas.flatMap((schema) => [range.min, range.max].flatMap((end) => resolveAttributes(schema, { [key]: end }).problems)) : [];
      if (!range || problems.length > 0) {
        if (problems[0]) rangeField.problem(problems[0].message, problems[0].hint);
        ok = false;
      } else attributes[key] = range;
    }
    kinds.push({ kind: 'toxic', type: name, attributes, where: value.where });
  }
  return ok ? kinds : undefined;
}

/** `LOW..HIGH` or one number. */
function numberRange(field: Field): NumberRange | undefined {
  const value = field.scalar();
  if (typeof value === 'number' && Number.isFinite(value)) return { min: value, max: value };
  const match = typeof value === 'string' ? NUMBER_RANGE.exec(value) : null;
  if (!match) return field.problem(`expected ${RANGE_FORMAT}, got ${field.describe()}`);
  return ordered(field, Number(match[1]), Number(match[2]));
}

/** `LOW..HIGH` of durations, or one duration; ms. */
function durationRange(field: Field): NumberRange | undefined {
  if (!field.present) return undefined;
  const value = field.scalar();
  if (typeof value === 'string') {
    const single = parseDuration(value);
    if (single !== undefined) return { min: single, max: single };
    const match = DURATION_RANGE.exec(value);
    const low = match ? parseDuration(match[1]!) : undefined;
    const high = match ? parseDuration(match[2]!) : undefined;
    if (low !== undefined && high !== undefined) return ordered(field, low, high);
  }
  const hint = typeof value === 'number' ? `durations need a unit: write ${value}ms or ${value}s` : `each end is ${DURATION_FORMAT}`;
  return field.problem(`expected ${DURATION_RANGE_FORMAT}, got ${field.describe()}`, hint);
}

function ordered(field: Field, min: number, max: number): NumberRange | undefined {
  if (min > max) return field.problem(`the range ${field.scalar() as string} goes down: write the lower end first`);
  return { min, max };
}

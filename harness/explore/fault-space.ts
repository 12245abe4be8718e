/**
 * The fault space of one exploration, every default resolved: what a schedule may contain, as
 * lists of values per dimension (grid.ts). Resolved in one place from three sources:
 *
 *   the scenario's `explore:` (scenario/load-explore.ts)   what the file narrows
 *   the fault types' attribute schemas                      everything else: each attribute's
 *     (toxics of a proxy's protocol, a wire path's           bounds and search hint (toxics/attributes.ts)
 *      packet faults: toxics/fault-layers.ts)
 *   a baseline run                                          when faults may start, when the file does not say
 *
 * so a toxic or wire fault type added to its registry is explorable without a line here.
 */
import { formatScheduleTime } from '../core/exploration.js';
import { DIRECTIONS, type Direction } from '../core/spec.js';
import type { AttributeDef } from '../toxics/attributes.js';
import { faultLayerOf, findFaultType, listFaultTypes, type FaultLayer, type FaultType } from '../toxics/fault-layers.js';
import { workloadType } from '../workload/registry.js';
import { DEFAULT_EXPLORE_RUNS, DEFAULT_MAX_FAULTS } from '../scenario/scenario-keys.js';
import type { ExploreFaultKind, NumberRange, ProxySpec, ScenarioSpec } from '../scenario/spec.js';
import { gridValues, niceStep } from './grid.js';

/** The values one attribute is drawn from, mildest first: shrinking moves toward index 0. */
export interface AttributeDimension {
  key: string;
  /** Mildest first (ascending, or descending for attributes where higher is milder). */
  values: number[];
}

/**
 * A kind of fault on one proxy or wire path (`layer: 'wire'`): `down`, or a fault type of its
 * layer (a toxic of the proxy's protocol, a wire path's packet fault).
 */
export type FaultChoice = { proxy: string; layer: FaultLayer } & ({ kind: 'down' } | { kind: 'toxic'; type: string; attributes: AttributeDimension[] });

export interface FaultSpace {
  /** Every (proxy, kind) a fault may be, in the order the file (or the registries) list kinds. */
  choices: FaultChoice[];
  streams: Direction[];
  maxFaults: number;
  /** When a fault may start, ms, earliest first. */
  startMs: number[];
  /** How long it may last, ms, shortest first. */
  durationMs: number[];
  /** The scenario's timeout: a fault is cut short rather than outlast it. */
  timeoutMs: number;
  runs: number;
  timeMs?: number;
}

export interface SpaceOptions {
  /** When the baseline run's workloads ended, ms from the scenario start (the default start window). */
  workloadsEndMs: number;
  /** The command line's budget, over the file's. */
  runs?: number;
  timeMs?: number;
}

export function resolveFaultSpace(spec: ScenarioSpec, options: SpaceOptions): FaultSpace {
  const explore = spec.explore;
  const choices = faultChoices(spec);
  // Faults start within the traffic, by default: a baseline run says how long it lasts.
  const windowMs = Math.min(niceStep(Math.max(options.workloadsEndMs, 10)), spec.timeoutMs - 1);
  const start = explore?.start ?? { min: 0, max: windowMs };
  const duration = explore?.duration ?? { min: Math.max(1, niceStep(windowMs / 10)), max: Math.max(windowMs, niceStep(windowMs / 10)) };
  const timeMs = options.timeMs ?? explore?.timeMs;
  return {
    choices,
    streams: explore?.streams ?? [...DIRECTIONS],
    maxFaults: explore?.maxFaults ?? DEFAULT_MAX_FAULTS,
    startMs: gridValues({ ...start, integer: true, scale: 'linear' }),
    durationMs: gridValues({ ...duration, integer: true, scale: 'linear' }),
    timeoutMs: spec.timeoutMs,
    runs: options.runs ?? explore?.runs ?? DEFAULT_EXPLORE_RUNS,
    ...(timeMs !== undefined ? { timeMs } : {}),
  };
}

/**
 * Every (proxy, kind) a generated fault may be: the file's kinds on its proxies and wire paths, or
 * every kind each one supports. Empty when nothing can be generated (no proxy, no wire path).
 *
 * `down` is never generated on a wire path: there it is a partition, `blackhole` in both
 * directions at once, and `blackhole` is in the space one direction at a time, which shrinking
 * can then tell apart (docs/decisions.md #49).
 */
export function faultChoices(spec: ScenarioSpec): FaultChoice[] {
  const explore = spec.explore;
  const proxies = spec.proxies.filter((p) => !explore?.proxies || explore.proxies.includes(p.name));
  const choices: FaultChoice[] = [];
  for (const proxy of proxies) {
    const layer = faultLayerOf(proxy);
    for (const kind of explore?.faults ?? defaultKinds(spec, proxy)) {
      if (kind.kind === 'down') {
        if (layer !== 'wire') choices.push({ proxy: proxy.name, layer, kind: 'down' });
        continue;
      }
      const type = findFaultType(layer, kind.type);
      if (!type) continue; // the file's kind is for another layer's proxies
      const attributes = Object.entries(type.attributes).map(([key, def]) => ({ key, values: attributeValues(def, kind.attributes[key]) }));
      choices.push({ proxy: proxy.name, layer, kind: 'toxic', type: type.type, attributes });
    }
  }
  return choices;
}

/**
 * Every kind a proxy or wire path supports, except those that can do nothing to its runs: a type
 * without attributes or effects (`noop`), a TCP-only one (a wire `reset`) on a path no TCP
 * workload takes. And `down`, on a proxy.
 */
function defaultKinds(spec: ScenarioSpec, proxy: ProxySpec): ExploreFaultKind[] {
  const where = {};
  const layer = faultLayerOf(proxy);
  const carriesTcp = layer === 'tcp' || spec.workloads.some((w) => 'via' in w && w.via === proxy.name && workloadType(w.spec.type).protocol === 'tcp');
  const types = listFaultTypes(layer)
    .filter((t) => !doesNothing(t) && (carriesTcp || !t.tcpOnly))
    .map((t): ExploreFaultKind => ({ kind: 'toxic', type: t.type, attributes: {}, where }));
  return layer === 'wire' ? types : [...types, { kind: 'down', where }];
}

function doesNothing(type: FaultType): boolean {
  return Object.keys(type.attributes).length === 0 && type.effects({}).length === 0;
}

/** An attribute's values, mildest first: the file's range, or the schema's bounds and search hint. */
function attributeValues(def: AttributeDef, range: NumberRange | undefined): number[] {
  const hint = def.search === 'default' ? undefined : def.search;
  if (!range && def.search === 'default') return [def.default];
  const bounds = range ?? {
    min: hint?.from ?? def.min ?? def.above ?? 0,
    max: Math.min(def.max ?? Infinity, hint?.upTo ?? Infinity),
  };
  const values = gridValues({
    ...bounds,
    minExclusive: !range && hint?.from === undefined && def.min === undefined && def.above !== undefined,
    integer: def.kind === 'int',
    scale: hint?.scale ?? 'linear',
  });
  return hint?.milder === 'higher' ? values.reverse() : values;
}

/** The space in words, one line per dimension, for the report and the minimal file's header. */
export function describeFaultSpace(space: FaultSpace): string[] {
  const layers = new Set(space.choices.filter((c) => c.kind === 'toxic').map((c) => (c.layer === 'wire' ? 'wire faults' : 'toxics')));
  const lines = [
    `up to ${space.maxFaults} fault${space.maxFaults === 1 ? '' : 's'}, starting at ${span(space.startMs, formatScheduleTime)}, lasting ${span(space.durationMs, formatScheduleTime)}`,
    `${layers.size > 0 ? [...layers].sort().join(' and ') : 'toxics'} on ${space.streams.join(' or ')}`,
  ];
  for (const choice of space.choices) {
    const where = choice.layer === 'wire' ? `wire path ${choice.proxy}` : choice.proxy;
    if (choice.kind === 'down') {
      lines.push(`${where}: down`);
      continue;
    }
    const attributes = choice.attributes.map((a) => `${a.key} ${span([...a.values].sort((x, y) => x - y), String)}`);
    lines.push(`${where}: ${choice.type}${attributes.length > 0 ? ` (${attributes.join(', ')})` : ''}`);
  }
  lines.push(`budget: ${space.runs} schedule${space.runs === 1 ? '' : 's'}${space.timeMs !== undefined ? ` or ${formatScheduleTime(space.timeMs)}` : ''}`);
  return lines;
}

function span(values: readonly number[], format: (v: number) => string): string {
  if (values.length === 1) return format(values[0]!);
  return `${format(values[0]!)}..${format(values[values.length - 1]!)} (${values.length} values)`;
}

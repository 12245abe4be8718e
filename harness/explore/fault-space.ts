/**
 * The fault space of one exploration, every default resolved: what a schedule may contain, as
 * lists of values per dimension (grid.ts). Resolved in one place from three sources:
 *
 *   the scenario's `explore:` (scenario/load-explore.ts)   what the file narrows
 *   the toxic registry's attribute schemas                  everything else: each attribute's
 *                                                           bounds and search hint (toxics/attributes.ts)
 *   a baseline run                                          when faults may start, when the file does not say
 *
 * so a toxic added to the registry is explorable without a line here.
 */
import { formatScheduleTime } from '../core/exploration.js';
import { DIRECTIONS, type Direction, type Protocol } from '../core/spec.js';
import type { AttributeDef } from '../toxics/attributes.js';
import { listToxicTypes } from '../toxics/registry.js';
import type { ToxicType } from '../toxics/types.js';
import { DEFAULT_EXPLORE_RUNS, DEFAULT_MAX_FAULTS } from '../scenario/scenario-keys.js';
import type { ExploreFaultKind, NumberRange, ScenarioSpec, StreamProxySpec } from '../scenario/spec.js';
import { gridValues, niceStep } from './grid.js';

/** The values one attribute is drawn from, mildest first: shrinking moves toward index 0. */
export interface AttributeDimension {
  key: string;
  /** Mildest first (ascending, or descending for attributes where higher is milder). */
  values: number[];
}

/** A kind of fault on one proxy. */
export type FaultChoice = { proxy: string; protocol: Protocol } & ({ kind: 'down' } | { kind: 'toxic'; type: string; attributes: AttributeDimension[] });

export interface FaultSpace {
  /** Every (proxy, kind) a fault may be, in the order the file (or the registry) lists kinds. */
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
 * Every (proxy, kind) a generated fault may be: the file's kinds on its proxies, or every kind
 * each proxy supports. Empty when nothing can be generated (no proxy).
 */
export function faultChoices(spec: ScenarioSpec): FaultChoice[] {
  const explore = spec.explore;
  // Stream proxies only: faults on wire paths are not explored yet (docs/explore.md).
  const proxies = spec.proxies.filter((p): p is StreamProxySpec => p.layer === 'proxy' && (!explore?.proxies || explore.proxies.includes(p.name)));
  const choices: FaultChoice[] = [];
  for (const proxy of proxies) {
    for (const kind of explore?.faults ?? defaultKinds(proxy.protocol)) {
      if (kind.kind === 'down') {
        choices.push({ proxy: proxy.name, protocol: proxy.protocol, kind: 'down' });
        continue;
      }
      const type = listToxicTypes(proxy.protocol).find((t) => t.type === kind.type);
      if (!type) continue; // the file's kind is for the other protocol's proxies
      const attributes = Object.entries(type.attributes).map(([key, def]) => ({ key, values: attributeValues(def, kind.attributes[key]) }));
      choices.push({ proxy: proxy.name, protocol: proxy.protocol, kind: 'toxic', type: type.type, attributes });
    }
  }
  return choices;
}

/**
 * Every kind a proxy of `protocol` supports, except toxics that can do nothing to a run (no
 * attributes and no effects: `noop`), and `down`.
 */
function defaultKinds(protocol: Protocol): ExploreFaultKind[] {
  const where = {};
  const toxics = listToxicTypes(protocol)
    .filter((t) => !doesNothing(t))
    .map((t): ExploreFaultKind => ({ kind: 'toxic', type: t.type, attributes: {}, where }));
  return [...toxics, { kind: 'down', where }];
}

function doesNothing(type: ToxicType): boolean {
  return Object.keys(type.attributes).length === 0 && type.effects({}).length === 0;
}

/** An attribute's values, mildest first: the file's range, or the schema's bounds and search hint. */
function attributeValues(def: AttributeDef, range: NumberRange | undefined): number[] {
  const hint = def.search === 'default' ? undefined : def.search;
  if (!range && def.search === 'default') return [def.default];
  const bounds = range ?? {
    min: def.min ?? def.above ?? 0,
    max: Math.min(def.max ?? Infinity, hint?.upTo ?? Infinity),
  };
  const values = gridValues({
    ...bounds,
    minExclusive: !range && def.min === undefined && def.above !== undefined,
    integer: def.kind === 'int',
    scale: hint?.scale ?? 'linear',
  });
  return hint?.milder === 'higher' ? values.reverse() : values;
}

/** The space in words, one line per dimension, for the report and the minimal file's header. */
export function describeFaultSpace(space: FaultSpace): string[] {
  const lines = [
    `up to ${space.maxFaults} fault${space.maxFaults === 1 ? '' : 's'}, starting at ${span(space.startMs, formatScheduleTime)}, lasting ${span(space.durationMs, formatScheduleTime)}`,
    `toxics on ${space.streams.join(' or ')}`,
  ];
  for (const choice of space.choices) {
    if (choice.kind === 'down') {
      lines.push(`${choice.proxy}: down`);
      continue;
    }
    const attributes = choice.attributes.map((a) => `${a.key} ${span([...a.values].sort((x, y) => x - y), String)}`);
    lines.push(`${choice.proxy}: ${choice.type}${attributes.length > 0 ? ` (${attributes.join(', ')})` : ''}`);
  }
  lines.push(`budget: ${space.runs} schedule${space.runs === 1 ? '' : 's'}${space.timeMs !== undefined ? ` or ${formatScheduleTime(space.timeMs)}` : ''}`);
  return lines;
}

function span(values: readonly number[], format: (v: number) => string): string {
  if (values.length === 1) return format(values[0]!);
  return `${format(values[0]!)}..${format(values[values.length - 1]!)} (${values.length} values)`;
}

/**
 * Declarative toxic attributes: one table per toxic type states each attribute's JSON key,
 * numeric kind, unit, default and range. The same table validates admin API bodies and scenario
 * files, fills defaults, generates the JSON Schema for editors, and is rendered into the docs —
 * so the four can never disagree.
 *
 * Unlike Toxiproxy (which ignores unknown keys and takes Go zero values), validation here rejects
 * unknown keys, wrong types and values that would hang or crash (a bandwidth `rate` of 0, a
 * slicer `average_size` of 0), naming the field.
 */
import { describe } from '../core/describe.js';
import type { Problem } from '../core/errors.js';

/**
 * The longest wait any toxic attribute may ask for: one day, in ms. Longer does nothing a test can
 * observe, and Node's timers cannot wait past 24.8 days at all (they fire at once instead).
 */
export const MAX_DELAY_MS = 86_400_000;

/**
 * The slowest bandwidth `rate`: 0.001 KB/s, one byte per second. Toxiproxy's rate 0 never
 * forwards a byte; neither, in any test's lifetime, does 1e-300. A path that should carry nothing
 * is a `timeout` toxic.
 */
export const MIN_RATE_KB_PER_S = 0.001;

/** Why a bandwidth rate has a floor, for the error. */
export const RATE_HINT = 'a slower link never forwards a byte in a test\'s lifetime; for a path that carries nothing, use a timeout toxic';

interface AttributeBase {
  /** `int` rejects fractions (Toxiproxy's int64 fields); `number` takes any finite number. */
  kind: 'int' | 'number';
  /** Shown in docs and errors: `ms`, `µs`, `bytes`, `KB/s` (1000 B/s), `probability`, `datagrams`. */
  unit: string;
  default: number;
  /** Inclusive lower bound. */
  min?: number;
  /** Exclusive lower bound (e.g. rate > 0). */
  above?: number;
  description: string;
  /** Added to an out-of-range problem: why the range is what it is. */
  rangeHint?: string;
}

/**
 * How a fault search (`faultline explore`, docs/explore.md) draws an attribute when the scenario
 * gives no range for it, so that a new toxic is explorable without any code in explore/:
 *
 *  - `upTo`: the top of the range searched (the bottom is the attribute's `min` or `above`; a log
 *    scale starts three decades below the top). An attribute without `max` must say it, and one
 *    whose `max` is a safety bound (a day) should: large enough to hurt, small enough to run quickly.
 *  - `from`: the bottom of the range searched, where the attribute's `min` is a bound of what
 *    works rather than a value worth a run (a wire `mtu` of 68 bytes: no real path is that narrow).
 *  - `milder`: which end is the mild one, which shrinking moves a failing value toward — `lower`
 *    (the default) for a latency or a probability, `higher` for a rate or a piece size.
 *  - `scale`: `log` draws 1-2-5 steps over three decades (latencies, sizes, rates: 5 ms and 500 ms
 *    matter alike); `linear` (the default) about ten even steps (probabilities).
 *
 * `'default'` keeps the attribute at its default unless the scenario gives a range: a model
 * parameter (a segment size, a retransmission timeout) rather than a magnitude of the fault.
 */
export type SearchHint = { from?: number; upTo?: number; milder?: 'lower' | 'higher'; scale?: 'linear' | 'log' } | 'default';

/**
 * Every attribute says how a search draws it; one without `max` must bound the search (`upTo`),
 * and one with a `max` far beyond any test (a day of latency) should.
 */
export type AttributeDef = AttributeBase &
  (
    | {
        /** Inclusive upper bound. */
        max: number;
        search: SearchHint;
      }
    | { max?: undefined; search: (Exclude<SearchHint, 'default'> & { upTo: number }) | 'default' }
  );

export type AttributeSchema = Record<string, AttributeDef>;

/**
 * Validates `input` (the `attributes` object of a request) against `schema`, on top of `base`
 * (the current attributes, for partial updates; defaults otherwise). Returns the full attribute
 * set and every problem found; problems carry the path `<pathPrefix>.<key>`.
 */
export function resolveAttributes(
  schema: AttributeSchema,
  input: unknown,
  base?: Record<string, number>,
  pathPrefix = 'attributes',
): { attributes: Record<string, number>; problems: Problem[] } {
  const attributes: Record<string, number> = base ? { ...base } : defaultsOf(schema);
  const problems: Problem[] = [];
  if (input === undefined || input === null) return { attributes, problems };
  if (typeof input !== 'object' || Array.isArray(input)) {
    problems.push({ path: pathPrefix, message: `expected an object of attributes, got ${describe(input)}` });
    return { attributes, problems };
  }
  const known = Object.keys(schema);
  for (const [key, value] of Object.entries(input as Record<string, unknown>)) {
    const path = `${pathPrefix}.${key}`;
    const def = schema[key];
    if (!def) {
      problems.push({
        path,
        message: `unknown attribute "${key}"`,
        hint: known.length > 0 ? `this toxic takes: ${known.join(', ')}` : 'this toxic takes no attributes',
      });
      continue;
    }
    const problem = checkValue(def, value);
    if (problem) problems.push({ path, message: problem.message, ...(problem.outOfRange && def.rangeHint ? { hint: def.rangeHint } : {}) });
    else attributes[key] = value as number;
  }
  return { attributes, problems };
}

export function defaultsOf(schema: AttributeSchema): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, def] of Object.entries(schema)) out[key] = def.default;
  return out;
}

function checkValue(def: AttributeDef, value: unknown): { message: string; outOfRange?: true } | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    return { message: `expected ${def.kind === 'int' ? 'an integer' : 'a number'} (${def.unit}), got ${describe(value)}` };
  }
  if (def.kind === 'int' && !Number.isInteger(value)) return { message: `expected an integer (${def.unit}), got ${value}` };
  if (def.above !== undefined && !(value > def.above)) return { message: `must be greater than ${def.above} (${def.unit}), got ${value}`, outOfRange: true };
  if (def.min !== undefined && value < def.min) return { message: `must be at least ${def.min} (${def.unit}), got ${value}`, outOfRange: true };
  if (def.max !== undefined && value > def.max) return { message: `must be at most ${def.max} (${def.unit}), got ${value}`, outOfRange: true };
  return undefined;
}

/** JSON Schema for an attribute table (used by `faultline schema`). */
export function attributesJsonSchema(schema: AttributeSchema): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (const [key, def] of Object.entries(schema)) {
    const prop: Record<string, unknown> = {
      type: def.kind === 'int' ? 'integer' : 'number',
      description: `${def.description} (${def.unit}, default ${def.default})`,
      default: def.default,
    };
    if (def.min !== undefined) prop.minimum = def.min;
    if (def.above !== undefined) prop.exclusiveMinimum = def.above;
    if (def.max !== undefined) prop.maximum = def.max;
    properties[key] = prop;
  }
  return { type: 'object', additionalProperties: false, properties };
}

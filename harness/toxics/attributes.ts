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
}

/**
 * How a fault search (`faultline explore`, docs/explore.md) draws an attribute when the scenario
 * gives no range for it, so that a new toxic is explorable without any code in explore/:
 *
 *  - `upTo`: the top of the range searched (the bottom is the attribute's `min` or `above`). An
 *    attribute without `max` must say it: large enough to hurt, small enough to run quickly.
 *  - `milder`: which end is the mild one, which shrinking moves a failing value toward — `lower`
 *    (the default) for a latency or a probability, `higher` for a rate or a piece size.
 *  - `scale`: `log` draws 1-2-5 steps over three decades (latencies, sizes, rates: 5 ms and 500 ms
 *    matter alike); `linear` (the default) about ten even steps (probabilities).
 *
 * `'default'` keeps the attribute at its default unless the scenario gives a range: a model
 * parameter (a segment size, a retransmission timeout) rather than a magnitude of the fault.
 */
export type SearchHint = { upTo?: number; milder?: 'lower' | 'higher'; scale?: 'linear' | 'log' } | 'default';

/** An attribute with `max` may leave its search range to it; one without must bound the search. */
export type AttributeDef = AttributeBase &
  (
    | {
        /** Inclusive upper bound. */
        max: number;
        search?: SearchHint;
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
    if (problem) problems.push({ path, message: problem });
    else attributes[key] = value as number;
  }
  return { attributes, problems };
}

export function defaultsOf(schema: AttributeSchema): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, def] of Object.entries(schema)) out[key] = def.default;
  return out;
}

function checkValue(def: AttributeDef, value: unknown): string | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    return `expected ${def.kind === 'int' ? 'an integer' : 'a number'} (${def.unit}), got ${describe(value)}`;
  }
  if (def.kind === 'int' && !Number.isInteger(value)) return `expected an integer (${def.unit}), got ${value}`;
  if (def.above !== undefined && !(value > def.above)) return `must be greater than ${def.above} (${def.unit}), got ${value}`;
  if (def.min !== undefined && value < def.min) return `must be at least ${def.min} (${def.unit}), got ${value}`;
  if (def.max !== undefined && value > def.max) return `must be at most ${def.max} (${def.unit}), got ${value}`;
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

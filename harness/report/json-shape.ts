/**
 * Small combinators that check a parsed JSON value against a shape, field by field, collecting
 * every problem with its JSON path (`scenarios[2].workloads[0].histograms.rtt_ms.p99: expected a
 * number, got "fast"`). result-shape.ts describes a RunResult with them.
 *
 * The walk follows the *shape*, never the data: its depth is the shape's, whatever the file holds.
 * Objects may be given defaults for fields an older writer left out; those are filled in place.
 */
import { isJsonObject } from '../core/json-text.js';

/** One problem: a JSON path and what is wrong there. */
export interface ShapeProblem {
  path: string;
  message: string;
}

/** Checks `value` (at `path`), appending problems; may fill defaults inside objects. */
export type Shape = (value: unknown, path: string, problems: ShapeProblem[]) => void;

interface FieldShape {
  shape: Shape;
  /** Absent is fine (undefined stays undefined). */
  optional?: boolean;
  /** Absent becomes this value (a fresh copy each time). */
  fallback?: () => unknown;
}

/** A field that may be absent. */
export const optional = (shape: Shape): FieldShape => ({ shape, optional: true });
/** A field that an older writer may have left out, filled with `fallback()` when absent. */
export const withDefault = (shape: Shape, fallback: () => unknown): FieldShape => ({ shape, fallback });

export function describeJson(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

const problemAt = (problems: ShapeProblem[], path: string, expected: string, value: unknown) =>
  problems.push({ path, message: `expected ${expected}, got ${describeJson(value)}` });


export const string: Shape = (value, path, problems) => {
  if (typeof value !== 'string') problemAt(problems, path, 'a string', value);
};

export const number: Shape = (value, path, problems) => {
  if (typeof value !== 'number' || !Number.isFinite(value)) problemAt(problems, path, 'a number', value);
};

/** A number ≥ 0 (counts, durations, byte totals). */
export const count: Shape = (value, path, problems) => {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) problemAt(problems, path, 'a number ≥ 0', value);
};

/** A number > 0 (a bucket width, a rate). */
export const positive: Shape = (value, path, problems) => {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) problemAt(problems, path, 'a number > 0', value);
};

export const integer: Shape = (value, path, problems) => {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) problemAt(problems, path, 'an integer', value);
};

export const boolean: Shape = (value, path, problems) => {
  if (typeof value !== 'boolean') problemAt(problems, path, 'true or false', value);
};

/** An ISO-8601 timestamp that parses as a date. */
export const timestamp: Shape = (value, path, problems) => {
  if (typeof value !== 'string' || !Number.isFinite(Date.parse(value))) problemAt(problems, path, 'an ISO-8601 timestamp', value);
};

export function oneOf(allowed: readonly string[]): Shape {
  return (value, path, problems) => {
    if (!allowed.includes(value as string)) problemAt(problems, path, `one of ${allowed.map((a) => `"${a}"`).join(', ')}`, value);
  };
}

export function nullable(shape: Shape): Shape {
  return (value, path, problems) => {
    if (value !== null) shape(value, path, problems);
  };
}

export function arrayOf(item: Shape): Shape {
  return (value, path, problems) => {
    if (!Array.isArray(value)) return problemAt(problems, path, 'an array', value);
    for (let i = 0; i < value.length; i++) item(value[i], `${path}[${i}]`, problems);
  };
}

/** `[a, b, …]` with exactly these item shapes. */
export function tuple(...items: Shape[]): Shape {
  return (value, path, problems) => {
    if (!Array.isArray(value) || value.length !== items.length) return problemAt(problems, path, `an array of ${items.length}`, value);
    items.forEach((item, i) => item(value[i], `${path}[${i}]`, problems));
  };
}

/** An object used as a map: any keys, every value of one shape. */
export function recordOf(item: Shape): Shape {
  return (value, path, problems) => {
    if (!isJsonObject(value)) return problemAt(problems, path, 'an object', value);
    for (const [key, v] of Object.entries(value)) item(v, `${path}.${key}`, problems);
  };
}

/** An object with known fields; unknown fields are kept and not checked. */
export function object(fields: Record<string, Shape | FieldShape>): Shape {
  const entries = Object.entries(fields).map(([key, spec]) => [key, typeof spec === 'function' ? { shape: spec } : spec] as const);
  return (value, path, problems) => {
    if (!isJsonObject(value)) return problemAt(problems, path, 'an object', value);
    for (const [key, field] of entries) {
      const at = path ? `${path}.${key}` : key;
      if (value[key] === undefined) {
        if (field.fallback) value[key] = field.fallback();
        else if (field.optional) continue;
      }
      field.shape(value[key], at, problems);
    }
  };
}

/**
 * An object whose fields depend on one of them, as a discriminated union's variants do: `key`
 * must be one of `byValue`'s keys, and the object then has `common` and that variant's fields.
 */
export function variants(key: string, common: Record<string, Shape | FieldShape>, byValue: Record<string, Record<string, Shape | FieldShape>>): Shape {
  const tag = oneOf(Object.keys(byValue));
  const commonOnly = object(common);
  const variantShapes = new Map(Object.entries(byValue).map(([value, fields]) => [value, object({ ...common, ...fields })]));
  return (value, path, problems) => {
    if (!isJsonObject(value)) return problemAt(problems, path, 'an object', value);
    const before = problems.length;
    tag(value[key], path ? `${path}.${key}` : key, problems);
    if (problems.length > before) return commonOnly(value, path, problems);
    variantShapes.get(value[key] as string)!(value, path, problems);
  };
}

/** Checks a value against `shape` and returns the problems found. */
export function checkShape(value: unknown, shape: Shape, path = ''): ShapeProblem[] {
  const problems: ShapeProblem[] = [];
  shape(value, path, problems);
  return problems;
}

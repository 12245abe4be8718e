/**
 * A small JSON Schema (draft-07) validator for exactly the keywords faultline's scenario schema
 * uses, so tests can check that every valid fixture validates against the generated schema
 * without a dependency. A keyword it does not implement is an error, never silently ignored: a
 * schema change that needs more must extend this too.
 */

type Schema = Record<string, unknown> | boolean;

const ANNOTATIONS = new Set(['$schema', '$id', 'title', 'description', 'default', 'examples', 'definitions']);
const ASSERTIONS = new Set([
  '$ref',
  'type',
  'enum',
  'const',
  'pattern',
  'minLength',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'minItems',
  'uniqueItems',
  'items',
  'minProperties',
  'required',
  'properties',
  'additionalProperties',
  'propertyNames',
  'allOf',
  'anyOf',
  'oneOf',
  'not',
  'if',
  'then',
  'else',
]);

/** Returns every violation as `<json pointer>: <what>`; empty when `value` is valid. */
export function checkJsonSchema(schema: Schema, value: unknown, root: Schema = schema, at = ''): string[] {
  if (schema === true) return [];
  if (schema === false) return [`${at || '/'}: no value is allowed here`];
  for (const key of Object.keys(schema)) {
    if (!ANNOTATIONS.has(key) && !ASSERTIONS.has(key)) throw new Error(`schema-check does not implement the keyword "${key}" (at ${at || '/'})`);
  }
  const errors: string[] = [];
  const here = at || '/';
  const sub = (s: unknown, v: unknown, path = at) => checkJsonSchema(s as Schema, v, root, path);

  if (typeof schema.$ref === 'string') errors.push(...sub(resolveRef(root, schema.$ref), value));
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
    if (!types.some((t) => hasType(value, t))) errors.push(`${here}: expected ${types.join(' or ')}, got ${typeName(value)}`);
  }
  if (Array.isArray(schema.enum) && !schema.enum.some((e) => same(e, value))) errors.push(`${here}: not one of ${JSON.stringify(schema.enum)}`);
  if ('const' in schema && !same(schema.const, value)) errors.push(`${here}: expected ${JSON.stringify(schema.const)}`);

  if (typeof value === 'string') {
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value)) errors.push(`${here}: ${JSON.stringify(value)} does not match ${schema.pattern}`);
    if (typeof schema.minLength === 'number' && [...value].length < schema.minLength) errors.push(`${here}: shorter than ${schema.minLength}`);
  }
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) errors.push(`${here}: below ${schema.minimum}`);
    if (typeof schema.maximum === 'number' && value > schema.maximum) errors.push(`${here}: above ${schema.maximum}`);
    if (typeof schema.exclusiveMinimum === 'number' && !(value > schema.exclusiveMinimum)) errors.push(`${here}: not above ${schema.exclusiveMinimum}`);
  }
  if (Array.isArray(value)) {
    if (typeof schema.minItems === 'number' && value.length < schema.minItems) errors.push(`${here}: fewer than ${schema.minItems} items`);
    if (schema.uniqueItems === true && new Set(value.map((v) => JSON.stringify(v))).size !== value.length) errors.push(`${here}: items are not unique`);
    if (schema.items !== undefined) value.forEach((item, i) => errors.push(...sub(schema.items, item, `${at}/${i}`)));
  }
  if (isObject(value)) {
    const keys = Object.keys(value);
    if (typeof schema.minProperties === 'number' && keys.length < schema.minProperties) errors.push(`${here}: fewer than ${schema.minProperties} properties`);
    for (const key of (schema.required as string[] | undefined) ?? []) if (!(key in value)) errors.push(`${here}: missing required "${key}"`);
    const properties = (schema.properties ?? {}) as Record<string, Schema>;
    for (const key of keys) {
      const path = `${at}/${key}`;
      if (schema.propertyNames !== undefined) errors.push(...sub(schema.propertyNames, key, `${path} (name)`));
      if (key in properties) errors.push(...sub(properties[key], value[key], path));
      else if (schema.additionalProperties !== undefined) errors.push(...sub(schema.additionalProperties, value[key], path));
    }
  }

  for (const s of (schema.allOf as Schema[] | undefined) ?? []) errors.push(...sub(s, value));
  if (Array.isArray(schema.anyOf) && !schema.anyOf.some((s) => sub(s, value).length === 0)) {
    errors.push(`${here}: matches none of anyOf (${schema.anyOf.map((s) => sub(s, value)[0]).join('; ')})`);
  }
  if (Array.isArray(schema.oneOf)) {
    const results = schema.oneOf.map((s) => sub(s, value));
    const matches = results.filter((r) => r.length === 0).length;
    if (matches !== 1) errors.push(`${here}: matches ${matches} of oneOf, expected exactly 1 (${results.map((r) => r[0] ?? 'ok').join('; ')})`);
  }
  if (schema.not !== undefined && sub(schema.not, value).length === 0) errors.push(`${here}: matches a "not" schema`);
  if (schema.if !== undefined) {
    const branch = sub(schema.if, value).length === 0 ? schema.then : schema.else;
    if (branch !== undefined) errors.push(...sub(branch, value));
  }
  return errors;
}

function resolveRef(root: Schema, ref: string): Schema {
  if (!ref.startsWith('#/')) throw new Error(`schema-check resolves local refs only, got ${ref}`);
  let node: unknown = root;
  for (const part of ref.slice(2).split('/')) node = (node as Record<string, unknown>)[part];
  if (node === undefined) throw new Error(`unresolved $ref ${ref}`);
  return node as Schema;
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case 'integer':
      return Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'array':
      return Array.isArray(value);
    case 'object':
      return isObject(value);
    case 'null':
      return value === null;
    default:
      return typeof value === type;
  }
}

function typeName(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

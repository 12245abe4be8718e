/**
 * The toxic registry, and the one place where a user's toxic (from the admin API or a scenario
 * file) becomes a validated ToxicSpec. Both front ends call resolveToxic/patchToxic, so a toxic
 * the API rejects is rejected by `faultline validate` too, with the same words.
 */
import { FaultlineError, type Problem } from '../core/errors.js';
import { DIRECTIONS, nameLengthProblem, type Direction, type Protocol, type ToxicInput, type ToxicPatch, type ToxicSpec } from '../core/spec.js';
import { describe } from '../core/describe.js';
import { didYouMean } from '../core/did-you-mean.js';
import type { ToxicEffect } from '../core/effect.js';
import { resolveAttributes, type AttributeSchema } from './attributes.js';
import { datagramToxicTypes } from './datagram/index.js';
import { streamToxicTypes } from './stream/index.js';
import type { DatagramToxicType, StreamToxicType, ToxicType } from './types.js';

const byProtocol = {
  tcp: new Map<string, StreamToxicType>(streamToxicTypes.map((t) => [t.type, t])),
  udp: new Map<string, DatagramToxicType>(datagramToxicTypes.map((t) => [t.type, t])),
};

/** Toxic type names a protocol supports, in documentation order. */
export function toxicTypeNames(protocol: Protocol): string[] {
  return [...byProtocol[protocol].keys()];
}

export function listToxicTypes(protocol: Protocol): ToxicType[] {
  return [...byProtocol[protocol].values()];
}

export function findStreamToxicType(type: string): StreamToxicType | undefined {
  return byProtocol.tcp.get(type);
}

export function findDatagramToxicType(type: string): DatagramToxicType | undefined {
  return byProtocol.udp.get(type);
}

export function findToxicType(protocol: Protocol, type: string): ToxicType | undefined {
  return byProtocol[protocol].get(type);
}

/**
 * What a resolved toxic does to the traffic crossing it (core/effect.ts), from its type's
 * declaration: the data the assertions' expected rates and calibration work from.
 */
export function toxicEffects(protocol: Protocol, toxic: ToxicSpec): ToxicEffect[] {
  const type = findToxicType(protocol, toxic.type);
  if (!type) throw new Error(`toxic "${toxic.name}" has unregistered ${protocol} type ${toxic.type}`);
  return type.effects(toxic.attributes);
}

/**
 * Validates a toxic as a user sent it and fills defaults. `existingNames` are the names already
 * used on the proxy (both directions). Throws a FaultlineError listing every problem:
 * INVALID_TOXIC_TYPE for an unknown or unsupported type, ALREADY_EXISTS for a duplicate name,
 * INVALID_TOXIC_ATTRIBUTE for everything else. `pathPrefix` locates fields in the user's document.
 */
export function resolveToxic(
  protocol: Protocol,
  input: ToxicInput,
  existingNames: Iterable<string> = [],
  pathPrefix = '',
): ToxicSpec {
  const at = (field: string) => (pathPrefix ? `${pathPrefix}.${field}` : field);
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new FaultlineError('INVALID_TOXIC_ATTRIBUTE', `expected a toxic object, got ${describe(input)}`, {
      where: { path: pathPrefix || 'toxic' },
    });
  }
  const type = requireType(protocol, input.type, at('type'));
  const problems: Problem[] = [];

  const stream = parseStream(input.stream, at('stream'), problems);
  const toxicity = parseToxicity(input.toxicity, 1, at('toxicity'), problems);

  const name = parseName(input.name, `${type.type}_${stream}`, at('name'), problems);

  const attributes = checkedAttributes(type, input.attributes, undefined, at('attributes'), problems);

  if (problems.length > 0) throw attributeError(problems);
  requireUniqueName(name, existingNames, at('name'), 'toxic', 'toxic names are unique across both directions of a proxy; give this one a "name"');
  return { name, type: type.type, stream, toxicity, attributes };
}

/** Applies a partial update: attributes merge into the current ones, toxicity is kept if omitted. */
export function patchToxic(protocol: Protocol, current: ToxicSpec, patch: ToxicPatch, pathPrefix = ''): ToxicSpec {
  const at = (field: string) => (pathPrefix ? `${pathPrefix}.${field}` : field);
  const type = findToxicType(protocol, current.type);
  if (!type) throw new Error(`toxic "${current.name}" has unregistered type ${current.type}`);
  const problems: Problem[] = [];
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) {
    throw new FaultlineError('INVALID_TOXIC_ATTRIBUTE', `expected a toxic update object, got ${describe(patch)}`, {
      where: { path: pathPrefix || 'toxic' },
    });
  }
  const toxicity = parseToxicity(patch.toxicity, current.toxicity, at('toxicity'), problems);
  const attributes = checkedAttributes(type, patch.attributes, current.attributes, at('attributes'), problems);
  if (problems.length > 0) throw attributeError(problems);
  return { ...current, toxicity, attributes };
}

function requireType(protocol: Protocol, value: unknown, path: string): ToxicType {
  const supported = toxicTypeNames(protocol);
  if (typeof value !== 'string' || value === '') {
    throw new FaultlineError('INVALID_TOXIC_TYPE', `invalid toxic type: expected one of ${supported.join(', ')}, got ${describe(value)}`, {
      where: { path },
    });
  }
  const type = findToxicType(protocol, value);
  if (type) return type;
  const other: Protocol = protocol === 'tcp' ? 'udp' : 'tcp';
  const onOther = findToxicType(other, value) !== undefined;
  throw new FaultlineError(
    'INVALID_TOXIC_TYPE',
    onOther
      ? `invalid toxic type: "${value}" is a ${other.toUpperCase()} toxic; ${protocol.toUpperCase()} proxies support ${supported.join(', ')}`
      : `invalid toxic type: "${value}"; ${protocol.toUpperCase()} proxies support ${supported.join(', ')}`,
    { where: { path }, ...typoHint(value, supported) },
  );
}

/** Throws ALREADY_EXISTS (`toxic "x" already exists`, with `hint`) when `name` is among `existing`. */
export function requireUniqueName(name: string, existing: Iterable<string>, path: string, noun: string, hint: string): void {
  for (const other of existing) {
    if (other === name) throw new FaultlineError('ALREADY_EXISTS', `${noun} "${name}" already exists`, { where: { path }, hint });
  }
}

/** `{ hint: 'did you mean "latency"?' }` when `value` looks like a misspelt one of `names`. */
export function typoHint(value: string, names: readonly string[]): { hint?: string } {
  const near = didYouMean(value, names);
  return near ? { hint: `did you mean "${near}"?` } : {};
}

/** A toxic's or wire fault's name: the given one if it is a string of a sane length, else `fallback` (absent, null or ''). */
export function parseName(value: unknown, fallback: string, path: string, problems: Problem[]): string {
  if (value === undefined || value === null || value === '') return fallback;
  if (typeof value !== 'string') problems.push({ path, message: `expected a string, got ${describe(value)}` });
  else {
    const tooLong = nameLengthProblem(value);
    if (!tooLong) return value;
    problems.push({ path, message: tooLong });
  }
  return fallback;
}

export function parseStream(value: unknown, path: string, problems: Problem[]): Direction {
  if (value === undefined || value === null || value === '') return 'downstream';
  if (typeof value === 'string') {
    const lower = value.toLowerCase();
    if ((DIRECTIONS as readonly string[]).includes(lower)) return lower as Direction;
  }
  problems.push({ path, message: `stream was invalid, can be either upstream or downstream; got ${describe(value)}` });
  return 'downstream';
}

export function parseToxicity(value: unknown, fallback: number, path: string, problems: Problem[]): number {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1) {
    problems.push({ path, message: `toxicity must be a number from 0 to 1, got ${describe(value)}` });
    return fallback;
  }
  return value;
}

/**
 * A fault type's attributes (a toxic's or a wire fault's) resolved over `base`, then, if they are
 * valid, its cross-attribute check; every problem goes onto `problems`, located under `path`.
 */
export function checkedAttributes(
  type: { attributes: AttributeSchema; check?(attributes: Record<string, number>): Problem[] },
  input: unknown,
  base: Record<string, number> | undefined,
  path: string,
  problems: Problem[],
): Record<string, number> {
  const { attributes, problems: attributeProblems } = resolveAttributes(type.attributes, input, base, path);
  problems.push(...attributeProblems);
  if (attributeProblems.length === 0) {
    for (const p of type.check?.(attributes) ?? []) problems.push({ ...p, path: p.path ? `${path}.${p.path}` : path });
  }
  return attributes;
}

export function attributeError(problems: Problem[]): FaultlineError {
  const first = problems[0]!;
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
  return new FaultlineError('INVALID_TOXIC_ATTRIBUTE', `${first.path}: ${first.message}${more}`, {
    problems,
    where: { path: first.path },
    ...(first.hint ? { hint: first.hint } : {}),
  });
}

/**
 * Where a user's wire fault becomes a validated WireFaultSpec. A wire fault is a toxic's shape
 * (`name, type, stream, toxicity, attributes`, validated by the toxics' own helpers, with the
 * same words) plus an optional match: `protocol` (tcp | udp) and `port` (the source or the
 * destination port of a packet). Every problem is reported at once, as for toxics.
 */
import { FaultlineError, type Problem } from '../../core/errors.js';
import type { Direction } from '../../core/spec.js';
import { describe } from '../../core/describe.js';
import { attributeError, checkedAttributes, parseName, parseStream, parseToxicity, requireUniqueName, typoHint } from '../registry.js';
import { findWireFaultType, wireFaultTypes, type WireFaultType } from './fault-types.js';

export type WireProtocol = 'tcp' | 'udp';

/** A wire fault as a user writes it (scenario file, API body). */
export interface WireFaultInput {
  name?: unknown;
  type?: unknown;
  stream?: unknown;
  toxicity?: unknown;
  protocol?: unknown;
  port?: unknown;
  attributes?: unknown;
}

export interface WireFaultSpec {
  name: string;
  type: string;
  stream: Direction;
  toxicity: number;
  /** Only packets of this protocol; absent: every packet. */
  protocol?: WireProtocol;
  /** Only packets from or to this port; absent: any port. */
  port?: number;
  attributes: Record<string, number>;
}

/** A partial update: attributes merge, the match and toxicity change only when given. */
export interface WireFaultPatch {
  toxicity?: unknown;
  protocol?: unknown;
  port?: unknown;
  attributes?: unknown;
}

/**
 * Validates a fault and fills defaults. `existingNames`: the names already used on the path (both
 * directions). Throws INVALID_TOXIC_TYPE, ALREADY_EXISTS or INVALID_TOXIC_ATTRIBUTE with every
 * problem; `pathPrefix` locates fields in the user's document.
 */
export function resolveWireFault(input: WireFaultInput, existingNames: Iterable<string> = [], pathPrefix = ''): WireFaultSpec {
  const at = (field: string) => (pathPrefix ? `${pathPrefix}.${field}` : field);
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new FaultlineError('INVALID_TOXIC_ATTRIBUTE', `expected a wire fault object, got ${describe(input)}`, { where: { path: pathPrefix || 'fault' } });
  }
  const type = requireType(input.type, at('type'));
  const problems: Problem[] = [];
  const stream = parseStream(input.stream, at('stream'), problems);
  const toxicity = parseToxicity(input.toxicity, 1, at('toxicity'), problems);
  const match = parseMatch(type, input, undefined, at, problems);
  const name = parseName(input.name, `${type.type}_${stream}`, at('name'), problems);
  const attributes = checkedAttributes(type, input.attributes, undefined, at('attributes'), problems);
  if (problems.length > 0) throw attributeError(problems);
  requireUniqueName(name, existingNames, at('name'), 'wire fault', 'fault names are unique across both directions of a wire path; give this one a "name"');
  return { name, type: type.type, stream, toxicity, ...match, attributes };
}

/** Applies a partial update to a resolved fault; its name, type and stream cannot change. */
export function patchWireFault(current: WireFaultSpec, patch: WireFaultPatch, pathPrefix = ''): WireFaultSpec {
  const at = (field: string) => (pathPrefix ? `${pathPrefix}.${field}` : field);
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) {
    throw new FaultlineError('INVALID_TOXIC_ATTRIBUTE', `expected a wire fault update object, got ${describe(patch)}`, { where: { path: pathPrefix || 'fault' } });
  }
  const type = findWireFaultType(current.type);
  if (!type) throw new Error(`wire fault "${current.name}" has unregistered type ${current.type}`);
  const problems: Problem[] = [];
  const toxicity = parseToxicity(patch.toxicity, current.toxicity, at('toxicity'), problems);
  const match = parseMatch(type, patch, current, at, problems);
  const attributes = checkedAttributes(type, patch.attributes, current.attributes, at('attributes'), problems);
  if (problems.length > 0) throw attributeError(problems);
  const { protocol: _protocol, port: _port, ...rest } = current;
  return { ...rest, toxicity, ...match, attributes };
}

function requireType(value: unknown, path: string): WireFaultType {
  const names = wireFaultTypes.map((t) => t.type);
  const type = typeof value === 'string' ? findWireFaultType(value) : undefined;
  if (type) return type;
  throw new FaultlineError('INVALID_TOXIC_TYPE', `invalid wire fault type: expected one of ${names.join(', ')}, got ${describe(value)}`, {
    where: { path },
    ...(typeof value === 'string' ? typoHint(value, names) : {}),
  });
}

/** `protocol` and `port`, from `input` where given, else from `current`. */
function parseMatch(
  type: WireFaultType,
  input: { protocol?: unknown; port?: unknown },
  current: WireFaultSpec | undefined,
  at: (field: string) => string,
  problems: Problem[],
): { protocol?: WireProtocol; port?: number } {
  const match: { protocol?: WireProtocol; port?: number } = {};
  const protocol = input.protocol === undefined ? current?.protocol : input.protocol;
  if (protocol !== undefined && protocol !== null) {
    if (protocol === 'tcp' || protocol === 'udp') match.protocol = protocol;
    else problems.push({ path: at('protocol'), message: `protocol must be tcp or udp, got ${describe(protocol)}` });
  }
  if (type.tcpOnly && match.protocol === 'udp') {
    problems.push({ path: at('protocol'), message: `a ${type.type} fault acts on TCP connections only, got protocol udp` });
  }
  const port = input.port === undefined ? current?.port : input.port;
  if (port !== undefined && port !== null) {
    if (typeof port === 'number' && Number.isInteger(port) && port >= 1 && port <= 65535) match.port = port;
    else problems.push({ path: at('port'), message: `port must be an integer from 1 to 65535, got ${describe(port)}` });
  }
  return match;
}

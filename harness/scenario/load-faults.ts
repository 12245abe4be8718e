/**
 * `faults:` — the fault timeline (docs/scenarios.md, "Faults"). A toxic is validated by the same
 * function the running backend uses — `resolveToxic` (the admin API's) once for the protocol of
 * each proxy the fault names, `resolveWireFault` (the wire engine's) for wire paths — so
 * `faultline validate` rejects exactly what a running proxy would, in the same words. Problems it
 * reports by field path are mapped back to YAML positions here.
 */
import { FaultlineError, type Problem } from '../core/errors.js';
import type { PacketMatch, ToxicInput, ToxicSpec } from '../core/spec.js';
import { FAULT_LAYER_NAME, faultLayerOf, resolveFault, type FaultLayer } from '../toxics/fault-layers.js';
import type { Field } from './load-context.js';
import type { LoadedProxies } from './load-proxies.js';
import { FAULT_KEYS, PACKET_MATCH_KEYS, TOXIC_KEYS } from './scenario-keys.js';
import type { FaultSpec } from './spec.js';

/** A toxic resolved for one layer: the toxic, and on a wire path which packets it acts on. */
interface Resolved {
  toxic: ToxicSpec;
  match?: PacketMatch;
}

interface Context {
  proxies: LoadedProxies;
  /** The scenario's timeout, ms: faults must start (and end) within it. */
  timeoutMs: number;
}

/** A loaded fault and the fields that problems found across faults (overlaps) point at. */
interface Loaded {
  spec: FaultSpec;
  nameField: Field;
}

export function loadFaults(field: Field, context: Context): FaultSpec[] {
  const items = field.list('a list of faults, e.g. - { proxy: udp_path, toxic: { type: loss, attributes: { probability: 0.1 } } }');
  if (!items) return [];
  const loaded: Loaded[] = [];
  let ok = true;
  items.forEach((item, index) => {
    const before = item.ctx.problems.length;
    const fault = loadFault(item, index, context);
    if (fault && item.ctx.problems.length === before) loaded.push(fault);
    else ok = false;
  });
  checkOverlaps(loaded);
  return ok ? loaded.map((l) => l.spec) : [];
}

function loadFault(field: Field, index: number, { proxies, timeoutMs }: Context): Loaded | undefined {
  const id = `faults[${index}]`;
  const entries = field.map('a fault: { proxy: NAME, toxic: {…} } or { proxy: NAME, down: true }');
  if (!entries) return undefined;
  entries.allowOnly(FAULT_KEYS, 'a fault');

  const proxyNames = loadProxyNames(entries.get('proxy'), proxies);
  const atField = entries.get('at');
  const forField = entries.get('for');
  const atMs = atField.duration() ?? 0;
  const forMs = forField.duration({ above: 0 });
  if (atMs >= timeoutMs) {
    atField.problem(`${id} starts at ${atMs}ms, at or after the scenario timeout (${timeoutMs}ms)`, 'raise the scenario timeout');
  } else if (forMs !== undefined && atMs + forMs > timeoutMs) {
    forField.problem(`${id} lasts until ${atMs + forMs}ms, past the scenario timeout (${timeoutMs}ms)`, 'raise the scenario timeout, or shorten "for"');
  }

  const toxicField = entries.get('toxic');
  const downField = entries.get('down');
  if (toxicField.present && downField.present) {
    downField.keyProblem(`${id} has both toxic and down: expected exactly one`);
    return undefined;
  }
  if (!toxicField.present && !downField.present) {
    field.problem(`${id} needs a toxic ({ type: …, attributes: … }) or down: true`);
    return undefined;
  }
  const timing = { id, atMs, where: field.where, ...(forMs === undefined ? {} : { forMs }) };
  if (downField.present) {
    const down = downField.boolean();
    if (down === false) return downField.problem('down: false does nothing: remove the fault, or write down: true');
    if (down === undefined || !proxyNames) return undefined;
    return { spec: { ...timing, proxies: proxyNames, kind: 'down' }, nameField: downField };
  }
  const toxics = loadToxic(toxicField, proxyNames, proxies);
  if (!toxics || !proxyNames) return undefined;
  const toxicEntries = toxicField.map()!;
  const nameField = toxicEntries.has('name') ? toxicEntries.get('name') : toxicEntries.get('type');
  return { spec: { ...timing, proxies: proxyNames, kind: 'toxic', toxics }, nameField };
}

/** `proxy: NAME` or `proxy: [A, B]`: known names, at least one, no repeats. */
function loadProxyNames(field: Field, proxies: LoadedProxies): string[] | undefined {
  if (!field.require('a proxy name, or a list of them')) return undefined;
  const items = field.isList ? field.list()! : [field];
  if (items.length === 0) return field.problem('expected at least one proxy name, got an empty list');
  const names: string[] = [];
  let ok = true;
  for (const item of items) {
    const name = item.reference(proxies.byName, 'proxy', 'proxies');
    if (name === undefined) ok = false;
    else if (names.includes(name)) {
      item.problem(`proxy "${name}" is listed twice`);
      ok = false;
    } else names.push(name);
  }
  return ok ? names : undefined;
}

/** Resolves the toxic once per protocol among the fault's proxies. */
function loadToxic(field: Field, proxyNames: string[] | undefined, proxies: LoadedProxies): Array<{ proxy: string } & Resolved> | undefined {
  const entries = field.map('a toxic: { type: …, stream: upstream | downstream, attributes: {…} }');
  if (!entries) return undefined;
  entries.allowOnly(TOXIC_KEYS, 'a toxic');
  const nameField = entries.get('name');
  if (nameField.present && nameField.string() === undefined) return undefined;
  const input = field.plain() as ToxicInput | undefined;
  if (input === undefined || !proxyNames) return undefined;

  // Group the proxies by layer: a fault on [tcp_a, tcp_b, udp_c] is validated twice.
  const byLayer = new Map<FaultLayer, string[]>();
  for (const name of proxyNames) {
    const info = proxies.byName.get(name);
    if (!info) return undefined; // the proxy itself is invalid, already reported
    const layer = faultLayerOf(info);
    byLayer.set(layer, [...(byLayer.get(layer) ?? []), name]);
  }
  const resolved = new Map<FaultLayer, Resolved>();
  const failures: Array<{ names: string[]; layer: FaultLayer; problems: Problem[] }> = [];
  for (const [layer, names] of byLayer) {
    const matchKeys = PACKET_MATCH_KEYS.filter((key) => entries.has(key));
    if (layer !== 'wire' && matchKeys.length > 0) {
      const problems = matchKeys.map((key) => ({
        path: `${field.path}.${key}`,
        message: `${key} matches packets on a wire path (layer: wire); a proxy's toxic acts on everything it carries`,
      }));
      failures.push({ names, layer, problems });
      continue;
    }
    try {
      resolved.set(layer, resolveFault(layer, input, field.path));
    } catch (error) {
      if (!(error instanceof FaultlineError)) throw error;
      const problems = error.problems.length > 0 ? error.problems : [{ ...error.where, message: error.message, ...(error.hint ? { hint: error.hint } : {}) }];
      failures.push({ names, layer, problems });
    }
  }
  // The same problem on both protocols (a bad `stream`) is reported once, naming every proxy.
  const merged = new Map<string, { subjects: string[]; problems: Problem[] }>();
  for (const { names, layer, problems } of failures) {
    const key = JSON.stringify(problems.map((p) => [p.path, p.message]));
    const entry = merged.get(key) ?? { subjects: [], problems };
    entry.subjects.push(...names.map((n) => `"${n}" (${FAULT_LAYER_NAME[layer]})`));
    merged.set(key, entry);
  }
  for (const { subjects, problems } of merged.values()) {
    const subject = `${subjects.length > 1 ? 'proxies' : 'proxy'} ${subjects.join(', ')}`;
    for (const problem of problems) {
      const relative = problem.path?.startsWith(field.path) ? problem.path.slice(field.path.length) : '';
      field.descend(relative).problem(`on ${subject}: ${problem.message}`, problem.hint, problem.path ?? field.path);
    }
  }
  if (failures.length > 0) return undefined;
  return proxyNames.map((proxy) => {
    return { proxy, ...resolved.get(faultLayerOf(proxies.byName.get(proxy)!))! };
  });
}

/**
 * Toxic names are unique per proxy among faults active at the same time (a proxy holds one toxic
 * per name), and a proxy cannot be taken down twice at once (the first to end would bring it back).
 */
function checkOverlaps(loaded: Loaded[]): void {
  for (let j = 1; j < loaded.length; j++) {
    const later = loaded[j]!;
    for (let i = 0; i < j; i++) {
      const clash = faultClash(loaded[i]!.spec, later.spec);
      if (clash) later.nameField.problem(clash.message, clash.hint);
    }
  }
}

/**
 * Why two faults of one scenario cannot both be on its timeline (`earlier` listed first), or
 * undefined when they can: the rule the loader holds files to, and generated schedules too.
 */
export function faultClash(earlier: FaultSpec, later: FaultSpec): { message: string; hint: string } | undefined {
  const end = (f: FaultSpec) => (f.forMs === undefined ? Infinity : f.atMs + f.forMs);
  if (!(earlier.atMs < end(later) && later.atMs < end(earlier))) return undefined;
  for (const proxy of later.proxies) {
    if (!earlier.proxies.includes(proxy)) continue;
    const clash = clashOn(proxy, earlier, later);
    if (clash) return clash;
  }
  return undefined;
}

function clashOn(proxy: string, earlier: FaultSpec, later: FaultSpec): { message: string; hint: string } | undefined {
  if (earlier.kind === 'down' && later.kind === 'down') {
    return {
      message: `${later.id} takes proxy "${proxy}" down while ${earlier.id} already has it down`,
      hint: 'merge the two into one fault, or make their times not overlap',
    };
  }
  if (earlier.kind !== 'toxic' || later.kind !== 'toxic') return undefined;
  const name = later.toxics.find((t) => t.proxy === proxy)?.toxic.name;
  if (name === undefined || earlier.toxics.find((t) => t.proxy === proxy)?.toxic.name !== name) return undefined;
  return {
    message: `toxic "${name}" on proxy "${proxy}" is also added by ${earlier.id} at an overlapping time`,
    hint: 'toxic names default to <type>_<stream> and must be unique per proxy; give one of them a "name"',
  };
}

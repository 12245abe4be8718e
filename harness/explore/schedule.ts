/**
 * Fault schedules: the fast-check arbitrary that draws them from a fault space, and what a drawn
 * schedule becomes — faults of the scenario's timeline, resolved by the same function as faults
 * a file declares (`resolveFault`: the toxic registry's, or the wire engine's on a wire path) and
 * held to the same overlap rule (`faultClash`), so a generated schedule is valid wherever a
 * written one would be.
 *
 *   fault space ──arbitrary──▶ drawn faults (indices into value lists) ──build──▶ ExploredSchedule
 *        ──toFaultSpecs──▶ FaultSpec[] appended to the scenario's own faults ──▶ the normal runner
 *
 * Shrinking (fast-check's) removes faults from the list and moves every value toward the front
 * of its list: fewer faults, milder magnitudes, earlier starts, shorter windows. The run's seed
 * is drawn too but never shrunk, so every candidate of one shrink runs with the same randomness.
 */
import fc from 'fast-check';
import { FaultlineError } from '../core/errors.js';
import { describeExploredFault, formatScheduleTime, type ExploredFault, type ExploredSchedule } from '../core/exploration.js';
import { MAX_SEED } from '../core/rng.js';
import type { Direction } from '../core/spec.js';
import { resolveFault } from '../toxics/fault-layers.js';
import { faultClash } from '../scenario/load-faults.js';
import type { FaultSpec, ScenarioSpec } from '../scenario/spec.js';
import type { FaultChoice, FaultSpace } from './fault-space.js';

/** A fault as drawn, before it is resolved against the registry. */
interface DrawnFault {
  choice: number;
  atMs: number;
  forMs: number;
  stream: Direction;
  attributes: Record<string, number>;
}

/** The arbitrary of schedules of `spec` within `space` (at least one choice): at least one fault, every one valid. */
export function scheduleArbitrary(spec: ScenarioSpec, space: FaultSpace): fc.Arbitrary<ExploredSchedule> {
  if (space.choices.length === 0) throw new Error(`scenario "${spec.name}" has an empty fault space: check faultChoices first`);
  const fault = fc.oneof(...space.choices.map((choice, index) => drawnFault(choice, index, space)));
  // minLength 0, then filtered: fast-check can only remove a list's last item while the list may
  // become shorter than its minimum, so a minimum of 1 would keep a useless last fault.
  return fc
    .record({ seed: fc.noShrink(fc.integer({ min: 0, max: MAX_SEED })), faults: fc.array(fault, { maxLength: space.maxFaults }) })
    .map((drawn) => buildSchedule(spec, space, drawn))
    .filter((schedule): schedule is ExploredSchedule => schedule !== undefined);
}

function drawnFault(choice: FaultChoice, index: number, space: FaultSpace): fc.Arbitrary<DrawnFault> {
  const attributes = choice.kind === 'toxic' ? Object.fromEntries(choice.attributes.map((a) => [a.key, pick(a.values)])) : {};
  return fc.record({
    choice: fc.constant(index),
    atMs: pick(space.startMs),
    forMs: pick(space.durationMs),
    stream: choice.kind === 'toxic' ? pick(space.streams) : fc.constant(space.streams[0]!),
    attributes: fc.record(attributes),
  });
}

/** One of `values`, shrinking toward the first. */
function pick<T>(values: readonly T[]): fc.Arbitrary<T> {
  if (values.length === 1) return fc.constant(values[0]!);
  return fc.integer({ min: 0, max: values.length - 1 }).map((i) => values[i]!);
}

/**
 * The schedule the drawn faults make, or undefined when they do not make a valid one (no fault,
 * a toxic its own cross-checks refuse, two outages of one proxy at once). Toxic names are
 * `<type>_<stream>`, numbered `_2`, `_3`… where the scenario or the schedule already uses one on
 * that proxy or wire path. A generated wire fault matches every packet (no `protocol`, `port`).
 */
function buildSchedule(spec: ScenarioSpec, space: FaultSpace, drawn: { seed: number; faults: DrawnFault[] }): ExploredSchedule | undefined {
  if (drawn.faults.length === 0) return undefined;
  const used = new Map<string, Set<string>>();
  for (const fault of spec.faults) {
    if (fault.kind === 'toxic') for (const { proxy, toxic } of fault.toxics) namesOn(used, proxy).add(toxic.name);
  }
  const faults: ExploredFault[] = [];
  for (const d of drawn.faults) {
    const choice = space.choices[d.choice]!;
    const window = { proxy: choice.proxy, ...(choice.layer === 'wire' ? { layer: 'wire' as const } : {}), atMs: d.atMs, forMs: Math.min(d.forMs, space.timeoutMs - d.atMs) };
    if (choice.kind === 'down') {
      faults.push({ ...window, kind: 'down' });
      continue;
    }
    const names = namesOn(used, choice.proxy);
    const base = `${choice.type}_${d.stream}`;
    let name = base;
    for (let n = 2; names.has(name); n++) name = `${base}_${n}`;
    names.add(name);
    try {
      const { toxic } = resolveFault(choice.layer, { name, type: choice.type, stream: d.stream, attributes: d.attributes });
      faults.push({ ...window, kind: 'toxic', toxic });
    } catch (error) {
      if (error instanceof FaultlineError) return undefined;
      throw error;
    }
  }
  const schedule = { seed: drawn.seed, faults };
  const all = [...spec.faults, ...toFaultSpecs(spec, schedule)];
  for (let j = 1; j < all.length; j++) for (let i = 0; i < j; i++) if (faultClash(all[i]!, all[j]!)) return undefined;
  return schedule;
}

function namesOn(used: Map<string, Set<string>>, proxy: string): Set<string> {
  let names = used.get(proxy);
  if (!names) used.set(proxy, (names = new Set()));
  return names;
}

/** The schedule's faults as timeline entries, numbered after the scenario's own (`faults[k]`). */
export function toFaultSpecs(spec: ScenarioSpec, schedule: ExploredSchedule): FaultSpec[] {
  const where = spec.explore?.where ?? spec.where;
  return schedule.faults.map((fault, i) => {
    const timing = { id: `faults[${spec.faults.length + i}]`, proxies: [fault.proxy], atMs: fault.atMs, forMs: fault.forMs, where };
    return fault.kind === 'down' ? { ...timing, kind: 'down' } : { ...timing, kind: 'toxic', toxics: [{ proxy: fault.proxy, toxic: fault.toxic }] };
  });
}

/** The scenario with the schedule's faults after its own. */
export function withSchedule(spec: ScenarioSpec, schedule: ExploredSchedule): ScenarioSpec {
  return { ...spec, faults: [...spec.faults, ...toFaultSpecs(spec, schedule)] };
}

/** A stable key for a schedule (equal schedules, equal keys). */
export function scheduleKey(schedule: ExploredSchedule): string {
  return JSON.stringify(schedule);
}

/**
 * What one shrink step changed, in words. fast-check either drops faults (keeping the others as
 * they were) or changes values of one fault, so faults are matched by equality first, then by
 * position. Labels are the previous schedule's: F1, F2, …
 */
export function describeShrink(previous: ExploredSchedule, next: ExploredSchedule): string[] {
  const remaining = [...next.faults];
  const unmatched: Array<{ fault: ExploredFault; label: string }> = [];
  previous.faults.forEach((fault, i) => {
    const same = remaining.findIndex((f) => JSON.stringify(f) === JSON.stringify(fault));
    if (same >= 0) remaining.splice(same, 1);
    else unmatched.push({ fault, label: `F${i + 1}` });
  });
  const changes: string[] = [];
  for (const { fault, label } of unmatched) {
    const changed = remaining.shift();
    if (!changed) changes.push(`removed ${label} (${describeExploredFault(fault)})`);
    else changes.push(...describeChange(label, fault, changed));
  }
  return changes.length > 0 ? changes : ['no change'];
}

function describeChange(label: string, before: ExploredFault, after: ExploredFault): string[] {
  const out: string[] = [];
  if (before.atMs !== after.atMs) out.push(`${label} starts at ${formatScheduleTime(before.atMs)} → ${formatScheduleTime(after.atMs)}`);
  if (before.forMs !== after.forMs) out.push(`${label} lasts ${formatScheduleTime(before.forMs)} → ${formatScheduleTime(after.forMs)}`);
  if (before.kind === 'toxic' && after.kind === 'toxic') {
    if (before.toxic.stream !== after.toxic.stream) out.push(`${label} ${before.toxic.type} moves ${before.toxic.stream} → ${after.toxic.stream}`);
    for (const [key, value] of Object.entries(before.toxic.attributes)) {
      const now = after.toxic.attributes[key];
      if (now !== value) out.push(`${label} ${before.toxic.type} ${key} ${value} → ${now}`);
    }
  }
  return out.length > 0 ? out : [`${label} changed`];
}

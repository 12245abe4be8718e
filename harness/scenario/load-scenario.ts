/**
 * One scenario: the top-level keys (docs/scenarios.md, "Top level") and the sections, loaded in
 * dependency order so each can check its references against what was declared before it:
 *
 *   targets ──▶ proxies ──▶ workloads ──▶ faults ──▶ assert, compare, explore
 */
import { MAX_SEED } from '../core/rng.js';
import type { Field } from './load-context.js';
import { loadAssertions } from './load-assertions.js';
import { loadExplore } from './load-explore.js';
import { loadFaults } from './load-faults.js';
import { checkProxyPlaceholders, loadProxies } from './load-proxies.js';
import { loadTargets } from './load-targets.js';
import { loadWorkloads, type LoadedWorkloads } from './load-workloads.js';
import { SCENARIO_KEYS, SCENARIO_NAME, TAG } from './scenario-keys.js';
import type { ScenarioSpec } from './spec.js';

export const DEFAULT_SCENARIO_TIMEOUT_MS = 60_000;

export interface ScenarioOptions {
  /** Absolute path of the file; undefined for a scenario written in code. */
  file?: string;
  /** Its directory: relative paths in the scenario (cwd, send_file) start there. */
  dir: string;
  /** The name when the scenario has none (the file name, for a file of one scenario). */
  defaultName?: string;
}

/** Loads one scenario; `undefined` when it has problems (recorded in the field's context). */
export function loadScenario(field: Field, options: ScenarioOptions): { spec?: ScenarioSpec; nameField: Field } {
  const entries = field.map('a scenario: a map with name, targets, proxies, workloads, faults, assert');
  if (!entries) return { nameField: field };
  const before = field.ctx.problems.length;
  entries.allowOnly(SCENARIO_KEYS, 'a scenario');

  const nameField = entries.get('name');
  let name = nameField.string(SCENARIO_NAME);
  if (!nameField.present) {
    if (options.defaultName === undefined) {
      nameField.problem('missing required key "name": each scenario of a file with several needs a distinct name');
    } else if (!SCENARIO_NAME.regex.test(options.defaultName)) {
      nameField.problem(`the scenario has no name, and its file name "${options.defaultName}" is not ${SCENARIO_NAME.text}`, 'add a name: key');
    } else name = options.defaultName;
  }
  const description = entries.get('description', true).string();
  const tags = loadTags(entries.get('tags', true));
  const seed = entries.get('seed', true).integer({ min: 0, max: MAX_SEED });
  const timeoutMs = entries.get('timeout', true).duration({ above: 0 }) ?? DEFAULT_SCENARIO_TIMEOUT_MS;
  const expectField = entries.get('expect', true);
  const expect = expectField.present ? expectField.oneOf(['pass', 'fail'] as const) : 'pass';
  const unavailableField = entries.get('if_unavailable', true);
  const ifUnavailable = unavailableField.present ? unavailableField.oneOf(['error', 'skip'] as const) : 'error';

  const targets = loadTargets(entries.get('targets'), options.dir);
  const proxies = loadProxies(entries.get('proxies', true), targets);
  checkProxyPlaceholders(entries.get('targets'), targets, proxies);
  const workloads = loadWorkloads(entries.get('workloads'), { targets, proxies, timeoutMs, dir: options.dir });
  const faults = loadFaults(entries.get('faults', true), { proxies, timeoutMs });
  const assertions = loadAssertions(entries.get('assert', true), workloads);
  const compare = loadCompare(entries.get('compare', true), workloads);
  const explore = loadExplore(entries.get('explore', true), { proxies, timeoutMs });

  if (field.ctx.problems.length > before || name === undefined || !expect || !ifUnavailable) return { nameField };
  // A definition may only be left out for a reason the user is told (possibly at what it refers
  // to); a scenario that loads without problems but lost one is a loader bug, never a result.
  const faultsField = entries.get('faults', true);
  const declaredFaults = faultsField.isList ? faultsField.list()!.length : 0;
  if (
    targets.specs.length !== targets.byName.size ||
    proxies.specs.length !== proxies.byName.size ||
    workloads.specs.length !== workloads.byName.size ||
    faults.length !== declaredFaults
  ) {
    throw new Error(`internal: scenario "${name}" lost a definition without reporting a problem`);
  }
  const spec: ScenarioSpec = {
    name,
    tags: tags ?? [],
    timeoutMs,
    expect,
    where: field.where,
    targets: targets.specs,
    proxies: proxies.specs,
    workloads: workloads.specs,
    faults,
    assertions,
    ifUnavailable,
  };
  if (options.file !== undefined) spec.file = options.file;
  if (description !== undefined) spec.description = description;
  if (seed !== undefined) spec.seed = seed;
  if (compare !== undefined) spec.compare = compare;
  if (explore !== undefined) spec.explore = explore;
  return { spec, nameField };
}

function loadTags(field: Field): string[] | undefined {
  const seen = new Set<string>();
  return field.stringList('a list of tags, e.g. [loss, udp]', (tag, item) => {
    if (!TAG.regex.test(tag)) return item.problem(`expected ${TAG.text}, got ${item.describe()}`) ?? false;
    if (seen.has(tag)) return item.problem(`tag "${tag}" is listed twice`) ?? false;
    seen.add(tag);
    return true;
  });
}

function loadCompare(field: Field, workloads: LoadedWorkloads): string[] | undefined {
  const items = field.list('a list of workload names, e.g. [tcp, udp]');
  if (!items) return undefined;
  if (items.length < 2) return field.problem(`compare needs at least two workloads, got ${items.length}`);
  const names: string[] = [];
  for (const item of items) {
    const name = item.reference(workloads.byName, 'workload');
    if (name === undefined) return undefined;
    if (names.includes(name)) return item.problem(`workload "${name}" is listed twice`);
    names.push(name);
  }
  return names;
}

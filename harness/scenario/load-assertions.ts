/**
 * `assert:` — workload name → list of checks (docs/scenarios.md, "Assertions"). Each list item is
 * parsed by the assertion language (`parseChecks`); its problems come back with the map key and
 * list index they are in, which are mapped here to the YAML node. On top, a check must name a
 * metric its workload records (`jitter_ms` on a tcp-echo workload is an error, not a silent 0).
 */
import { parseChecks, type Check, type CheckProblem } from '../assert/parse.js';
import { metricInfo } from '../assert/metric-catalog.js';
import { typesRecording, workloadType } from '../workload/registry.js';
import type { Field } from './load-context.js';
import type { LoadedWorkloads } from './load-workloads.js';
import type { ScenarioAssertion } from './spec.js';

export function loadAssertions(field: Field, workloads: LoadedWorkloads): ScenarioAssertion[] {
  const entries = field.map('a map of workload name → list of checks');
  if (!entries) return [];
  const out: ScenarioAssertion[] = [];
  for (const [name, list] of entries.entries()) {
    const known = workloads.byName.has(name);
    if (!known) {
      list.keyProblem(...unknownWorkload(name, workloads));
      continue;
    }
    const type = workloads.byName.get(name)?.type;
    if (!list.isList) {
      list.problem(`expected a list of checks for workload "${name}", got ${list.describe()}`, 'write each check as a list item: - in_order');
      continue;
    }
    const items = list.list()!;
    for (const item of items) {
      for (const { check, at } of loadItem(item)) {
        const info = metricInfo(check.metric);
        if (type && info && !workloadType(type).metrics.includes(info.name)) {
          at.problem(`${type} workloads do not record ${check.metric}`, `${check.metric} is recorded by ${typesRecording(info.name).join(', ')} workloads`);
          continue;
        }
        out.push({ workload: name, check, where: at.where });
      }
    }
  }
  return out;
}

function unknownWorkload(name: string, workloads: LoadedWorkloads): [string, string] {
  const names = [...workloads.byName.keys()];
  return [`assert names workload "${name}", which is not in workloads`, names.length > 0 ? `workloads in this scenario: ${names.join(', ')}` : 'this scenario has no workloads'];
}

/** One list item → its checks, each with the field it was written in (the item or a map key). */
function loadItem(item: Field): Array<{ check: Check; at: Field }> {
  if (item.isNull) {
    item.problem('expected a check, got nothing (an empty list item)', 'e.g. - rtt_ms p(99) < 500');
    return [];
  }
  const value = item.plain();
  if (value === undefined) return []; // not convertible (recursive alias): already reported
  const { checks, problems } = parseChecks(value);
  for (const problem of problems) fieldOf(item, problem).problem(problem.message, problem.hint);
  const entries = item.isMap ? item.map() : undefined;
  return checks.map((check) => {
    const key = entries?.keys().find((k) => check.source.startsWith(`${k}:`));
    return { check, at: key === undefined ? item : entries!.get(key) };
  });
}

function fieldOf(item: Field, problem: CheckProblem): Field {
  if (problem.key === undefined || !item.isMap) return item;
  const value = item.map()!.get(problem.key);
  if (problem.index === undefined || !value.isList) return value;
  return value.list()![problem.index] ?? value;
}

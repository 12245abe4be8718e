/**
 * Holds every registered workload type to its declaration (workload/definition.ts), so that adding
 * one is its file plus its registration and nothing can be forgotten:
 *
 *  - the metrics it declares are in the assertion catalog, and every catalog metric is recorded
 *    by some type; docs/assertions.md's table marks exactly the declared metrics;
 *  - docs/workloads.md has a section for it, and the JSON Schema knows it;
 *  - its `example` runs through the real runner (loopback, builtin servers) and records only
 *    what it declares, with its declared protocol and shape.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { METRIC_CATALOG } from '../assert/metric-catalog.js';
import { runScenarioText } from './run-scenario-text.js';
import { scenarioJsonSchema } from '../scenario/schema.js';
import { WORKLOAD_DEFINITIONS, WORKLOAD_TYPES } from '../workload/registry.js';
import type { WorkloadDefinition } from '../workload/definition.js';

const doc = (name: string) => readFileSync(new URL(`../../docs/${name}`, import.meta.url), 'utf8');
const CATALOG = new Set(METRIC_CATALOG.map((m) => m.name));

describe('the workload registry', () => {
  it('names each type once, and declares only catalog metrics; every catalog metric has a recorder', () => {
    expect(new Set(WORKLOAD_TYPES).size).toBe(WORKLOAD_TYPES.length);
    for (const d of WORKLOAD_DEFINITIONS) for (const metric of d.metrics) expect(CATALOG.has(metric), `${d.type}: ${metric}`).toBe(true);
    for (const metric of CATALOG) expect(WORKLOAD_DEFINITIONS.some((d) => d.metrics.includes(metric)), metric).toBe(true);
  });

  it("docs/assertions.md's metric table marks exactly what each type declares", () => {
    const text = doc('assertions.md');
    const table = text.slice(text.indexOf('| metric | type |'), text.indexOf('Ratios and their denominators'));
    const lines = table.split('\n').filter((l) => l.startsWith('|'));
    const cells = (line: string) => line.split('|').slice(1, -1).map((c) => c.trim());
    expect(cells(lines[0]!).slice(2)).toEqual([...WORKLOAD_TYPES]);
    let rows = 0;
    for (const line of lines.filter((l) => l.startsWith('| `'))) {
      const row = cells(line);
      for (const [, name] of row[0]!.matchAll(/`([a-z_]+)/g)) {
        const marked = WORKLOAD_TYPES.filter((_, i) => row[2 + i] === '✓');
        const declared = WORKLOAD_DEFINITIONS.filter((d) => d.metrics.includes(name!)).map((d) => d.type);
        expect(marked, name).toEqual(declared);
        rows++;
      }
    }
    expect(rows).toBe(CATALOG.size);
  });

  it('has a section in docs/workloads.md and a schema per type', () => {
    const workloads = doc('workloads.md');
    const definitions = (scenarioJsonSchema() as { definitions: Record<string, unknown> }).definitions;
    for (const type of WORKLOAD_TYPES) {
      expect(workloads, type).toMatch(new RegExp(`^### .*\`${type}\``, 'm'));
      expect(definitions[`workload_${type}`], type).toBeDefined();
    }
  });
});

/** A scenario running `definition`'s example straight against the builtin server its shape needs. */
function exampleScenario(definition: WorkloadDefinition): string {
  const server = definition.shape === 'stream' ? 'sink' : 'echo';
  return JSON.stringify({
    name: `example-${definition.type}`,
    timeout: '20s',
    targets: { server: { builtin: server } },
    workloads: { example: { type: definition.type, target: 'server', ...definition.example } },
  });
}

describe('each type, run from its example', () => {
  for (const definition of WORKLOAD_DEFINITIONS) {
    it(`${definition.type} records only what it declares`, async () => {
      const result = await runScenarioText(exampleScenario(definition), { seed: 7, file: 'example.yaml', id: definition.type });
      expect(result.status, JSON.stringify(result.status === 'errored' ? result.error : result.notes)).toBe('passed');
      const [workload] = result.workloads;
      expect(workload).toMatchObject({ kind: definition.type, protocol: definition.protocol, shape: definition.shape });
      const recorded = [...new Set([...workload!.metrics.map((m) => m.name), ...Object.keys(workload!.histograms)])];
      expect(recorded.filter((name) => !definition.metrics.includes(name))).toEqual([]);
      expect(workload!.errors).toEqual([]);
    });
  }
});

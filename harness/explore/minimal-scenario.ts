/**
 * The scenario file that reproduces a finding: the original scenario as its file wrote it, with
 * the shrunk schedule added to its `faults:`, the failing run's seed pinned, `explore:` dropped,
 * and a header comment saying how it was found. `faultline run` on it fails the same way.
 *
 *   original YAML ──parse (anchors and merge keys resolved)──▶ the one scenario, as data
 *     ──▶ name `<name>-min`, seed, faults + schedule, paths re-anchored ──▶ YAML with a header
 *
 * Relative paths keep pointing where they did: a command target's `cwd` and a raw request's
 * `send_file` are relative to the scenario file, so they are rewritten relative to wherever the
 * minimal file is written.
 */
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Document, parseAllDocuments } from 'yaml';
import type { ExploredFault, ExploredSchedule } from '../core/exploration.js';
import { isJsonObject } from '../core/json-text.js';
import { SCENARIO_KEYS } from '../scenario/scenario-keys.js';
import type { ScenarioSpec } from '../scenario/spec.js';

/** A scenario loaded from a file (one written in code has no file to start a minimal one from). */
export type FileScenarioSpec = ScenarioSpec & { file: string };

export interface MinimalScenarioInput {
  spec: FileScenarioSpec;
  /** The text of the scenario's file (spec.file). */
  sourceText: string;
  schedule: ExploredSchedule;
  /** Absolute path the minimal file is written to. */
  outFile: string;
  /** Comment lines for the top of the file (how it was found). */
  header: string[];
}

type Plain = Record<string, unknown>;

/** The name the minimal scenario gets: its own, so it can run beside the original. */
export function minimalScenarioName(spec: Pick<ScenarioSpec, 'name'>): string {
  return `${spec.name}-min`;
}

export function renderMinimalScenario(input: MinimalScenarioInput): string {
  const { spec, schedule } = input;
  const original = findScenario(input.sourceText, spec);
  const fromDir = dirname(spec.file);
  const toDir = dirname(input.outFile);
  const scenario: Plain = { ...original, name: minimalScenarioName(spec), seed: schedule.seed };
  delete scenario.explore;
  scenario.faults = [...(Array.isArray(original.faults) ? original.faults : []), ...schedule.faults.map(plainFault)];
  if (isJsonObject(scenario.targets)) scenario.targets = mapValues(scenario.targets, (t) => reanchorTarget(t, fromDir, toDir));
  if (isJsonObject(scenario.workloads)) scenario.workloads = mapValues(scenario.workloads, (w) => reanchorWorkload(w, fromDir, toDir));

  // Keys in the order docs/scenarios.md lists them, whatever order the file had.
  const ordered: Plain = {};
  for (const key of SCENARIO_KEYS) if (scenario[key] !== undefined) ordered[key] = scenario[key];
  const doc = new Document(ordered);
  doc.commentBefore = [' yaml-language-server: $schema=' + schemaPath(toDir), '', ...input.header.map((line) => ` ${line}`)].join('\n');
  return doc.toString({ lineWidth: 0 });
}

/** The scenario's map in the file: the only one, or the one with its name. */
function findScenario(text: string, spec: ScenarioSpec): Plain {
  const candidates = parseAllDocuments(text, { merge: true }).flatMap((doc) => {
    const value: unknown = doc.toJS({ maxAliasCount: -1 });
    return Array.isArray(value) ? value : [value];
  });
  const maps = candidates.filter(isJsonObject);
  const found = maps.find((m) => m.name === spec.name) ?? (maps.length === 1 && maps[0]!.name === undefined ? maps[0] : undefined);
  if (!found) throw new Error(`scenario "${spec.name}" is not in ${spec.file} any more`);
  return found;
}

function plainFault(fault: ExploredFault): Plain {
  const timing = { at: `${fault.atMs}ms`, for: `${fault.forMs}ms` };
  if (fault.kind === 'down') return { proxy: fault.proxy, down: true, ...timing };
  const { name, type, stream, toxicity, attributes } = fault.toxic;
  const toxic: Plain = { ...(name === `${type}_${stream}` ? {} : { name }), type, stream, ...(toxicity === 1 ? {} : { toxicity }), attributes };
  return { proxy: fault.proxy, toxic, ...timing };
}

function reanchorTarget(target: unknown, fromDir: string, toDir: string): unknown {
  if (!isJsonObject(target) || target.command === undefined) return target;
  const cwd = typeof target.cwd === 'string' ? target.cwd : '.';
  return { ...target, cwd: relativeOrDot(toDir, resolve(fromDir, cwd)) };
}

function reanchorWorkload(workload: unknown, fromDir: string, toDir: string): unknown {
  if (!isJsonObject(workload) || !Array.isArray(workload.requests)) return workload;
  const requests = workload.requests.map((r: unknown) => (isJsonObject(r) && typeof r.send_file === 'string' ? { ...r, send_file: relativeOrDot(toDir, resolve(fromDir, r.send_file)) } : r));
  return { ...workload, requests };
}

/** The committed JSON Schema, for editors, when the file is written inside the repository. */
function schemaPath(toDir: string): string {
  return relative(toDir, fileURLToPath(new URL('../../scenarios/faultline.schema.json', import.meta.url)));
}

function relativeOrDot(from: string, to: string): string {
  return relative(from, to) || '.';
}

function mapValues(record: Plain, f: (value: unknown) => unknown): Plain {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, f(v)]));
}


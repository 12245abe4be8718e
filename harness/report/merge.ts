/**
 * Joins the results of CI shards (or of any runs) into one RunResult, from which every report is
 * then rendered as if one run had produced it:
 *
 *   shard 1/3 ─┐
 *   shard 2/3 ─┼─▶ union of scenarios by id (sorted by id) ─▶ summary recomputed ─▶ RunResult
 *   shard 3/3 ─┘    run: earliest start, span to the latest end, shard removed, seeds listed
 *
 * The same scenario in two inputs is fine when both copies are identical (a file passed twice)
 * and an error when they differ (two shards ran it: a broken split, or mixed runs). Merging is
 * order-independent: any permutation of the inputs gives the same result.
 */
import { FaultlineError, invalidInput } from '../core/errors.js';
import type { Problem } from '../core/errors.js';
import { RESULT_SCHEMA_VERSION, summarizeScenarios } from '../core/result.js';
import type { RunResult, ScenarioResult } from '../core/result.js';

/**
 * Merges run results; `sources` (same order, e.g. file paths) name the inputs in errors. Throws
 * FaultlineError INVALID_ARGUMENT for no input, INVALID_INPUT for mixed schema versions, shards of
 * different splits, or conflicting copies of a scenario (every conflict listed).
 */
export function mergeRunResults(results: readonly RunResult[], sources: readonly string[] = []): RunResult {
  const name = (i: number) => sources[i] ?? `input ${i + 1}`;
  if (results.length === 0) {
    throw new FaultlineError('INVALID_ARGUMENT', 'nothing to merge: pass at least one results.json or folder', {
      hint: 'faultline report merge shard-1/ shard-2/ --out merged/',
    });
  }
  results.forEach((r, i) => {
    if (r.schemaVersion !== RESULT_SCHEMA_VERSION) {
      throw new FaultlineError('INVALID_INPUT', `${name(i)} has results schema ${r.schemaVersion}, expected ${RESULT_SCHEMA_VERSION}; re-render it with this faultline first`, {
        where: { file: name(i), path: 'schemaVersion' },
      });
    }
  });
  const totals = new Map<number, number>();
  results.forEach((r, i) => {
    if (r.run.shard && !totals.has(r.run.shard.total)) totals.set(r.run.shard.total, i);
  });
  if (totals.size > 1) {
    const described = [...totals].map(([total, i]) => `${name(i)} is a shard of ${total}`).join(', ');
    throw new FaultlineError('INVALID_INPUT', `cannot merge shards of different splits: ${described}`, {
      hint: 'merge the shards of one run (same --shard total)',
    });
  }

  const byId = new Map<string, { scenario: ScenarioResult; input: number; canonical: string }>();
  const problems: Problem[] = [];
  results.forEach((r, i) => {
    for (const scenario of r.scenarios) {
      const canonical = canonicalJson(scenario);
      const seen = byId.get(scenario.id);
      if (!seen) {
        byId.set(scenario.id, { scenario, input: i, canonical });
        continue;
      }
      if (seen.canonical === canonical) continue;
      problems.push({
        file: name(i),
        path: `scenarios[id=${scenario.id}]`,
        message: `scenario ${JSON.stringify(scenario.id)} is also in ${name(seen.input)} with a different result (${seen.scenario.status}, seed ${seen.scenario.seed}, started ${seen.scenario.startedAt} there; ${scenario.status}, seed ${scenario.seed}, started ${scenario.startedAt} here)`,
        hint: 'each scenario must run in exactly one shard; merge the results of one run only',
      });
    }
  });
  if (problems.length > 0) throw invalidInput(problems, 'merge');

  const scenarios = [...byId.values()].map((e) => e.scenario).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const starts = results.map((r) => Date.parse(r.run.startedAt));
  const valid = starts.every(Number.isFinite);
  const start = valid ? Math.min(...starts) : NaN;
  const end = valid ? Math.max(...results.map((r, i) => starts[i]! + r.run.durationMs)) : NaN;
  const seeds = distinct(results.map((r) => r.run.seed)).sort((a, b) => a - b);
  const first = [...results].sort((a, b) => (a.run.startedAt < b.run.startedAt ? -1 : a.run.startedAt > b.run.startedAt ? 1 : 0))[0]!;

  const run: RunResult['run'] = {
    seed: seeds[0]!,
    startedAt: valid ? new Date(start).toISOString() : first.run.startedAt,
    durationMs: valid ? end - start : Math.max(...results.map((r) => r.run.durationMs)),
    command: joinDistinct(results.map((r) => withoutShardFlag(r.run.command)), ' ; '),
    node: joinDistinct(results.map((r) => r.run.node), ', '),
    os: joinDistinct(results.map((r) => r.run.os), ', '),
    cpus: Math.max(...results.map((r) => r.run.cpus)),
    backend: joinDistinct(results.map((r) => r.run.backend), ','),
    interrupted: results.some((r) => r.run.interrupted),
  };
  if (seeds.length > 1) run.seeds = seeds;
  // Explorations (faultline explore) are kept side by side, each naming its own scenario and file:
  // an identical one given twice is kept once, and the order does not depend on the inputs'.
  const explorations = [...new Map(results.flatMap((r) => r.explorations ?? []).map((e) => [JSON.stringify(e), e])).values()].sort((a, b) => {
    const key = (e: typeof a) => `${e.file}#${e.scenario}@${e.startedAt}`;
    return key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;
  });
  return {
    schemaVersion: RESULT_SCHEMA_VERSION,
    faultline: { version: joinDistinct(results.map((r) => r.faultline.version), ', ') },
    run,
    summary: summarizeScenarios(scenarios),
    scenarios,
    ...(explorations.length > 0 ? { explorations } : {}),
  };
}

/**
 * A warning when the inputs look like an incomplete set of shards (`shard 2 of 3 is missing`),
 * or undefined. Not an error: a report of the shards that did finish is still worth having.
 */
export function describeShardCoverage(results: readonly RunResult[]): string | undefined {
  const shards = results.map((r) => r.run.shard).filter((s): s is NonNullable<typeof s> => s !== undefined);
  if (shards.length === 0) return undefined;
  const total = shards[0]!.total;
  const present = new Set(shards.map((s) => s.index));
  const missing = Array.from({ length: total }, (_, i) => i + 1).filter((i) => !present.has(i));
  const notes: string[] = [];
  if (missing.length > 0) notes.push(`shard${missing.length > 1 ? 's' : ''} ${missing.join(', ')} of ${total} ${missing.length > 1 ? 'are' : 'is'} missing`);
  if (shards.length < results.length) notes.push(`${results.length - shards.length} input(s) were not shards`);
  return notes.length > 0 ? `${notes.join('; ')}: the merged report covers only what was given` : undefined;
}

/** Removes `--shard 2/3` / `--shard=2/3` from a command line, so shards' commands compare equal. */
export function withoutShardFlag(command: string): string {
  return command.replace(/\s+--shard(?:=|\s+)\S+/g, '').trim();
}

function distinct<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}

/** Distinct values, sorted (so the merge does not depend on input order), joined. */
function joinDistinct(values: readonly string[], separator: string): string {
  return distinct(values)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .join(separator);
}

/** JSON with object keys sorted, so equal scenarios compare equal whatever their key order. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

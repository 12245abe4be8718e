/**
 * `run()`: scenario files, or scenarios written in code, run as `faultline run` runs them — the
 * same loader, selection, runner and backends — resolving to the RunResult that results.json
 * holds. It throws only when nothing can run (invalid scenarios, every problem listed; a bad
 * option; a backend that does not answer); a scenario that fails, errors or times out is a result.
 *
 *   paths ──findScenarioFiles──▶ loadScenarioFiles ─┐
 *   objects ──loadScenarioValue──────────────────────┴─▶ names unique ─▶ selectScenarios ─▶ runSuite ─▶ RunResult
 */
import { resolveBackend } from '../admin/backend-choice.js';
import { systemClock } from '../core/clock.js';
import { formatDuration } from '../core/duration.js';
import { FaultlineError, formatProblem, type Problem } from '../core/errors.js';
import type { RunResult, ScenarioResult } from '../core/result.js';
import { parseShard, type Shard } from '../core/shard.js';
import { findScenarioFiles } from '../scenario/discover.js';
import { loadScenarioValue } from '../scenario/load.js';
import { loadScenarioFiles } from '../scenario/load-files.js';
import { replayCommand, runSuite } from '../scenario/run-suite.js';
import { selectScenarios } from '../scenario/select.js';
import type { ScenarioSpec } from '../scenario/spec.js';
import { checkInteger, seedOption } from './options.js';
import type { Scenario } from './scenario-types.js';

/** A scenario file or a folder of them (searched for `*.yaml`, `*.yml`), or a scenario written in code. */
export type ScenarioSource = string | Scenario;

export interface RunOptions {
  /** The run's seed (0..4294967295); each scenario derives its own from it and its name. Default: random, in `result.run.seed`. */
  seed?: number;
  /** `embedded` (default) or the URL of a server speaking the Toxiproxy API, as createFaultProxy takes it. */
  backend?: string;
  /** Only scenarios whose name matches. */
  grep?: string | RegExp;
  /** Only scenarios with one of these tags. */
  tags?: string[];
  /** This share of the scenarios: `'2/3'` or `{ index: 2, total: 3 }` (1-based). */
  shard?: string | Shard;
  /** Scenarios at the same time (embedded backend only). Default 1. */
  parallel?: number;
  /** Overrides every scenario's timeout, ms. */
  timeoutMs?: number;
  /** Stop starting scenarios after the first that does not pass. */
  bail?: boolean;
  /** Aborting it stops the run: running scenarios tear down and report `interrupted`, the rest are skipped. */
  signal?: AbortSignal;
  /** Where relative paths start, and what results' file names are relative to. Default `process.cwd()`. */
  cwd?: string;
  /** Called as each scenario finishes. */
  onScenarioEnd?(scenario: ScenarioResult): void;
}

export async function run(scenarios: ScenarioSource | readonly ScenarioSource[], options: RunOptions = {}): Promise<RunResult> {
  const cwd = options.cwd ?? process.cwd();
  const seed = seedOption(options.seed);
  const parallel = checkInteger(options.parallel ?? 1, 'parallel', 1, 1000);
  if (options.timeoutMs !== undefined && !(options.timeoutMs > 0 && Number.isFinite(options.timeoutMs))) {
    throw new FaultlineError('INVALID_ARGUMENT', `timeoutMs: expected a number of ms above 0, got ${String(options.timeoutMs)}`, { where: { path: 'timeoutMs' } });
  }
  const shard = typeof options.shard === 'string' ? parseShard(options.shard, 'shard') : options.shard;
  const backendText = options.backend ?? 'embedded';

  const sources = (Array.isArray(scenarios) ? scenarios : [scenarios]) as readonly ScenarioSource[];
  const specs = selectScenarios(
    loadAll(sources, cwd),
    { ...(options.grep === undefined ? {} : { grep: options.grep }), ...(options.tags ? { tags: options.tags } : {}), ...(shard ? { shard } : {}) },
    cwd,
    describeSources(sources),
  );
  const backend = await resolveBackend(backendText, { what: 'backend' });
  if (backend.flavor !== 'embedded' && parallel > 1) {
    throw new FaultlineError('INVALID_ARGUMENT', `parallel ${parallel} needs the embedded backend: scenarios on one shared proxy server would clash on proxy names`, {
      where: { path: 'parallel' },
    });
  }
  const sameRun = {
    ...(backend.flavor === 'embedded' ? {} : { backend: backend.url }),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  };
  return runSuite({
    specs,
    seed,
    parallel,
    ...(options.bail ? { bail: true } : {}),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    clock: systemClock,
    signal: options.signal ?? new AbortController().signal,
    ...(options.onScenarioEnd ? { observer: { onScenarioEnd: options.onScenarioEnd } } : {}),
    createBackend: backend.create,
    backendKind: backend.kind,
    command: `run() from the faultline library (seed ${seed})`,
    cwd,
    ...(shard ? { shard } : {}),
    // A file's scenario replays from the command line; one written in code, through run() again.
    replay: (spec) =>
      spec.file === undefined
        ? `run(<the scenario "${spec.name}">, ${JSON.stringify({ seed, ...sameRun })})`
        : replayCommand(spec, seed, cwd, [
            ...(sameRun.backend === undefined ? [] : ['--backend', sameRun.backend]),
            ...(sameRun.timeoutMs === undefined ? [] : ['--timeout', formatDuration(sameRun.timeoutMs)]),
          ]),
  });
}

/** Every scenario of every source, or one error with every problem of every source. */
function loadAll(sources: readonly ScenarioSource[], cwd: string): ScenarioSpec[] {
  if (sources.length === 0) throw new FaultlineError('INVALID_ARGUMENT', 'run() needs at least one scenario, file or folder');
  const paths = sources.filter((s): s is string => typeof s === 'string');
  const loaded = paths.length > 0 ? loadScenarioFiles(findScenarioFiles(paths, cwd)) : { files: [], specs: [], duplicateNames: [] };
  const failures = loaded.files.flatMap((f) => (f.error ? [f.error] : []));
  const inCode: ScenarioSpec[] = [];
  sources.forEach((source, index) => {
    if (typeof source === 'string') return;
    try {
      inCode.push(...loadScenarioValue(source, cwd));
    } catch (error) {
      if (!(error instanceof FaultlineError)) throw error;
      // Located by the scenario's place in the list when there are several.
      const at = (path?: string) => (sources.length > 1 ? `[${index}]${path ? `.${path}` : ''}` : path);
      const problems = error.problems.map((p) => withPath(p, at(p.path)));
      failures.push(new FaultlineError(error.code, error.message, { problems, ...(problems[0] ? { where: problems[0] } : {}) }));
    }
  });
  const problems: Problem[] = [...failures.flatMap((f) => (f.problems.length > 0 ? f.problems : [{ ...f.where, message: f.message }])), ...loaded.duplicateNames];
  // Files' names were checked against each other by loadScenarioFiles; in-code ones against all.
  const names = new Set(loaded.specs.map((s) => s.name));
  for (const spec of inCode) {
    if (names.has(spec.name)) problems.push({ path: 'name', message: `scenario name "${spec.name}" is used twice in this run`, hint: 'scenario names must be unique within a run' });
    names.add(spec.name);
  }
  if (problems.length === 0) return [...loaded.specs, ...inCode];
  const code = failures.find((f) => f.code === 'PARSE_ERROR')?.code ?? failures[0]?.code ?? 'INVALID_INPUT';
  const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
  throw new FaultlineError(code, `the scenarios have ${count}; first: ${formatProblem(problems[0]!)}`, { problems, where: problems[0]! });
}

function withPath(problem: Problem, path: string | undefined): Problem {
  const { path: _old, ...rest } = problem;
  return path === undefined ? rest : { ...rest, path };
}

function describeSources(sources: readonly ScenarioSource[]): string {
  return sources.map((s) => (typeof s === 'string' ? s : `the scenario "${s.name}"`)).join(', ');
}


/**
 * Runs a list of scenarios (up to `parallel` at a time) and assembles the run's RunResult.
 *
 * Seeds: the run has one seed; each scenario derives its own from it and its name (unless the
 * file fixes `seed:`), so one scenario's randomness does not depend on which others ran, in which
 * order, or on which shard. The replay command in each result re-runs that scenario alone with
 * the run's seed, and gets the same scenario seed back; it must carry what else decides how the
 * scenario runs (the backend, a timeout override: `replayCommand`'s `args`), and not the shard,
 * which only decides *whether* it runs.
 */
import { relative } from 'node:path';
import { cpus, platform, release, arch } from 'node:os';
import type { ProxyBackend } from '../core/backend.js';
import type { Clock } from '../core/clock.js';
import { createRng, MAX_SEED } from '../core/rng.js';
import { shellQuote } from '../core/shell.js';
import { RESULT_SCHEMA_VERSION, summarizeScenarios, type RunResult, type ScenarioResult } from '../core/result.js';
import type { RunObserver } from '../core/run-events.js';
import { FAULTLINE_VERSION } from '../core/version.js';
import { runScenario } from './run-scenario.js';
import type { ScenarioSpec } from './spec.js';

export interface SuiteRunOptions {
  specs: ScenarioSpec[];
  seed: number;
  /** Scenarios run at the same time. Default 1. */
  parallel?: number;
  /** Stop starting scenarios after the first one that does not pass. */
  bail?: boolean;
  /** Overrides every scenario's timeout, ms. */
  timeoutMs?: number;
  clock: Clock;
  /** Ctrl-C: running scenarios tear down and report `interrupted`; the rest are skipped. */
  signal: AbortSignal;
  observer?: RunObserver;
  createBackend(seed: number): ProxyBackend | Promise<ProxyBackend>;
  backendKind: string;
  /** The wire backend of scenarios with wire paths (ScenarioRunDeps.createWireBackend). */
  createWireBackend?(seed: number): ProxyBackend | Promise<ProxyBackend>;
  /** Packet captures of wire paths (ScenarioRunDeps.captures). */
  captures?: { outDir: string; all: boolean };
  /** Why a scenario is not run at all (a layer this machine lacks), or undefined to run it. */
  skipReason?(spec: ScenarioSpec): string | undefined;
  /** The command line as typed, for the report header. */
  command: string;
  /** Folder that file paths in ids and replay commands are relative to. */
  cwd: string;
  /**
   * How to re-run one scenario so that it reproduces this run and not another (on the embedded
   * proxy a Toxiproxy failure would not happen). Default: `replayCommand` with the run's seed.
   */
  replay?(spec: ScenarioSpec): string;
  shard?: { index: number; total: number };
}

/** The seed a scenario runs with: its own `seed:`, or one derived from the run seed and its name. */
export function scenarioSeed(runSeed: number, spec: Pick<ScenarioSpec, 'name' | 'seed'>): number {
  return spec.seed ?? createRng(runSeed).fork(`scenario:${spec.name}`).int(0, MAX_SEED);
}

/**
 * A scenario file as results show it: relative to the folder the run started in, so results from
 * CI shards on machines with different checkout paths merge and compare. Undefined for a scenario
 * written in code.
 */
export function displayFile(spec: { file: string }, cwd: string): string;
export function displayFile(spec: Pick<ScenarioSpec, 'file'>, cwd: string): string | undefined;
export function displayFile(spec: Pick<ScenarioSpec, 'file'>, cwd: string): string | undefined {
  if (spec.file === undefined) return undefined;
  const rel = relative(cwd, spec.file);
  return rel === '' || rel.startsWith('..') ? spec.file : rel;
}

/** `<relative file>#<name>` (just the name for a scenario written in code): unique in a run, stable across machines. */
export function scenarioId(spec: Pick<ScenarioSpec, 'name' | 'file'>, cwd: string): string {
  const file = displayFile(spec, cwd);
  return file === undefined ? spec.name : `${file}#${spec.name}`;
}

/**
 * The command that re-runs one scenario with the same seed (or, with `explore`, re-explores it);
 * `args` go after `--seed`: what else decides how it runs (`--backend URL`, `--timeout`,
 * `--path`). A scenario written in code has no command: its replay says to run it again with the seed.
 */
export function replayCommand(spec: Pick<ScenarioSpec, 'name' | 'file'>, runSeed: number, cwd: string, args: readonly string[] = [], command: 'run' | 'explore' = 'run'): string {
  const file = displayFile(spec, cwd);
  if (file === undefined) return `run(<the scenario "${spec.name}">, { seed: ${runSeed} })`;
  return [`npx faultline ${command} ${shellQuote(file)} ${grepExactly(spec.name)} --seed ${runSeed}`, ...args.map(shellQuote)].join(' ');
}

/** `--grep '^name$'`, quoted for a shell: selects exactly the scenario called `name`. */
function grepExactly(name: string): string {
  return `--grep ${shellQuote(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`)}`;
}

export async function runSuite(options: SuiteRunOptions): Promise<RunResult> {
  const { specs, clock } = options;
  const startedAt = new Date().toISOString();
  const start = clock.now();
  const ids = specs.map((spec) => scenarioId(spec, options.cwd));
  options.observer?.onRunStart?.({
    seed: options.seed,
    startedAt,
    command: options.command,
    scenarios: specs.map((spec, i) => ({ id: ids[i]!, name: spec.name, file: displayFile(spec, options.cwd) })),
    ...(options.shard ? { shard: options.shard } : {}),
  });

  const results: Array<ScenarioResult | undefined> = new Array(specs.length);
  let nextIndex = 0;
  let nextWorkloadId = 1;
  let bailed = false;
  const worker = async () => {
    for (;;) {
      const index = nextIndex++;
      if (index >= specs.length) return;
      const spec = specs[index]!;
      const seed = scenarioSeed(options.seed, spec);
      const replay = options.replay ? options.replay(spec) : replayCommand(spec, options.seed, options.cwd);
      const why = options.signal.aborted ? 'the run was interrupted' : bailed ? 'an earlier scenario failed (--bail)' : options.skipReason?.(spec);
      if (why !== undefined) {
        results[index] = skipped(spec, ids[index]!, seed, replay, options, why);
        continue;
      }
      const result = await runScenario(
        { spec, id: ids[index]!, ...fileOf(spec, options.cwd), seed, replay, index, total: specs.length, backendKind: options.backendKind },
        {
          clock,
          createBackend: options.createBackend,
          signal: options.signal,
          ...(options.observer ? { observer: options.observer } : {}),
          allocateWorkloadId: () => nextWorkloadId++,
          ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
          ...(options.createWireBackend ? { createWireBackend: options.createWireBackend } : {}),
          ...(options.captures ? { captures: options.captures } : {}),
        },
      );
      results[index] = result;
      if (options.bail && result.status !== 'passed') bailed = true;
    }
  };
  const workers = Math.max(1, Math.min(options.parallel ?? 1, specs.length));
  await Promise.all(Array.from({ length: workers }, worker));

  const scenarios = results.map((r) => r!);
  const result = runResult(
    {
      seed: options.seed,
      startedAt,
      durationMs: clock.now() - start,
      command: options.command,
      backend: options.backendKind,
      ...(options.shard ? { shard: options.shard } : {}),
      interrupted: options.signal.aborted,
    },
    scenarios,
  );
  await options.observer?.onRunEnd?.(result);
  return result;
}

/** A run's results.json: what ran (this machine's node, os and cpus added), its scenarios, their summary. */
export function runResult(run: Omit<RunResult['run'], 'node' | 'os' | 'cpus'>, scenarios: ScenarioResult[]): RunResult {
  const { seed, startedAt, durationMs, command, backend, shard, seeds, interrupted } = run;
  return {
    schemaVersion: RESULT_SCHEMA_VERSION,
    faultline: { version: FAULTLINE_VERSION },
    run: {
      seed,
      startedAt,
      durationMs,
      command,
      node: process.version,
      os: `${platform()} ${release()} ${arch()}`,
      cpus: cpus().length,
      backend,
      ...(shard ? { shard } : {}),
      ...(seeds ? { seeds } : {}),
      interrupted,
    },
    summary: summarizeScenarios(scenarios),
    scenarios,
  };
}

function skipped(spec: ScenarioSpec, id: string, seed: number, replay: string, options: SuiteRunOptions, why: string): ScenarioResult {
  return {
    id,
    name: spec.name,
    ...fileOf(spec, options.cwd),
    ...(spec.description ? { description: spec.description } : {}),
    tags: spec.tags,
    status: 'skipped',
    reason: why,
    expect: spec.expect,
    seed,
    backend: options.backendKind,
    startedAt: new Date().toISOString(),
    durationMs: 0,
    replay,
    workloads: [],
    faults: [],
    ledger: [],
    assertions: [],
    calibration: [],
    targets: [],
    notes: [`not run: ${why}`],
  };
}

/** `{ file }` as results show it, or nothing for a scenario written in code. */
function fileOf(spec: ScenarioSpec, cwd: string): { file?: string } {
  const file = displayFile(spec, cwd);
  return file === undefined ? {} : { file };
}

/**
 * `faultline explore PATH…`: searches each scenario's fault space for a schedule that makes its
 * assertions fail, shrinks it, and writes the minimal scenario file that reproduces it
 * (docs/explore.md). Scenarios are explored one after another; each run of a scenario is the
 * normal runner on a fresh embedded backend (and a fresh wire backend for its wire paths), up to
 * --parallel at once.
 *
 *   load (every problem: exit 2) ─▶ the wire layer, as `run` asks (exit 3, or skip)
 *   ─▶ per scenario: exploreScenario (explore/) ─▶ <name>.min.yaml
 *   ─▶ results.json + index.html (the explorations, and the run each one shows) ─▶ exit code
 *
 *   0 every budget ran out without a failure (or the scenario was skipped) · 1 a failure was
 *   found and shrunk · 2 invalid input · 3 environment (a target would not start, the wire layer
 *   is missing: not a finding) · 70 internal · 130 interrupted (the partial exploration is still written)
 */
import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { systemClock } from '../../core/clock.js';
import { errorExitCode, ExitCode, FaultlineError } from '../../core/errors.js';
import { reproduceCommand, type ScenarioExploration } from '../../core/exploration.js';
import type { RunResult, ScenarioResult } from '../../core/result.js';
import { readUserFile } from '../../core/user-file.js';
import { exploreScenario, skippedExploration, type ExploreInput } from '../../explore/explore-scenario.js';
import { faultChoices } from '../../explore/fault-space.js';
import { minimalScenarioName, renderMinimalScenario, type FileScenarioSpec } from '../../explore/minimal-scenario.js';
import { createEmbeddedProxy } from '../../proxy/embedded-proxy.js';
import { createExploreConsole } from '../../report/explore-console.js';
import { writeAtomically, writeReports } from '../../report/write-reports.js';
import { filterScenarios, findScenarioFiles } from '../../scenario/discover.js';
import { loadScenarioFiles } from '../../scenario/load-files.js';
import { displayFile, replayCommand, runResult, scenarioId, scenarioSeed } from '../../scenario/run-suite.js';
import { MAX_EXPLORE_RUNS } from '../../scenario/scenario-keys.js';
import type { ScenarioSpec } from '../../scenario/spec.js';
import { createWireBackend } from '../../wire/wire-backend.js';
import type { CliIo, Register } from '../command.js';
import { rerunInUserNamespace } from '../rootless-rerun.js';
import { checkWireLayer, wireSkipReason } from '../wire-layer.js';
import { mostSevere, parsePositiveInt, parseSeed, parseTimeout } from './run.js';
import { displayPath, runValidate } from './validate.js';

interface ExploreOptions {
  grep?: string;
  runs?: string;
  time?: string;
  seed?: string;
  path?: string;
  confirm: string;
  parallel: string;
  out: string;
}

export const DEFAULT_EXPLORE_DIR = 'reports/explore';
const DEFAULT_CONFIRM = '3';
/** What `faultline explore` writes besides the minimal files. */
const EXPLORE_REPORTERS = ['json', 'html'] as const;

export const register: Register = (program, io, wrap) => {
  program
    .command('explore')
    .description('search fault schedules for one that makes a scenario fail, and shrink it to a minimal scenario file')
    .argument('<paths...>', 'scenario files or directories (searched for *.yaml, *.yml, explore/ folders included)')
    .option('-g, --grep <regex>', 'only scenarios whose name matches')
    .option('--runs <n>', `budget: schedules to try per scenario, 1..${MAX_EXPLORE_RUNS} (default: explore.runs, or 100)`)
    .option('--time <duration>', 'budget: wall time per scenario, shrinking included, e.g. 5m (default: explore.time, or none)')
    .option('--seed <n>', 'the seed, 0..4294967295 (default: random, printed); each scenario derives its own from it')
    .option('--path <path>', "replay one exploration from fast-check's path (printed with a finding); needs --seed and one scenario")
    .option('--confirm <n>', 'a failing schedule counts only when it fails this many runs out of this many', DEFAULT_CONFIRM)
    .option('-j, --parallel <n>', 'scenario runs at the same time', '1')
    .option('-o, --out <dir>', 'folder for the minimal scenario files, results.json and index.html', DEFAULT_EXPLORE_DIR)
    .action(wrap((paths: string[], options: ExploreOptions) => runExplore(paths, options, io)));
};

export async function runExplore(paths: string[], options: ExploreOptions, io: CliIo): Promise<ExitCode> {
  const seed = parseSeed(options.seed);
  const runs = options.runs === undefined ? undefined : parsePositiveInt(options.runs, '--runs', MAX_EXPLORE_RUNS);
  const timeMs = options.time === undefined ? undefined : parseTimeout(options.time, '--time');
  const confirm = parsePositiveInt(options.confirm, '--confirm');
  const parallel = parsePositiveInt(options.parallel, '--parallel');
  if (options.path !== undefined && !/^\d+(:\d+)*$/.test(options.path)) {
    throw new FaultlineError('INVALID_ARGUMENT', `--path: expected fast-check's path, numbers separated by colons (e.g. 12:0:3), got ${JSON.stringify(options.path)}`);
  }
  if (options.path !== undefined && options.seed === undefined) {
    throw new FaultlineError('INVALID_ARGUMENT', '--path replays an exploration only with the seed it ran with', { hint: 'pass the --seed printed with the finding' });
  }

  const find = { includeExploreFolders: true };
  const loaded = loadScenarioFiles(findScenarioFiles(paths, io.cwd, find));
  if (loaded.files.some((f) => f.error) || loaded.duplicateNames.length > 0) return runValidate(paths, io, find);
  // Loaded from files, every scenario has one (only the library's run() takes scenarios in code).
  const specs = filterScenarios(loaded.specs, options.grep ? { grep: options.grep } : {}).filter((s): s is FileScenarioSpec => s.file !== undefined);
  if (specs.length === 0) throw new FaultlineError('NOT_FOUND', `no scenario matches${options.grep ? ` --grep ${options.grep}` : ''} in ${paths.join(', ')}`);
  if (options.path !== undefined && specs.length > 1) {
    throw new FaultlineError('INVALID_ARGUMENT', `--path replays one exploration, and ${specs.length} scenarios are selected (${specs.map((s) => s.name).join(', ')})`, {
      hint: "select one with --grep '^name$'",
    });
  }
  for (const spec of specs) {
    if (faultChoices(spec).length === 0) {
      throw new FaultlineError('INVALID_INPUT', `scenario "${spec.name}" has nothing to explore: faults are generated on proxies, and it has none the fault space allows`, {
        where: spec.explore?.where ?? spec.where,
        hint: 'put a proxy in front of a target and send the workloads through it',
      });
    }
  }

  const wire = checkWireLayer(specs, io.env);
  if (wire.rerun) return rerunInUserNamespace(io);

  const outDir = resolve(io.cwd, options.out);
  const progress = createExploreConsole({ stream: io.stdout, env: io.env });
  const startedAt = new Date().toISOString();
  const start = systemClock.now();
  const explorations: ScenarioExploration[] = [];
  const shown: ScenarioResult[] = [];
  let nextWorkloadId = 1;
  try {
    for (const spec of specs) {
      if (io.interrupt.aborted) break;
      const file = displayFile(spec, io.cwd);
      const explorationSeed = scenarioSeed(seed, spec);
      progress.start({ scenario: spec.name, file, seed });
      const input: ExploreInput = {
        spec,
        seed: explorationSeed,
        ...(options.path !== undefined ? { path: options.path } : {}),
        ...(runs !== undefined ? { runs } : {}),
        ...(timeMs !== undefined ? { timeMs } : {}),
        confirm,
        parallel,
        id: scenarioId(spec, io.cwd),
        file,
        replay: (path) => replayCommand(spec, seed, io.cwd, path ? ['--path', path] : [], 'explore'),
      };
      const skip = wireSkipReason(wire, spec);
      if (skip !== undefined) {
        const exploration = skippedExploration(input, skip);
        progress.finish(exploration);
        explorations.push(exploration);
        continue;
      }
      const { exploration, shown: run } = await exploreScenario(input, {
        clock: systemClock,
        createBackend: (runSeed) => createEmbeddedProxy({ seed: runSeed }),
        ...(wire.available ? { createWireBackend: (runSeed: number) => createWireBackend({ seed: runSeed }) } : {}),
        backendKind: 'embedded',
        signal: io.interrupt,
        observer: progress,
        allocateWorkloadId: () => nextWorkloadId++,
      });
      let runShown = run;
      if (exploration.minimal) {
        const outFile = join(outDir, `${spec.name}.min.yaml`);
        await writeMinimalFile(spec, exploration, outFile, io.cwd);
        exploration.minimal.file = displayPath(outFile, io.cwd);
        // A finding shows the minimal schedule's failing run, named as the minimal file names it.
        if (run && exploration.status === 'failed') {
          runShown = asMinimalRun(run, spec, exploration.minimal.file);
          exploration.minimal.scenarioId = runShown.id;
        }
      }
      progress.finish(exploration);
      explorations.push(exploration);
      if (runShown) shown.push(runShown);
    }
  } finally {
    progress.close();
  }

  const result: RunResult = {
    ...runResult(
      {
        seed,
        startedAt,
        durationMs: systemClock.now() - start,
        command: ['faultline', ...(io.argv ?? ['explore', ...paths])].join(' '),
        backend: 'embedded',
        interrupted: io.interrupt.aborted,
      },
      shown,
    ),
    explorations,
  };
  const written = await writeReports(result, { outDir, reporters: EXPLORE_REPORTERS, env: io.env });
  progress.printFiles([...explorations.flatMap((e) => (e.minimal?.file ? [e.minimal.file] : [])), ...Object.values(written.files).map((f) => displayPath(f, io.cwd))]);
  if (io.interrupt.aborted) return ExitCode.interrupted;
  return mostSevere(explorations.map(explorationExitCode));
}

/** 1 for a finding, 0 for none (or a skip), an errored exploration's error's code, 130 for an interrupt. */
export function explorationExitCode(exploration: ScenarioExploration): ExitCode {
  switch (exploration.status) {
    case 'passed':
    case 'skipped':
      return ExitCode.ok;
    case 'failed':
      return ExitCode.failed;
    case 'errored':
      return exploration.error ? errorExitCode(exploration.error.code) : ExitCode.internal;
    case 'interrupted':
      return ExitCode.interrupted;
  }
}

/** The run of the minimal schedule, named as the minimal file names it, so the report's replay re-runs that file. */
function asMinimalRun(run: ScenarioResult, spec: ScenarioSpec, file: string): ScenarioResult {
  const name = minimalScenarioName(spec);
  return { ...run, id: `${file}#${name}`, name, file, replay: reproduceCommand(file) };
}

async function writeMinimalFile(spec: FileScenarioSpec, exploration: ScenarioExploration, outFile: string, cwd: string): Promise<void> {
  const minimal = exploration.minimal!;
  const steps = exploration.shrinkPath.length - 1;
  const last = exploration.shrinkPath[exploration.shrinkPath.length - 1];
  const header = [
    `The smallest fault schedule found by \`faultline explore\` under which scenario "${spec.name}"`,
    `(${exploration.file}) fails. Generated: edit the original, not this file.`,
    '',
    `Found with fast-check seed ${exploration.seed}${minimal.path ? `, path ${minimal.path}` : ''}: ${exploration.schedulesTried} schedules searched, ${exploration.runs} scenario runs,`,
    `${steps} shrink step${steps === 1 ? '' : 's'}${exploration.shrinkComplete ? '' : ' (shrinking was stopped early: a smaller schedule may exist)'}; the last step failed ${last?.confirmation.failed ?? 0} of ${last?.confirmation.runs ?? 0} runs.`,
    minimal.schedule.faults.length === 0
      ? "No generated fault: the scenario fails as it is. `seed` is the failing run's."
      : `The schedule is the last ${minimal.schedule.faults.length} fault${minimal.schedule.faults.length === 1 ? '' : 's'} below; \`seed\` is the failing run's.`,
    '',
    `Reproduce: ${reproduceCommand(displayPath(outFile, cwd))}`,
    `Replay the exploration: ${exploration.replay}`,
  ];
  const text = renderMinimalScenario({ spec, sourceText: readUserFile(spec.file, 'scenario file'), schedule: minimal.schedule, outFile, header });
  try {
    await mkdir(dirname(outFile), { recursive: true });
    await writeAtomically(outFile, text);
  } catch (error) {
    throw new FaultlineError('ENVIRONMENT', `cannot write ${outFile}: ${(error as Error).message}`, { hint: 'choose another folder with --out' });
  }
}


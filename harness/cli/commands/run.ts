/**
 * `faultline run [paths...]`: the product's main job. Loads and validates every scenario first
 * (any problem: exit 2 before anything starts), selects by --grep/--tag/--shard, runs them on
 * the chosen backend, writes the reports, and exits with the run's verdict:
 *
 *   0 all passed · 1 an assertion failed (or a scenario timed out) · 2 invalid input ·
 *   3 environment (a target would not start…) · 70 internal · 130 interrupted
 *
 * When several scenarios went wrong in different ways the most severe code wins, in the order
 * 130 > 70 > 3 > 2 > 1: an environment problem hides nothing worse than a failed assertion.
 */
import { resolve } from 'node:path';
import { errorExitCode, ExitCode, FaultlineError } from '../../core/errors.js';
import { systemClock } from '../../core/clock.js';
import { MAX_SEED, randomSeed } from '../../core/rng.js';
import type { RunResult } from '../../core/result.js';
import { parseDuration, DURATION_FORMAT } from '../../core/duration.js';
import { parseBackend, resolveBackend } from '../../admin/backend-choice.js';
import { createConsoleReporter } from '../../report/console.js';
import { combineReporters, DEFAULT_REPORTER_LIST, parseReporterList, REPORTER_NAMES } from '../../report/reporter.js';
import { parseShard } from '../../core/shard.js';
import { writeReports } from '../../report/write-reports.js';
import { findScenarioFiles } from '../../scenario/discover.js';
import { loadScenarioFiles } from '../../scenario/load-files.js';
import { replayCommand, runSuite } from '../../scenario/run-suite.js';
import { selectScenarios } from '../../scenario/select.js';
import { createWireBackend } from '../../wire/wire-backend.js';
import type { CliIo, Register } from '../command.js';
import { rerunInUserNamespace } from '../rootless-rerun.js';
import { checkWireLayer, wireSkipReason } from '../wire-layer.js';
import { DEFAULT_REPORT_DIR } from './report.js';
import { DEFAULT_SCENARIO_PATHS, runValidate, displayPath } from './validate.js';

interface RunOptions {
  grep?: string;
  tag?: string[];
  seed?: string;
  parallel: string;
  timeout?: string;
  bail?: boolean;
  shard?: string;
  reporter: string;
  out: string;
  backend: string;
  capture?: boolean;
}

export const register: Register = (program, io, wrap) => {
  program
    .command('run')
    .description('run scenarios: start targets, put fault proxies in front, drive workloads, apply faults, assert, report')
    .argument('[paths...]', 'scenario files or directories (searched for *.yaml, *.yml)', DEFAULT_SCENARIO_PATHS)
    .option('-g, --grep <regex>', 'only scenarios whose name matches')
    .option('-t, --tag <tag>', 'only scenarios with one of these tags (repeat, or separate with commas)', collect, [])
    .option('--seed <n>', `the run's seed, 0..${MAX_SEED} (default: random, printed)`)
    .option('-j, --parallel <n>', 'scenarios to run at the same time', '1')
    .option('--timeout <duration>', "override every scenario's timeout, e.g. 30s")
    .option('--bail', 'stop starting scenarios after the first that does not pass')
    .option('--shard <i/n>', 'run the i-th of n deterministic shares of the scenarios (CI sharding)')
    .option('--reporter <list>', `comma-separated: ${REPORTER_NAMES.join(', ')}`, DEFAULT_REPORTER_LIST)
    .option('-o, --out <dir>', 'folder for results.json and the reports', DEFAULT_REPORT_DIR)
    .option('--backend <backend>', '`embedded` (in-process proxy) or the URL of a server speaking the Toxiproxy API', 'embedded')
    .option('--capture', 'wire paths: write every packet as pcap into <out>/captures/ (by default only a scenario that does not pass keeps its recent packets)')
    .action(wrap((paths: string[], options: RunOptions) => runRun(paths, options, io)));
};

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export async function runRun(paths: string[], options: RunOptions, io: CliIo): Promise<ExitCode> {
  const seed = parseSeed(options.seed);
  const parallel = parsePositiveInt(options.parallel, '--parallel');
  const timeoutMs = options.timeout === undefined ? undefined : parseTimeout(options.timeout);
  const reporters = parseReporterList(options.reporter);
  const shard = options.shard === undefined ? undefined : parseShard(options.shard);
  if (parseBackend(options.backend) !== 'embedded' && parallel > 1) {
    throw new FaultlineError('INVALID_ARGUMENT', `--parallel ${parallel} needs the embedded backend: scenarios on one shared proxy server would clash on proxy names`, {
      hint: 'drop --parallel, or use --backend embedded',
    });
  }

  const loaded = loadScenarioFiles(findScenarioFiles(paths, io.cwd));
  if (loaded.files.some((f) => f.error) || loaded.duplicateNames.length > 0) {
    // Same output as `faultline validate`: every problem in every file, then exit 2.
    return runValidate(paths, io);
  }
  // `--tag a,b` is `--tag a --tag b`, as in `faultline list` (tags cannot contain commas).
  const tags = (options.tag ?? []).flatMap((t) => t.split(',')).filter(Boolean);
  const specs = selectScenarios(loaded.specs, { ...(options.grep ? { grep: options.grep } : {}), tags, ...(shard ? { shard } : {}) }, io.cwd, paths.join(', '));

  const wire = checkWireLayer(specs, io.env);
  if (wire.rerun) return rerunInUserNamespace(io);
  const backend = await resolveBackend(options.backend);
  const consoleReporter = reporters.includes('console') ? createConsoleReporter({ stream: io.stdout, env: io.env }) : undefined;
  if (!consoleReporter) io.stderr.write(`faultline: seed ${seed}, ${specs.length} scenario${specs.length === 1 ? '' : 's'}, backend ${backend.kind}\n`);
  let result: RunResult;
  try {
    result = await runSuite({
      specs,
      seed,
      parallel,
      ...(options.bail ? { bail: true } : {}),
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
      clock: systemClock,
      signal: io.interrupt,
      ...(consoleReporter
        ? {
            observer: combineReporters([{ name: 'console', reporter: consoleReporter }], (name, hook, error) =>
              io.stderr.write(`faultline: the ${name} reporter failed in ${hook} and is switched off; the run goes on: ${(error as Error).stack ?? String(error)}\n`),
            ),
          }
        : {}),
      createBackend: backend.create,
      backendKind: backend.kind,
      ...(wire.available ? { createWireBackend: (scenarioSeed: number) => createWireBackend({ seed: scenarioSeed }) } : {}),
      captures: { outDir: resolve(io.cwd, options.out), all: options.capture === true },
      skipReason: (spec) => wireSkipReason(wire, spec),
      command: ['faultline', ...(io.argv ?? ['run', ...paths])].join(' '),
      cwd: io.cwd,
      // What decides how a scenario runs goes into its replay command; the shard only decides whether.
      replay: (spec) => replayCommand(spec, seed, io.cwd, [...(backend.flavor === 'embedded' ? [] : ['--backend', backend.url]), ...(options.timeout === undefined ? [] : ['--timeout', options.timeout])]),
      ...(shard ? { shard: { index: shard.index, total: shard.total } } : {}),
    });
  } finally {
    consoleReporter?.close();
  }

  const written = await writeReports(result, { outDir: resolve(io.cwd, options.out), reporters, env: io.env });
  const files = Object.fromEntries(Object.entries(written.files).map(([k, v]) => [k, displayPath(v, io.cwd)]));
  if (consoleReporter) consoleReporter.printSummary(result, files);
  else if (Object.keys(files).length > 0) io.stderr.write(`reports: ${Object.values(files).join(', ')}\n`);
  return runExitCode(result);
}

/** The run's exit code: the most severe of its scenarios' outcomes (see the header comment). */
export function runExitCode(result: RunResult): ExitCode {
  if (result.run.interrupted || result.summary.interrupted > 0) return ExitCode.interrupted;
  return mostSevere(
    result.scenarios.map((scenario) => {
      if (scenario.status === 'failed') return ExitCode.failed;
      if (scenario.status === 'errored') return errorExitCode(scenario.error.code);
      return ExitCode.ok;
    }),
  );
}

/** The most severe of several exit codes: 130 > 70 > 3 > 2 > 1 > 0 (docs/decisions.md #15). */
export function mostSevere(codes: readonly ExitCode[]): ExitCode {
  const rank = (c: ExitCode) => [ExitCode.ok, ExitCode.failed, ExitCode.invalidInput, ExitCode.environment, ExitCode.internal, ExitCode.interrupted].indexOf(c as never);
  return codes.reduce<ExitCode>((worst, c) => (rank(c) > rank(worst) ? c : worst), ExitCode.ok);
}

export function parseSeed(text: string | undefined): number {
  if (text === undefined) return randomSeed();
  const seed = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(seed) || seed > MAX_SEED) {
    throw new FaultlineError('INVALID_ARGUMENT', `--seed: expected an integer from 0 to ${MAX_SEED}, got ${JSON.stringify(text)}`);
  }
  return seed;
}

export function parsePositiveInt(text: string, flag: string, max = 1000): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > max) throw new FaultlineError('INVALID_ARGUMENT', `${flag}: expected an integer from 1 to ${max}, got ${JSON.stringify(text)}`);
  return n;
}

export function parseTimeout(text: string, flag = '--timeout'): number {
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0) throw new FaultlineError('INVALID_ARGUMENT', `${flag}: expected ${DURATION_FORMAT}, got ${JSON.stringify(text)}`);
  return ms;
}

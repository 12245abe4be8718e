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
import { ExitCode, ERROR_CATALOG, FaultlineError, type ErrorCode } from '../../core/errors.js';
import { systemClock } from '../../core/clock.js';
import { MAX_SEED, randomSeed } from '../../core/rng.js';
import type { RunResult } from '../../core/result.js';
import { parseDuration, DURATION_FORMAT } from '../../core/duration.js';
import { createEmbeddedProxy } from '../../proxy/embedded-proxy.js';
import { createHttpBackend, probeAdminApi } from '../../admin/http-backend.js';
import { createConsoleReporter } from '../../report/console.js';
import { combineReporters, DEFAULT_REPORTER_LIST, parseReporterList, REPORTER_NAMES } from '../../report/reporter.js';
import { parseShard, selectShard } from '../../report/shard.js';
import { writeReports } from '../../report/write-reports.js';
import { filterScenarios, findScenarioFiles } from '../../scenario/discover.js';
import { loadScenarioFiles } from '../../scenario/load-files.js';
import { runSuite, scenarioId } from '../../scenario/run-suite.js';
import type { ScenarioSpec } from '../../scenario/spec.js';
import type { ProxyBackend } from '../../core/backend.js';
import { probeWire } from '../../wire/probe.js';
import { createWireBackend } from '../../wire/wire-backend.js';
import type { CliIo, Register } from '../command.js';
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
  const backendChoice = parseBackend(options.backend);
  if (backendChoice !== 'embedded' && parallel > 1) {
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
  let specs = filterScenarios(loaded.specs, { ...(options.grep ? { grep: options.grep } : {}), tags });
  if (specs.length === 0) {
    throw new FaultlineError('NOT_FOUND', `no scenario matches${options.grep ? ` --grep ${options.grep}` : ''}${tags.length ? ` --tag ${tags.join(',')}` : ''} in ${paths.join(', ')}`, {
      hint: 'see `faultline list` for the scenarios and their tags',
    });
  }
  if (shard) {
    const withIds = specs.map((spec) => ({ id: scenarioId(spec, io.cwd), spec }));
    specs = selectShard(withIds, shard.index, shard.total).map((s) => s.spec);
  }

  const wire = checkWireLayer(specs, io.env);
  const backend = await resolveBackend(backendChoice);
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
      skipReason: (spec) => (usesWire(spec) ? wire.skip : undefined),
      command: ['faultline', ...(io.argv ?? ['run', ...paths])].join(' '),
      cwd: io.cwd,
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

function usesWire(spec: ScenarioSpec): boolean {
  return spec.proxies.some((p) => p.layer === 'wire');
}

/**
 * Whether this machine has the wire layer, asked once and only when a selected scenario needs it.
 * Where it has not, scenarios that say `if_unavailable: skip` are skipped with the reason (unless
 * FAULTLINE_WIRE=required, as in CI); any other stops the run before anything starts (exit 3).
 */
function checkWireLayer(specs: readonly ScenarioSpec[], env: NodeJS.ProcessEnv): { available: boolean; skip?: string } {
  const needing = specs.filter(usesWire);
  if (needing.length === 0) return { available: false };
  const support = probeWire();
  if (support.available) return { available: true };
  const missing = support.missing.join('; ');
  const required = env.FAULTLINE_WIRE === 'required';
  const refusing = needing.filter((spec) => required || spec.ifUnavailable === 'error');
  if (refusing.length > 0) {
    throw new FaultlineError('ENVIRONMENT', `${describeNames(refusing)} ${refusing.length === 1 ? 'needs' : 'need'} the wire layer, which is unavailable here: ${missing}`, {
      hint: required ? 'FAULTLINE_WIRE=required forbids skipping wire scenarios' : 'faultline doctor says what this machine supports; `if_unavailable: skip` in a scenario skips it instead',
    });
  }
  return { available: false, skip: `the wire layer is unavailable here: ${support.missing[0]}` };
}

function describeNames(specs: readonly ScenarioSpec[]): string {
  const names = specs.map((s) => `"${s.name}"`);
  return `scenario${names.length === 1 ? '' : 's'} ${names.length > 3 ? `${names.slice(0, 3).join(', ')} and ${names.length - 3} more` : names.join(', ')}`;
}

/** The run's exit code: the most severe of its scenarios' outcomes (see the header comment). */
export function runExitCode(result: RunResult): ExitCode {
  if (result.run.interrupted || result.summary.interrupted > 0) return ExitCode.interrupted;
  let code: ExitCode = ExitCode.ok;
  const rank = (c: ExitCode) => [ExitCode.ok, ExitCode.failed, ExitCode.invalidInput, ExitCode.environment, ExitCode.internal].indexOf(c as never);
  for (const scenario of result.scenarios) {
    let scenarioCode: ExitCode = ExitCode.ok;
    if (scenario.status === 'failed') scenarioCode = ExitCode.failed;
    if (scenario.status === 'errored') {
      const errorCode = scenario.error?.code;
      scenarioCode = errorCode && errorCode !== 'INTERNAL' ? ERROR_CATALOG[errorCode as ErrorCode].exit : ExitCode.internal;
    }
    if (rank(scenarioCode) > rank(code)) code = scenarioCode;
  }
  return code;
}

interface BackendChoice {
  kind: string;
  create(seed: number): ProxyBackend;
}

/** `embedded`, or the URL of an admin API server. */
function parseBackend(text: string): 'embedded' | URL {
  if (text === 'embedded') return text;
  if (/^https?:\/\//.test(text) && URL.canParse(text)) return new URL(text);
  throw new FaultlineError('INVALID_ARGUMENT', `--backend: expected "embedded" or an http(s):// URL of a Toxiproxy-API server, got ${JSON.stringify(text)}`);
}

/**
 * A server is asked what it is once, before any scenario starts: one that does not answer stops
 * the run here (UNREACHABLE, exit 3), and a real Toxiproxy is told apart from a `faultline proxy`
 * by the request-id header only faultline sends, so that its scenarios are held to what it can
 * do (TCP only, no ledger) instead of failing on a proxy it would silently create as TCP.
 */
async function resolveBackend(choice: 'embedded' | URL): Promise<BackendChoice> {
  if (choice === 'embedded') return { kind: 'embedded', create: (seed) => createEmbeddedProxy({ seed }) };
  const url = choice.href.replace(/\/+$/, '');
  const { flavor } = await probeAdminApi(url);
  // A shared server: each scenario creates its proxies there and deletes them at its end.
  return { kind: `${flavor === 'toxiproxy' ? 'toxiproxy' : 'http'} ${url}`, create: () => createHttpBackend({ url, flavor }) };
}

function parseSeed(text: string | undefined): number {
  if (text === undefined) return randomSeed();
  const seed = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(seed) || seed > MAX_SEED) {
    throw new FaultlineError('INVALID_ARGUMENT', `--seed: expected an integer from 0 to ${MAX_SEED}, got ${JSON.stringify(text)}`);
  }
  return seed;
}

function parsePositiveInt(text: string, flag: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > 1000) throw new FaultlineError('INVALID_ARGUMENT', `${flag}: expected an integer from 1 to 1000, got ${JSON.stringify(text)}`);
  return n;
}

function parseTimeout(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0) throw new FaultlineError('INVALID_ARGUMENT', `--timeout: expected ${DURATION_FORMAT}, got ${JSON.stringify(text)}`);
  return ms;
}

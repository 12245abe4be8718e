/**
 * `faultline report render <results.json> --out DIR [--reporter …]`: re-renders the reports of a
 * saved run (new faultline, other formats, another folder).
 * `faultline report merge <dirs or files…> --out DIR [--reporter …]`: joins CI shards' results
 * into one set of reports.
 *
 * Inputs are results.json files or folders holding one (a folder without one is searched one
 * level down, as CI artifact downloads lay shards out: `all/shard-1/results.json`, …). Missing or
 * corrupt inputs exit 2 with the file and the problem; an output folder that cannot be written
 * exits 3. Both exit 0 once the reports are written, whatever the scenarios' verdicts: gating on
 * failures is the job of each `faultline run`.
 */
import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ExitCode, FaultlineError } from '../../core/errors.js';
import type { RunResult } from '../../core/result.js';
import { createConsoleReporter } from '../../report/console.js';
import { readRunResult, RESULTS_FILE } from '../../report/json.js';
import { describeShardCoverage, mergeRunResults } from '../../report/merge.js';
import { DEFAULT_REPORTER_LIST, parseReporterList, REPORTER_NAMES } from '../../report/reporter.js';
import { writeReports } from '../../report/write-reports.js';
import type { CliIo, Register } from '../command.js';
import { displayPath } from './validate.js';

/** Default output folder, relative to the working directory. */
export const DEFAULT_REPORT_DIR = 'reports';

interface ReportOptions {
  out: string;
  reporter: string;
}

export const register: Register = (program, io, wrap) => {
  const report = program.command('report').description('render or merge saved run results (results.json) into reports');
  const reporterHelp = `comma-separated: ${REPORTER_NAMES.join(', ')}`;
  report
    .command('render')
    .description('render reports from a saved results.json')
    .argument('<results>', `a ${RESULTS_FILE} file, or the folder that holds it`)
    .option('-o, --out <dir>', 'folder to write the reports into', DEFAULT_REPORT_DIR)
    .option('--reporter <list>', reporterHelp, DEFAULT_REPORTER_LIST)
    .action(wrap((input: string, options: ReportOptions) => runReportRender(input, options, io)));
  report
    .command('merge')
    .description('merge the results of CI shards (or several runs) into one set of reports')
    .argument('<inputs...>', `${RESULTS_FILE} files, or folders holding one (or holding shard folders that do)`)
    .option('-o, --out <dir>', 'folder to write the merged reports into', DEFAULT_REPORT_DIR)
    .option('--reporter <list>', reporterHelp, DEFAULT_REPORTER_LIST)
    .action(wrap((inputs: string[], options: ReportOptions) => runReportMerge(inputs, options, io)));
};

export async function runReportRender(input: string, options: ReportOptions, io: CliIo): Promise<ExitCode> {
  const reporters = parseReporterList(options.reporter);
  const result = await readRunResult(resolve(io.cwd, input));
  await emit(result, reporters, options, io);
  return ExitCode.ok;
}

export async function runReportMerge(inputs: string[], options: ReportOptions, io: CliIo): Promise<ExitCode> {
  const reporters = parseReporterList(options.reporter);
  const files = (await Promise.all(inputs.map((input) => resultFilesIn(resolve(io.cwd, input), input)))).flat();
  const results = await Promise.all(files.map((file) => readRunResult(file)));
  const shown = files.map((f) => displayPath(f, io.cwd));
  const merged = mergeRunResults(results, shown);
  const coverage = describeShardCoverage(results);
  if (coverage) io.stderr.write(`faultline: warning: ${coverage}\n`);
  io.stderr.write(`faultline: merged ${results.length} result file${results.length === 1 ? '' : 's'}: ${shown.join(', ')}\n`);
  await emit(merged, reporters, options, io);
  return ExitCode.ok;
}

async function emit(result: RunResult, reporters: ReturnType<typeof parseReporterList>, options: ReportOptions, io: CliIo): Promise<void> {
  const written = await writeReports(result, { outDir: resolve(io.cwd, options.out), reporters, env: io.env });
  const files = Object.fromEntries(Object.entries(written.files).map(([k, v]) => [k, displayPath(v, io.cwd)]));
  if (reporters.includes('console')) {
    const console = createConsoleReporter({ stream: io.stdout, env: io.env, redrawIntervalMs: 0 });
    console.printSummary(result, files);
  } else {
    const list = Object.values(files);
    if (list.length > 0) io.stdout.write(`reports: ${list.join(', ')}\n`);
  }
  if (written.stepSummary) io.stderr.write(`faultline: appended the summary to ${written.stepSummary}\n`);
}

/**
 * The results files an input names: the file itself; `<dir>/results.json`; else every
 * `<dir>/<sub>/results.json` one level down, sorted. NOT_FOUND when there is none.
 */
export async function resultFilesIn(path: string, asTyped: string): Promise<string[]> {
  let info;
  try {
    info = await stat(path);
  } catch {
    throw new FaultlineError('NOT_FOUND', `no such file or folder: ${asTyped}`, {
      where: { file: asTyped },
      hint: `pass ${RESULTS_FILE} files written by \`faultline run\`, or the folders that hold them`,
    });
  }
  if (!info.isDirectory()) return [path];
  const direct = join(path, RESULTS_FILE);
  if (await isFile(direct)) return [direct];
  const entries = await readdir(path, { withFileTypes: true });
  const nested: string[] = [];
  for (const entry of entries.filter((e) => e.isDirectory()).map((e) => e.name).sort()) {
    const candidate = join(path, entry, RESULTS_FILE);
    if (await isFile(candidate)) nested.push(candidate);
  }
  if (nested.length === 0) {
    throw new FaultlineError('NOT_FOUND', `no ${RESULTS_FILE} in ${asTyped} or in its subfolders`, {
      where: { file: asTyped },
      hint: 'did the shard jobs upload their reports folder?',
    });
  }
  return nested;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/**
 * Reports from a RunResult — the one `run()` returned, or results.json read back — rendered as
 * `faultline run` and `faultline report render` write them. Pure functions of the result: nothing
 * is measured again.
 */
import { FaultlineError } from '../core/errors.js';
import type { RunResult } from '../core/result.js';
import { renderConsoleSummary } from '../report/console.js';
import { readRunResult } from '../report/json.js';
import { mergeRunResults } from '../report/merge.js';
import { REPORT_FILES, type FileReporterName } from '../report/reporter.js';
import { renderReport as renderFileReport, writeReports as writeReportFiles } from '../report/write-reports.js';

/** `json` (results.json), `junit` (junit.xml), `html` (index.html, self-contained), `markdown` (summary.md). */
export type ReportFormat = FileReporterName;
const FORMATS = Object.keys(REPORT_FILES) as ReportFormat[];

/** One report as text; `console` is the summary `faultline run` prints at the end (no colour). */
export function renderReport(result: RunResult, format: ReportFormat | 'console'): string {
  if (format === 'console') return renderConsoleSummary(result);
  return renderFileReport(result, checkFormat(format));
}

export interface WriteReportsOptions {
  /** The folder; created when missing. */
  dir: string;
  /** Default `['json', 'junit', 'html']`, as `faultline run` writes. */
  formats?: ReportFormat[];
}

/**
 * Writes the reports into `dir` (each file whole or not at all) and resolves to their paths by
 * format. Unlike `faultline run`, it never appends to `$GITHUB_STEP_SUMMARY`: a library does not
 * write where it was not asked to.
 */
export async function writeReports(result: RunResult, options: WriteReportsOptions): Promise<Partial<Record<ReportFormat, string>>> {
  const formats = (options.formats ?? ['json', 'junit', 'html']).map(checkFormat);
  return (await writeReportFiles(result, { outDir: options.dir, reporters: formats, env: {} })).files;
}

/** Reads a results.json (or the folder holding one), upgrading older schemas; FaultlineError when it is not one. */
export function readResults(path: string): Promise<RunResult> {
  return readRunResult(path);
}

/** Joins the results of CI shards (or separate runs) into one, as `faultline report merge` does. */
export function mergeResults(results: readonly RunResult[]): RunResult {
  return mergeRunResults(results);
}

function checkFormat(format: string): ReportFormat {
  if ((FORMATS as string[]).includes(format)) return format as ReportFormat;
  throw new FaultlineError('INVALID_ARGUMENT', `unknown report format ${JSON.stringify(format)}; expected one of ${FORMATS.join(', ')}`);
}

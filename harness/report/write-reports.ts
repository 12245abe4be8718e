/**
 * Writes the chosen file reports of a run into one folder:
 *
 *   RunResult ─┬─▶ renderJson     ─▶ results.json
 *              ├─▶ renderJunit    ─▶ junit.xml
 *              ├─▶ renderHtml     ─▶ index.html
 *              └─▶ renderMarkdown ─▶ summary.md  (+ appended to $GITHUB_STEP_SUMMARY when set)
 *
 * Each file is written to a temporary name and renamed, so a CI job that uploads the folder after
 * a crash or a second Ctrl-C never finds half a file. `console` is not a file reporter and is
 * ignored here (see console.ts).
 */
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FaultlineError } from '../core/errors.js';
import type { RunResult } from '../core/result.js';
import { renderHtml } from './html.js';
import type { HtmlOptions } from './html.js';
import { renderJson } from './json.js';
import { renderJunit } from './junit.js';
import { appendStepSummary, renderMarkdown } from './markdown.js';
import { fileReporters, REPORT_FILES } from './reporter.js';
import type { FileReporterName, ReporterName } from './reporter.js';

export interface WriteReportsOptions {
  /** Created when missing (with parents). */
  outDir: string;
  reporters: readonly ReporterName[];
  /** The process environment, passed in: `GITHUB_STEP_SUMMARY` is read from here. */
  env?: Readonly<Record<string, string | undefined>>;
  html?: HtmlOptions;
}

export interface WrittenReports {
  /** Reporter name → path of the file written, in REPORT_FILES order. */
  files: Partial<Record<FileReporterName, string>>;
  /** The GitHub step summary file appended to, when there was one. */
  stepSummary?: string;
}

const RENDER: Record<FileReporterName, (result: RunResult, options: Pick<WriteReportsOptions, 'html'>) => string> = {
  json: (result) => renderJson(result),
  junit: (result) => renderJunit(result, { htmlReport: REPORT_FILES.html }),
  html: (result, options) => renderHtml(result, options.html),
  markdown: (result) => renderMarkdown(result, { htmlReport: REPORT_FILES.html }),
};

/** Renders one file report of a run, exactly as writeReports writes it. */
export function renderReport(result: RunResult, name: FileReporterName, options: Pick<WriteReportsOptions, 'html'> = {}): string {
  return RENDER[name](result, options);
}

/**
 * Renders and writes every file reporter in `options.reporters`; returns what was written. Each
 * is isolated: one that fails (a renderer's bug, a file that cannot be written) does not stop the
 * others, and the first failure is thrown once they are all done.
 */
export async function writeReports(result: RunResult, options: WriteReportsOptions): Promise<WrittenReports> {
  try {
    await mkdir(options.outDir, { recursive: true });
  } catch (error) {
    throw cannotWrite(options.outDir, error);
  }
  const written: WrittenReports = { files: {} };
  const failures: unknown[] = [];
  for (const name of fileReporters(options.reporters)) {
    try {
      await writeOne(name, result, options, written);
    } catch (error) {
      failures.push(error);
    }
  }
  if (failures.length > 0) throw failures[0];
  return written;
}

async function writeOne(name: FileReporterName, result: RunResult, options: WriteReportsOptions, written: WrittenReports): Promise<void> {
  let text: string;
  try {
    text = RENDER[name](result, options);
  } catch (error) {
    throw new Error(`the ${name} reporter failed to render the run: ${(error as Error).message}`, { cause: error });
  }
  const path = join(options.outDir, REPORT_FILES[name]);
  await writeAtomically(path, text).catch((error: unknown) => {
    throw cannotWrite(path, error);
  });
  written.files[name] = path;
  if (name === 'markdown') {
    const summary = await appendStepSummary(text, options.env ?? {}).catch((error: unknown) => {
      throw cannotWrite(options.env?.GITHUB_STEP_SUMMARY ?? 'GITHUB_STEP_SUMMARY', error);
    });
    if (summary) written.stepSummary = summary;
  }
}

function cannotWrite(path: string, error: unknown): FaultlineError {
  return new FaultlineError('ENVIRONMENT', `cannot write reports to ${path}: ${(error as Error).message}`, {
    where: { file: path },
    hint: 'choose another folder with --out',
    cause: error,
  });
}

/** Writes `text` to a temporary name and renames it, so no reader ever finds half a file. */
export async function writeAtomically(path: string, text: string): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(temporary, text, 'utf8');
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

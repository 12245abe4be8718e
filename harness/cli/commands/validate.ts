/**
 * `faultline validate [paths...]`: loads scenario files without running anything and prints, per
 * file, `ok  <file> (N scenarios)` or every problem as `file:line:col: path: message (hint: …)`,
 * across all files at once. Exit 0 when everything is valid, 2 otherwise.
 */
import { ExitCode, formatProblem, type Problem } from '../../core/errors.js';
import { findScenarioFiles, type FindOptions } from '../../scenario/discover.js';
import { loadScenarioFiles, type LoadedFile } from '../../scenario/load-files.js';
import { displayFile } from '../../scenario/run-suite.js';
import type { CliIo, Register } from '../command.js';

export const DEFAULT_SCENARIO_PATHS = ['scenarios/'];

export const register: Register = (program, io, wrap) => {
  program
    .command('validate')
    .description('check scenario files without running them: every problem, with file:line:column')
    .argument('[paths...]', 'scenario files or directories (searched for *.yaml, *.yml)', DEFAULT_SCENARIO_PATHS)
    .action(wrap((paths: string[]) => runValidate(paths, io)));
};

/** Validates the files `paths` name (found with `find`, as the command that falls back on this found them). */
export async function runValidate(paths: string[], io: CliIo, find: FindOptions = {}): Promise<ExitCode> {
  const loaded = loadScenarioFiles(findScenarioFiles(paths, io.cwd, find));
  let problems = 0;
  for (const file of loaded.files) {
    const lines = problemLines(file, io.cwd);
    if (lines.length === 0) {
      const n = file.specs?.length ?? 0;
      io.stdout.write(`ok  ${displayPath(file.file, io.cwd)} (${n} ${n === 1 ? 'scenario' : 'scenarios'})\n`);
    }
    for (const line of lines) io.stdout.write(`${line}\n`);
    problems += lines.length;
  }
  for (const problem of loaded.duplicateNames) io.stdout.write(`${formatRelative(problem, io.cwd)}\n`);
  problems += loaded.duplicateNames.length;
  if (problems === 0) return ExitCode.ok;
  const withProblems = new Set([...loaded.files.filter((f) => f.error).map((f) => f.file), ...loaded.duplicateNames.map((p) => p.file)]).size;
  io.stderr.write(`faultline: ${problems} ${problems === 1 ? 'problem' : 'problems'} in ${withProblems} of ${loaded.files.length} files\n`);
  return ExitCode.invalidInput;
}

/** A file's problems as `file:line:col: path: message (hint: …)` lines, the file relative to cwd. */
export function problemLines(file: LoadedFile, cwd: string): string[] {
  if (!file.error) return [];
  const problems: Problem[] = file.error.problems.length > 0 ? file.error.problems : [{ file: file.file, ...file.error.where, message: file.error.message }];
  return problems.map((p) => formatRelative(p, cwd));
}

function formatRelative(problem: Problem, cwd: string): string {
  return formatProblem({ ...problem, file: displayPath(problem.file ?? '', cwd) });
}

/** A path as the user would type it from cwd (absolute when it is outside cwd). */
export function displayPath(file: string, cwd: string): string {
  return displayFile({ file }, cwd);
}

/**
 * `faultline list [paths...] [--grep RE] [--tag T…] [--json]`: the scenarios a run would select,
 * one line each (name, tags, file, description), or a JSON array for machines. Files with
 * problems are reported on stderr (exit 2) after the list of those that loaded.
 */
import { ExitCode } from '../../core/errors.js';
import { filterScenarios, findScenarioFiles } from '../../scenario/discover.js';
import { loadScenarioFiles } from '../../scenario/load-files.js';
import type { ScenarioFileSpec } from '../../scenario/spec.js';
import type { CliIo, Register } from '../command.js';
import { DEFAULT_SCENARIO_PATHS, displayPath, problemLines } from './validate.js';

export interface ListOptions {
  grep?: string;
  tag?: string[];
  json?: boolean;
}

export const register: Register = (program, io, wrap) => {
  program
    .command('list')
    .description('list scenarios: name, tags, file, description')
    .argument('[paths...]', 'scenario files or directories (searched for *.yaml, *.yml)', DEFAULT_SCENARIO_PATHS)
    .option('--grep <regex>', 'only scenarios whose name matches')
    .option('--tag <tag>', 'only scenarios with one of these tags (repeat, or separate with commas)', (tag: string, all: string[]) => [...all, tag], [] as string[])
    .option('--json', 'print a JSON array')
    .action(wrap((paths: string[], options: ListOptions) => runList(paths, options, io)));
};

export async function runList(paths: string[], options: ListOptions, io: CliIo): Promise<ExitCode> {
  const loaded = loadScenarioFiles(findScenarioFiles(paths, io.cwd));
  const tags = (options.tag ?? []).flatMap((t) => t.split(',')).filter(Boolean);
  const specs = filterScenarios(loaded.specs, { ...(options.grep === undefined ? {} : { grep: options.grep }), tags });
  if (options.json) {
    io.stdout.write(`${JSON.stringify(specs.map((s) => summary(s, io.cwd)), null, 2)}\n`);
  } else {
    io.stdout.write(renderTable(specs, io.cwd, io.stdout.isTTY ? io.stdout.columns : undefined));
  }
  const lines = loaded.files.flatMap((f) => problemLines(f, io.cwd));
  for (const line of lines) io.stderr.write(`${line}\n`);
  return lines.length > 0 ? ExitCode.invalidInput : ExitCode.ok;
}

function summary(spec: ScenarioFileSpec, cwd: string) {
  return {
    name: spec.name,
    tags: spec.tags,
    file: displayPath(spec.file, cwd),
    line: spec.where.line ?? 1,
    ...(spec.description === undefined ? {} : { description: spec.description.trim() }),
    expect: spec.expect,
    workloads: spec.workloads.map((w) => w.spec.name),
  };
}

/** Aligned columns; the description is cut to the terminal width (when there is one). */
function renderTable(specs: ScenarioFileSpec[], cwd: string, columns: number | undefined): string {
  const rows = specs.map((s) => [s.name, s.tags.length > 0 ? `[${s.tags.join(', ')}]` : '', `${displayPath(s.file, cwd)}:${s.where.line ?? 1}`, oneLine(s.description ?? '')]);
  const widths = [0, 1, 2].map((i) => Math.max(0, ...rows.map((r) => r[i]!.length)));
  return rows
    .map((row) => {
      let line = row
        .map((cell, i) => (i < 3 ? cell.padEnd(widths[i]!) : cell))
        .join('  ')
        .trimEnd();
      if (columns !== undefined && line.length > columns) line = `${line.slice(0, Math.max(0, columns - 1))}…`;
      return `${line}\n`;
    })
    .join('');
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

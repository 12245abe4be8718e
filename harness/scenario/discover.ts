/**
 * Finding scenario files and selecting scenarios: what `faultline validate | list | run` do with
 * their path arguments and `--grep` / `--tag` flags.
 */
import { readdirSync, statSync, type Dirent } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { FaultlineError } from '../core/errors.js';
import type { ScenarioSpec } from './spec.js';

const SCENARIO_EXTENSIONS = new Set(['.yaml', '.yml']);
/** Folders never searched: dependencies and VCS internals, not scenarios. */
const SKIPPED_DIRECTORIES = new Set(['node_modules', '.git']);
/**
 * Folders of fault spaces for `faultline explore` (scenarios/explore/): their scenarios pass
 * without faults and are meant to be searched, not run as a suite, so `run`, `list` and
 * `validate` do not descend into them when walking a folder. Named explicitly, they are taken.
 */
const EXPLORE_DIRECTORY = 'explore';

export interface FindOptions {
  /** Descend into `explore/` folders too (what `faultline explore` does). Default false. */
  includeExploreFolders?: boolean;
}

/**
 * The scenario files named by `paths` (files, or directories searched recursively for `*.yaml`
 * and `*.yml`, below `explore/` folders only with `includeExploreFolders`), absolute,
 * deduplicated and sorted. A file or folder named explicitly is taken whatever its name or
 * extension. A path that does not exist is a NOT_FOUND error naming it; a directory without
 * scenario files is one too (an empty selection is almost always a typo).
 */
export function findScenarioFiles(paths: readonly string[], cwd: string, options: FindOptions = {}): string[] {
  const skipped = options.includeExploreFolders ? SKIPPED_DIRECTORIES : new Set([...SKIPPED_DIRECTORIES, EXPLORE_DIRECTORY]);
  const found = new Set<string>();
  for (const path of paths) {
    const absolute = resolve(cwd, path);
    let isDirectory: boolean;
    try {
      isDirectory = statSync(absolute).isDirectory();
    } catch {
      throw new FaultlineError('NOT_FOUND', `no such file or directory: ${path}`, { where: { file: absolute } });
    }
    if (!isDirectory) {
      found.add(absolute);
      continue;
    }
    const inDirectory = walk(absolute, skipped);
    if (inDirectory.length === 0) {
      throw new FaultlineError('NOT_FOUND', `no scenario files (*.yaml, *.yml) in ${path}`, { where: { file: absolute } });
    }
    for (const file of inDirectory) found.add(file);
  }
  return [...found].sort();
}

function walk(directory: string, skipped: ReadonlySet<string>): string[] {
  let entries: Dirent[];
  try {
    entries = readdirSync(directory, { withFileTypes: true });
  } catch {
    return []; // unreadable subfolder: nothing we can load from it
  }
  const out: string[] = [];
  for (const entry of entries) {
    const path = join(directory, entry.name);
    // Symlinked folders are not followed (no cycles); symlinked files are.
    if (entry.isDirectory()) {
      if (!skipped.has(entry.name)) out.push(...walk(path, skipped));
    } else if (SCENARIO_EXTENSIONS.has(extname(entry.name)) && (entry.isFile() || isFile(path))) {
      out.push(path);
    }
  }
  return out;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

export interface ScenarioFilter {
  /** Keeps scenarios whose name matches (a string is a regular expression). */
  grep?: RegExp | string;
  /** Keeps scenarios with at least one of these tags. */
  tags?: readonly string[];
}

/** The scenarios that pass every given filter, in their original order. */
export function filterScenarios<S extends ScenarioSpec>(specs: readonly S[], filter: ScenarioFilter): S[] {
  const grep = typeof filter.grep === 'string' ? compileGrep(filter.grep) : filter.grep;
  const tags = filter.tags && filter.tags.length > 0 ? new Set(filter.tags) : undefined;
  return specs.filter((spec) => (!grep || grep.test(spec.name)) && (!tags || spec.tags.some((t) => tags.has(t))));
}

/** A `--grep` pattern as a RegExp; an invalid one is INVALID_ARGUMENT. */
export function compileGrep(pattern: string): RegExp {
  try {
    return new RegExp(pattern);
  } catch (error) {
    throw new FaultlineError('INVALID_ARGUMENT', `--grep: invalid regular expression ${JSON.stringify(pattern)}: ${(error as Error).message}`);
  }
}

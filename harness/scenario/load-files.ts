/**
 * Loading a set of scenario files as one run sees them: each file loads on its own (one file's
 * problems never hide another's), then names are checked across files, since reports and
 * `--grep` identify a scenario by name.
 */
import { FaultlineError, type Problem } from '../core/errors.js';
import { loadScenarioFile } from './load.js';
import type { ScenarioFileSpec } from './spec.js';

export interface LoadedFile {
  /** Absolute path. */
  file: string;
  /** Its scenarios, when it loaded. */
  specs?: ScenarioFileSpec[];
  /** Why it did not (PARSE_ERROR, INVALID_INPUT, …), with every problem. */
  error?: FaultlineError;
}

export interface LoadedFiles {
  files: LoadedFile[];
  /** Every loaded scenario, in file order. */
  specs: ScenarioFileSpec[];
  /** Scenario names used in more than one file (one problem at each later use). */
  duplicateNames: Problem[];
}

export function loadScenarioFiles(files: readonly string[]): LoadedFiles {
  const out: LoadedFiles = { files: [], specs: [], duplicateNames: [] };
  const firstUse = new Map<string, ScenarioFileSpec>();
  for (const file of files) {
    try {
      const specs = loadScenarioFile(file);
      out.files.push({ file, specs });
      for (const spec of specs) {
        const first = firstUse.get(spec.name);
        if (first) {
          out.duplicateNames.push({
            ...spec.where,
            path: 'name',
            message: `scenario name "${spec.name}" is also used in ${first.file}:${first.where.line ?? 1}`,
            hint: 'scenario names must be unique within a run',
          });
        } else firstUse.set(spec.name, spec);
        out.specs.push(spec);
      }
    } catch (error) {
      if (!(error instanceof FaultlineError)) throw error;
      out.files.push({ file, error });
    }
  }
  return out;
}

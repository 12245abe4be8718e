/**
 * Reading a file the user named (a scenario, a --config, a results.json): a missing or unreadable
 * file is a FaultlineError that names it, never a raw ENOENT with a stack.
 */
import { readFileSync } from 'node:fs';
import { FaultlineError } from './errors.js';

/**
 * Reads `file` as UTF-8. Missing (or under a path that is not a folder): NOT_FOUND "`<what>`
 * `<file>` does not exist"; a folder: INVALID_ARGUMENT; anything else (no permission, I/O error):
 * ENVIRONMENT "cannot read `<what>` `<file>`: `<code>`".
 */
export function readUserFile(file: string, what: string, hint?: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const options = { where: { file }, cause: error, ...(hint ? { hint } : {}) };
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new FaultlineError('NOT_FOUND', `${what} ${file} does not exist`, options);
    if (code === 'EISDIR') throw new FaultlineError('INVALID_ARGUMENT', `${what} ${file} is a folder, not a file`, options);
    throw new FaultlineError('ENVIRONMENT', `cannot read ${what} ${file}: ${code ?? (error as Error).message}`, options);
  }
}

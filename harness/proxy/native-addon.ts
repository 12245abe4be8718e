/**
 * Loading the native addon (native/: batched UDP I/O, timed sends, TCP forwarding without JavaScript), which
 * is optional: it is built at install on Linux only, and a failed build never fails the install
 * (native/build.mjs). Each user falls back to its JavaScript way when it is missing, and says why.
 */
import { createRequire } from 'node:module';
import { constants } from 'node:os';
import { addonPath } from '../core/addon-path.js';


/** The addon's exports (typed by the caller, who knows which part it uses), or why it is unavailable. */
export function requireAddon<T>(): { addon?: T; problem?: string } {
  if (process.platform !== 'linux') return { problem: `it is Linux-only (this is ${process.platform})` };
  const path = addonPath();
  if (!path) return { problem: 'it was not built (see the install output of native/build.mjs)' };
  try {
    return { addon: createRequire(import.meta.url)(path) as T };
  } catch (error) {
    return { problem: `${path} does not load: ${(error as Error).message}` };
  }
}

const ERRNO_NAMES = new Map<number, string>(Object.entries(constants.errno).map(([name, value]) => [value, name]));

/** An Error shaped like Node's own socket errors: `code` (ECONNREFUSED…), `errno`, `syscall`. */
export function errnoError(negErrno: number, syscall: string, address?: string): NodeJS.ErrnoException {
  const code = ERRNO_NAMES.get(-negErrno) ?? `errno ${-negErrno}`;
  const error: NodeJS.ErrnoException = new Error(`${syscall} ${code}${address ? ` ${address}` : ''}`);
  error.code = code;
  error.errno = negErrno;
  error.syscall = syscall;
  return error;
}

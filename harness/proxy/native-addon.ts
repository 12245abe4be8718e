/**
 * Loading the native addon (native/: batched UDP I/O, timed sends, TCP forwarding without JavaScript), which
 * is optional: it is built at install on Linux only, and a failed build never fails the install
 * (native/build.mjs). Each user falls back to its JavaScript way when it is missing, and says why.
 */
import { constants } from 'node:os';

/** Loading it: core/addon-path.ts, which knows where it lives; the proxy's problems are its default words. */
export { requireAddon } from '../core/addon-path.js';

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

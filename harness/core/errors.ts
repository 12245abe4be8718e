/**
 * User-facing errors. A FaultlineError is something the *user* can fix (bad input, a busy port, a
 * target that will not start); it carries a stable code, a message that quotes what was received
 * and what was expected, where it happened, and optionally a hint. Validation collects every
 * problem before throwing, like a compiler, so one run shows them all.
 *
 * Internal bugs are plain Errors; network outcomes in the data path (ECONNRESET, timeouts) are
 * data recorded in results and never thrown at all. The catalog below is the one place that maps
 * a code to its process exit code and its admin API HTTP status.
 */

/** Process exit codes (ARCHITECTURE.md §5), documented in `faultline --help`. */
export const ExitCode = {
  ok: 0,
  /** An assertion failed, or an exploration found a counterexample. */
  failed: 1,
  /** Invalid input: scenario files, flags, config, API bodies. */
  invalidInput: 2,
  /** Environment: port in use, target would not start, address unreachable. */
  environment: 3,
  internal: 70,
  interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

interface CatalogEntry {
  exit: ExitCode;
  /** HTTP status when the error surfaces through the admin API. */
  http: number;
}

/** Every error code faultline raises. Codes are stable: scripts and tests match on them. */
export const ERROR_CATALOG = {
  // ── invalid input (exit 2) ───────────────────────────────────────────────
  /** A document is not valid YAML or JSON. */
  PARSE_ERROR: { exit: 2, http: 400 },
  /** A document parsed but does not match the expected shape (see `problems`). */
  INVALID_INPUT: { exit: 2, http: 400 },
  /** A toxic type that does not exist, or is not supported on the proxy's protocol. */
  INVALID_TOXIC_TYPE: { exit: 2, http: 400 },
  /** A toxic attribute with an unknown key, a wrong type or an out-of-range value. */
  INVALID_TOXIC_ATTRIBUTE: { exit: 2, http: 400 },
  /** A bad command-line argument or flag value. */
  INVALID_ARGUMENT: { exit: 2, http: 400 },
  /** A named proxy, toxic, workload or file that does not exist. */
  NOT_FOUND: { exit: 2, http: 404 },
  /** A proxy or toxic with that name already exists. */
  ALREADY_EXISTS: { exit: 2, http: 409 },
  /** A request body larger than the admin API accepts. */
  BODY_TOO_LARGE: { exit: 2, http: 413 },
  /** An HTTP request the admin API cannot parse (bad request line, header or framing). */
  MALFORMED_REQUEST: { exit: 2, http: 400 },
  /** An HTTP request line and headers larger than the admin API accepts. */
  HEADERS_TOO_LARGE: { exit: 2, http: 431 },
  /** A client that did not send its whole request in time. */
  REQUEST_TIMEOUT: { exit: 2, http: 408 },
  // ── environment (exit 3) ─────────────────────────────────────────────────
  /** A listen address is already taken by another socket. */
  ADDRESS_IN_USE: { exit: 3, http: 500 },
  /** A listen address cannot be bound (not local, permission denied, bad host). */
  ADDRESS_UNAVAILABLE: { exit: 3, http: 500 },
  /** A target command could not be started, exited early, or never became ready. */
  TARGET_FAILED: { exit: 3, http: 500 },
  /** A target or backend address could not be reached. */
  UNREACHABLE: { exit: 3, http: 502 },
  /** Something the environment lacks (a binary, a kernel feature, privileges). */
  ENVIRONMENT: { exit: 3, http: 500 },
  // ── the system under test (exit 1) ───────────────────────────────────────
  /** A scenario did not finish within its deadline: usually a hung target, which is a finding. */
  SCENARIO_TIMEOUT: { exit: 1, http: 504 },
} as const satisfies Record<string, CatalogEntry>;

export type ErrorCode = keyof typeof ERROR_CATALOG;

/** Every error code, in the catalog's order. */
export const ERROR_CODES = Object.keys(ERROR_CATALOG) as readonly ErrorCode[];

/** Where in the user's input a problem is: a file position and/or a field path. */
export interface Location {
  file?: string;
  /** 1-based. */
  line?: number;
  /** 1-based. */
  column?: number;
  /** Field path in the document, e.g. `faults[2].toxic.attributes.latency`. */
  path?: string;
}

/** One problem found while validating input. A FaultlineError may carry many. */
export interface Problem extends Location {
  message: string;
  hint?: string;
}

export interface FaultlineErrorOptions {
  where?: Location;
  hint?: string;
  /** Every problem found, for validation errors; the message summarises them. */
  problems?: Problem[];
  cause?: unknown;
}

export class FaultlineError extends Error {
  override readonly name = 'FaultlineError';
  readonly code: ErrorCode;
  readonly where?: Location;
  readonly hint?: string;
  readonly problems: Problem[];

  constructor(code: ErrorCode, message: string, options: FaultlineErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    if (options.where) this.where = options.where;
    if (options.hint) this.hint = options.hint;
    this.problems = options.problems ?? [];
  }

  get exitCode(): ExitCode {
    return ERROR_CATALOG[this.code].exit;
  }

  get httpStatus(): number {
    return ERROR_CATALOG[this.code].http;
  }
}

export function isFaultlineError(value: unknown): value is FaultlineError {
  return value instanceof FaultlineError;
}

/** Builds the single error for a list of validation problems (`problems` must be non-empty). */
export function invalidInput(problems: Problem[], subject = 'input'): FaultlineError {
  const first = problems[0];
  if (!first) throw new Error('invalidInput() needs at least one problem');
  const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
  return new FaultlineError('INVALID_INPUT', `${subject} has ${count}; first: ${formatProblem(first)}`, {
    problems,
    where: first,
  });
}

/** `file:line:col: path: message (hint)` with whichever parts are known. */
export function formatLocation(where: Location): string {
  const parts: string[] = [];
  if (where.file) {
    let pos = where.file;
    if (where.line !== undefined) pos += `:${where.line}`;
    if (where.line !== undefined && where.column !== undefined) pos += `:${where.column}`;
    parts.push(pos);
  }
  if (where.path) parts.push(where.path);
  return parts.join(': ');
}

export function formatProblem(problem: Problem): string {
  const where = formatLocation(problem);
  const text = where ? `${where}: ${problem.message}` : problem.message;
  return problem.hint ? `${text} (hint: ${problem.hint})` : text;
}

/** The JSON form of an error, as results and the admin API carry it. */
export interface SerializedError {
  code: ErrorCode | 'INTERNAL';
  message: string;
  where?: Location;
  hint?: string;
  problems?: Problem[];
  /** Only for internal errors: the stack, to paste into a bug report. */
  stack?: string;
}

/** The exit code of an error as results carry it: its catalog's, or 70 for an internal one. */
export function errorExitCode(code: SerializedError['code']): ExitCode {
  return code !== 'INTERNAL' ? ERROR_CATALOG[code].exit : ExitCode.internal;
}

export function serializeError(error: unknown): SerializedError {
  if (error instanceof FaultlineError) {
    const out: SerializedError = { code: error.code, message: error.message };
    if (error.where) out.where = error.where;
    if (error.hint) out.hint = error.hint;
    if (error.problems.length > 0) out.problems = error.problems;
    return out;
  }
  const err = error instanceof Error ? error : new Error(String(error));
  const out: SerializedError = { code: 'INTERNAL', message: err.message };
  if (err.stack) out.stack = err.stack;
  return out;
}

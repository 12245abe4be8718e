/**
 * Errors as the admin API writes them: Toxiproxy's `{"error": "...", "status": N}` plus the
 * FaultlineError `code`, and `problems` / `hint` when there are any.
 *
 * Clients match on Toxiproxy's error strings (`proxy not found`, `toxic already exists`, …), so
 * the `error` text always *starts* with Toxiproxy's string for that situation and adds faultline's
 * detail after a colon: `toxic already exists: toxic "lat" already exists` is redundant to read
 * but safe to match. The HTTP status comes from the error catalog (core/errors.ts).
 */
import { ERROR_CATALOG, FaultlineError, type ErrorCode, type Problem } from '../core/errors.js';

/** What an error is about, for choosing Toxiproxy's wording of NOT_FOUND and ALREADY_EXISTS. */
export type ErrorSubject = 'proxy' | 'toxic';

export interface ApiErrorBody {
  error: string;
  status: number;
  code: ErrorCode | 'INTERNAL';
  problems?: Problem[];
  hint?: string;
}

/** Toxiproxy's wording for an error, or undefined when Toxiproxy has none for it. */
export function toxiproxyPhrase(error: FaultlineError, subject: ErrorSubject): string | undefined {
  switch (error.code) {
    case 'NOT_FOUND':
      return `${subject} not found`;
    case 'ALREADY_EXISTS':
      return `${subject} already exists`;
    case 'INVALID_TOXIC_TYPE':
      return 'invalid toxic type';
    case 'PARSE_ERROR':
      return 'bad request body';
    case 'INVALID_TOXIC_ATTRIBUTE': {
      const path = error.problems[0]?.path ?? error.where?.path ?? '';
      if (path === 'stream' || path.endsWith('.stream')) return 'stream was invalid, can be either upstream or downstream';
      return undefined;
    }
    default:
      return undefined;
  }
}

/** Builds the response body for any error a handler threw (non-FaultlineErrors are internal). */
export function errorBody(error: unknown, subject: ErrorSubject): ApiErrorBody {
  if (!(error instanceof FaultlineError)) {
    const message = error instanceof Error ? error.message : String(error);
    return { error: `internal error: ${message}`, status: 500, code: 'INTERNAL' };
  }
  const body: ApiErrorBody = { error: withPhrase(error, toxiproxyPhrase(error, subject)), status: ERROR_CATALOG[error.code].http, code: error.code };
  if (error.problems.length > 0) body.problems = error.problems;
  if (error.hint) body.hint = error.hint;
  return body;
}

/**
 * The message, made to start with Toxiproxy's phrase: as it is when it already does; the first
 * problem's message when that one does (validation summaries start with a field path); else
 * `phrase: message`.
 */
function withPhrase(error: FaultlineError, phrase: string | undefined): string {
  if (phrase === undefined || error.message.startsWith(phrase)) return error.message;
  const first = error.problems[0]?.message;
  if (first?.startsWith(phrase)) {
    const more = error.problems.length > 1 ? ` (and ${error.problems.length - 1} more)` : '';
    return `${first}${more}`;
  }
  return `${phrase}: ${error.message}`;
}

/**
 * Network errors as data: every failure a workload meets is reduced to a stable code (what
 * assertions match, e.g. `errors{code=ECONNRESET}`) and a message for people.
 *
 * Codes are the system's errno names where there is one (ECONNREFUSED, ECONNRESET, EPIPE,
 * ETIMEDOUT, EHOSTUNREACH…) plus faultline's own:
 * - EOF_EARLY: the peer closed the stream cleanly before everything expected had arrived;
 * - MISMATCH: a raw workload's response did not match its expectation;
 * - BAD_FRAME: an echo reply that is not the frame that was sent (garbled, wrong ids).
 */

export const ErrorCodes = {
  eofEarly: 'EOF_EARLY',
  mismatch: 'MISMATCH',
  badFrame: 'BAD_FRAME',
  timeout: 'ETIMEDOUT',
} as const;

export interface ClassifiedError {
  code: string;
  message: string;
}

/** Maps anything thrown or emitted by a socket to a code and message. */
export function classifyError(error: unknown): ClassifiedError {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && code.length > 0) {
      // Node's own codes for a socket written after it ended are EPIPE in all but name.
      if (code === 'ERR_STREAM_WRITE_AFTER_END' || code === 'ERR_STREAM_DESTROYED') return { code: 'EPIPE', message: error.message };
      if (code === 'ERR_SOCKET_CONNECTION_TIMEOUT') return { code: 'ETIMEDOUT', message: error.message };
      return { code, message: error.message };
    }
    return { code: 'EUNKNOWN', message: error.message };
  }
  return { code: 'EUNKNOWN', message: String(error) };
}

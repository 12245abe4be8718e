/** For tests: the FaultlineError a promise rejects with (and a test failure if it resolves or rejects with anything else). */
import { FaultlineError } from '../errors.js';

export async function failure(promise: Promise<unknown>): Promise<FaultlineError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof FaultlineError)) throw new Error(`expected a FaultlineError, got ${String(error)}`);
  return error;
}

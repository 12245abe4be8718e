/** Test helpers for reading ScenarioResults, whose variants carry different fields. */
import type { SerializedError } from '../core/errors.js';
import type { ScenarioResult } from '../core/result.js';

/** The error of a scenario that must have errored; fails the test otherwise. */
export function errorOf(scenario: ScenarioResult | undefined): SerializedError {
  if (scenario?.status !== 'errored') throw new Error(`expected an errored scenario, got ${scenario ? scenario.status : 'none'}`);
  return scenario.error;
}

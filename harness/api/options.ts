/** Checks of the library API's options, shared by its entry points: one message per mistake. */
import { FaultlineError } from '../core/errors.js';
import { MAX_SEED, randomSeed } from '../core/rng.js';

/** An integer option from `min` to `max`; INVALID_ARGUMENT naming the option otherwise. */
export function checkInteger(value: number, name: string, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new FaultlineError('INVALID_ARGUMENT', `${name}: expected an integer from ${min} to ${max}, got ${String(value)}`, { where: { path: name } });
  }
  return value;
}

/** The `seed` option: the one given, checked, or a random one. */
export function seedOption(seed: number | undefined): number {
  return checkInteger(seed ?? randomSeed(), 'seed', 0, MAX_SEED);
}

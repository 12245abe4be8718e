/**
 * Whether this machine has the wire layer, for the commands that run scenarios (`run`, `explore`):
 * asked once, before anything starts, and only when a selected scenario has a wire path. Where it
 * has not, a scenario that says `if_unavailable: skip` is skipped with the reason (unless
 * FAULTLINE_WIRE=required, as in CI); any other stops the command with ENVIRONMENT (exit 3).
 * docs/decisions.md #46. Before either, a user without root on a machine where the rootless mode
 * works is told to run again in a user namespace (`rerun`: rootless-rerun.ts).
 */
import { FaultlineError } from '../core/errors.js';
import type { ScenarioSpec } from '../scenario/spec.js';
import { probeWire } from '../wire/probe.js';
import { shouldRerunRootless } from './rootless-rerun.js';

export interface WireLayer {
  available: boolean;
  /** Why scenarios with wire paths are skipped, when they are. */
  skip?: string;
  /** The command should start itself again in a user namespace of its own, where it will have the layer. */
  rerun?: boolean;
}

export function usesWire(spec: ScenarioSpec): boolean {
  return spec.proxies.some((p) => p.layer === 'wire');
}

/** Throws ENVIRONMENT when a selected scenario needs the layer and may not be skipped. */
export function checkWireLayer(specs: readonly ScenarioSpec[], env: NodeJS.ProcessEnv): WireLayer {
  const needing = specs.filter(usesWire);
  if (needing.length === 0) return { available: false };
  const support = probeWire();
  if (support.available) return { available: true };
  if (shouldRerunRootless(support, env)) return { available: false, rerun: true };
  const missing = support.missing.join('; ');
  const required = env.FAULTLINE_WIRE === 'required';
  const refusing = needing.filter((spec) => required || spec.ifUnavailable === 'error');
  if (refusing.length > 0) {
    throw new FaultlineError('ENVIRONMENT', `${describeNames(refusing)} ${refusing.length === 1 ? 'needs' : 'need'} the wire layer, which is unavailable here: ${missing}`, {
      hint: required ? 'FAULTLINE_WIRE=required forbids skipping wire scenarios' : 'faultline doctor says what this machine supports; `if_unavailable: skip` in a scenario skips it instead',
    });
  }
  return { available: false, skip: `the wire layer is unavailable here: ${support.missing[0]}` };
}

/** Why `spec` is skipped on this machine, or undefined when it runs. */
export function wireSkipReason(wire: WireLayer, spec: ScenarioSpec): string | undefined {
  return usesWire(spec) ? wire.skip : undefined;
}

function describeNames(specs: readonly ScenarioSpec[]): string {
  const names = specs.map((s) => `"${s.name}"`);
  return `scenario${names.length === 1 ? '' : 's'} ${names.length > 3 ? `${names.slice(0, 3).join(', ')} and ${names.length - 3} more` : names.join(', ')}`;
}

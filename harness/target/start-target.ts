/**
 * Starts a command or address target (built-in targets are the scenario layer's: they are
 * workload servers). The one entry point the scenario runner calls.
 */
import { systemClock, type Clock } from '../core/clock.js';
import type { NetworkPlace } from '../core/network-place.js';
import { startAddressTarget } from './address-target.js';
import { startCommandTarget } from './command-target.js';
import type { AddressTargetSpec, CommandTargetSpec, RunningTarget } from './spec.js';

export interface StartTargetDeps {
  /** Aborting stops a target that is still starting; the promise then rejects promptly. */
  signal: AbortSignal;
  /** For waits (ready polling, stop grace); default the system clock. */
  clock?: Clock;
  /** Where each proxy a command's `{proxy:NAME}` names listens (`host:port`). */
  proxies?: ReadonlyMap<string, string>;
  /** Where a command runs and listens: a wire path's target side. Default: where faultline runs. */
  place?: NetworkPlace;
}

/** Starts `spec` and resolves when it is ready to serve. Rejects with a FaultlineError (TARGET_FAILED, UNREACHABLE, INVALID_INPUT) or the abort reason. */
export function startTarget(spec: CommandTargetSpec | AddressTargetSpec, deps: StartTargetDeps): Promise<RunningTarget> {
  if (spec.kind === 'address') return startAddressTarget(spec, { signal: deps.signal });
  return startCommandTarget(spec, { signal: deps.signal, clock: deps.clock ?? systemClock, proxies: deps.proxies ?? new Map(), ...(deps.place ? { place: deps.place } : {}) });
}

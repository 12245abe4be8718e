/**
 * FaultRecords for tests of the judging code, built the way the runner builds them: the toxic is
 * resolved by the registry (defaults filled, attributes checked) and carries the effects its type
 * declares, so a test exercises the real declarations rather than a hand-written copy.
 */
import type { FaultRecord } from '../core/result.js';
import type { Direction, PacketMatch, Protocol } from '../core/spec.js';
import { resolveToxic, toxicEffects } from '../toxics/registry.js';
import { wireFaultEffects } from '../toxics/wire/fault-types.js';
import { resolveWireFault } from '../toxics/wire/resolve-fault.js';

/** Timing and other overrides of a fault record; `toxicity` goes to the toxic. */
export type FaultExtra = Partial<Omit<FaultRecord, 'kind' | 'toxic' | 'effects'>> & { toxicity?: number; name?: string };

export function toxicFault(protocol: Protocol, type: string, stream: Direction, attributes: Record<string, number>, extra: FaultExtra & { id: string; proxy: string }): FaultRecord {
  const { toxicity = 1, name, ...rest } = extra;
  const toxic = resolveToxic(protocol, { type, stream, toxicity, attributes, ...(name ? { name } : {}) });
  return { plannedAtMs: 0, ...rest, kind: 'toxic', toxic, effects: toxicEffects(protocol, toxic) };
}

/** A wire fault's record: resolved by the engine's own validation, with its match and effects. */
export function wireFault(type: string, stream: Direction, attributes: Record<string, number>, extra: FaultExtra & { id: string; proxy: string; match?: PacketMatch }): FaultRecord {
  const { toxicity = 1, name, match, ...rest } = extra;
  const { protocol, port, ...toxic } = resolveWireFault({ type, stream, toxicity, attributes, ...match, ...(name ? { name } : {}) });
  return { plannedAtMs: 0, ...rest, kind: 'toxic', toxic, ...(protocol || port ? { match: { ...(protocol ? { protocol } : {}), ...(port ? { port } : {}) } } : {}), effects: wireFaultEffects(toxic) };
}

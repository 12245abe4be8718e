/**
 * FaultRecords for tests of the judging code, built the way the runner builds them: the toxic is
 * resolved by the registry (defaults filled, attributes checked) and carries the effects its type
 * declares, so a test exercises the real declarations rather than a hand-written copy.
 */
import type { FaultRecord } from '../core/result.js';
import type { Direction, Protocol } from '../core/spec.js';
import { resolveToxic, toxicEffects } from '../toxics/registry.js';

/** Timing and other overrides of a fault record; `toxicity` goes to the toxic. */
export type FaultExtra = Partial<Omit<FaultRecord, 'kind' | 'toxic' | 'effects'>> & { toxicity?: number; name?: string };

export function toxicFault(protocol: Protocol, type: string, stream: Direction, attributes: Record<string, number>, extra: FaultExtra & { id: string; proxy: string }): FaultRecord {
  const { toxicity = 1, name, ...rest } = extra;
  const toxic = resolveToxic(protocol, { type, stream, toxicity, attributes, ...(name ? { name } : {}) });
  return { plannedAtMs: 0, ...rest, kind: 'toxic', toxic, effects: toxicEffects(protocol, toxic) };
}

/**
 * A fault by the layer it acts on: a stream proxy's toxics (registry.ts, per protocol) or a wire
 * path's packet faults (wire/fault-types.ts). Both kinds of type have the same shape — a name, an
 * attribute schema with search hints, declared effects — and a fault of either is written the
 * same way, so the scenario loader, the fault timeline and the explorer ask here once instead of
 * choosing between the two registries each time.
 */
import type { ToxicEffect } from '../core/effect.js';
import type { PacketMatch, Protocol, ToxicInput, ToxicSpec } from '../core/spec.js';
import type { AttributeSchema } from './attributes.js';
import { findToxicType, listToxicTypes, resolveToxic, toxicEffects } from './registry.js';
import { findWireFaultType, wireFaultEffects, wireFaultTypes } from './wire/fault-types.js';
import { resolveWireFault } from './wire/resolve-fault.js';

/** What a fault is validated as: a proxy's protocol, or a wire path's packet faults. */
export type FaultLayer = Protocol | 'wire';

export const FAULT_LAYERS: readonly FaultLayer[] = ['tcp', 'udp', 'wire'];

export const FAULT_LAYER_NAME: Record<FaultLayer, string> = { tcp: 'TCP', udp: 'UDP', wire: 'wire path' };

/** What a toxic type and a wire fault type have in common. */
export interface FaultType {
  type: string;
  /** One line for docs and listings. */
  summary: string;
  attributes: AttributeSchema;
  effects(attributes: Record<string, number>): ToxicEffect[];
  /** Acts on TCP connections only (a wire `reset`): nothing to do where no TCP crosses. */
  tcpOnly?: boolean;
}

/** The layer of a proxy or a wire path (a scenario's spec, or what the loader knows of one). */
export function faultLayerOf(proxy: { layer: 'proxy'; protocol: Protocol } | { layer: 'wire' }): FaultLayer {
  return proxy.layer === 'wire' ? 'wire' : proxy.protocol;
}

/** Every fault type a layer supports, in documentation order. */
export function listFaultTypes(layer: FaultLayer): readonly FaultType[] {
  return layer === 'wire' ? wireFaultTypes : listToxicTypes(layer);
}

export function findFaultType(layer: FaultLayer, type: string): FaultType | undefined {
  return layer === 'wire' ? findWireFaultType(type) : findToxicType(layer, type);
}

/** What a resolved fault of a layer does to the traffic crossing it. */
export function faultEffects(layer: FaultLayer, toxic: ToxicSpec): ToxicEffect[] {
  return layer === 'wire' ? wireFaultEffects(toxic) : toxicEffects(layer, toxic);
}

/**
 * Validates a fault as a user wrote it for one layer and fills defaults: `resolveToxic` for a
 * proxy, `resolveWireFault` for a wire path, whose match (`protocol`, `port`) is returned apart.
 * Throws the FaultlineError those throw, every problem in it, paths under `pathPrefix`.
 */
export function resolveFault(layer: FaultLayer, input: ToxicInput, pathPrefix = ''): { toxic: ToxicSpec; match?: PacketMatch } {
  if (layer !== 'wire') return { toxic: resolveToxic(layer, input, [], pathPrefix) };
  const { protocol, port, ...toxic } = resolveWireFault(input, [], pathPrefix);
  const match: PacketMatch = { ...(protocol ? { protocol } : {}), ...(port !== undefined ? { port } : {}) };
  return { toxic, ...(protocol || port !== undefined ? { match } : {}) };
}

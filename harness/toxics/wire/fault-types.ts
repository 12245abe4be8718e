/**
 * The wire layer's fault types: what the packet fault engine (proxy/native/wire_engine.c) can do
 * to the packets of one direction of a wire path. They live with the toxics because they are the
 * same kind of thing — an attribute schema and declared effects — and the scenario loader and the
 * assertions read them as they read toxics; only the engine that applies them is elsewhere.
 * Attribute tables use the toxics' machinery (`toxics/attributes.ts`), and where a fault means
 * what a UDP datagram toxic means, it takes that toxic's attribute definitions as they are (names,
 * units, defaults, ranges), so one `{ type: loss, attributes: { probability: 0.05, burst: 2 } }`
 * means the same on both layers.
 *
 * Effects are per packet and say what the receiving end sees. Two differ from the datagram
 * toxics': a corrupted packet is dropped by the receiving kernel (its checksum fails), so
 * `corrupt` is a drop; and dropping TCP segments loses nothing — the kernel retransmits — which
 * the assertions know from the backend's segment-level TCP (expected-rates.ts), not from here.
 *
 * The engine reads attributes by these names (wire_engine.c, read_attributes); a type's summary
 * and attribute descriptions are what docs/wire.md and validation errors show.
 */
import type { ToxicEffect } from '../../core/effect.js';
import type { Problem } from '../../core/errors.js';
import { LedgerCounter } from '../../core/ledger.js';
import type { AttributeDef, AttributeSchema } from '../attributes.js';
import { bandwidth as datagramBandwidth } from '../datagram/bandwidth.js';
import { corrupt as datagramCorrupt } from '../datagram/corrupt.js';
import { duplicate as datagramDuplicate } from '../datagram/duplicate.js';
import { latency as datagramLatency } from '../datagram/latency.js';
import { loss as datagramLoss } from '../datagram/loss.js';
import { reorder as datagramReorder } from '../datagram/reorder.js';
import { resetPeer } from '../stream/reset-peer.js';
import { lossModelProblems } from '../loss-model.js';

export interface WireFaultType {
  /** The name in scenario files and in the engine: `loss`, `latency`, … */
  type: string;
  /** One line for docs and listings. */
  summary: string;
  attributes: AttributeSchema;
  /** Cross-attribute checks; paths relative to `attributes`. */
  check?(attributes: Record<string, number>): Problem[];
  /** What it does to the packets crossing it (core/effect.ts), from its resolved attributes. */
  effects(attributes: Record<string, number>): ToxicEffect[];
  /** Only TCP packets can be affected (a `protocol: udp` match is rejected). */
  tcpOnly?: boolean;
}

/** A datagram toxic's attribute, said of packets instead of datagrams. */
function perPacket(def: AttributeDef, description: string = def.description): AttributeDef {
  return { ...def, unit: def.unit === 'datagrams' ? 'packets' : def.unit, description: description.replace(/datagrams?/g, (w) => (w.endsWith('s') ? 'packets' : 'packet')) };
}

const loss: WireFaultType = {
  type: 'loss',
  summary: 'Drops packets: independently, or in bursts of mean length burst (Gilbert–Elliott), as the UDP loss toxic.',
  attributes: {
    probability: perPacket(datagramLoss.attributes.probability!),
    burst: perPacket(datagramLoss.attributes.burst!),
  },
  check: (a) => lossModelProblems({ probability: a.probability ?? 0, burst: a.burst ?? 1 }),
  effects: (a) => [{ kind: 'drop', probability: a.probability!, burst: a.burst!, counter: LedgerCounter.droppedLoss, quantity: 'loss_ratio' }],
};

const latency: WireFaultType = {
  type: 'latency',
  summary: 'Delays packets by latency ± uniform jitter; packets keep their order unless allow_reorder is 1.',
  attributes: {
    latency: perPacket(datagramLatency.attributes.latency!),
    jitter: perPacket(datagramLatency.attributes.jitter!),
    allow_reorder: {
      kind: 'int',
      unit: '0 or 1',
      default: 0,
      min: 0,
      max: 1,
      search: 'default',
      description: '1: each packet draws its own delay and may overtake others; 0: a packet never leaves before one that arrived earlier',
    },
  },
  effects: (a) => [{ kind: 'delay', latencyMs: a.latency!, jitterMs: a.jitter! }],
};

const reorder: WireFaultType = {
  type: 'reorder',
  summary: 'Holds a fraction of packets back by delay ms so that later ones overtake them.',
  attributes: {
    probability: perPacket(datagramReorder.attributes.probability!),
    delay: perPacket(datagramReorder.attributes.delay!),
  },
  effects: (a) => [{ kind: 'hold-back', probability: a.probability!, delayMs: a.delay!, counter: LedgerCounter.reordered, quantity: 'reorder_ratio' }],
};

const duplicate: WireFaultType = {
  type: 'duplicate',
  summary: 'Sends a fraction of packets twice.',
  attributes: { probability: perPacket(datagramDuplicate.attributes.probability!) },
  effects: (a) => [{ kind: 'duplicate', probability: a.probability!, counter: LedgerCounter.duplicated, quantity: 'duplicate_ratio' }],
};

const corrupt: WireFaultType = {
  type: 'corrupt',
  summary: "Flips one bit of a fraction of packets where the receiver's checksum catches it: TCP retransmits, UDP counts InCsumErrors.",
  attributes: { probability: perPacket(datagramCorrupt.attributes.probability!) },
  // The receiver's checksum catches every flipped bit: the packet is dropped there, not delivered damaged.
  effects: (a) => [{ kind: 'drop', probability: a.probability!, burst: 1, counter: LedgerCounter.corrupted, quantity: 'corrupt_ratio' }],
};

const bandwidth: WireFaultType = {
  type: 'bandwidth',
  summary: 'A bottleneck of rate KB/s: a token bucket in front of a drop-tail queue of queue packets (and queue_bytes bytes).',
  attributes: {
    rate: perPacket(datagramBandwidth.attributes.rate!),
    queue: perPacket(datagramBandwidth.attributes.queue!, 'Packets that may wait behind the one being sent'),
    queue_bytes: {
      kind: 'int',
      unit: 'bytes',
      default: 0,
      min: 0,
      search: 'default',
      description: 'Bytes the queue may hold, the packet being sent included; 0 = no byte limit',
    },
    bucket: {
      kind: 'int',
      unit: 'bytes',
      default: 0,
      min: 0,
      search: 'default',
      description: 'Bytes that may pass at once after an idle spell; 0 = a plain link, each packet waits for its bytes to be through',
    },
  },
  effects: (a) => [
    { kind: 'rate-limit', bytesPerSec: a.rate! * 1000, per: 'direction' },
    { kind: 'drop-unpredictable', why: 'drops packets only when its queue overflows, which depends on the offered load' },
  ],
};

const mtu: WireFaultType = {
  type: 'mtu',
  summary: 'Silently drops packets larger than mtu bytes: a path-MTU black hole.',
  attributes: {
    mtu: {
      kind: 'int',
      unit: 'bytes',
      default: 1400,
      min: 68,
      max: 65535,
      // Searched over what real paths narrow to: from the 576 bytes every IPv4 host must take, up
      // to the path's own default MTU (the mild end: nothing is dropped).
      search: { from: 576, upTo: 1500, milder: 'higher' },
      description: 'Largest IP packet (header included) that passes',
    },
  },
  effects: (a) => [
    { kind: 'drop-unpredictable', why: `drops every packet larger than ${a.mtu} bytes, so what is lost depends on the messages' sizes` },
    { kind: 'connection-loss', how: `stalls TCP connections once a segment is larger than ${a.mtu} bytes (a path-MTU black hole)`, reset: false },
  ],
};

const blackhole: WireFaultType = {
  type: 'blackhole',
  summary: 'Drops every packet while it is present: a partition.',
  attributes: {},
  effects: () => [
    { kind: 'drop', probability: 1, burst: 1, counter: LedgerCounter.droppedBlackhole, quantity: 'drop_ratio' },
    { kind: 'connection-loss', how: 'stalls every TCP connection while present', reset: false },
  ],
};

const reset: WireFaultType = {
  type: 'reset',
  summary: "Forges a TCP RST towards the receiving end of this direction (downstream: the client) for each matching connection, with the sequence number it expects.",
  attributes: {
    timeout: { ...resetPeer.attributes.timeout!, description: 'Wait after the fault meets a connection (its first packet while the fault is present) before the RST' },
  },
  tcpOnly: true,
  effects: (a) => [{ kind: 'connection-loss', how: `forges an RST ${a.timeout} ms after it meets a connection`, reset: true }],
};

/** Every wire fault type, in the order docs list them. */
export const wireFaultTypes: readonly WireFaultType[] = [loss, latency, reorder, duplicate, corrupt, bandwidth, mtu, blackhole, reset];

const byName = new Map(wireFaultTypes.map((t) => [t.type, t]));

export function findWireFaultType(type: string): WireFaultType | undefined {
  return byName.get(type);
}

/** The effects of a resolved wire fault (its type must be registered). */
export function wireFaultEffects(fault: { name: string; type: string; attributes: Record<string, number> }): ToxicEffect[] {
  const type = findWireFaultType(fault.type);
  if (!type) throw new Error(`wire fault "${fault.name}" has unregistered type ${fault.type}`);
  return type.effects(fault.attributes);
}

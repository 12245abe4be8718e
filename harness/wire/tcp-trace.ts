/**
 * Time–sequence data of a wire path's TCP flows, for the report's graph: every data segment that
 * entered the fault engine (its sequence number over time, relative to the flow's first byte),
 * the ones a sender had sent before (retransmissions), and the engine's drops and forged resets.
 *
 *   "entered" capture (pcap, bare IPv4) ──▶ per flow (src:port → dst:port): ISN from the SYN,
 *                                            highest sequence end so far; a segment starting
 *                                            below it repeats bytes already sent: retransmitted
 *   engine events (dropped_*, reset_sent) ──▶ matched to a flow by direction and ports, at the
 *                                            sequence number of the packet they hit (a drop at
 *                                            the capture time of that very packet)
 *
 * The capture shows packets as they entered the engine, i.e. in the order the sender sent them,
 * so "below the highest end" can only mean a retransmission, never a reordering by the path. A
 * drop event counts when it hit a data segment of the flow (a dropped pure ACK has no place on
 * the graph). Flows are ordered by how much happened to them (retransmissions and drops, then
 * segments), and regular segments are thinned evenly to bound the results' size; retransmissions,
 * drops and resets never are.
 */
import type { Direction } from '../core/spec.js';
import { TRACE_POINT, type TcpTrace } from '../core/result.js';
import type { WireEvent } from './engine.js';
import type { PcapFile } from './pcap-reader.js';

export interface TraceOptions {
  /** The scenario's t=0 on CLOCK_MONOTONIC, ns. */
  originNs: number;
  /** CLOCK_REALTIME − CLOCK_MONOTONIC, ns: the capture's timestamps are wall-clock times. */
  captureClockOffsetNs: number;
  /** The path's client side address: packets from it travel upstream. */
  clientAddress: string;
  /** Engine events' `atMs` + this = CLOCK_MONOTONIC ms. */
  eventClockOffsetMs: number;
  /** Flows kept, most eventful first. Default 6. */
  maxFlows?: number;
  /** Points kept per flow (regular segments are thinned to fit). Default 4000. */
  maxPoints?: number;
}

interface Flow {
  key: string;
  direction: Direction;
  sourcePort: number;
  destinationPort: number;
  /** Sequence number of the flow's first data byte; undefined until known. */
  base?: number;
  partial: boolean;
  /** Highest relative sequence end sent so far. */
  highestEnd: number;
  bytes: number;
  segments: number;
  retransmits: number;
  drops: number;
  /** Capture times (monotonic ns) of each data segment by relative start: tells a dropped data
   * segment from a dropped ACK, and places a drop at the time of the packet it hit. */
  sent: Map<number, number[]>;
  points: Array<[number, number, number]>;
}

const TCP = 6;
const SYN = 0x02;

/** The TCP flows of an "entered" capture with the engine's events, as TcpTraces. */
export function buildTcpTraces(capture: PcapFile, events: readonly WireEvent[], options: TraceOptions): TcpTrace[] {
  const flows = new Map<string, Flow>();
  const seconds = (ns: number) => Math.round((ns - options.originNs) / 1e3) / 1e6;
  for (const record of capture.records) {
    const packet = parseTcp(record.data);
    if (!packet) continue;
    const direction: Direction = packet.source === options.clientAddress ? 'upstream' : 'downstream';
    const key = `${packet.source}:${packet.sourcePort} → ${packet.destination}:${packet.destinationPort}`;
    let flow = flows.get(key);
    if (!flow) {
      flow = { key, direction, sourcePort: packet.sourcePort, destinationPort: packet.destinationPort, partial: false, highestEnd: 0, bytes: 0, segments: 0, retransmits: 0, drops: 0, sent: new Map(), points: [] };
      flows.set(key, flow);
    }
    if (packet.flags & SYN) {
      flow.base = (packet.seq + 1) >>> 0;
      continue;
    }
    if (packet.payload === 0) continue;
    if (flow.base === undefined) {
      flow.base = packet.seq;
      flow.partial = true;
    }
    const start = relative(packet.seq, flow.base);
    if (start === undefined) continue;
    const end = start + packet.payload;
    const retransmitted = start < flow.highestEnd;
    flow.highestEnd = Math.max(flow.highestEnd, end);
    const atNs = Number(record.timeNs) - options.captureClockOffsetNs;
    flow.segments++;
    flow.bytes += packet.payload;
    flow.sent.set(start, [...(flow.sent.get(start) ?? []), atNs]);
    if (retransmitted) flow.retransmits++;
    flow.points.push([seconds(atNs), start, retransmitted ? TRACE_POINT.retransmitted : TRACE_POINT.sent]);
  }

  const byPorts = new Map<string, Flow>();
  for (const flow of flows.values()) byPorts.set(`${flow.direction} ${flow.sourcePort} ${flow.destinationPort}`, flow);
  for (const event of events) {
    if (event.protocol !== 'tcp') continue;
    const reset = event.action === 'reset_sent';
    if (!reset && !event.action.startsWith('dropped_')) continue;
    const flow = byPorts.get(`${event.direction} ${event.sourcePort} ${event.destinationPort}`);
    if (flow?.base === undefined) continue;
    const start = relative(event.tcpSeq, flow.base);
    const times = start === undefined ? undefined : flow.sent.get(start);
    if (start === undefined || (!reset && !times)) continue;
    if (!reset) flow.drops++;
    const eventNs = (event.atMs + options.eventClockOffsetMs) * 1e6;
    // The transmission the drop hit: the capture's time of the same segment nearest the event.
    const atNs = times ? times.reduce((best, t) => (Math.abs(t - eventNs) < Math.abs(best - eventNs) ? t : best)) : eventNs;
    flow.points.push([seconds(atNs), start, reset ? TRACE_POINT.reset : TRACE_POINT.dropped]);
  }

  return [...flows.values()]
    .filter((f) => f.segments > 0)
    .sort((a, b) => b.retransmits + b.drops - (a.retransmits + a.drops) || b.bytes - a.bytes)
    .slice(0, options.maxFlows ?? 6)
    .map((flow) => toTrace(flow, options.maxPoints ?? 4000));
}

function toTrace(flow: Flow, maxPoints: number): TcpTrace {
  const points = flow.points.sort((a, b) => a[0] - b[0]);
  const regular = points.filter((p) => p[2] === TRACE_POINT.sent);
  const room = Math.max(1, maxPoints - (points.length - regular.length));
  const trace: TcpTrace = { flow: flow.key, direction: flow.direction, points, segments: flow.segments, retransmits: flow.retransmits, drops: flow.drops };
  if (regular.length > room) {
    const every = regular.length / room;
    const kept = new Set<[number, number, number]>();
    for (let i = 0; i < room; i++) kept.add(regular[Math.floor(i * every)]!);
    trace.points = points.filter((p) => p[2] !== TRACE_POINT.sent || kept.has(p));
    trace.thinned = { from: points.length };
  }
  if (flow.partial) trace.partial = true;
  return trace;
}

/** `seq − base` modulo 2³², or undefined for a sequence number before the base (a wrapped-back one). */
function relative(seq: number, base: number): number | undefined {
  const delta = (seq - base) >>> 0;
  return delta >= 0x8000_0000 ? undefined : delta;
}

interface TcpPacket {
  source: string;
  destination: string;
  sourcePort: number;
  destinationPort: number;
  seq: number;
  flags: number;
  payload: number;
}

/** The TCP header fields of a bare IPv4 packet (first fragments only), or undefined. */
export function parseTcp(data: Buffer): TcpPacket | undefined {
  if (data.length < 20 || data[0]! >> 4 !== 4 || data[9] !== TCP) return undefined;
  const ihl = (data[0]! & 0x0f) * 4;
  // A later fragment carries no TCP header.
  if ((data.readUInt16BE(6) & 0x1fff) !== 0 || data.length < ihl + 20) return undefined;
  const total = data.readUInt16BE(2);
  const offset = (data[ihl + 12]! >> 4) * 4;
  return {
    source: `${data[12]}.${data[13]}.${data[14]}.${data[15]}`,
    destination: `${data[16]}.${data[17]}.${data[18]}.${data[19]}`,
    sourcePort: data.readUInt16BE(ihl),
    destinationPort: data.readUInt16BE(ihl + 2),
    seq: data.readUInt32BE(ihl + 4),
    flags: data[ihl + 13]!,
    payload: Math.max(0, total - ihl - offset),
  };
}

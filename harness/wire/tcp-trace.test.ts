import { describe, expect, it } from 'vitest';
import { TRACE_POINT } from '../core/result.js';
import type { WireEvent } from './engine.js';
import type { PcapFile } from './pcap-reader.js';
import { buildTcpTraces, parseTcp } from './tcp-trace.js';

const CLIENT = '198.18.0.1';
const TARGET = '198.18.0.2';
/** Capture clock = monotonic + this (the engine writes wall-clock times). */
const OFFSET_NS = 1_700_000_000_000_000_000;

/** A bare IPv4 + TCP packet: 20-byte IP header, 20-byte TCP header, `payload` bytes. */
function tcpPacket(from: string, to: string, sourcePort: number, destinationPort: number, seq: number, payload: number, flags = 0x10): Buffer {
  const packet = Buffer.alloc(40 + payload);
  packet[0] = 0x45;
  packet.writeUInt16BE(40 + payload, 2);
  packet.writeUInt16BE(0x4000, 6); // DF, first fragment
  packet[9] = 6;
  from.split('.').forEach((b, i) => (packet[12 + i] = Number(b)));
  to.split('.').forEach((b, i) => (packet[16 + i] = Number(b)));
  packet.writeUInt16BE(sourcePort, 20);
  packet.writeUInt16BE(destinationPort, 22);
  packet.writeUInt32BE(seq >>> 0, 24);
  packet[32] = 5 << 4;
  packet[33] = flags;
  return packet;
}

function capture(records: Array<[number, Buffer]>): PcapFile {
  return { nanosecond: true, linkType: 101, snapLength: 65535, records: records.map(([ms, data]) => ({ timeNs: BigInt(ms * 1e6 + OFFSET_NS), data, originalLength: data.length })) };
}

function drop(atMs: number, seq: number, sourcePort = 40000, destinationPort = 5000, action = 'dropped_loss'): WireEvent {
  return { atMs, direction: 'upstream', fault: 'loss_upstream', action, protocol: 'tcp', packet: 0, bytes: 1040, sourcePort, destinationPort, tcpSeq: seq };
}

const options = { originNs: 0, captureClockOffsetNs: OFFSET_NS, clientAddress: CLIENT, eventClockOffsetMs: 0 };

describe('TCP time–sequence data from a capture', () => {
  it('counts from the SYN, marks a repeat below the highest byte sent as a retransmission, and a drop at its packet', () => {
    const isn = 0xffff_fff0; // wraps around 2³² within the flow
    const traces = buildTcpTraces(
      capture([
        [1, tcpPacket(CLIENT, TARGET, 40000, 5000, isn, 0, 0x02)],
        [2, tcpPacket(TARGET, CLIENT, 5000, 40000, 777, 0, 0x12)],
        [10, tcpPacket(CLIENT, TARGET, 40000, 5000, isn + 1, 1000)],
        [11, tcpPacket(CLIENT, TARGET, 40000, 5000, isn + 1001, 1000)],
        [12, tcpPacket(CLIENT, TARGET, 40000, 5000, isn + 2001, 1000)],
        [13, tcpPacket(TARGET, CLIENT, 5000, 40000, 778, 0)],
        [60, tcpPacket(CLIENT, TARGET, 40000, 5000, isn + 1001, 1000)],
      ]),
      // The engine's clock says 11.3 ms; the drop is placed at the capture time of the packet it hit.
      [drop(11.3, (isn + 1001) >>> 0), drop(13.2, 778, 5000, 40000)],
      options,
    );
    expect(traces).toHaveLength(1);
    const [trace] = traces;
    expect(trace).toMatchObject({ flow: `${CLIENT}:40000 → ${TARGET}:5000`, direction: 'upstream', segments: 4, retransmits: 1, drops: 1 });
    expect(trace!.partial).toBeUndefined();
    expect(trace!.points).toEqual([
      [0.01, 0, TRACE_POINT.sent],
      [0.011, 1000, TRACE_POINT.sent],
      [0.011, 1000, TRACE_POINT.dropped],
      [0.012, 2000, TRACE_POINT.sent],
      [0.06, 1000, TRACE_POINT.retransmitted],
    ]);
  });

  it('orders flows by what happened to them, marks a capture that began mid-connection, and thins only regular segments', () => {
    const records: Array<[number, Buffer]> = [];
    for (let i = 0; i < 50; i++) records.push([i, tcpPacket(CLIENT, TARGET, 41000, 5000, 5000 + i * 100, 100)]);
    records.push([60, tcpPacket(CLIENT, TARGET, 42000, 5000, 9, 0, 0x02)], [61, tcpPacket(CLIENT, TARGET, 42000, 5000, 10, 10)]);
    const traces = buildTcpTraces(capture(records), [drop(5, 5000 + 5 * 100, 41000), drop(6, 5000 + 6 * 100, 41000)], { ...options, maxPoints: 12 });
    expect(traces.map((t) => t.flow)).toEqual([`${CLIENT}:41000 → ${TARGET}:5000`, `${CLIENT}:42000 → ${TARGET}:5000`]);
    const [busy, quiet] = traces;
    expect(busy!.partial).toBe(true);
    expect(busy!.thinned).toEqual({ from: 52 });
    expect(busy!.points).toHaveLength(12);
    expect(busy!.points.filter((p) => p[2] === TRACE_POINT.dropped).map((p) => p[1])).toEqual([500, 600]);
    expect(quiet!.points).toEqual([[0.061, 0, TRACE_POINT.sent]]);
  });

  it('reads only first fragments of IPv4 TCP packets', () => {
    const packet = tcpPacket(CLIENT, TARGET, 1, 2, 3, 4);
    expect(parseTcp(packet)).toMatchObject({ source: CLIENT, destination: TARGET, sourcePort: 1, destinationPort: 2, seq: 3, payload: 4 });
    const fragment = Buffer.from(packet);
    fragment.writeUInt16BE(0x0010, 6);
    expect(parseTcp(fragment)).toBeUndefined();
    const udp = Buffer.from(packet);
    udp[9] = 17;
    expect(parseTcp(udp)).toBeUndefined();
  });
});

/**
 * A minimal reader of classic pcap files, enough for the wire engine's own captures (the
 * time–sequence data of tcp-trace.ts, and the tests): the global header (microsecond or
 * nanosecond magic, either byte order) and every record, as bytes.
 */
import { readFileSync } from 'node:fs';

export interface PcapFile {
  nanosecond: boolean;
  linkType: number;
  snapLength: number;
  records: Array<{ timeNs: bigint; data: Buffer; originalLength: number }>;
}

export function readPcap(path: string): PcapFile {
  const file = readFileSync(path);
  if (file.length < 24) throw new Error(`${path}: ${file.length} bytes is no pcap file`);
  const magics: Record<number, { little: boolean; nanosecond: boolean }> = {
    0xa1b2c3d4: { little: true, nanosecond: false },
    0xa1b23c4d: { little: true, nanosecond: true },
    0xd4c3b2a1: { little: false, nanosecond: false },
    0x4d3cb2a1: { little: false, nanosecond: true },
  };
  const format = magics[file.readUInt32LE(0)];
  if (!format) throw new Error(`${path}: bad magic 0x${file.readUInt32LE(0).toString(16)}`);
  const u32 = (at: number) => (format.little ? file.readUInt32LE(at) : file.readUInt32BE(at));
  const u16 = (at: number) => (format.little ? file.readUInt16LE(at) : file.readUInt16BE(at));
  if (u16(4) !== 2 || u16(6) !== 4) throw new Error(`${path}: version ${u16(4)}.${u16(6)}, expected 2.4`);
  const records: PcapFile['records'] = [];
  for (let at = 24; at < file.length; ) {
    if (at + 16 > file.length) throw new Error(`${path}: truncated record header at byte ${at}`);
    const seconds = BigInt(u32(at));
    const fraction = BigInt(u32(at + 4));
    const length = u32(at + 8);
    if (at + 16 + length > file.length) throw new Error(`${path}: truncated record at byte ${at}`);
    records.push({
      timeNs: seconds * 1_000_000_000n + (format.nanosecond ? fraction : fraction * 1000n),
      data: file.subarray(at + 16, at + 16 + length),
      originalLength: u32(at + 12),
    });
    at += 16 + length;
  }
  return { nanosecond: format.nanosecond, linkType: u32(20), snapLength: u32(16), records };
}

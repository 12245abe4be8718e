/**
 * faultline's wire frame: a fixed 40-byte header and a payload. Every framed workload sends
 * these; the built-in sink and the echo clients verify them. Byte by byte (big-endian):
 *
 *   offset size field
 *    0      2   magic 0x46 0x4C ("FL")
 *    2      1   version (1)
 *    3      1   flags (0; reserved)
 *    4      4   workload id (u32, unique within a run)
 *    8      4   flow id (u32: the connection or UDP flow within the workload)
 *   12      8   sequence number (u64, from 0 per flow)
 *   20      8   send timestamp (u64 ns, CLOCK_MONOTONIC: see wire-time.ts)
 *   28      4   payload length in bytes (u32, ≤ MAX_FRAME_PAYLOAD_BYTES)
 *   32      4   CRC32C of the payload
 *   36      4   CRC32C of bytes 0..35 (the header checksum)
 *   40      n   payload
 *
 * The header checksum is what lets a receiver tell a damaged header from a valid one instead of
 * misparsing it (a flipped length bit would otherwise desynchronise a TCP stream for good). On
 * TCP frames follow each other in the byte stream (frame-reader.ts re-frames them); on UDP each
 * datagram is exactly one frame.
 */
import { crc32cOf } from './crc32c.js';

export const FRAME_HEADER_BYTES = 40;
export const FRAME_MAGIC_0 = 0x46;
export const FRAME_MAGIC_1 = 0x4c;
export const FRAME_VERSION = 1;
/** Larger lengths are treated as a damaged header: 16 MiB. */
export const MAX_FRAME_PAYLOAD_BYTES = 16 * 1024 * 1024;
/** The largest payload one UDP datagram can carry with the header (65 507 − 40). */
export const MAX_DATAGRAM_PAYLOAD_BYTES = 65_507 - FRAME_HEADER_BYTES;

const TWO_32 = 4_294_967_296;
const HEADER_CHECKED_BYTES = 36;

export interface FrameHeader {
  workloadId: number;
  flowId: number;
  /** Non-negative integer ≤ 2^53. */
  seq: number;
  /** Send time in ns on the wire clock. */
  sentNs: number;
  payloadLength: number;
  payloadCrc: number;
}

/** Why a header was rejected. */
export type HeaderProblem = 'short' | 'magic' | 'version' | 'header_checksum' | 'length';

/** The fields a sender chooses; length and checksum follow from the payload. */
export type FrameFields = Pick<FrameHeader, 'workloadId' | 'flowId' | 'seq' | 'sentNs'>;

/** Writes a complete header (checksum included) at `offset`. */
export function writeFrameHeader(target: Buffer, offset: number, header: FrameHeader): void {
  writeFrameHeaderFields(target, offset, header.workloadId, header.flowId, header.seq, header.sentNs, header.payloadLength, header.payloadCrc);
}

/** `writeFrameHeader` with the fields as arguments: senders call it per frame, without an object. */
export function writeFrameHeaderFields(
  target: Buffer,
  offset: number,
  workloadId: number,
  flowId: number,
  seq: number,
  sentNs: number,
  payloadLength: number,
  payloadCrc: number,
): void {
  target[offset] = FRAME_MAGIC_0;
  target[offset + 1] = FRAME_MAGIC_1;
  target[offset + 2] = FRAME_VERSION;
  target[offset + 3] = 0;
  target.writeUInt32BE(workloadId >>> 0, offset + 4);
  target.writeUInt32BE(flowId >>> 0, offset + 8);
  writeU64(target, offset + 12, seq);
  writeU64(target, offset + 20, sentNs);
  target.writeUInt32BE(payloadLength, offset + 28);
  target.writeUInt32BE(payloadCrc >>> 0, offset + 32);
  target.writeUInt32BE(crc32cOf(target, offset, HEADER_CHECKED_BYTES), offset + 36);
}

/**
 * Writes header and payload at `offset`; returns the bytes written. Pass `payloadCrc` when the
 * caller already knows it (senders cache it per payload slice).
 */
export function writeFrame(target: Buffer, offset: number, fields: FrameFields, payload: Buffer, payloadCrc?: number): number {
  writeFrameHeader(target, offset, {
    ...fields,
    payloadLength: payload.length,
    payloadCrc: payloadCrc ?? crc32cOf(payload),
  });
  payload.copy(target, offset + FRAME_HEADER_BYTES);
  return FRAME_HEADER_BYTES + payload.length;
}

/** A new buffer holding one frame. */
export function encodeFrame(fields: FrameFields, payload: Buffer, payloadCrc?: number): Buffer {
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  writeFrame(frame, 0, fields, payload, payloadCrc);
  return frame;
}

/** Parses and validates the header at `offset`, or says why it is not one. */
export function parseFrameHeader(source: Buffer, offset = 0): FrameHeader | HeaderProblem {
  if (source.length - offset < FRAME_HEADER_BYTES) return 'short';
  if (source[offset] !== FRAME_MAGIC_0 || source[offset + 1] !== FRAME_MAGIC_1) return 'magic';
  if (source[offset + 2] !== FRAME_VERSION) return 'version';
  const expected = source.readUInt32BE(offset + 36);
  if (crc32cOf(source, offset, HEADER_CHECKED_BYTES) !== expected) return 'header_checksum';
  const payloadLength = source.readUInt32BE(offset + 28);
  if (payloadLength > MAX_FRAME_PAYLOAD_BYTES) return 'length';
  return {
    workloadId: source.readUInt32BE(offset + 4),
    flowId: source.readUInt32BE(offset + 8),
    seq: readU64(source, offset + 12),
    sentNs: readU64(source, offset + 20),
    payloadLength,
    payloadCrc: source.readUInt32BE(offset + 32),
  };
}

export function isHeaderProblem(value: FrameHeader | HeaderProblem): value is HeaderProblem {
  return typeof value === 'string';
}

/** One UDP datagram, judged as a frame. */
export type DecodedDatagram =
  | { ok: true; header: FrameHeader; intact: boolean; problem?: 'payload_checksum' | 'length_mismatch' }
  | { ok: false; problem: HeaderProblem };

/**
 * Decodes a datagram that should be exactly one frame. A valid header with a payload that fails
 * its checksum, or a datagram whose size disagrees with the header (truncated or padded), is an
 * identified but damaged frame (`intact: false`).
 */
export function decodeDatagram(datagram: Buffer): DecodedDatagram {
  const header = parseFrameHeader(datagram, 0);
  if (isHeaderProblem(header)) return { ok: false, problem: header };
  if (datagram.length !== FRAME_HEADER_BYTES + header.payloadLength) {
    return { ok: true, header, intact: false, problem: 'length_mismatch' };
  }
  if (crc32cOf(datagram, FRAME_HEADER_BYTES) !== header.payloadCrc) return { ok: true, header, intact: false, problem: 'payload_checksum' };
  return { ok: true, header, intact: true };
}

function writeU64(target: Buffer, offset: number, value: number): void {
  const hi = Math.floor(value / TWO_32);
  target.writeUInt32BE(hi >>> 0, offset);
  target.writeUInt32BE((value - hi * TWO_32) >>> 0, offset + 4);
}

function readU64(source: Buffer, offset: number): number {
  return source.readUInt32BE(offset) * TWO_32 + source.readUInt32BE(offset + 4);
}

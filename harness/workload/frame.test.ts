import { crc32c } from '@node-rs/crc32';
import { describe, expect, it } from 'vitest';
import { decodeDatagram, encodeFrame, FRAME_HEADER_BYTES, parseFrameHeader, writeFrame } from './frame.js';

const fields = { workloadId: 0xdeadbeef, flowId: 7, seq: 2 ** 40 + 5, sentNs: 123_456_789_012_345 };

describe('frame encoding', () => {
  it('lays the header out byte by byte as documented', () => {
    const payload = Buffer.from('hello');
    const frame = encodeFrame(fields, payload);
    expect(frame.length).toBe(FRAME_HEADER_BYTES + 5);
    expect(frame.subarray(0, 4)).toEqual(Buffer.from([0x46, 0x4c, 1, 0]));
    expect(frame.readUInt32BE(4)).toBe(0xdeadbeef);
    expect(frame.readUInt32BE(8)).toBe(7);
    expect(frame.readBigUInt64BE(12)).toBe(BigInt(2 ** 40 + 5));
    expect(frame.readBigUInt64BE(20)).toBe(123_456_789_012_345n);
    expect(frame.readUInt32BE(28)).toBe(5);
    expect(frame.readUInt32BE(32)).toBe(crc32c(payload));
    expect(frame.readUInt32BE(36)).toBe(crc32c(frame.subarray(0, 36)));
    expect(frame.subarray(40).toString()).toBe('hello');
  });

  it('round-trips through parse and decode', () => {
    const payload = Buffer.alloc(1000, 0xab);
    const frame = encodeFrame(fields, payload);
    expect(parseFrameHeader(frame)).toEqual({ ...fields, payloadLength: 1000, payloadCrc: crc32c(payload) });
    expect(decodeDatagram(frame)).toEqual({ ok: true, header: parseFrameHeader(frame), intact: true });
  });

  it('writes several frames into one buffer at offsets', () => {
    const target = Buffer.alloc(200);
    const first = writeFrame(target, 0, { ...fields, seq: 0 }, Buffer.from('a'));
    writeFrame(target, first, { ...fields, seq: 1 }, Buffer.from('bc'));
    expect(parseFrameHeader(target, first)).toMatchObject({ seq: 1, payloadLength: 2 });
  });

  it('detects every single-bit flip in the header, and reports a payload flip as damaged but identified', () => {
    const frame = encodeFrame(fields, Buffer.from('payload bytes'));
    for (let bit = 0; bit < FRAME_HEADER_BYTES * 8; bit++) {
      const damaged = Buffer.from(frame);
      damaged[bit >> 3]! ^= 1 << (bit & 7);
      expect(decodeDatagram(damaged).ok, `header bit ${bit}`).toBe(false);
    }
    for (let bit = FRAME_HEADER_BYTES * 8; bit < frame.length * 8; bit++) {
      const damaged = Buffer.from(frame);
      damaged[bit >> 3]! ^= 1 << (bit & 7);
      expect(decodeDatagram(damaged)).toMatchObject({ ok: true, intact: false, problem: 'payload_checksum' });
    }
  });

  it('says why a header is rejected', () => {
    const frame = encodeFrame(fields, Buffer.alloc(0));
    expect(parseFrameHeader(frame.subarray(0, 39))).toBe('short');
    expect(parseFrameHeader(Buffer.concat([Buffer.from('GET / HTTP/1.1\r\n'), Buffer.alloc(30)]))).toBe('magic');
    const version = Buffer.from(frame);
    version[2] = 2;
    expect(parseFrameHeader(version)).toBe('version');
  });

  it('a truncated or padded datagram is an identified but damaged frame', () => {
    const frame = encodeFrame(fields, Buffer.alloc(100, 1));
    expect(decodeDatagram(frame.subarray(0, 120))).toMatchObject({ ok: true, intact: false, problem: 'length_mismatch' });
    expect(decodeDatagram(Buffer.concat([frame, Buffer.alloc(1)]))).toMatchObject({ ok: true, intact: false });
  });
});

import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { encodeFrame, FRAME_HEADER_BYTES } from './frame.js';
import { FrameReader, type ReceivedFrame } from './frame-reader.js';

function collect(chunks: Buffer[]) {
  const frames: ReceivedFrame[] = [];
  const garbage: number[] = [];
  const reader = new FrameReader({ onFrame: (f) => frames.push(f), onGarbage: (n) => garbage.push(n) }, { keepPayload: true });
  for (const chunk of chunks) reader.push(chunk);
  const end = reader.end();
  return { frames, garbage, end };
}

/** Splits `data` at the given cut points (any order, duplicates allowed). */
function split(data: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let start = 0;
  for (const p of [...points, data.length]) {
    chunks.push(data.subarray(start, p));
    start = p;
  }
  return chunks;
}

const frameArb = fc.record({
  flowId: fc.nat(),
  payload: fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
});

describe('FrameReader', () => {
  test.prop([fc.array(frameArb, { maxLength: 20 }), fc.array(fc.nat(), { maxLength: 40 })])(
    'any chunking yields the frames of one big chunk',
    (specs, cuts) => {
      const frames = specs.map((s, seq) => encodeFrame({ workloadId: 9, flowId: s.flowId, seq, sentNs: seq * 1000 }, s.payload));
      const stream = Buffer.concat(frames);
      const whole = collect([stream]);
      const pieces = collect(split(stream, cuts));
      expect(pieces.frames).toEqual(whole.frames);
      expect(pieces.frames.map((f) => f.payload)).toEqual(specs.map((s) => s.payload));
      expect(pieces.frames.every((f) => f.intact)).toBe(true);
      expect(pieces.garbage).toEqual([]);
      expect(pieces.end.partialBytes).toBe(0);
    },
  );

  it('handles a split at every single position, one byte at a time included', () => {
    const stream = Buffer.concat([0, 1, 2].map((seq) => encodeFrame({ workloadId: 1, flowId: 1, seq, sentNs: 5 }, Buffer.alloc(seq * 7, seq))));
    for (let at = 0; at <= stream.length; at++) {
      expect(collect([stream.subarray(0, at), stream.subarray(at)]).frames.map((f) => f.header.seq)).toEqual([0, 1, 2]);
    }
    const bytewise = [...stream].map((b) => Buffer.from([b]));
    expect(collect(bytewise).frames.map((f) => f.header.seq)).toEqual([0, 1, 2]);
  });

  it('flags a corrupted payload and stays in sync', () => {
    const frames = [0, 1, 2].map((seq) => encodeFrame({ workloadId: 1, flowId: 1, seq, sentNs: 0 }, Buffer.alloc(50, seq)));
    frames[1]![FRAME_HEADER_BYTES + 10]! ^= 0x10;
    const { frames: got, garbage } = collect([Buffer.concat(frames)]);
    expect(got.map((f) => [f.header.seq, f.intact])).toEqual([
      [0, true],
      [1, false],
      [2, true],
    ]);
    expect(garbage).toEqual([]);
  });

  test.prop([fc.integer({ min: 0, max: FRAME_HEADER_BYTES * 8 - 1 }), fc.array(fc.nat(), { maxLength: 10 })])(
    'a corrupted header costs that frame only: the reader resynchronises on the next one',
    (bit, cuts) => {
      const frames = [0, 1, 2, 3].map((seq) => encodeFrame({ workloadId: 1, flowId: 1, seq, sentNs: 0 }, Buffer.alloc(64, 0x46)));
      frames[1]![bit >> 3]! ^= 1 << (bit & 7);
      const { frames: got, garbage } = collect(split(Buffer.concat(frames), cuts));
      expect(got.map((f) => f.header.seq)).toEqual([0, 2, 3]);
      expect(got.every((f) => f.intact)).toBe(true);
      expect(garbage).toEqual([frames[1]!.length]);
    },
  );

  it('reports a stream that is not framed as garbage, not frames', () => {
    const text = Buffer.from('GET / HTTP/1.1\r\nHost: example\r\nFLFLFLFL\r\n\r\n'.repeat(20));
    const { frames, garbage, end } = collect(split(text, [5, 17, 100, 333]));
    expect(frames).toEqual([]);
    expect(garbage.reduce((a, b) => a + b, 0) + end.partialBytes).toBe(text.length);
  });

  it('finds frames after leading garbage and counts the garbage exactly', () => {
    const frame = encodeFrame({ workloadId: 1, flowId: 2, seq: 0, sentNs: 0 }, Buffer.from('x'));
    const { frames, garbage } = collect([Buffer.from('noise F'), frame.subarray(0, 10), frame.subarray(10)]);
    expect(frames).toHaveLength(1);
    expect(garbage).toEqual([7]);
  });

  it('reports how much of a frame was cut off at the end', () => {
    const frame = encodeFrame({ workloadId: 1, flowId: 2, seq: 0, sentNs: 0 }, Buffer.alloc(100));
    expect(collect([frame.subarray(0, 20)]).end.partialBytes).toBe(20);
    expect(collect([frame.subarray(0, 70)]).end.partialBytes).toBe(70);
  });
});

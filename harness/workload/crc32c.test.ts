import { crc32c } from '@node-rs/crc32';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { crc32cOf, SHORT_CRC_MAX_BYTES } from './crc32c.js';

describe('crc32cOf', () => {
  it('matches the CRC32C check value ("123456789" → 0xE3069283)', () => {
    expect(crc32cOf(Buffer.from('123456789'))).toBe(0xe3069283);
  });

  test.prop([fc.uint8Array({ maxLength: 3 * SHORT_CRC_MAX_BYTES }), fc.nat(), fc.nat(), fc.integer({ min: 0, max: 0xffff_ffff })])(
    'equals the native CRC32C for any range and any previous value, short or long',
    (bytes, a, b, previous) => {
      const offset = bytes.length === 0 ? 0 : a % bytes.length;
      const length = bytes.length - offset === 0 ? 0 : b % (bytes.length - offset + 1);
      const range = Buffer.from(bytes.subarray(offset, offset + length));
      expect(crc32cOf(bytes, offset, length, previous)).toBe(crc32c(range, previous) >>> 0);
    },
  );

  test.prop([fc.uint8Array({ maxLength: 600 }), fc.nat()])('continues across a split exactly like one pass', (bytes, at) => {
    const split = bytes.length === 0 ? 0 : at % bytes.length;
    const first = crc32cOf(bytes, 0, split);
    expect(crc32cOf(bytes, split, bytes.length - split, first)).toBe(crc32cOf(bytes));
  });
});

/**
 * Payload bytes for framed messages: slices of one seeded random block, so payloads are
 * reproducible from the run's seed, differ between neighbouring messages, and cost a copy rather
 * than fresh random numbers per message. The CRC32C of a slice is cached: there are only a few
 * slice positions per size, so a GB/s sender computes each checksum once.
 */
import type { Rng } from '../core/rng.js';
import { crc32cOf } from './crc32c.js';
import type { SizeSpec } from './spec.js';

/** Distinct slice positions per size. */
const VARIANTS = 16;
const MIN_BLOCK_BYTES = 64 * 1024;
const MAX_CACHED = 4096;

export class PayloadSource {
  private readonly block: Buffer;
  private readonly crcs = new Map<number, number>();

  constructor(rng: Rng, maxPayloadBytes: number) {
    this.block = Buffer.allocUnsafe(Math.max(MIN_BLOCK_BYTES, maxPayloadBytes + VARIANTS * 257));
    for (let i = 0; i + 4 <= this.block.length; i += 4) this.block.writeUInt32LE(rng.int(0, 0xffff_ffff), i);
  }

  /** The payload of message `seq` with `size` bytes (a view: copy it before changing it). */
  bytes(seq: number, size: number): Buffer {
    const offset = this.offsetOf(seq, size);
    return this.block.subarray(offset, offset + size);
  }

  /** CRC32C of `bytes(seq, size)`. */
  crc(seq: number, size: number): number {
    const variant = seq % VARIANTS;
    const key = variant * 0x2000000 + size;
    let crc = this.crcs.get(key);
    if (crc === undefined) {
      if (this.crcs.size >= MAX_CACHED) this.crcs.clear();
      crc = crc32cOf(this.block, this.offsetOf(seq, size), size);
      this.crcs.set(key, crc);
    }
    return crc;
  }

  private offsetOf(seq: number, size: number): number {
    const room = this.block.length - size + 1;
    return ((seq % VARIANTS) * 257) % room;
  }
}

/** Draws message sizes: fixed, or uniform in [min, max] from the rng. */
export function createSizePicker(size: SizeSpec, rng: Rng): () => number {
  if (typeof size === 'number') return () => size;
  const { min, max } = size;
  return () => rng.int(min, max);
}

/** The largest payload a size spec can ask for. */
export function maxSizeOf(size: SizeSpec): number {
  return typeof size === 'number' ? size : size.max;
}

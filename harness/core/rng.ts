/**
 * Seeded randomness. Every random decision in faultline (jitter, toxicity, loss, slicer sizes,
 * ephemeral choices in workloads) draws from an Rng derived from the run's seed, so a run can be
 * replayed from its seed.
 *
 * `fork(label)` derives an independent child stream from the parent's *seed and label only*, not
 * from how many numbers the parent has drawn. So `rng.fork('proxy:db/conn:3')` is the same stream
 * whatever else happened before it — which is what makes decisions reproducible when unrelated
 * parts of a run do their work in a different order.
 *
 * Generator: xoshiro128** (Blackman & Vigna), 128-bit state, seeded through splitmix32; labels
 * are mixed in with FNV-1a. Fast, well distributed, and not for cryptography.
 */

export interface Rng {
  /** The material this stream was derived from, as `seed` or `seed/label/label…`. */
  readonly id: string;
  /** Uniform float in [0, 1) with 53 bits of precision. */
  next(): number;
  /** Uniform integer in [min, max], both inclusive. */
  int(min: number, max: number): number;
  /** True with probability `p` (p ≤ 0 never, p ≥ 1 always, and neither draws). */
  chance(p: number): boolean;
  /** An independent stream for a named purpose; depends only on this stream's id and `label`. */
  fork(label: string): Rng;
}

/** The largest seed faultline prints and accepts: seeds are unsigned 32-bit integers. */
export const MAX_SEED = 0xffff_ffff;

/** Creates the root stream of a run from an unsigned 32-bit seed. */
export function createRng(seed: number): Rng {
  if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) {
    throw new RangeError(`seed must be an integer in 0..${MAX_SEED}, got ${seed}`);
  }
  return new Xoshiro128(String(seed), [seed >>> 0, 0x9e3779b9, 0x243f6a88, 0xb7e15162]);
}

/** A fresh seed for runs that were not given one (the only non-replayable randomness). */
export function randomSeed(): number {
  const bytes = new Uint32Array(1);
  globalThis.crypto.getRandomValues(bytes);
  return bytes[0]!;
}

class Xoshiro128 implements Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(
    readonly id: string,
    private readonly material: readonly number[],
  ) {
    // splitmix32 over the material fills the state; never all zero.
    let x = 0;
    for (const word of material) x = mix32((x ^ word) >>> 0);
    const sm = splitmix32(x);
    this.s0 = sm();
    this.s1 = sm();
    this.s2 = sm();
    this.s3 = sm();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  private nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  next(): number {
    const hi = this.nextU32() >>> 5; // 27 bits
    const lo = this.nextU32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  int(min: number, max: number): number {
    if (max < min) throw new RangeError(`int(${min}, ${max}): max < min`);
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    if (p <= 0) return false;
    if (p >= 1) return true;
    return this.next() < p;
  }

  fork(label: string): Rng {
    return new Xoshiro128(`${this.id}/${label}`, [...this.material, fnv1a(label)]);
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

function splitmix32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    return mix32(state);
  };
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

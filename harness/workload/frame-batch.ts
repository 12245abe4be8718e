/**
 * Frames gathered for one socket write. Small payloads are copied next to their header in one
 * buffer; large ones (≥ ZERO_COPY_MIN_PAYLOAD_BYTES) go by reference — they are views of the
 * payload source's immutable block, so the only bytes written per large frame are its 40-byte
 * header. The result is a list of chunks for one corked write (a single writev).
 *
 *   [hdr|payload|hdr|payload|hdr]  [payload view]  [hdr|payload]   ← chunks
 *    └──────── copy buffer ───────┘                 └ copy buffer ┘
 *
 * Why: copying every payload byte once more on the sender costs as much as the kernel's own copy
 * on loopback, which would make the harness, not the path, the bottleneck of a bulk transfer.
 */
import { FRAME_HEADER_BYTES, writeFrameHeaderFields } from './frame.js';
import { wireNowNs } from './wire-time.js';

/** Payloads at least this large are written by reference instead of copied, bytes. */
export const ZERO_COPY_MIN_PAYLOAD_BYTES = 4096;
/** Wire bytes per batch before it is written, bytes. */
export const BATCH_BYTES = 256 * 1024;

export class FrameBatch {
  private used = 0;
  private regionStart = 0;
  private readonly chunks: Buffer[] = [];
  frames = 0;
  bytes = 0;
  /**
   * One send timestamp for the whole batch (wire ns): its frames leave in one write, and reading
   * the clock once per frame would cost more than the frame at GB/s.
   */
  readonly sentNs = wireNowNs();

  /** `buffer` holds copied frames and headers; it must stay untouched until the write completes. */
  constructor(readonly buffer: Buffer) {}

  /** Whether a frame with `payloadBytes` can still join (an empty batch takes any frame). */
  fits(payloadBytes: number): boolean {
    if (this.frames === 0) return true;
    const wire = FRAME_HEADER_BYTES + payloadBytes;
    const copied = payloadBytes >= ZERO_COPY_MIN_PAYLOAD_BYTES ? FRAME_HEADER_BYTES : wire;
    return this.bytes + wire <= BATCH_BYTES && this.used + copied <= this.buffer.length;
  }

  /** Adds a frame; the caller checked `fits` (or the batch is empty and big enough). */
  add(workloadId: number, flowId: number, seq: number, sentNs: number, payload: Buffer, payloadCrc: number): void {
    writeFrameHeaderFields(this.buffer, this.used, workloadId, flowId, seq, sentNs, payload.length, payloadCrc);
    this.used += FRAME_HEADER_BYTES;
    if (payload.length >= ZERO_COPY_MIN_PAYLOAD_BYTES) {
      this.chunks.push(this.buffer.subarray(this.regionStart, this.used), payload);
      this.regionStart = this.used;
    } else {
      payload.copy(this.buffer, this.used);
      this.used += payload.length;
    }
    this.frames++;
    this.bytes += FRAME_HEADER_BYTES + payload.length;
  }

  /** The chunks to write, in order. */
  finish(): Buffer[] {
    if (this.used > this.regionStart) this.chunks.push(this.buffer.subarray(this.regionStart, this.used));
    this.regionStart = this.used;
    return this.chunks;
  }
}

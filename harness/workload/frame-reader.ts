/**
 * Re-frames a TCP byte stream into frames, whatever the chunking: a split anywhere, including
 * inside the 40-byte header, yields the same frames as one big chunk.
 *
 *   chunk ──▶ [header: 40 bytes, assembled in place or across chunks] ──▶ validate
 *                 │ valid                                   │ invalid (magic, checksum, length)
 *                 ▼                                         ▼
 *             [payload: CRC32C computed incrementally]   skip to the next "FL" magic, count the
 *                 │                                      skipped bytes as garbage, try again
 *                 ▼
 *             onFrame(header, intact)
 *
 * The payload is never copied unless `keepPayload` asks for it: its checksum is computed chunk by
 * chunk (CRC32C is incremental), so a gigabyte stream costs one pass of the hardware CRC.
 * Resynchronisation means a corrupted header costs that frame (reported as garbage) and not the
 * rest of the stream; a stream that is not faultline's framing at all is reported as garbage
 * rather than misparsed.
 */
import { crc32cOf } from './crc32c.js';
import { FRAME_HEADER_BYTES, FRAME_MAGIC_0, isHeaderProblem, parseFrameHeader, type FrameHeader } from './frame.js';

export interface ReceivedFrame {
  header: FrameHeader;
  /** The payload matched its checksum. */
  intact: boolean;
  /** Only with `keepPayload`. */
  payload?: Buffer;
}

export interface FrameReaderHandlers {
  onFrame(frame: ReceivedFrame): void;
  /**
   * A run of bytes that did not parse as frames. Called once per run, when a valid header is found
   * again (or at `end()`), with the run's length.
   */
  onGarbage?(bytes: number): void;
}

export interface FrameReaderOptions {
  /** Collect each frame's payload bytes (tests, debugging). Default false. */
  keepPayload?: boolean;
}

export interface FrameReaderEnd {
  /** Bytes of a frame that had started but not finished when the stream ended (header included). */
  partialBytes: number;
}

export class FrameReader {
  private readonly header = Buffer.alloc(FRAME_HEADER_BYTES);
  private headerFill = 0;
  private current: FrameHeader | null = null;
  private remaining = 0;
  private crc = 0;
  private payloadParts: Buffer[] = [];
  private garbage = 0;
  private synced = true;
  private readonly keepPayload: boolean;

  constructor(
    private readonly handlers: FrameReaderHandlers,
    options: FrameReaderOptions = {},
  ) {
    this.keepPayload = options.keepPayload ?? false;
  }

  /** Whether the reader is aligned on frame boundaries (false while skipping garbage). */
  get inSync(): boolean {
    return this.synced;
  }

  push(chunk: Buffer): void {
    let offset = 0;
    const length = chunk.length;
    while (offset < length) {
      if (this.current !== null) {
        offset = this.consumePayload(chunk, offset);
        continue;
      }
      if (this.headerFill === 0) {
        if (!this.synced) {
          // Skip to the next candidate magic byte in one native search.
          const at = chunk.indexOf(FRAME_MAGIC_0, offset);
          if (at < 0) {
            this.garbage += length - offset;
            return;
          }
          this.garbage += at - offset;
          offset = at;
        }
        if (length - offset >= FRAME_HEADER_BYTES) {
          // Fast path: the whole header is in this chunk.
          const parsed = parseFrameHeader(chunk, offset);
          if (isHeaderProblem(parsed)) {
            this.loseSync(1);
            offset += 1;
          } else {
            offset += FRAME_HEADER_BYTES;
            this.startFrame(parsed);
          }
          continue;
        }
      }
      // Assemble the header across chunks.
      const take = Math.min(FRAME_HEADER_BYTES - this.headerFill, length - offset);
      chunk.copy(this.header, this.headerFill, offset, offset + take);
      this.headerFill += take;
      offset += take;
      if (this.headerFill === FRAME_HEADER_BYTES) this.checkAssembledHeader();
    }
  }

  /** The stream ended: reports trailing garbage and how much of a frame was left unfinished. */
  end(): FrameReaderEnd {
    let partialBytes = 0;
    if (this.current !== null) {
      partialBytes = FRAME_HEADER_BYTES + (this.current.payloadLength - this.remaining);
    } else if (this.synced) {
      partialBytes = this.headerFill;
    } else {
      this.garbage += this.headerFill;
    }
    this.flushGarbage();
    this.current = null;
    this.headerFill = 0;
    this.payloadParts = [];
    this.synced = true;
    return { partialBytes };
  }

  private consumePayload(chunk: Buffer, offset: number): number {
    const take = Math.min(this.remaining, chunk.length - offset);
    this.crc = crc32cOf(chunk, offset, take, this.crc);
    if (this.keepPayload) this.payloadParts.push(Buffer.from(chunk.subarray(offset, offset + take)));
    this.remaining -= take;
    if (this.remaining === 0) this.finishFrame();
    return offset + take;
  }

  private checkAssembledHeader(): void {
    const parsed = parseFrameHeader(this.header, 0);
    if (!isHeaderProblem(parsed)) {
      this.headerFill = 0;
      this.startFrame(parsed);
      return;
    }
    // Not a header: keep whatever follows the next candidate magic byte and count the rest.
    const next = this.header.indexOf(FRAME_MAGIC_0, 1);
    if (next < 0) {
      this.loseSync(FRAME_HEADER_BYTES);
      this.headerFill = 0;
    } else {
      this.loseSync(next);
      this.header.copyWithin(0, next, FRAME_HEADER_BYTES);
      this.headerFill = FRAME_HEADER_BYTES - next;
    }
  }

  private loseSync(skipped: number): void {
    this.synced = false;
    this.garbage += skipped;
  }

  private startFrame(header: FrameHeader): void {
    this.flushGarbage();
    this.synced = true;
    this.current = header;
    this.remaining = header.payloadLength;
    this.crc = 0;
    if (this.remaining === 0) this.finishFrame();
  }

  private finishFrame(): void {
    const header = this.current!;
    this.current = null;
    const frame: ReceivedFrame = { header, intact: this.crc >>> 0 === header.payloadCrc };
    if (this.keepPayload) {
      frame.payload = Buffer.concat(this.payloadParts);
      this.payloadParts = [];
    }
    this.handlers.onFrame(frame);
  }

  private flushGarbage(): void {
    if (this.garbage === 0) return;
    const bytes = this.garbage;
    this.garbage = 0;
    this.handlers.onGarbage?.(bytes);
  }
}

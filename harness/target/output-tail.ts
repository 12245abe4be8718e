/**
 * The bounded tail of a process's output: the last `limitBytes` bytes, for reports and error
 * messages. A chatty target cannot grow faultline's memory; `truncated` says something was cut.
 */

/** Default bytes kept per stream. */
export const OUTPUT_TAIL_BYTES = 64 * 1024;

export class OutputTail {
  private chunks: Buffer[] = [];
  private length = 0;
  private cut = false;

  constructor(private readonly limitBytes = OUTPUT_TAIL_BYTES) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.length += chunk.length;
    // Compact lazily, at twice the limit, so a stream of small chunks costs O(1) amortised.
    if (this.length > 2 * this.limitBytes) this.compact();
  }

  get truncated(): boolean {
    return this.cut || this.length > this.limitBytes;
  }

  /** The kept output as UTF-8, without a partial character at the cut. */
  text(): string {
    this.compact();
    const text = Buffer.concat(this.chunks).toString('utf8');
    return this.cut ? text.replace(/^\uFFFD+/, '') : text;
  }

  /** The last `count` non-empty lines. */
  lastLines(count: number): string[] {
    const lines = this.text().split(/\r?\n/).filter((line) => line.trim() !== '');
    return lines.slice(-count);
  }

  private compact(): void {
    if (this.length <= this.limitBytes) return;
    const all = Buffer.concat(this.chunks);
    this.chunks = [all.subarray(all.length - this.limitBytes)];
    this.length = this.limitBytes;
    this.cut = true;
  }
}

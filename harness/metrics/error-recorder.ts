/**
 * Errors seen by a workload, aggregated by classified code (ECONNRESET, EOF_EARLY, MISMATCH…)
 * with when they were first and last seen and the first message. Errors are data: recording
 * one never throws and never stops anything.
 */
import type { ErrorCount } from '../core/result.js';

/** Longest first-message kept per code, in characters. */
const MAX_MESSAGE_CHARS = 300;

export class ErrorRecorder {
  private readonly byCode = new Map<string, ErrorCount>();
  private count = 0;

  /** Records one error; `atMs` is relative to the scenario start. */
  record(code: string, atMs: number, message: string): void {
    this.count++;
    const entry = this.byCode.get(code);
    if (entry === undefined) {
      const text = message.length > MAX_MESSAGE_CHARS ? `${message.slice(0, MAX_MESSAGE_CHARS - 1)}…` : message;
      this.byCode.set(code, { code, count: 1, firstAtMs: atMs, lastAtMs: atMs, message: text });
      return;
    }
    entry.count++;
    if (atMs < entry.firstAtMs) entry.firstAtMs = atMs;
    if (atMs > entry.lastAtMs) entry.lastAtMs = atMs;
  }

  /** Adds every error of `other`. */
  merge(other: ErrorRecorder): void {
    for (const entry of other.byCode.values()) {
      const mine = this.byCode.get(entry.code);
      this.count += entry.count;
      if (mine === undefined) {
        this.byCode.set(entry.code, { ...entry });
      } else {
        mine.count += entry.count;
        if (entry.firstAtMs < mine.firstAtMs) {
          mine.firstAtMs = entry.firstAtMs;
          mine.message = entry.message;
        }
        mine.lastAtMs = Math.max(mine.lastAtMs, entry.lastAtMs);
      }
    }
  }

  /** Total errors of every code. */
  get total(): number {
    return this.count;
  }

  /** How many errors of `code` were recorded. */
  countOf(code: string): number {
    return this.byCode.get(code)?.count ?? 0;
  }

  /** One entry per code, in order of first occurrence. */
  toErrorCounts(): ErrorCount[] {
    return [...this.byCode.values()].map((e) => ({ ...e })).sort((a, b) => a.firstAtMs - b.firstAtMs || a.code.localeCompare(b.code));
  }
}

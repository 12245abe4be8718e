/**
 * Raw workloads' response handling: cutting responses out of a TCP byte stream by the framing
 * rule, checking them against an expectation, and showing bytes to people (escaped, bounded).
 *
 * A response is the bytes exactly as the server sent them: with `newline` the `\n` is part of it,
 * with `length_prefix` the prefix is. Bytes after a response stay for the next one, so a server
 * that answers one request twice shifts every later response — which is what a broken framing
 * looks like from the client.
 */
import type { Expectation, Framing, RawRequest } from './spec.js';

/** How many mismatches a result keeps in full. */
export const MAX_MISMATCHES_KEPT = 10;
/** How many bytes of a request or response a mismatch shows. */
export const MAX_SHOWN_BYTES = 120;

/**
 * Accumulates bytes and yields complete responses for the counted framings (`newline`,
 * `length_prefix`, `length`). `idle` is time-based: the caller takes everything with `takeAll`
 * when the line goes quiet.
 */
export class ResponseCutter {
  private buffered: Buffer = Buffer.alloc(0);

  constructor(private readonly framing: Framing) {}

  push(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
  }

  get pendingBytes(): number {
    return this.buffered.length;
  }

  /** The next complete response, or undefined until more bytes arrive. */
  next(): Buffer | undefined {
    const end = this.endOfFirst();
    if (end === undefined) return undefined;
    const response = this.buffered.subarray(0, end);
    this.buffered = this.buffered.subarray(end);
    return response;
  }

  /** Everything buffered (idle framing, or what was left when the stream ended). */
  takeAll(): Buffer {
    const all = this.buffered;
    this.buffered = Buffer.alloc(0);
    return all;
  }

  private endOfFirst(): number | undefined {
    const framing = this.framing;
    const buf = this.buffered;
    switch (framing.kind) {
      case 'newline': {
        const at = buf.indexOf(0x0a);
        return at < 0 ? undefined : at + 1;
      }
      case 'length_prefix': {
        if (buf.length < framing.bytes) return undefined;
        const body = buf.readUIntBE(0, framing.bytes);
        return buf.length >= framing.bytes + body ? framing.bytes + body : undefined;
      }
      case 'length':
        return buf.length >= framing.bytes ? framing.bytes : undefined;
      case 'idle':
        return undefined;
    }
  }
}

/** Why a response did not match, or null when it did (or nothing was expected). */
export function checkResponse(expect: Expectation | undefined, response: Buffer): string | null {
  if (expect === undefined) return null;
  switch (expect.kind) {
    case 'exact':
      return response.equals(expect.bytes) ? null : 'not equal to the expected bytes';
    case 'prefix':
      return response.subarray(0, expect.bytes.length).equals(expect.bytes) ? null : 'does not start with the expected bytes';
    case 'regex': {
      expect.pattern.lastIndex = 0;
      return expect.pattern.test(response.toString('utf8')) ? null : `does not match /${expect.pattern.source}/`;
    }
  }
}

/** What was expected, for a mismatch report. */
export function describeExpectation(request: RawRequest): string {
  const expect = request.expect;
  if (expect === undefined) return '(anything)';
  switch (expect.kind) {
    case 'exact':
      return escapeBytes(expect.bytes);
    case 'prefix':
      return `${escapeBytes(expect.bytes)}…`;
    case 'regex':
      return `/${expect.pattern.source}/${expect.pattern.flags}`;
  }
}

/**
 * Bytes as a quoted, escaped string: printable ASCII as is, `\n \r \t \\ \"`, anything else
 * `\xNN`; longer than `maxBytes` is cut with a count of what was left out.
 */
export function escapeBytes(bytes: Buffer, maxBytes = MAX_SHOWN_BYTES): string {
  let text = '"';
  const shown = Math.min(bytes.length, maxBytes);
  for (let i = 0; i < shown; i++) {
    const b = bytes[i]!;
    if (b === 0x0a) text += '\\n';
    else if (b === 0x0d) text += '\\r';
    else if (b === 0x09) text += '\\t';
    else if (b === 0x5c) text += '\\\\';
    else if (b === 0x22) text += '\\"';
    else if (b >= 0x20 && b < 0x7f) text += String.fromCharCode(b);
    else text += `\\x${b.toString(16).padStart(2, '0')}`;
  }
  text += '"';
  if (bytes.length > shown) text += `… (+${bytes.length - shown} bytes)`;
  return text;
}

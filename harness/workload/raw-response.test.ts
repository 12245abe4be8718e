import { describe, expect, it } from 'vitest';
import { checkResponse, escapeBytes, ResponseCutter } from './raw-response.js';
import type { Framing } from './spec.js';

function cutAll(framing: Framing, stream: Buffer, chunk: number): Buffer[] {
  const cutter = new ResponseCutter(framing);
  const out: Buffer[] = [];
  for (let i = 0; i < stream.length; i += chunk) {
    cutter.push(stream.subarray(i, i + chunk));
    for (let r = cutter.next(); r !== undefined; r = cutter.next()) out.push(Buffer.from(r));
  }
  return out;
}

describe('ResponseCutter', () => {
  const cases: Array<[string, Framing, Buffer, string[]]> = [
    ['newline', { kind: 'newline' }, Buffer.from('a\nbc\n\nd'), ['a\n', 'bc\n', '\n']],
    ['length_prefix 1', { kind: 'length_prefix', bytes: 1 }, Buffer.from('\x02hi\x00\x03abc'), ['\x02hi', '\x00', '\x03abc']],
    ['length_prefix 2', { kind: 'length_prefix', bytes: 2 }, Buffer.from('\x00\x01x\x00\x00'), ['\x00\x01x', '\x00\x00']],
    ['length_prefix 4', { kind: 'length_prefix', bytes: 4 }, Buffer.from('\x00\x00\x00\x02ok\x00\x00'), ['\x00\x00\x00\x02ok']],
    ['length', { kind: 'length', bytes: 3 }, Buffer.from('abcdefgh'), ['abc', 'def']],
  ];
  for (const [name, framing, stream, expected] of cases) {
    it(`${name}: the same responses whatever the chunking`, () => {
      for (let chunk = 1; chunk <= stream.length; chunk++) {
        expect(cutAll(framing, stream, chunk).map((b) => b.toString('latin1'))).toEqual(expected);
      }
    });
  }

  it('idle framing never cuts by itself; takeAll hands over what is buffered', () => {
    const cutter = new ResponseCutter({ kind: 'idle', ms: 50 });
    cutter.push(Buffer.from('ab'));
    cutter.push(Buffer.from('c'));
    expect(cutter.next()).toBeUndefined();
    expect(cutter.takeAll().toString()).toBe('abc');
    expect(cutter.pendingBytes).toBe(0);
  });
});

describe('checkResponse', () => {
  it('exact, prefix and regex', () => {
    expect(checkResponse({ kind: 'exact', bytes: Buffer.from('PONG\n') }, Buffer.from('PONG\n'))).toBeNull();
    expect(checkResponse({ kind: 'exact', bytes: Buffer.from('PONG\n') }, Buffer.from('PONG'))).toMatch(/not equal/);
    expect(checkResponse({ kind: 'prefix', bytes: Buffer.from('+OK') }, Buffer.from('+OK ready\r\n'))).toBeNull();
    expect(checkResponse({ kind: 'prefix', bytes: Buffer.from('+OK') }, Buffer.from('-ERR'))).toMatch(/start/);
    const g = /PONG \d+/g;
    expect(checkResponse({ kind: 'regex', pattern: g }, Buffer.from('PONG 1'))).toBeNull();
    expect(checkResponse({ kind: 'regex', pattern: g }, Buffer.from('PONG 2'))).toBeNull(); // lastIndex reset
    expect(checkResponse(undefined, Buffer.from('anything'))).toBeNull();
  });
});

describe('escapeBytes', () => {
  it('escapes control and non-ASCII bytes and bounds the length', () => {
    expect(escapeBytes(Buffer.from('a"b\\\r\n\t\x00\xff', 'latin1'))).toBe('"a\\"b\\\\\\r\\n\\t\\x00\\xff"');
    expect(escapeBytes(Buffer.alloc(10, 0x41), 4)).toBe('"AAAA"… (+6 bytes)');
  });
});

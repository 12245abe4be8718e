import { describe, expect, it } from 'vitest';
import { ErrorRecorder } from './error-recorder.js';

describe('ErrorRecorder', () => {
  it('aggregates by code with first/last time and the first message', () => {
    const e = new ErrorRecorder();
    e.record('ECONNRESET', 30, 'reset 1');
    e.record('ETIMEDOUT', 10, 'slow');
    e.record('ECONNRESET', 50, 'reset 2');
    expect(e.total).toBe(3);
    expect(e.toErrorCounts()).toEqual([
      { code: 'ETIMEDOUT', count: 1, firstAtMs: 10, lastAtMs: 10, message: 'slow' },
      { code: 'ECONNRESET', count: 2, firstAtMs: 30, lastAtMs: 50, message: 'reset 1' },
    ]);
  });

  it('merges, keeping the earliest message', () => {
    const a = new ErrorRecorder();
    const b = new ErrorRecorder();
    a.record('EPIPE', 20, 'late');
    b.record('EPIPE', 5, 'early');
    a.merge(b);
    expect(a.toErrorCounts()).toEqual([{ code: 'EPIPE', count: 2, firstAtMs: 5, lastAtMs: 20, message: 'early' }]);
    expect(a.countOf('EPIPE')).toBe(2);
  });
});

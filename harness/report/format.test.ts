import { describe, expect, it } from 'vitest';
import { formatQuantity, formatSeconds, MISSING } from './format.js';

describe('report units', () => {
  it('formats a value by its metric name suffix', () => {
    expect(formatQuantity('loss_ratio', 0.1)).toBe('10%');
    expect(formatQuantity('latency_ms', 50.4)).toBe('50.4ms');
    expect(formatQuantity('rate_bytes_per_sec', 2_000_000)).toBe('2 MB/s');
    expect(formatQuantity('bytes_seen', 5400)).toBe('5.4 kB');
    expect(formatQuantity('intact', 1)).toBe('yes');
    expect(formatQuantity('messages_sent_total', 2000)).toBe('2,000');
    expect(formatQuantity('anything', null)).toBe(MISSING);
  });

  it('writes JUnit seconds with millisecond precision', () => {
    expect(formatSeconds(5410)).toBe('5.410');
    expect(formatSeconds(-1)).toBe('0.000');
  });
});

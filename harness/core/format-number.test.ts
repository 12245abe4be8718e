import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { formatByteRate, formatBytes, formatNumber, formatPercent, MISSING } from './format-number.js';

describe('formatPercent', () => {
  it('writes percentages with a precision that suits the size', () => {
    expect(formatPercent(0)).toBe('0%');
    expect(formatPercent(1)).toBe('100%');
    expect(formatPercent(0.1)).toBe('10%');
    expect(formatPercent(0.098)).toBe('9.8%');
    expect(formatPercent(0.0985)).toBe('9.85%');
    expect(formatPercent(0.12345)).toBe('12.3%');
    expect(formatPercent(0.00012)).toBe('0.012%');
    expect(formatPercent(null)).toBe(MISSING);
  });

  it('never rounds a real loss to 0% or a partial delivery to 100%', () => {
    expect(formatPercent(0.99995)).toBe('99.995%');
    expect(formatPercent(0.0000004)).toBe('0.00004%');
  });

  test.prop([fc.double({ min: 0, max: 1, noNaN: true })])('only exact 0 and 1 display as 0% and 100%', (ratio) => {
    const text = formatPercent(ratio);
    if (text === '0%') expect(ratio).toBe(0);
    if (text === '100%') expect(ratio).toBe(1);
  });
});

describe('numbers and units', () => {
  it('groups integers and rounds fractions to about three significant digits', () => {
    expect(formatNumber(1234567)).toBe('1,234,567');
    expect(formatNumber(-1234)).toBe('-1,234');
    expect(formatNumber(12.3456)).toBe('12.35');
    expect(formatNumber(1234.5678)).toBe('1,234.6');
    expect(formatNumber(0.012345)).toBe('0.0123');
    expect(formatNumber(-0.0001)).toBe('-0.0001');
  });

  it('writes bytes in powers of 1000, as scenario files do', () => {
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(1_234_567)).toBe('1.23 MB');
    expect(formatBytes(10_000_000_000)).toBe('10 GB');
  });

  it('writes byte rates as bytes per second', () => {
    expect(formatByteRate(12_400_000)).toBe('12.4 MB/s');
    expect(formatByteRate(null)).toBe(MISSING);
  });
});

import { describe, expect, it } from 'vitest';
import { gridValues, niceStep } from './grid.js';

describe('gridValues', () => {
  it('draws about ten round steps across a linear range, both ends included', () => {
    expect(gridValues({ min: 0, max: 0.3, scale: 'linear' })).toEqual([0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3]);
    expect(gridValues({ min: 0, max: 1, scale: 'linear' })).toEqual([0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]);
    expect(gridValues({ min: 150, max: 400, integer: true, scale: 'linear' })).toEqual([150, 200, 250, 300, 350, 400]);
    expect(gridValues({ min: 0, max: 5, integer: true, scale: 'linear' })).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('draws 1-2-5 steps over three decades below the top of a log range', () => {
    expect(gridValues({ min: 0, max: 500, scale: 'log' })).toEqual([0, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500]);
    expect(gridValues({ min: 1, max: 64, integer: true, scale: 'log' })).toEqual([1, 2, 5, 10, 20, 50, 64]);
    expect(gridValues({ min: 100, max: 400, scale: 'log' })).toEqual([100, 200, 400]);
  });

  it('never takes an exclusive lower bound, nor on a log scale one far below the top decades', () => {
    expect(gridValues({ min: 0.001, max: 100_000, scale: 'log' })).toEqual([100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000]);
    expect(gridValues({ min: 0, max: 100_000, minExclusive: true, scale: 'log' })).toEqual([100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000]);
    expect(gridValues({ min: 0, max: 1, minExclusive: true, scale: 'linear' })[0]).toBe(0.1);
  });

  it('is one value for a fixed range, and refuses a range that goes down', () => {
    expect(gridValues({ min: 7, max: 7, scale: 'log' })).toEqual([7]);
    expect(() => gridValues({ min: 2, max: 1, scale: 'linear' })).toThrow(RangeError);
  });

  it('keeps values round: no floating-point residue', () => {
    for (const value of gridValues({ min: 0, max: 0.7, scale: 'linear' })) expect(String(value).length).toBeLessThanOrEqual(4);
  });
});

describe('niceStep', () => {
  it('rounds up to 1, 2 or 5 × 10ⁿ', () => {
    expect([0.015, 0.03, 3.2, 25, 99, 100, 101].map(niceStep)).toEqual([0.02, 0.05, 5, 50, 100, 100, 200]);
    expect(niceStep(0)).toBe(0);
  });
});

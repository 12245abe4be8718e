import { describe, expect, it } from 'vitest';
import { InterarrivalJitter } from './interarrival-jitter.js';

describe('RFC 3550 jitter, as iperf3 computes it', () => {
  it('matches a hand-computed example', () => {
    // Sent every 10 ms; transits 5, 7, 4, 4, 9 ms.
    // D: 0 (first arrival sets the previous transit), 2, 3, 0, 5
    // J: 0 → 0 + (0−0)/16 = 0 → 0 + (2−0)/16 = 0.125 → 0.125 + (3−0.125)/16 = 0.3046875
    //    → 0.3046875 + (0−0.3046875)/16 = 0.28564453125 → 0.28564453125 + (5−0.28564453125)/16 = 0.580291748046875
    const j = new InterarrivalJitter();
    const transits = [5, 7, 4, 4, 9];
    transits.forEach((transit, i) => j.record(i * 10, i * 10 + transit));
    expect(j.jitterMs).toBeCloseTo(0.580291748046875, 12);
    expect(j.count).toBe(5);
  });

  it('constant transit means zero jitter whatever the clock offset', () => {
    const j = new InterarrivalJitter();
    for (let i = 0; i < 100; i++) j.record(1e9 + i * 3, 5e9 + i * 3);
    expect(j.jitterMs).toBe(0);
  });

  it('records raw inter-arrival times', () => {
    const j = new InterarrivalJitter();
    for (const at of [0, 10, 30, 31]) j.record(at - 1, at);
    const s = j.interarrival.summarize();
    expect(s.count).toBe(3);
    expect(s.min).toBe(1);
    expect(s.max).toBe(20);
  });
});

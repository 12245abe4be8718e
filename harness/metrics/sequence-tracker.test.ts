import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { addSequenceCounts, SequenceTracker } from './sequence-tracker.js';

describe('SequenceTracker', () => {
  it('counts loss, duplicates, reordering and the reorder distance', () => {
    const t = new SequenceTracker();
    // sent 0..9; 3 and 7 lost; 5 arrives after 8 (distance 3); 2 arrives twice.
    for (const seq of [0, 1, 2, 2, 4, 6, 8, 5, 9]) t.record(seq);
    expect(t.counts(10)).toEqual({
      sent: 10,
      received: 8,
      receivedIntact: 8,
      lost: 2,
      duplicated: 1,
      reordered: 1,
      reorderDistanceMax: 3,
      corrupted: 0,
      unidentified: 0,
    });
  });

  it('a duplicate is not a reorder, and a corrupted copy is received but not intact', () => {
    const t = new SequenceTracker();
    expect(t.record(5)).toBe('new');
    expect(t.record(1, false)).toBe('new');
    expect(t.record(5)).toBe('duplicate');
    expect(t.record(1)).toBe('duplicate');
    expect(t.counts(6)).toMatchObject({ received: 2, receivedIntact: 2, duplicated: 2, reordered: 1, reorderDistanceMax: 4, corrupted: 1, lost: 4 });
  });

  it('unidentified frames count as received and corrupted, so they are not also lost', () => {
    const t = new SequenceTracker();
    t.record(0);
    t.recordUnidentified();
    t.record(2);
    expect(t.counts(3)).toMatchObject({ received: 3, lost: 0, corrupted: 1, unidentified: 1, receivedIntact: 2 });
  });

  it('handles sequence numbers far apart (paged bitmap)', () => {
    const t = new SequenceTracker();
    for (const seq of [0, 2 ** 40, 65_535, 65_536, 2 ** 40]) t.record(seq);
    expect(t.has(2 ** 40)).toBe(true);
    expect(t.has(2 ** 40 - 1)).toBe(false);
    expect(t.counts(0)).toMatchObject({ received: 4, duplicated: 1 });
  });

  test.prop([fc.array(fc.integer({ min: 0, max: 200 }), { maxLength: 400 })])('agrees with a naive model', (arrivals) => {
    const t = new SequenceTracker();
    for (const seq of arrivals) t.record(seq);
    const seen = new Set<number>();
    let highest = -1;
    let reordered = 0;
    let distance = 0;
    for (const seq of arrivals) {
      if (seen.has(seq)) continue;
      seen.add(seq);
      if (seq < highest) {
        reordered++;
        distance = Math.max(distance, highest - seq);
      } else highest = seq;
    }
    expect(t.counts(201)).toMatchObject({
      received: seen.size,
      lost: 201 - seen.size,
      duplicated: arrivals.length - seen.size,
      reordered,
      reorderDistanceMax: distance,
    });
  });

  it('sums flows, keeping the larger reorder distance', () => {
    const a = new SequenceTracker();
    const b = new SequenceTracker();
    for (const s of [3, 0]) a.record(s);
    for (const s of [9, 1, 1]) b.record(s);
    expect(addSequenceCounts(a.counts(4), b.counts(10))).toMatchObject({ sent: 14, received: 4, lost: 10, duplicated: 1, reordered: 2, reorderDistanceMax: 8 });
  });
});

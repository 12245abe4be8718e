/**
 * Sequence accounting for one flow (a TCP connection or a UDP socket): which sequence numbers
 * arrived, how many copies, in what order, and how many were damaged.
 *
 * Definitions (docs/workloads.md, "Metrics"):
 * - received: distinct sequence numbers that arrived (intact or not), plus frames too damaged to
 *   identify (`unidentified`: a corrupted header — they arrived, we just cannot say which);
 * - duplicate: any copy of a sequence number after its first;
 * - reordered: a first copy that arrives after a higher sequence number did; its distance is
 *   `highest − seq`;
 * - corrupted: every damaged copy (payload checksum mismatch, or an unidentifiable frame);
 * - lost: `sent − received`, known only once the sender says how many it sent.
 *
 * Seen sequence numbers live in a paged bitmap (8 KiB per 65 536 numbers), so a million-message
 * flow costs 128 KiB and a wild sequence number costs one page, not gigabytes.
 */

const PAGE_WORDS = 65536 / 32;

/** Counts for one flow or, summed, for a workload. Ratios are left to the result assembler. */
export interface SequenceCounts {
  sent: number;
  /** Distinct messages that arrived, intact or not, including `unidentified` ones. */
  received: number;
  /** Distinct messages with at least one intact copy. */
  receivedIntact: number;
  lost: number;
  duplicated: number;
  reordered: number;
  reorderDistanceMax: number;
  corrupted: number;
  /** Damaged beyond identification (header checksum failed); counted in received and corrupted. */
  unidentified: number;
}

class PagedBitmap {
  private readonly pages = new Map<number, Uint32Array>();
  // Sequence numbers arrive mostly in order: remember the last page to skip the map lookup.
  private lastKey = -1;
  private lastPage: Uint32Array | undefined;

  private page(key: number): Uint32Array | undefined {
    if (key === this.lastKey) return this.lastPage;
    const page = this.pages.get(key);
    if (page !== undefined) {
      this.lastKey = key;
      this.lastPage = page;
    }
    return page;
  }

  has(index: number): boolean {
    const page = this.page(Math.floor(index / 65536));
    if (page === undefined) return false;
    const bit = index % 65536;
    return (page[bit >>> 5]! & (1 << (bit & 31))) !== 0;
  }

  /** Sets the bit; returns whether it was already set. */
  set(index: number): boolean {
    const key = Math.floor(index / 65536);
    let page = this.page(key);
    if (page === undefined) {
      page = new Uint32Array(PAGE_WORDS);
      this.pages.set(key, page);
    }
    const bit = index % 65536;
    const word = bit >>> 5;
    const mask = 1 << (bit & 31);
    const was = (page[word]! & mask) !== 0;
    page[word] = page[word]! | mask;
    return was;
  }
}

/** What `record` found: the first copy of a sequence number, or a duplicate. */
export type SequenceVerdict = 'new' | 'duplicate';

export class SequenceTracker {
  private readonly seen = new PagedBitmap();
  private readonly seenIntact = new PagedBitmap();
  private highest = -1;
  private uniqueCount = 0;
  private intactCount = 0;
  private duplicateCount = 0;
  private reorderCount = 0;
  private distanceMax = 0;
  private corruptCount = 0;
  private unidentifiedCount = 0;

  /** Records the arrival of `seq` (a non-negative integer); `intact` false for a damaged copy. */
  record(seq: number, intact = true): SequenceVerdict {
    if (!intact) this.corruptCount++;
    else if (!this.seenIntact.set(seq)) this.intactCount++;
    if (this.seen.set(seq)) {
      this.duplicateCount++;
      return 'duplicate';
    }
    this.uniqueCount++;
    if (seq < this.highest) {
      this.reorderCount++;
      const distance = this.highest - seq;
      if (distance > this.distanceMax) this.distanceMax = distance;
    } else {
      this.highest = seq;
    }
    return 'new';
  }

  /** Records a frame that arrived too damaged to tell which sequence number it carried. */
  recordUnidentified(): void {
    this.unidentifiedCount++;
    this.corruptCount++;
  }

  /** Whether any copy of `seq` arrived. */
  has(seq: number): boolean {
    return this.seen.has(seq);
  }

  /** Highest sequence number seen, or -1. */
  get highestSeq(): number {
    return this.highest;
  }

  /** Distinct sequence numbers seen so far. */
  get uniqueReceived(): number {
    return this.uniqueCount;
  }

  /** Counts, with loss finalised against the number the sender says it sent. */
  counts(sent: number): SequenceCounts {
    const received = this.uniqueCount + this.unidentifiedCount;
    return {
      sent,
      received,
      receivedIntact: this.intactCount,
      lost: Math.max(0, sent - received),
      duplicated: this.duplicateCount,
      reordered: this.reorderCount,
      reorderDistanceMax: this.distanceMax,
      corrupted: this.corruptCount,
      unidentified: this.unidentifiedCount,
    };
  }
}

/** Counts of nothing, the identity of `addSequenceCounts`. */
export function emptySequenceCounts(): SequenceCounts {
  return { sent: 0, received: 0, receivedIntact: 0, lost: 0, duplicated: 0, reordered: 0, reorderDistanceMax: 0, corrupted: 0, unidentified: 0 };
}

/** Sums two flows' counts (the reorder distance is the larger of the two). */
export function addSequenceCounts(a: SequenceCounts, b: SequenceCounts): SequenceCounts {
  return {
    sent: a.sent + b.sent,
    received: a.received + b.received,
    receivedIntact: a.receivedIntact + b.receivedIntact,
    lost: a.lost + b.lost,
    duplicated: a.duplicated + b.duplicated,
    reordered: a.reordered + b.reordered,
    reorderDistanceMax: Math.max(a.reorderDistanceMax, b.reorderDistanceMax),
    corrupted: a.corrupted + b.corrupted,
    unidentified: a.unidentified + b.unidentified,
  };
}

/**
 * Fixed-width time buckets over a workload's run, for charts (core TimeSeries). Buckets are
 * aligned to the scenario's start, so series of different workloads line up.
 *
 * Columns (docs/workloads.md, "Series"):
 *   sent, received, errors          counts in the bucket (by when they happened)
 *   lost                            messages *sent* in the bucket that never arrived:
 *                                   sent[b] − arrived-by-send-time[b], known at the end
 *   throughput_bytes_per_sec        bytes received in the bucket / bucket width
 *   latency_p50_ms, latency_max_ms  over latency samples recorded in the bucket; null when none
 *
 * The median is exact: samples of the current bucket are kept and sorted when time moves to a
 * later bucket. Samples are expected in time order (one clock, one thread); a late sample for an
 * already closed bucket still counts towards its max but not its median.
 */
import type { TimeSeries } from '../core/result.js';

/** Default bucket width, ms. */
export const DEFAULT_BUCKET_MS = 100;

export const SERIES_COLUMNS = [
  'sent',
  'received',
  'lost',
  'throughput_bytes_per_sec',
  'latency_p50_ms',
  'latency_max_ms',
  'errors',
] as const;

export interface SeriesRecorderOptions {
  /** Clock ms of the scenario's t=0: bucket i covers [originMs + i·bucketMs, originMs + (i+1)·bucketMs). */
  originMs: number;
  /** Default DEFAULT_BUCKET_MS. */
  bucketMs?: number;
}

/** Growable per-bucket counters. */
class Column {
  values: Float64Array = new Float64Array(64);
  used = 0;

  add(index: number, amount: number): void {
    if (index >= this.values.length) {
      const grown = new Float64Array(Math.max(index + 1, this.values.length * 2));
      grown.set(this.values);
      this.values = grown;
    }
    this.values[index]! += amount;
    if (index >= this.used) this.used = index + 1;
  }

  set(index: number, value: number): void {
    this.add(index, value - this.get(index));
  }

  get(index: number): number {
    return index < this.used ? this.values[index]! : 0;
  }
}

export class SeriesRecorder {
  readonly originMs: number;
  readonly bucketMs: number;
  private readonly sentCol = new Column();
  private readonly receivedCol = new Column();
  private readonly arrivedBySendCol = new Column();
  private readonly bytesCol = new Column();
  private readonly errorsCol = new Column();
  /** Median and max per bucket with latency samples (`hasLatency` 1 there). */
  private readonly p50Col = new Column();
  private readonly maxCol = new Column();
  private readonly hasLatency = new Column();
  private openBucket = -1;
  private openSamples: number[] = [];

  constructor(options: SeriesRecorderOptions) {
    this.originMs = options.originMs;
    this.bucketMs = options.bucketMs ?? DEFAULT_BUCKET_MS;
    if (!(this.bucketMs > 0)) throw new RangeError(`bucketMs must be > 0, got ${this.bucketMs}`);
  }

  /** Bucket index of clock time `atMs` (times before the origin fall into bucket 0). */
  bucketOf(atMs: number): number {
    return Math.max(0, Math.floor((atMs - this.originMs) / this.bucketMs));
  }

  /** `count` messages sent at `atMs`. */
  sent(atMs: number, count = 1): void {
    this.sentCol.add(this.bucketOf(atMs), count);
  }

  /**
   * A message arrived at `atMs` carrying `bytes`. `sentAtMs` (for the first intact copy only)
   * lets the `lost` column charge losses to the bucket they were sent in.
   */
  received(atMs: number, bytes: number, sentAtMs?: number): void {
    const bucket = this.bucketOf(atMs);
    this.receivedCol.add(bucket, 1);
    this.bytesCol.add(bucket, bytes);
    if (sentAtMs !== undefined) this.arrivedBySendCol.add(this.bucketOf(sentAtMs), 1);
  }

  /** Bytes that arrived without a message to count (TCP bytes of a partial or garbled frame). */
  bytes(atMs: number, bytes: number): void {
    this.bytesCol.add(this.bucketOf(atMs), bytes);
  }

  /** A latency sample (RTT or one-way delay) observed at `atMs`. */
  latency(atMs: number, ms: number): void {
    const bucket = this.bucketOf(atMs);
    if (bucket !== this.openBucket) {
      if (bucket < this.openBucket) {
        // A straggler for a closed bucket: it can still raise the max.
        if (this.hasLatency.get(bucket) === 0 || ms > this.maxCol.get(bucket)) this.setMax(bucket, ms);
        return;
      }
      this.closeOpenBucket();
      this.openSamples = [];
      this.openBucket = bucket;
    }
    this.openSamples.push(ms);
  }

  /** An error at `atMs`. */
  error(atMs: number): void {
    this.errorsCol.add(this.bucketOf(atMs), 1);
  }

  /** Adds another recorder's buckets (same origin and width) into this one. */
  merge(other: SeriesRecorder): void {
    if (other.originMs !== this.originMs || other.bucketMs !== this.bucketMs) {
      throw new Error(`cannot merge series with different buckets (${other.originMs}/${other.bucketMs} vs ${this.originMs}/${this.bucketMs})`);
    }
    this.closeOpenBucket();
    other.closeOpenBucket();
    const counters: Array<[Column, Column]> = [
      [this.sentCol, other.sentCol],
      [this.receivedCol, other.receivedCol],
      [this.arrivedBySendCol, other.arrivedBySendCol],
      [this.bytesCol, other.bytesCol],
      [this.errorsCol, other.errorsCol],
    ];
    for (const [mine, theirs] of counters) for (let i = 0; i < theirs.used; i++) if (theirs.get(i) !== 0) mine.add(i, theirs.get(i));
    // Medians do not merge; keep ours where we have one, else take theirs.
    for (let i = 0; i < other.hasLatency.used; i++) {
      if (other.hasLatency.get(i) === 0) continue;
      if (this.hasLatency.get(i) === 0) {
        this.hasLatency.set(i, 1);
        this.p50Col.set(i, other.p50Col.get(i));
        this.maxCol.set(i, other.maxCol.get(i));
      } else if (other.maxCol.get(i) > this.maxCol.get(i)) {
        this.setMax(i, other.maxCol.get(i));
      }
    }
  }

  /** The series as core's TimeSeries, from the first to the last bucket with anything in it. */
  toTimeSeries(): TimeSeries {
    this.closeOpenBucket();
    const all = [this.sentCol, this.receivedCol, this.arrivedBySendCol, this.bytesCol, this.errorsCol, this.hasLatency];
    const end = Math.max(0, ...all.map((c) => c.used));
    let first = 0;
    while (first < end && all.every((c) => c.get(first) === 0)) first++;
    const columns: Record<string, Array<number | null>> = {};
    for (const name of SERIES_COLUMNS) columns[name] = [];
    const perSec = 1000 / this.bucketMs;
    for (let i = first; i < end; i++) {
      const latency = this.hasLatency.get(i) !== 0;
      columns.sent!.push(this.sentCol.get(i));
      columns.received!.push(this.receivedCol.get(i));
      columns.lost!.push(Math.max(0, this.sentCol.get(i) - this.arrivedBySendCol.get(i)));
      columns.throughput_bytes_per_sec!.push(this.bytesCol.get(i) * perSec);
      columns.latency_p50_ms!.push(latency ? this.p50Col.get(i) : null);
      columns.latency_max_ms!.push(latency ? this.maxCol.get(i) : null);
      columns.errors!.push(this.errorsCol.get(i));
    }
    return { bucketMs: this.bucketMs, startMs: end > first ? first * this.bucketMs : 0, columns };
  }

  private setMax(bucket: number, ms: number): void {
    if (this.hasLatency.get(bucket) === 0) {
      this.hasLatency.set(bucket, 1);
      this.p50Col.set(bucket, ms);
    }
    this.maxCol.set(bucket, ms);
  }

  /**
   * Writes the open bucket's median and max. Idempotent: the samples stay until time moves on, so
   * a snapshot taken mid-bucket does not freeze a partial median.
   */
  private closeOpenBucket(): void {
    const samples = this.openSamples;
    if (this.openBucket < 0 || samples.length === 0) return;
    const sorted = Float64Array.from(samples).sort();
    const mid = sorted.length >> 1;
    const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
    const bucket = this.openBucket;
    this.hasLatency.set(bucket, 1);
    this.p50Col.set(bucket, median);
    this.maxCol.set(bucket, sorted[sorted.length - 1]!);
  }
}

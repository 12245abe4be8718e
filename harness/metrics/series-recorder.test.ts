import { describe, expect, it } from 'vitest';
import { ManualClock } from '../core/manual-clock.js';
import { SeriesRecorder } from './series-recorder.js';

describe('SeriesRecorder', () => {
  it('buckets by time from the scenario start and fills every column', async () => {
    const clock = new ManualClock(5000);
    const origin = clock.now();
    const series = new SeriesRecorder({ originMs: origin, bucketMs: 100 });
    await clock.advance(150); // t = 150: bucket 1
    for (let i = 0; i < 4; i++) series.sent(clock.now());
    series.received(clock.now(), 1000, clock.now());
    series.latency(clock.now(), 2);
    series.received(clock.now(), 1000, clock.now());
    series.latency(clock.now(), 4);
    await clock.advance(100); // t = 250: bucket 2
    series.received(clock.now(), 500, origin + 160); // sent in bucket 1, arrived late
    series.latency(clock.now(), 90);
    series.error(clock.now());
    const ts = series.toTimeSeries();
    expect(ts.bucketMs).toBe(100);
    expect(ts.startMs).toBe(100);
    expect(ts.columns).toEqual({
      sent: [4, 0],
      received: [2, 1],
      lost: [1, 0],
      throughput_bytes_per_sec: [20_000, 5000],
      latency_p50_ms: [3, 90],
      latency_max_ms: [4, 90],
      errors: [0, 1],
    });
  });

  it('null latency where a bucket has no samples, and a snapshot does not freeze the open bucket', () => {
    const series = new SeriesRecorder({ originMs: 0 });
    series.sent(10);
    series.sent(310);
    series.latency(310, 1);
    expect(series.toTimeSeries().columns.latency_p50_ms).toEqual([null, null, null, 1]);
    series.latency(320, 3);
    series.latency(330, 5);
    expect(series.toTimeSeries().columns.latency_p50_ms).toEqual([null, null, null, 3]);
  });

  it('merges a receiver series into a sender series', () => {
    const sender = new SeriesRecorder({ originMs: 0 });
    const receiver = new SeriesRecorder({ originMs: 0 });
    sender.sent(50, 10);
    receiver.received(120, 100, 50);
    receiver.latency(120, 70);
    sender.merge(receiver);
    expect(sender.toTimeSeries().columns).toMatchObject({ sent: [10, 0], received: [0, 1], lost: [9, 0], latency_max_ms: [null, 70] });
    expect(() => sender.merge(new SeriesRecorder({ originMs: 1 }))).toThrow(/different buckets/);
  });
});

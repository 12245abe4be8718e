/**
 * RFC 3550 interarrival jitter (§6.4.1, A.8), computed exactly as iperf3 does so the numbers can
 * be compared with it:
 *
 *   transit = arrival − send timestamp
 *   D       = |transit − previous transit|        (the first arrival sets previous = its own transit)
 *   J      += (D − J) / 16
 *
 * Every arrival counts, in arrival order, including out-of-order ones and duplicates (iperf3
 * does not skip them either). The 1/16 smoothing hides bursts, so the raw inter-arrival times are
 * recorded too, in a histogram (`interarrival_ms`).
 */
import { LatencyHistogram } from './latency-histogram.js';

export class InterarrivalJitter {
  private jitter = 0;
  private previousTransitMs = 0;
  private previousArrivalMs = 0;
  private arrivals = 0;
  /** Time between consecutive arrivals, ms. */
  readonly interarrival = new LatencyHistogram();

  /** Records one arrival: both times in ms on one monotonic clock (only their differences matter). */
  record(sentMs: number, arrivalMs: number): void {
    const transit = arrivalMs - sentMs;
    if (this.arrivals === 0) {
      this.previousTransitMs = transit;
    } else {
      this.interarrival.record(arrivalMs - this.previousArrivalMs);
    }
    const d = Math.abs(transit - this.previousTransitMs);
    this.previousTransitMs = transit;
    this.jitter += (d - this.jitter) / 16;
    this.previousArrivalMs = arrivalMs;
    this.arrivals++;
  }

  /** Current jitter estimate, ms (0 before the second arrival). */
  get jitterMs(): number {
    return this.jitter;
  }

  get count(): number {
    return this.arrivals;
  }
}

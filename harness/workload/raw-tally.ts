/**
 * What the raw workloads count: requests sent, responses read and checked against their
 * expectation, round-trip times, and the first few mismatches in full.
 */
import type { WorkloadResult } from '../core/result.js';
import type { WorkloadMeasurements } from '../metrics/assemble-workload-result.js';
import { LatencyHistogram } from '../metrics/latency-histogram.js';
import { ErrorCodes } from './classify-error.js';
import { checkResponse, describeExpectation, escapeBytes, MAX_MISMATCHES_KEPT } from './raw-response.js';
import type { RawRequest } from './spec.js';
import type { WorkloadRun } from './workload-run.js';

export class RawTally {
  sent = 0;
  received = 0;
  matched = 0;
  mismatched = 0;
  bytesSent = 0;
  bytesReceived = 0;
  readonly rtt = new LatencyHistogram();
  readonly mismatches: NonNullable<WorkloadResult['mismatches']> = [];

  constructor(private readonly run: WorkloadRun) {}

  /** The raw workloads' counts, mismatches and lateness for assembleWorkloadResult. */
  measurements(): Pick<WorkloadMeasurements, 'requests' | 'bytesSent' | 'bytesReceived' | 'mismatches'> {
    return {
      requests: { sent: this.sent, received: this.received, matched: this.matched, mismatched: this.mismatched },
      bytesSent: this.bytesSent,
      bytesReceived: this.bytesReceived,
      mismatches: this.mismatches,
    };
  }

  /** A request went out at clock time `atMs`. */
  requestSent(bytes: number, atMs: number): void {
    this.sent++;
    this.bytesSent += bytes;
    this.run.series.sent(atMs);
  }

  /**
   * A response arrived for `request` (the `index`-th request of its connection, 0-based), sent at
   * clock `sentAtMs`; checks it and records a MISMATCH error when it does not match.
   */
  response(request: RawRequest, response: Buffer, index: number, label: string, sentAtMs: number): void {
    const now = this.run.clock.now();
    const rttMs = now - sentAtMs;
    this.received++;
    this.rtt.record(rttMs);
    this.run.series.received(now, response.length, sentAtMs);
    this.run.series.latency(now, rttMs);
    const problem = checkResponse(request.expect, response);
    if (problem === null) {
      this.matched++;
      return;
    }
    this.mismatched++;
    const expected = describeExpectation(request);
    const received = escapeBytes(response);
    this.run.error(ErrorCodes.mismatch, `${label} request ${index} (${request.source}): response ${received} ${problem}, expected ${expected}`);
    if (this.mismatches.length < MAX_MISMATCHES_KEPT) {
      this.mismatches.push({ index, expected, received, reason: `${label}: ${problem}` });
    }
  }
}

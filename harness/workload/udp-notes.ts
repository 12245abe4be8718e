/**
 * What the UDP workloads tell a reader about the harness's own effect on the numbers: kernel
 * buffer drops (incidental loss), a sender that could not keep its schedule, and the combined
 * jitter of several flows.
 */
import type { InterarrivalJitter } from '../metrics/interarrival-jitter.js';
import type { KernelUdpCounters } from '../metrics/kernel-udp-counters.js';
import type { LatencyHistogram } from '../metrics/latency-histogram.js';

/** A sender whose p99 lateness exceeds this is reported as not keeping up, ms. */
export const LATENESS_NOTE_MS = 5;

export function udpNotes(kernelUdp: KernelUdpCounters | undefined, lateness: LatencyHistogram, rate: number | 'max'): string[] {
  const notes: string[] = [];
  const rcvbuf = kernelUdp?.RcvbufErrors ?? 0;
  const sndbuf = kernelUdp?.SndbufErrors ?? 0;
  if (rcvbuf > 0) {
    notes.push(
      `the kernel dropped ${rcvbuf} datagrams on this host because a receive buffer was full (Udp RcvbufErrors): ` +
        'a receiver fell behind, so part of the loss is the harness’s, not the faults’',
    );
  }
  if (sndbuf > 0) notes.push(`the kernel refused ${sndbuf} datagrams because a send buffer was full (Udp SndbufErrors)`);
  const p99 = lateness.percentileMs(99);
  if (rate !== 'max' && p99 !== null && p99 > LATENESS_NOTE_MS) {
    notes.push(`the sender could not keep up with ${rate}/s: p99 ${p99.toFixed(1)} ms behind its schedule`);
  }
  return notes;
}

/** The flows' jitter, weighted by their arrivals; 0 when nothing arrived. */
export function jitterOfFlows(flows: InterarrivalJitter[]): number {
  let weighted = 0;
  let arrivals = 0;
  for (const flow of flows) {
    weighted += flow.jitterMs * flow.count;
    arrivals += flow.count;
  }
  return arrivals > 0 ? weighted / arrivals : 0;
}

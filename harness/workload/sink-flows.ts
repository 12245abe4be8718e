/**
 * The receiver's side of a stream workload: the sink's per-flow accounting summed over the
 * workload's flows, with each flow's loss finalised against what its sender says it sent.
 */
import type { InterarrivalJitter } from '../metrics/interarrival-jitter.js';
import { LatencyHistogram } from '../metrics/latency-histogram.js';
import { addSequenceCounts, emptySequenceCounts, type SequenceCounts } from '../metrics/sequence-tracker.js';
import type { FlowReceiver, WorkloadReceiver } from './servers/flow-receiver.js';

export interface SentFlow {
  flowId: number;
  /** Messages the sender finished sending on this flow. */
  sent: number;
}

export interface ReceivedFlows {
  sequence: SequenceCounts;
  bytesReceived: number;
  bytesIntact: number;
  /** Clock ms of the last arrival on any flow; NaN when nothing arrived. */
  lastArrivalMs: number;
  oneWay: LatencyHistogram;
  interarrival: LatencyHistogram;
  jitters: InterarrivalJitter[];
  /** The sink's record of each flow that sent anything. */
  flows: Map<number, FlowReceiver>;
}

export function sumReceivedFlows(receiver: WorkloadReceiver, sent: SentFlow[]): ReceivedFlows {
  const out: ReceivedFlows = {
    sequence: emptySequenceCounts(),
    bytesReceived: 0,
    bytesIntact: 0,
    lastArrivalMs: NaN,
    oneWay: new LatencyHistogram(),
    interarrival: new LatencyHistogram(),
    jitters: [],
    flows: new Map(),
  };
  for (const { flowId, sent: count } of sent) {
    const flow = receiver.flows.get(flowId);
    if (flow === undefined) {
      out.sequence = addSequenceCounts(out.sequence, { ...emptySequenceCounts(), sent: count, lost: count });
      continue;
    }
    out.flows.set(flowId, flow);
    out.sequence = addSequenceCounts(out.sequence, flow.sequence.counts(count));
    out.bytesReceived += flow.bytesReceived;
    out.bytesIntact += flow.bytesIntact;
    out.oneWay.merge(flow.oneWayDelay);
    out.interarrival.merge(flow.jitter.interarrival);
    if (flow.jitter.count > 0) out.jitters.push(flow.jitter);
    if (!(flow.lastArrivalMs <= out.lastArrivalMs)) out.lastArrivalMs = flow.lastArrivalMs;
  }
  return out;
}

/** Intact bytes per second from `startedAtMs` to the last arrival (clock ms); 0 when undefined. */
export function goodputBytesPerSec(received: ReceivedFlows, startedAtMs: number): number {
  const seconds = (received.lastArrivalMs - startedAtMs) / 1000;
  return seconds > 0 ? received.bytesIntact / seconds : 0;
}

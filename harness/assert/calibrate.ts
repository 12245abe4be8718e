/**
 * Requested versus achieved, per toxic: did the injector do what it was asked? Rates come from
 * the proxy ledger (exact counts of what each toxic did to what it saw), delays and rates from
 * the workloads that crossed the toxic, and only where that derivation is honest:
 *
 * | toxic      | quantity              | achieved                                                      |
 * |------------|-----------------------|---------------------------------------------------------------|
 * | loss (UDP) | loss_ratio            | dropped_loss / seen, Wilson interval (burst: design effect)   |
 * | loss (TCP) | retransmit_ratio      | retransmits / seen (chunks held back by an emulated RTO)      |
 * | duplicate  | duplicate_ratio       | duplicated / seen                                             |
 * | reorder    | reorder_ratio         | reordered / seen (held back; overtaking depends on traffic)   |
 * | corrupt    | corrupt_ratio         | corrupted / seen                                              |
 * | timeout    | drop_ratio (UDP)      | dropped_blackhole / seen                                      |
 * | latency    | latency_ms            | median RTT / one-way delay of a workload that crossed only    |
 * |            |                       | this latency toxic for its whole run, minus a direct baseline |
 * | bandwidth  | rate_bytes_per_sec    | goodput of a stream workload that crossed it (per connection  |
 * |            |                       | on TCP, where the limit is per connection)                    |
 */
import type { Counters, ProxyLedger, ToxicLedger } from '../core/ledger.js';
import { LedgerCounter } from '../core/ledger.js';
import type { CalibrationRow, FaultRecord, WorkloadResult } from '../core/result.js';
import type { ToxicSpec } from '../core/spec.js';
import { formatNumber, formatPercent } from './format-value.js';
import { lossSource, proportionInterval, survivalDesignEffect } from './statistics.js';

/** Confidence of calibration intervals. */
export const CALIBRATION_CONFIDENCE = 0.95;

/** A workload counts as having crossed a toxic when the toxic was active for at least this share of its time. */
const FULL_COVERAGE = 0.95;

interface RateQuantity {
  quantity: string;
  counter: string;
  /** Requested probability per unit seen. */
  requested: (toxic: ToxicSpec) => number;
}

const RATE_QUANTITIES: Record<string, Partial<Record<'tcp' | 'udp', RateQuantity>>> = {
  loss: {
    udp: { quantity: 'loss_ratio', counter: LedgerCounter.droppedLoss, requested: (t) => (t.attributes.probability ?? 0) * t.toxicity },
    tcp: { quantity: 'retransmit_ratio', counter: LedgerCounter.retransmits, requested: (t) => (t.attributes.probability ?? 0) * t.toxicity },
  },
  duplicate: { udp: { quantity: 'duplicate_ratio', counter: LedgerCounter.duplicated, requested: (t) => (t.attributes.probability ?? 0) * t.toxicity } },
  reorder: { udp: { quantity: 'reorder_ratio', counter: LedgerCounter.reordered, requested: (t) => (t.attributes.probability ?? 0) * t.toxicity } },
  corrupt: { udp: { quantity: 'corrupt_ratio', counter: LedgerCounter.corrupted, requested: (t) => (t.attributes.probability ?? 0) * t.toxicity } },
  timeout: { udp: { quantity: 'drop_ratio', counter: LedgerCounter.droppedBlackhole, requested: (t) => t.toxicity } },
};

/** One row per calibratable toxic of the timeline (faults sharing a ledger entry share a row). */
export function calibrate(faults: readonly FaultRecord[], ledgers: readonly ProxyLedger[], workloads: readonly WorkloadResult[]): CalibrationRow[] {
  const rows: CalibrationRow[] = [];
  const seen = new Set<string>();
  for (const fault of faults) {
    const toxic = fault.toxic;
    if (fault.kind !== 'toxic' || !toxic || (fault.error && fault.appliedAtMs === undefined)) continue;
    const key = `${fault.proxy}\u0000${toxic.name}\u0000${toxic.stream}\u0000${toxic.type}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const ledger = ledgers.find((l) => l.proxy === fault.proxy);
    const entry = ledger?.toxics.find((t) => t.name === toxic.name && t.stream === toxic.stream && t.type === toxic.type);
    const base = { proxy: fault.proxy, toxic: toxic.name, stream: toxic.stream };
    const sameEntry = faults.filter((f) => f.proxy === fault.proxy && f.toxic?.name === toxic.name && f.toxic.stream === toxic.stream && f.toxic.type === toxic.type);

    const rate = ledger ? RATE_QUANTITIES[toxic.type]?.[ledger.protocol] : undefined;
    if (rate) {
      rows.push(rateRow(base, rate, toxic, entry, sameEntry));
    } else if (toxic.type === 'latency') {
      rows.push(latencyRow(base, fault, faults, workloads));
    } else if (toxic.type === 'bandwidth') {
      rows.push(bandwidthRow(base, fault, workloads, ledger?.protocol ?? 'tcp'));
    }
  }
  return rows;
}

type RowBase = Pick<CalibrationRow, 'proxy' | 'toxic' | 'stream'>;

function rateRow(base: RowBase, rate: RateQuantity, toxic: ToxicSpec, entry: ToxicLedger | undefined, sameEntry: readonly FaultRecord[]): CalibrationRow {
  const requested = rate.requested(toxic);
  const row: CalibrationRow = { ...base, quantity: rate.quantity, requested, achieved: null, samples: 0 };
  const differing = sameEntry.some((f) => rate.requested(f.toxic!) !== requested);
  if (!entry) return { ...row, note: 'the proxy ledger has no entry for this toxic (it never saw traffic, or the backend keeps no ledger)' };
  const seen = count(entry.counters, LedgerCounter.seen);
  const events = count(entry.counters, rate.counter);
  if (seen === 0) return { ...row, note: 'no traffic crossed this toxic' };
  const deff = toxic.type === 'loss' ? survivalDesignEffect([lossSource(toxic.attributes.probability ?? 0, toxic.attributes.burst ?? 1, toxic.toxicity)]) : 1;
  const interval = proportionInterval(events, seen, CALIBRATION_CONFIDENCE, deff);
  const inside = interval.low <= requested && requested <= interval.high;
  const notes: string[] = [`${formatNumber(events)} of ${formatNumber(seen)} ${rate.counter.replace(/_/g, ' ')}`];
  if (!inside) notes.push(`requested ${formatPercent(requested)} lies outside the ${formatPercent(CALIBRATION_CONFIDENCE)} interval`);
  if (differing) notes.push('several faults with different attributes share this toxic; achieved is over all of them, requested is the first');
  if (toxic.type === 'reorder') notes.push('held back; whether a later datagram overtook it depends on the traffic');
  if (rate.quantity === 'retransmit_ratio') notes.push('stream-level emulation: chunks delayed by an emulated retransmission, never lost');
  return { ...row, achieved: events / seen, samples: seen, interval, note: notes.join('; ') };
}

/** Workloads whose traffic crossed `fault`'s direction of its proxy, with the share of their time it was active. */
function crossing(fault: FaultRecord, workloads: readonly WorkloadResult[]): Array<{ workload: WorkloadResult; coverage: number }> {
  const toxic = fault.toxic!;
  const start = fault.appliedAtMs ?? fault.plannedAtMs;
  const end = fault.removedAtMs ?? fault.plannedUntilMs ?? Infinity;
  return workloads
    .filter((w) => w.proxy === fault.proxy && (toxic.stream === 'upstream' || !isStream(w)))
    .map((workload) => {
      const from = workload.startedAtMs;
      const to = workload.startedAtMs + workload.durationMs;
      const coverage = to > from ? Math.max(0, Math.min(end, to) - Math.max(start, from)) / (to - from) : start <= from && end > from ? 1 : 0;
      return { workload, coverage };
    });
}

function latencyRow(base: RowBase, fault: FaultRecord, faults: readonly FaultRecord[], workloads: readonly WorkloadResult[]): CalibrationRow {
  const toxic = fault.toxic!;
  const requested = toxic.attributes.latency ?? 0;
  const row: CalibrationRow = { ...base, quantity: 'latency_ms', requested, achieved: null, samples: 0 };
  if (toxic.toxicity < 1) return { ...row, note: `toxicity ${toxic.toxicity}: only some traffic is delayed, so a median delay does not measure the toxic` };
  const candidates = crossing(fault, workloads).filter((c) => c.coverage >= FULL_COVERAGE);
  for (const { workload } of candidates) {
    // Another latency-adding toxic on the same path would be inseparable from this one.
    const others = crossingFaults(workload, faults).filter((f) => f !== fault && (f.toxic?.type === 'latency' || f.toxic?.type === 'bandwidth' || f.toxic?.type === 'reorder'));
    if (others.length > 0) continue;
    const metric = isStream(workload) ? 'one_way_delay_ms' : 'rtt_ms';
    const h = workload.histograms[metric];
    if (!h || h.count === 0) continue;
    const baseline = workloads.find((w) => w.proxy === undefined && w.kind === workload.kind && (w.histograms[metric]?.count ?? 0) > 0);
    const baselineMs = baseline ? baseline.histograms[metric]!.p50 : 0;
    const achieved = h.p50 - baselineMs;
    const how = `median ${metric} of ${workload.name} (${formatNumber(h.p50)} ms)`;
    return {
      ...row,
      achieved,
      samples: h.count,
      note: baseline
        ? `${how} minus the median of the direct baseline ${baseline.name} (${formatNumber(baselineMs)} ms)`
        : `${how}; no direct baseline workload of the same type, so it includes the path's own delay (loopback and proxy, typically well under 1 ms)`,
    };
  }
  return { ...row, note: 'no workload crossed this toxic, alone among delaying toxics, for its whole run; the achieved delay cannot be separated' };
}

function bandwidthRow(base: RowBase, fault: FaultRecord, workloads: readonly WorkloadResult[], protocol: 'tcp' | 'udp'): CalibrationRow {
  const toxic = fault.toxic!;
  const requested = (toxic.attributes.rate ?? 0) * 1000; // KB/s, 1 KB = 1000 bytes
  const row: CalibrationRow = { ...base, quantity: 'rate_bytes_per_sec', requested, achieved: null, samples: 0 };
  const candidate = crossing(fault, workloads).find((c) => c.coverage >= FULL_COVERAGE && isStream(c.workload) && toxic.stream === 'upstream');
  const goodput = candidate?.workload.metrics.find((m) => m.name === 'goodput_bytes_per_sec')?.value;
  if (!candidate || goodput === undefined) {
    return { ...row, note: 'no stream workload sent through this toxic for its whole run; goodput is what measures a rate' };
  }
  const w = candidate.workload;
  const connections = protocol === 'tcp' ? Math.max(1, w.metrics.find((m) => m.name === 'connections_total')?.value ?? 1) : 1;
  const received = w.metrics.find((m) => m.name === 'bytes_received_total')?.value ?? 0;
  return {
    ...row,
    achieved: goodput / connections,
    samples: received,
    note:
      `goodput of ${w.name}${connections > 1 ? ` divided by its ${connections} connections (the limit is per connection)` : ''}; ` +
      'it reaches the limit only if the workload offered more than the rate, and includes framing overhead and the start-up ramp',
  };
}

function crossingFaults(workload: WorkloadResult, faults: readonly FaultRecord[]): FaultRecord[] {
  return faults.filter((f) => f.kind === 'toxic' && f.toxic && crossing(f, [workload]).some((c) => c.coverage > 0));
}

function isStream(workload: WorkloadResult): boolean {
  return workload.kind === 'tcp-stream' || workload.kind === 'udp-stream';
}

function count(counters: Counters, name: string): number {
  return counters[name] ?? 0;
}

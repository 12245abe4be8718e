/**
 * Requested versus achieved, per toxic: did the injector do what it was asked? Rates come from
 * the proxy ledger (exact counts of what each toxic did to what it saw), delays and rates from
 * the workloads that crossed the toxic, and only where that derivation is honest. What a toxic
 * is asked to do is what its type declares (core/effect.ts), never inferred from its name:
 *
 * | effect                         | quantity (e.g.)        | achieved                                              |
 * |--------------------------------|------------------------|-------------------------------------------------------|
 * | drop, duplicate, hold-back,    | loss_ratio, drop_ratio,| the effect's ledger counter / seen, Wilson interval   |
 * | corrupt, retransmit (counted)  | duplicate_ratio, …     | (bursts: a design effect)                             |
 * | delay                          | latency_ms             | median RTT / one-way delay of a workload that crossed |
 * |                                |                        | only this delaying toxic for its whole run, minus a   |
 * |                                |                        | direct baseline                                       |
 * | rate-limit                     | rate_bytes_per_sec     | goodput of a stream workload that crossed it (per     |
 * |                                |                        | connection where the limit is per connection)         |
 */
import { delays, isCounted, type CountedToxicEffect, type ToxicEffect } from '../core/effect.js';
import type { Counters, ProxyLedger, ToxicLedger } from '../core/ledger.js';
import { LedgerCounter } from '../core/ledger.js';
import { directionsCrossed, faultActsOn, type CalibrationRow, type FaultRecord, type ToxicFaultRecord, type WorkloadResult } from '../core/result.js';
import { formatNumber, formatPercent } from '../core/format-number.js';
import { lossSource, proportionInterval, survivalDesignEffect } from './statistics.js';

/** Confidence of calibration intervals. */
export const CALIBRATION_CONFIDENCE = 0.95;

/** A workload counts as having crossed a toxic when the toxic was active for at least this share of its time. */
const FULL_COVERAGE = 0.95;

/** One row per calibratable toxic of the timeline (faults sharing a ledger entry share a row). */
export function calibrate(faults: readonly FaultRecord[], ledgers: readonly ProxyLedger[], workloads: readonly WorkloadResult[]): CalibrationRow[] {
  const rows: CalibrationRow[] = [];
  const seen = new Set<string>();
  for (const fault of faults) {
    if (fault.kind !== 'toxic' || (fault.error && fault.appliedAtMs === undefined)) continue;
    const { toxic } = fault;
    const key = `${fault.proxy}\u0000${toxic.name}\u0000${toxic.stream}\u0000${toxic.type}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const ledger = ledgers.find((l) => l.proxy === fault.proxy);
    const entry = ledger?.toxics.find((t) => t.name === toxic.name && t.stream === toxic.stream && t.type === toxic.type);
    const base = { proxy: fault.proxy, toxic: toxic.name, stream: toxic.stream };
    const sameEntry = faults.filter(
      (f): f is ToxicFaultRecord => f.kind === 'toxic' && f.proxy === fault.proxy && f.toxic.name === toxic.name && f.toxic.stream === toxic.stream && f.toxic.type === toxic.type,
    );

    // The first effect that can be calibrated decides the row, as each toxic has one main effect.
    const effect = fault.effects.find((e) => isCounted(e) || e.kind === 'delay' || e.kind === 'rate-limit');
    if (!effect) continue;
    if (isCounted(effect)) {
      if (ledger) rows.push(rateRow(base, effect, fault, entry, sameEntry));
    } else if (effect.kind === 'delay') {
      rows.push(latencyRow(base, effect.latencyMs, fault, faults, workloads));
    } else if (effect.kind === 'rate-limit') {
      rows.push(bandwidthRow(base, effect, fault, workloads));
    }
  }
  return rows;
}

type RowBase = Pick<CalibrationRow, 'proxy' | 'toxic' | 'stream'>;

function rateRow(base: RowBase, effect: CountedToxicEffect, fault: ToxicFaultRecord, entry: ToxicLedger | undefined, sameEntry: readonly ToxicFaultRecord[]): CalibrationRow {
  const requestedOf = (f: ToxicFaultRecord) => (f.effects.find((e): e is CountedToxicEffect => e.kind === effect.kind)?.probability ?? 0) * f.toxic.toxicity;
  const requested = requestedOf(fault);
  const row: CalibrationRow = { ...base, quantity: effect.quantity, requested, achieved: null, samples: 0 };
  const differing = sameEntry.some((f) => requestedOf(f) !== requested);
  if (!entry) return { ...row, note: 'the proxy ledger has no entry for this toxic (it never saw traffic, or the backend keeps no ledger)' };
  const seen = count(entry.counters, LedgerCounter.seen);
  const events = count(entry.counters, effect.counter);
  if (seen === 0) return { ...row, note: 'no traffic crossed this toxic' };
  const deff = 'burst' in effect ? survivalDesignEffect([lossSource(effect.probability, effect.burst, fault.toxic.toxicity)]) : 1;
  const interval = proportionInterval(events, seen, CALIBRATION_CONFIDENCE, deff);
  const inside = interval.low <= requested && requested <= interval.high;
  const notes: string[] = [`${formatNumber(events)} of ${formatNumber(seen)} ${effect.counter.replace(/_/g, ' ')}`];
  if (!inside) notes.push(`requested ${formatPercent(requested)} lies outside the ${formatPercent(CALIBRATION_CONFIDENCE)} interval`);
  if (differing) notes.push('several faults with different attributes share this toxic; achieved is over all of them, requested is the first');
  if (effect.kind === 'hold-back') notes.push('held back; whether a later datagram overtook it depends on the traffic');
  if (effect.kind === 'retransmit') notes.push('stream-level emulation: chunks delayed by an emulated retransmission, never lost');
  return { ...row, achieved: events / seen, samples: seen, interval, note: notes.join('; ') };
}

/** Workloads whose traffic crossed `fault`'s direction of its proxy, with the share of their time it was active. */
function crossing(fault: ToxicFaultRecord, workloads: readonly WorkloadResult[]): Array<{ workload: WorkloadResult; coverage: number }> {
  const { toxic } = fault;
  const start = fault.appliedAtMs ?? fault.plannedAtMs;
  const end = fault.removedAtMs ?? fault.plannedUntilMs ?? Infinity;
  return workloads
    .filter((w) => w.proxy === fault.proxy && faultActsOn(fault, w.protocol) && directionsCrossed(w.shape).includes(toxic.stream))
    .map((workload) => {
      const from = workload.startedAtMs;
      const to = workload.startedAtMs + workload.durationMs;
      const coverage = to > from ? Math.max(0, Math.min(end, to) - Math.max(start, from)) / (to - from) : start <= from && end > from ? 1 : 0;
      return { workload, coverage };
    });
}

function latencyRow(base: RowBase, requested: number, fault: ToxicFaultRecord, faults: readonly FaultRecord[], workloads: readonly WorkloadResult[]): CalibrationRow {
  const { toxic } = fault;
  const row: CalibrationRow = { ...base, quantity: 'latency_ms', requested, achieved: null, samples: 0 };
  if (toxic.toxicity < 1) return { ...row, note: `toxicity ${toxic.toxicity}: only some traffic is delayed, so a median delay does not measure the toxic` };
  const candidates = crossing(fault, workloads).filter((c) => c.coverage >= FULL_COVERAGE);
  for (const { workload } of candidates) {
    // Another latency-adding toxic on the same path would be inseparable from this one.
    const others = crossingFaults(workload, faults).filter((f) => f !== fault && f.effects.some(delays));
    if (others.length > 0) continue;
    const metric = workload.shape === 'stream' ? 'one_way_delay_ms' : 'rtt_ms';
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

function bandwidthRow(base: RowBase, effect: Extract<ToxicEffect, { kind: 'rate-limit' }>, fault: ToxicFaultRecord, workloads: readonly WorkloadResult[]): CalibrationRow {
  const requested = effect.bytesPerSec;
  const row: CalibrationRow = { ...base, quantity: 'rate_bytes_per_sec', requested, achieved: null, samples: 0 };
  const candidate = crossing(fault, workloads).find((c) => c.coverage >= FULL_COVERAGE && c.workload.shape === 'stream' && fault.toxic.stream === 'upstream');
  const goodput = candidate?.workload.metrics.find((m) => m.name === 'goodput_bytes_per_sec')?.value;
  if (!candidate || goodput === undefined) {
    return { ...row, note: 'no stream workload sent through this toxic for its whole run; goodput is what measures a rate' };
  }
  const w = candidate.workload;
  const connections = effect.per === 'connection' ? Math.max(1, w.metrics.find((m) => m.name === 'connections_total')?.value ?? 1) : 1;
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

function crossingFaults(workload: WorkloadResult, faults: readonly FaultRecord[]): ToxicFaultRecord[] {
  return faults.filter((f): f is ToxicFaultRecord => f.kind === 'toxic' && crossing(f, [workload]).some((c) => c.coverage > 0));
}

function count(counters: Counters, name: string): number {
  return counters[name] ?? 0;
}

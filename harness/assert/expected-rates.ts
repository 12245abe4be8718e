/**
 * What the faults on a workload's path should produce: the `configured` of `lost_ratio ~
 * configured`. Computed from the fault timeline alone (never from what was observed), so a `~`
 * check compares the observation with an independent prediction.
 *
 *   faults on the proxy ──▶ cut the workload's active time at every fault boundary
 *                      ──▶ per segment: combine the toxics active on the directions the traffic
 *                          crosses (echo: upstream and downstream; stream: upstream only)
 *                      ──▶ time-weighted average over segments, plus the design effect
 *
 * Definitions (per message the workload sent; docs/assertions.md has the derivations):
 * - lost: the message (echo: the request or its reply) was dropped by a `loss` toxic (each
 *   datagram lost with probability × toxicity), a `timeout` (blackhole) toxic or a proxy that is
 *   down. A round trip survives only if both legs do: lost = 1 − Π(1 − pᵢ).
 * - duplicated: extra copies received per message received. A `duplicate` toxic sends a datagram
 *   twice with probability d × toxicity; on an echo path the server answers every copy of a
 *   request and each answer may be duplicated again, so extra = E[copies] − 1 = Π(1 + dᵢ) − 1.
 * - reordered: a `reorder` toxic holds a datagram back with probability r × toxicity; it counts as
 *   reordered if anything overtakes it, so this is the rate when traffic is dense enough (an echo
 *   at rate `max` has nothing in flight to overtake it).
 * - corrupted: a `corrupt` toxic flips a bit with probability c × toxicity on either leg.
 * - delivered: 1 − lost.
 * TCP workloads expect 0 loss, duplication, reordering and corruption: TCP delivers every byte
 * once and in order, and faultline's TCP `loss` only delays (stream-level emulation). On a wire
 * path TCP segments really are dropped and the kernel retransmits them: still no loss, but
 * - tcp_retransmit_ratio: the share of the client's data transmissions that were repeats. Each
 *   transmission of a data segment crosses the upstream drops independently, so a lost one is
 *   sent again and the ratio is the upstream drop probability 1 − Π(1 − pᵢ) itself (for faults
 *   present the whole run: TCP's sending rate depends on the loss, so a time average of a fault
 *   present part of the time predicts nothing).
 * A wire fault that matches one transport (`protocol: udp`) does not count for the other.
 *
 * What each toxic does comes from the effects its type declares (core/effect.ts), recorded in
 * the fault; this module never looks at a toxic's type name.
 */
import type { ToxicEffect } from '../core/effect.js';
import { directionsCrossed, faultActsOn, type FaultRecord, type WorkloadShape } from '../core/result.js';
import type { Direction, Protocol, ToxicSpec } from '../core/spec.js';
import { formatPercent } from '../core/format-number.js';
import { lossSource, survivalDesignEffect, type LossSource } from './statistics.js';

export type RatioMetric = 'lost_ratio' | 'duplicated_ratio' | 'reordered_ratio' | 'corrupted_ratio' | 'delivered_ratio' | 'tcp_retransmit_ratio';

export const RATIO_METRICS: readonly RatioMetric[] = ['lost_ratio', 'duplicated_ratio', 'reordered_ratio', 'corrupted_ratio', 'delivered_ratio', 'tcp_retransmit_ratio'];

export function isRatioMetric(name: string): name is RatioMetric {
  return (RATIO_METRICS as readonly string[]).includes(name);
}

export interface ExpectedRate {
  /** The expected ratio (0..1 in practice; duplicated could exceed 1 only with several duplicate toxics at high rates). */
  ratio: number;
  /** Variance of the observed ratio relative to independent trials, ≥ 1 (burst loss, copies of copies). */
  designEffect: number;
  /** Set when the faults make this ratio unpredictable, saying why; `ratio` is then meaningless. */
  unknown?: string;
  /** What the prediction rests on, for messages: `faults[0]: loss 10% upstream, 100% of the time`. */
  basis: string[];
}

export type ExpectedRates = Record<RatioMetric, ExpectedRate> & {
  /** Caveats about the prediction (reordering needs dense traffic, a fault that failed to apply…). */
  notes: string[];
};

export interface ExpectedRatesInput {
  /** The scenario's whole fault timeline; only faults on `proxy` matter. */
  faults: readonly FaultRecord[];
  /** The proxy the workload's traffic went through; absent = straight to the target. */
  proxy?: string;
  protocol: Protocol;
  shape: WorkloadShape;
  /** When the workload started and how long it ran, ms relative to the scenario start. */
  workloadStartMs: number;
  workloadDurationMs: number;
}

/** Expected rates for a path without faults: all zero, delivered 1. */
export function faultFreeRates(basis = 'no faults on the path'): ExpectedRates {
  const rate = (ratio: number): ExpectedRate => ({ ratio, designEffect: 1, basis: [basis] });
  return {
    lost_ratio: rate(0),
    duplicated_ratio: rate(0),
    reordered_ratio: rate(0),
    corrupted_ratio: rate(0),
    delivered_ratio: rate(1),
    tcp_retransmit_ratio: rate(0),
    notes: [],
  };
}

interface Window {
  fault: FaultRecord;
  startMs: number;
  endMs: number;
}

interface SegmentRates {
  lost: number;
  lostDeff: number;
  duplicated: number;
  duplicatedDeff: number;
  reordered: number;
  corrupted: number;
}

/** The configured rates for one workload (see the module comment for the definitions). */
export function expectedRates(input: ExpectedRatesInput): ExpectedRates {
  const { proxy, protocol, shape } = input;
  if (proxy === undefined) return faultFreeRates('no proxy: traffic went straight to the target');
  const notes: string[] = [];
  const windowStart = input.workloadStartMs;
  const windowEnd = input.workloadStartMs + Math.max(0, input.workloadDurationMs);
  const windows: Window[] = [];
  for (const fault of input.faults) {
    if (fault.proxy !== proxy || !faultActsOn(fault, protocol)) continue;
    if (fault.error && fault.appliedAtMs === undefined) {
      notes.push(`${fault.id} failed to apply (${fault.error.message}); it is not counted`);
      continue;
    }
    const startMs = fault.appliedAtMs ?? fault.plannedAtMs;
    const endMs = fault.removedAtMs ?? fault.plannedUntilMs ?? Infinity;
    const overlaps = windowEnd > windowStart ? startMs < windowEnd && endMs > windowStart : startMs <= windowStart && endMs > windowStart;
    if (overlaps) windows.push({ fault, startMs, endMs });
  }
  if (windows.length === 0) return { ...faultFreeRates(`no faults on ${proxy} while the workload ran`), notes };

  const directions = directionsCrossed(shape);
  const share = (w: Window) => shareOfWindow(w, windowStart, windowEnd);
  const describe = (w: Window) => `${w.fault.id}: ${describeFault(w.fault)}, ${formatPercent(share(w))} of the workload's time`;
  const relevant = windows.filter((w) => w.fault.kind === 'down' || directions.includes(w.fault.toxic.stream));
  const has = (w: Window, kinds: readonly ToxicEffect['kind'][]) => w.fault.kind === 'toxic' && w.fault.effects.some((e) => kinds.includes(e.kind));

  if (protocol === 'tcp') {
    const rates = faultFreeRates('TCP delivers every byte once, intact and in order');
    const killers = windows.filter((w) => w.fault.kind === 'down' || has(w, ['connection-loss']));
    if (killers.length > 0) {
      const why = `${killers.map(describe).join('; ')} closes or refuses connections, so how many messages are cut off is not predictable`;
      rates.lost_ratio.unknown = why;
      rates.delivered_ratio.unknown = why;
    }
    if (windows.some((w) => has(w, ['retransmit']))) {
      notes.push('TCP loss toxics delay segments (an emulated retransmission) but never lose them: expected loss is 0');
    }
    rates.tcp_retransmit_ratio = retransmitRate(windows.filter((w) => w.fault.kind === 'down' || w.fault.toxic.stream === 'upstream'), windowStart, windowEnd, describe);
    if (rates.tcp_retransmit_ratio.ratio > 0) notes.push('segments dropped on the wire are retransmitted by the kernel: expected loss is 0, and retransmissions follow the drops');
    rates.notes = notes;
    return rates;
  }

  // ── UDP: one set of rates per segment between fault boundaries ────────
  const cuts = new Set<number>([windowStart, windowEnd]);
  for (const w of relevant) {
    if (w.startMs > windowStart && w.startMs < windowEnd) cuts.add(w.startMs);
    if (w.endMs > windowStart && w.endMs < windowEnd) cuts.add(w.endMs);
  }
  const points = [...cuts].sort((a, b) => a - b);
  const segments: Array<{ weight: number; rates: SegmentRates }> = [];
  const unknown: Partial<Record<RatioMetric, string>> = {};
  if (windowEnd <= windowStart) {
    segments.push({ weight: 1, rates: segmentRates(relevant, directions, unknown) });
  } else {
    for (let i = 0; i + 1 < points.length; i++) {
      const from = points[i]!;
      const to = points[i + 1]!;
      const mid = (from + to) / 2;
      const active = relevant.filter((w) => w.startMs <= mid && mid < w.endMs);
      segments.push({ weight: (to - from) / (windowEnd - windowStart), rates: segmentRates(active, directions, unknown) });
    }
  }

  const lost = weighted(segments, (r) => r.lost, (r) => r.lostDeff);
  const duplicated = weighted(segments, (r) => r.duplicated, (r) => r.duplicatedDeff);
  const basisFor = (kinds: readonly ToxicEffect['kind'][], down = false) => relevant.filter((w) => (w.fault.kind === 'down' ? down : has(w, kinds))).map(describe);
  const lossBasis = orNone(basisFor(['drop'], true), 'no loss-causing faults on the path');
  const rates: ExpectedRates = {
    lost_ratio: { ratio: lost.ratio, designEffect: lost.designEffect, basis: lossBasis },
    delivered_ratio: { ratio: 1 - lost.ratio, designEffect: lost.designEffect, basis: lossBasis },
    duplicated_ratio: { ...duplicated, basis: orNone(basisFor(['duplicate']), 'no duplicate toxics on the path') },
    reordered_ratio: {
      ratio: weighted(segments, (r) => r.reordered, () => 1).ratio,
      designEffect: 1,
      basis: orNone(basisFor(['hold-back']), 'no reorder toxics on the path'),
    },
    corrupted_ratio: {
      ratio: weighted(segments, (r) => r.corrupted, () => 1).ratio,
      designEffect: 1,
      basis: orNone(basisFor(['corrupt']), 'no corrupt toxics on the path'),
    },
    tcp_retransmit_ratio: { ratio: 0, designEffect: 1, unknown: 'a UDP workload has no TCP retransmissions', basis: [] },
    notes,
  };
  for (const metric of RATIO_METRICS) {
    const why = unknown[metric];
    if (why) rates[metric].unknown = why;
  }
  if (rates.reordered_ratio.ratio > 0) {
    notes.push(
      directions.length > 1
        ? 'a held-back datagram counts as reordered only if another overtakes it: an echo workload needs several requests in flight (a rate, or connections > 1) for reordering to show'
        : 'a held-back datagram counts as reordered only if another is sent within the reorder delay',
    );
  }
  return rates;
}

/**
 * What share of a TCP sender's data transmissions are retransmissions, from the drops on the
 * direction its data crosses (upstream): every transmission is dropped with the combined
 * probability, and every dropped one is sent again.
 */
function retransmitRate(upstream: readonly Window[], start: number, end: number, describe: (w: Window) => string): ExpectedRate {
  const sources: LossSource[] = [];
  const basis: string[] = [];
  for (const w of upstream) {
    const drops = w.fault.kind === 'down' ? [] : w.fault.effects.filter((e) => e.kind === 'drop');
    if (w.fault.kind === 'down' || w.fault.effects.some((e) => e.kind === 'connection-loss' || e.kind === 'drop-unpredictable')) {
      return { ratio: 0, designEffect: 1, unknown: `${describe(w)} stalls or cuts TCP, so how often the kernel retransmits is not predictable`, basis: [describe(w)] };
    }
    if (drops.length === 0) continue;
    if (w.startMs > start || w.endMs < end) {
      return { ratio: 0, designEffect: 1, unknown: `${describe(w)}: a drop present for part of the run predicts no retransmission ratio (TCP sends at a rate the loss itself changes)`, basis: [describe(w)] };
    }
    for (const d of drops) sources.push(lossSource(clamp01(d.probability), d.burst, clamp01(w.fault.toxic.toxicity)));
    basis.push(describe(w));
  }
  if (sources.length === 0) return { ratio: 0, designEffect: 1, basis: ['no packet drops on the upstream of the path'] };
  const survival = sources.reduce((kept, s) => kept * (1 - s.mean), 1);
  return { ratio: 1 - survival, designEffect: survivalDesignEffect(sources), basis };
}

/** Combines the toxics active during one segment. Records unpredictable metrics in `unknown`. */
function segmentRates(active: readonly Window[], directions: readonly Direction[], unknown: Partial<Record<RatioMetric, string>>): SegmentRates {
  const lossSources: LossSource[] = [];
  const copies = new Map<Direction, { mean: number; meanSquare: number }>(directions.map((d) => [d, { mean: 1, meanSquare: 1 }]));
  let reorderKept = 1;
  let corruptKept = 1;
  for (const { fault } of active) {
    if (fault.kind === 'down') {
      lossSources.push({ mean: 1, covariance: 0, decay: 0 });
      continue;
    }
    const t = clamp01(fault.toxic.toxicity);
    for (const effect of fault.effects) {
      switch (effect.kind) {
        case 'drop':
          lossSources.push(lossSource(clamp01(effect.probability), effect.burst, t));
          break;
        case 'duplicate': {
          const c = copies.get(fault.toxic.stream)!;
          c.mean *= 1 + t * clamp01(effect.probability);
          c.meanSquare *= 1 + 3 * t * clamp01(effect.probability);
          break;
        }
        case 'hold-back':
          reorderKept *= 1 - t * clamp01(effect.probability);
          break;
        case 'corrupt':
          corruptKept *= 1 - t * clamp01(effect.probability);
          break;
        case 'delay':
          if (effect.jitterMs > 0) {
            unknown.reordered_ratio ??= `${fault.id}: latency jitter of ${effect.jitterMs} ms reorders datagrams closer together than the jitter, which depends on the send rate`;
          }
          break;
        case 'drop-unpredictable': {
          const text = `${fault.id}: ${fault.toxic.type} ${effect.why}`;
          unknown.lost_ratio ??= text;
          unknown.delivered_ratio ??= text;
          break;
        }
        case 'rate-limit':
        case 'connection-loss':
        case 'retransmit':
          // No effect on a datagram's fate that a ratio predicts: a rate limit delays (its queue's
          // drops are declared as drop-unpredictable); the other two are TCP's.
          break;
        default:
          // A new effect kind must be predicted here: the compiler stops until it is.
          throw new Error(`expected rates: unhandled effect ${(effect satisfies never as ToxicEffect).kind}`);
      }
    }
  }
  let survival = 1;
  for (const s of lossSources) survival *= 1 - s.mean;

  // Copies: T = Σ_{j=1}^{M_up} M_down,j (the server answers every copy of a request).
  const up = copies.get('upstream')!;
  const down = copies.get('downstream');
  const varUp = up.meanSquare - up.mean ** 2;
  let meanCopies = up.mean;
  let varCopies = varUp;
  if (down) {
    const varDown = down.meanSquare - down.mean ** 2;
    meanCopies = up.mean * down.mean;
    varCopies = up.mean * varDown + varUp * down.mean ** 2;
  }
  const extra = meanCopies - 1;
  const binomialVar = extra * (1 - extra);
  return {
    lost: 1 - survival,
    lostDeff: survivalDesignEffect(lossSources),
    duplicated: extra,
    duplicatedDeff: extra > 0 && binomialVar > 0 ? Math.max(1, varCopies / binomialVar) : 1,
    reordered: 1 - reorderKept,
    corrupted: 1 - corruptKept,
  };
}

/**
 * Time-weighted mean of a per-segment ratio, and the variance-weighted mean of its design effect
 * (conservative: the mixture of segments is treated as one process with the average inflation).
 */
function weighted(
  segments: ReadonlyArray<{ weight: number; rates: SegmentRates }>,
  ratio: (r: SegmentRates) => number,
  deff: (r: SegmentRates) => number,
): { ratio: number; designEffect: number } {
  let mean = 0;
  let varianceSum = 0;
  let inflatedSum = 0;
  for (const { weight, rates } of segments) {
    const r = ratio(rates);
    mean += weight * r;
    const v = weight * Math.max(0, r * (1 - r));
    varianceSum += v;
    inflatedSum += v * deff(rates);
  }
  return { ratio: mean, designEffect: varianceSum > 0 ? Math.max(1, inflatedSum / varianceSum) : 1 };
}

function shareOfWindow(w: Window, start: number, end: number): number {
  if (end <= start) return 1;
  return Math.max(0, Math.min(w.endMs, end) - Math.max(w.startMs, start)) / (end - start);
}

/** `loss 10% (burst 4) upstream` / `proxy down`. */
export function describeFault(fault: FaultRecord): string {
  if (fault.kind === 'down') return `${fault.proxy} down`;
  return `${describeToxic(fault.toxic)} on ${fault.proxy}`;
}

function describeToxic(toxic: ToxicSpec): string {
  const a = toxic.attributes;
  const toxicity = toxic.toxicity < 1 ? `, toxicity ${toxic.toxicity}` : '';
  const attrs =
    a.probability !== undefined
      ? `${formatPercent(a.probability)}${a.burst !== undefined && a.burst > 1 ? ` (burst ${a.burst})` : ''}`
      : Object.entries(a)
          .map(([k, v]) => `${k}=${v}`)
          .join(' ');
  return `${toxic.type}${attrs ? ` ${attrs}` : ''} ${toxic.stream}${toxicity}`;
}

function orNone(list: string[], none: string): string[] {
  return list.length > 0 ? list : [none];
}

function clamp01(x: number): number {
  return Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0;
}

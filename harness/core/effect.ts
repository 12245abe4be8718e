/**
 * What a toxic does to the traffic that crosses it, in terms assertions can predict and
 * calibration can measure. Every toxic type declares its effects beside its attribute schema
 * (toxics/), and the scenario runner records them in each fault of the timeline; assert/ reads
 * only these, never a toxic's type name, so a new toxic is predicted and calibrated correctly as
 * soon as it says what it does — and one that says nothing does not compile.
 *
 * Effects are per unit crossing the toxic (a UDP datagram, a TCP chunk), from the attributes
 * alone: the toxic's `toxicity` (the share of units, or connections, it applies to) is the
 * consumer's to apply, as it is a property of every toxic.
 */

/** An effect a ledger counter counts exactly, so calibration can set achieved against requested. */
interface CountedEffect {
  /** Probability per unit that the effect happens. */
  probability: number;
  /** The ledger counter (core/ledger.ts LedgerCounter) that counts each occurrence. */
  counter: string;
  /** The calibration row's quantity, e.g. `loss_ratio`. */
  quantity: string;
}

export type ToxicEffect =
  /** Drops units, independently (`burst` 1) or in Gilbert–Elliott bursts of mean length `burst`. */
  | ({ kind: 'drop'; burst: number } & CountedEffect)
  /** Drops units, in numbers no attribute predicts (a queue that overflows under load, a byte budget). */
  | { kind: 'drop-unpredictable'; why: string }
  /** Sends a unit twice. */
  | ({ kind: 'duplicate' } & CountedEffect)
  /** Holds a unit back so that later ones may overtake it. */
  | ({ kind: 'hold-back'; delayMs: number } & CountedEffect)
  /** Flips bits in a unit. */
  | ({ kind: 'corrupt' } & CountedEffect)
  /** Delays every unit by `latencyMs` ± a uniform `jitterMs`. */
  | { kind: 'delay'; latencyMs: number; jitterMs: number }
  /** Limits throughput, per TCP connection or per UDP direction. */
  | { kind: 'rate-limit'; bytesPerSec: number; per: 'connection' | 'direction' }
  /**
   * TCP: closes, resets or starves connections, so how much of a workload gets through is not
   * predictable. `reset`: it ends them with an RST (peers see ECONNRESET), not a FIN.
   */
  | { kind: 'connection-loss'; how: string; reset: boolean }
  /** TCP (stream-level emulation): holds segments back for an emulated retransmission timeout; never loses them. */
  | ({ kind: 'retransmit'; burst: number } & CountedEffect);

export type ToxicEffectKind = ToxicEffect['kind'];

/** The counted effects: those a ledger counter measures exactly. */
export type CountedToxicEffect = Extract<ToxicEffect, CountedEffect>;

export function isCounted(effect: ToxicEffect): effect is CountedToxicEffect {
  return 'counter' in effect;
}

/** Effects that add delay to what gets through (they confound a latency measurement). */
export function delays(effect: ToxicEffect): boolean {
  return effect.kind === 'delay' || effect.kind === 'rate-limit' || effect.kind === 'hold-back' || effect.kind === 'retransmit';
}

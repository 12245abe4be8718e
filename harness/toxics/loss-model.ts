/**
 * The loss model shared by the TCP `loss` toxic (segments delivered late after an emulated RTO)
 * and the UDP `loss` toxic (datagrams dropped): one decision per segment or datagram, "lost or
 * not", from two parameters users can reason about.
 *
 * - `probability`: the long-run fraction of units lost, 0..1.
 * - `burst`: the mean length of a run of consecutive losses, ≥ 1.
 *   - `burst = 1` (the default): independent (Bernoulli) losses, each unit lost with
 *     `probability`.
 *   - `burst > 1`: a two-state Gilbert–Elliott chain, lossless in "good" and always losing in
 *     "bad":
 *
 *         ┌──────┐  p(good→bad) = probability / (burst · (1 − probability))  ┌─────┐
 *         │ good │ ────────────────────────────────────────────────────────▶ │ bad │
 *         │ keep │ ◀──────────────────────────────────────────────────────── │ lose│
 *         └──────┘               p(bad→good) = 1 / burst                     └─────┘
 *
 *     A stay in "bad" is geometric with mean `burst`, and the stationary share of "bad" is
 *     p(good→bad) / (p(good→bad) + p(bad→good)) = `probability`. The chain can only reach a loss
 *     `probability ≤ burst / (1 + burst)` (p(good→bad) ≤ 1); `lossModelProblems` rejects more.
 *
 * Each step transitions first, then decides by the new state, drawing exactly one number from the
 * rng (none when the outcome is certain), so a seed replays the same losses. The chain's state
 * lives in a caller-owned record (the toxic's `ctx.state`), so a toxic update that changes the
 * parameters continues from the current state instead of restarting in "good".
 */
import type { Problem } from '../core/errors.js';
import type { Rng } from '../core/rng.js';

export interface LossModelParams {
  /** Long-run probability that a unit (segment or datagram) is lost, 0..1. */
  probability: number;
  /** Mean number of consecutive lost units, ≥ 1; 1 = independent losses. */
  burst: number;
}

export interface LossModel {
  /** Decides the next unit: `true` = lost. */
  next(): boolean;
  /** Whether the chain is in the losing state (always false for independent losses). */
  readonly bad: boolean;
}

/** Key under which the chain's state is kept in the caller's state record. */
const STATE_KEY = 'lossModelBad';

/**
 * Transition probabilities of the Gilbert–Elliott chain for `params` (burst > 1), for docs and
 * tests. For burst = 1 the model is Bernoulli and these are not used.
 */
export function lossModelTransitions(params: LossModelParams): { enterBad: number; leaveBad: number } {
  const { probability, burst } = params;
  if (probability >= 1) return { enterBad: 1, leaveBad: 0 };
  return { enterBad: probability / (burst * (1 - probability)), leaveBad: 1 / burst };
}

/**
 * Cross-attribute checks for toxics using this model (call from the toxic type's `check`). Paths
 * are attribute keys. Each attribute's own range (0..1, ≥ 1) is the schema's job.
 */
export function lossModelProblems(params: LossModelParams): Problem[] {
  const { probability, burst } = params;
  if (burst <= 1) return [];
  const max = burst / (1 + burst);
  if (probability <= max) return [];
  return [
    {
      path: 'probability',
      message: `with burst ${burst}, probability can be at most burst/(1+burst) = ${round(max)}, got ${probability}`,
      hint: 'a longer burst allows a higher loss probability; burst 1 allows any probability',
    },
  ];
}

/**
 * Creates a loss decision stream. `state` (e.g. a toxic's `ctx.state`) keeps the chain's state
 * across re-creations; omit it for a fresh chain starting in "good".
 */
export function createLossModel(params: LossModelParams, rng: Rng, state: Record<string, unknown> = {}): LossModel {
  const { probability, burst } = params;
  if (burst <= 1) {
    state[STATE_KEY] = false;
    return {
      next: () => rng.chance(probability),
      bad: false,
    };
  }
  const { enterBad, leaveBad } = lossModelTransitions(params);
  if (typeof state[STATE_KEY] !== 'boolean') state[STATE_KEY] = false;
  return {
    next(): boolean {
      const bad = state[STATE_KEY] as boolean;
      const nowBad = bad ? !rng.chance(leaveBad) : rng.chance(enterBad);
      state[STATE_KEY] = nowBad;
      return nowBad;
    },
    get bad(): boolean {
      return state[STATE_KEY] as boolean;
    },
  };
}

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

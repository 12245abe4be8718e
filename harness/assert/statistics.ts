/**
 * Confidence intervals for an observed proportion (lost / sent, duplicated / received, …), used
 * by `~` checks and by calibration. No fixed tolerances anywhere: how close "close enough" is
 * follows from the sample size, the confidence level and, for correlated (burst) loss, how much
 * the correlation inflates the variance. The derivations are in docs/assertions.md.
 *
 * - Wilson score interval: the default; good coverage for moderate counts.
 * - Clopper–Pearson: exact (inverts the binomial test through the beta quantile); never below
 *   the nominal coverage, used when the observed count of events or non-events is small, where
 *   Wilson's coverage dips.
 * - Design effect: a correlated 0/1 process (Gilbert–Elliott burst loss) has a larger variance
 *   than independent trials; the interval is computed for an effective sample size n / deff.
 */

export interface Interval {
  low: number;
  high: number;
  /** Confidence level in (0, 1). */
  confidence: number;
  /** How the interval was computed, for reports, e.g. `wilson` or `clopper-pearson, deff 3.2`. */
  method: string;
}

/**
 * The standard normal quantile Φ⁻¹(p) for p in (0, 1): Acklam's rational approximation
 * (relative error < 1.2e-9), refined by one Halley step on Φ computed from erfc.
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) {
    if (p === 0) return -Infinity;
    if (p === 1) return Infinity;
    return NaN;
  }
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  let x: number;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    x = (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  } else if (p <= 1 - low) {
    const q = p - 0.5;
    const r = q * q;
    x = ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x = -(((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  // One Halley step brings it to full double precision.
  const e = 0.5 * erfc(-x / Math.SQRT2) - p;
  const u = e * Math.sqrt(2 * Math.PI) * Math.exp((x * x) / 2);
  return x - u / (1 + (x * u) / 2);
}

/** Complementary error function, via the regularized upper incomplete gamma Q(1/2, x²). */
export function erfc(x: number): number {
  if (x < 0) return 2 - erfc(-x);
  return regularizedGammaQ(0.5, x * x);
}

/** The two-sided z for a confidence level: 0.95 → 1.959964. */
export function zForConfidence(confidence: number): number {
  return normalQuantile(1 - (1 - confidence) / 2);
}

/**
 * Wilson score interval for `successes` out of `trials` (counts may be fractional when they
 * are effective counts after a design effect). Returns [0, 1] for zero trials.
 */
export function wilsonInterval(successes: number, trials: number, confidence: number): { low: number; high: number } {
  if (!(trials > 0)) return { low: 0, high: 1 };
  const z = zForConfidence(confidence);
  const p = clamp01(successes / trials);
  const z2n = (z * z) / trials;
  const centre = (p + z2n / 2) / (1 + z2n);
  const half = (z / (1 + z2n)) * Math.sqrt((p * (1 - p)) / trials + (z * z) / (4 * trials * trials));
  return {
    low: successes <= 0 ? 0 : clamp01(centre - half),
    high: successes >= trials ? 1 : clamp01(centre + half),
  };
}

/**
 * Clopper–Pearson ("exact") interval: low = B⁻¹(α/2; x, n−x+1), high = B⁻¹(1−α/2; x+1, n−x),
 * with B⁻¹ the beta quantile. Fractional counts are accepted (the beta needs no integers).
 */
export function clopperPearsonInterval(successes: number, trials: number, confidence: number): { low: number; high: number } {
  if (!(trials > 0)) return { low: 0, high: 1 };
  const x = Math.min(Math.max(successes, 0), trials);
  const alpha = 1 - confidence;
  return {
    low: x <= 0 ? 0 : betaQuantile(alpha / 2, x, trials - x + 1),
    high: x >= trials ? 1 : betaQuantile(1 - alpha / 2, x + 1, trials - x),
  };
}

/**
 * Below this many observed events (or non-events), Wilson's coverage dips under ~93% for some
 * (n, p); Clopper–Pearson's never does. Chosen from exact coverage over n = 10…2000 (the
 * hybrid's minimum is 0.929, its mean 0.951–0.962; with a threshold of 5 the minimum is 0.920).
 */
export const SMALL_COUNT = 10;

/**
 * The interval a `~` check uses: for `successes` of `trials` observed, widened by `designEffect`
 * (≥ 1; the variance ratio of the process against independent trials) by using the effective
 * counts successes/deff of trials/deff. Wilson by default; Clopper–Pearson when fewer than
 * SMALL_COUNT effective events or non-events were observed.
 */
export function proportionInterval(successes: number, trials: number, confidence: number, designEffect = 1): Interval {
  const deff = Number.isFinite(designEffect) && designEffect > 1 ? designEffect : 1;
  const n = trials / deff;
  const x = successes / deff;
  const small = Math.min(x, n - x) < SMALL_COUNT;
  const { low, high } = small ? clopperPearsonInterval(x, n, confidence) : wilsonInterval(x, n, confidence);
  const name = small ? 'clopper-pearson' : 'wilson';
  return { low, high, confidence, method: deff > 1 ? `${name}, design effect ${round(deff, 3)}` : name };
}

// ── Gilbert–Elliott burst loss ───────────────────────────────────────────

/**
 * Lag-1 autocorrelation of the loss indicator of a two-state Markov loss chain with long-run
 * loss `probability` p and mean burst length `burst` b (see toxics/loss-model.ts):
 * ρ = 1 − P(leave bad) − P(enter bad) = 1 − 1/b − p/(b(1−p)). Lag k has ρᵏ. 0 for b = 1.
 */
export function gilbertElliottCorrelation(probability: number, burst: number): number {
  if (!(burst > 1) || !(probability > 0) || !(probability < 1)) return 0;
  return 1 - 1 / burst - probability / (burst * (1 - probability));
}

/**
 * Variance inflation of the observed loss ratio over many datagrams for that chain:
 * Var ≈ p(1−p)/n · (1+ρ)/(1−ρ).
 */
export function gilbertElliottDesignEffect(probability: number, burst: number): number {
  const rho = gilbertElliottCorrelation(probability, burst);
  return (1 + rho) / (1 - rho);
}

/**
 * One independent source of loss on a path, as a stationary 0/1 process over the datagram index
 * with mean `mean` and autocovariance `covariance · decayᵏ` at lag k ≥ 1. A Bernoulli source has
 * covariance 0; a Gilbert–Elliott chain thinned by toxicity t has mean t·p, covariance t²p(1−p)
 * and decay 1 − t + tρ (the chain steps only on datagrams where the toxic is active).
 */
export interface LossSource {
  mean: number;
  covariance: number;
  decay: number;
}

/** The LossSource for a loss toxic with `probability`, `burst` and `toxicity`. */
export function lossSource(probability: number, burst: number, toxicity = 1): LossSource {
  const t = clamp01(toxicity);
  const p = clamp01(probability);
  const rho = gilbertElliottCorrelation(p, burst);
  if (rho === 0 || t === 0) return { mean: t * p, covariance: 0, decay: 0 };
  return { mean: t * p, covariance: t * t * p * (1 - p), decay: 1 - t + t * rho };
}

/**
 * Design effect of the loss ratio when a datagram survives only if it survives every source
 * (independent sources, e.g. loss toxics on the upstream and downstream of an echo's path):
 * deff = 1 + 2 Σ_{k≥1} Cov(S₀, S_k) / Var(S) for the survival indicator S = Π(1 − Lⱼ).
 *
 * E[S₀S_k] = Π(aⱼ² + cⱼλⱼᵏ) with aⱼ = 1 − meanⱼ; expanding the product over subsets J of
 * sources, Σ_k Cov(S₀,S_k) = Σ_{J≠∅} Π_{j∈J} cⱼ Π_{j∉J} aⱼ² · Λ_J/(1−Λ_J), Λ_J = Π_{j∈J} λⱼ.
 * Returns 1 when there is no variance (nothing or everything lost), Infinity if a source never
 * decorrelates (decay ≥ 1).
 */
export function survivalDesignEffect(sources: readonly LossSource[]): number {
  const correlated = sources.filter((s) => s.covariance > 0);
  let survival = 1;
  let survivalSquared = 1;
  for (const s of sources) {
    survival *= 1 - s.mean;
    survivalSquared *= (1 - s.mean) ** 2;
  }
  const variance = survival - survivalSquared;
  if (!(variance > 1e-15) || correlated.length === 0) return 1;
  // Independent (Bernoulli) sources only contribute aⱼ² to every term.
  let base = 1;
  for (const s of sources) if (!(s.covariance > 0)) base *= (1 - s.mean) ** 2;
  let sum = 0;
  const m = correlated.length;
  if (m > 16) return Infinity; // 2^m subsets; never happens with real scenarios.
  for (let mask = 1; mask < 1 << m; mask++) {
    let term = base;
    let decay = 1;
    for (let j = 0; j < m; j++) {
      const s = correlated[j]!;
      if (mask & (1 << j)) {
        term *= s.covariance;
        decay *= s.decay;
      } else {
        term *= (1 - s.mean) ** 2;
      }
    }
    if (decay >= 1) return Infinity;
    sum += (term * decay) / (1 - decay);
  }
  return Math.max(1, 1 + (2 * sum) / variance);
}

// ── Special functions ────────────────────────────────────────────────────

/** ln Γ(x) for x > 0 (Lanczos, g = 7, 9 terms; ~15 significant digits). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const g = 7;
  const coef = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
    -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  const z = x - 1;
  let sum = coef[0]!;
  for (let i = 1; i < coef.length; i++) sum += coef[i]! / (z + i);
  const t = z + g + 0.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/**
 * Regularized incomplete beta I_x(a, b) for a, b > 0, x in [0, 1]: the continued fraction of
 * DiDonato & Morris (evaluated with the modified Lentz method), on whichever of x, 1 − x makes it
 * converge fast.
 */
export function regularizedIncompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const lnFront = logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log1p(-x);
  if (x < (a + 1) / (a + b + 2)) return (Math.exp(lnFront) * betaContinuedFraction(x, a, b)) / a;
  return 1 - (Math.exp(lnFront) * betaContinuedFraction(1 - x, b, a)) / b;
}

function betaContinuedFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 10_000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return h;
}

/**
 * The p-quantile of Beta(a, b): the x with I_x(a, b) = p, by bisection to a relative precision
 * of 1e-14 (quantiles of small shape parameters can be far below 1e-13).
 */
export function betaQuantile(p: number, a: number, b: number): number {
  if (p <= 0) return 0;
  if (p >= 1) return 1;
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < 1100 && hi - lo > 1e-14 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (regularizedIncompleteBeta(mid, a, b) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** Regularized upper incomplete gamma Q(a, x) (series below a + 1, continued fraction above). */
export function regularizedGammaQ(a: number, x: number): number {
  if (x <= 0) return 1;
  const lnFront = a * Math.log(x) - x - logGamma(a);
  if (x < a + 1) {
    let sum = 1 / a;
    let term = sum;
    for (let n = 1; n < 10_000; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-16) break;
    }
    return 1 - sum * Math.exp(lnFront);
  }
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 10_000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(lnFront) * h;
}

function clamp01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

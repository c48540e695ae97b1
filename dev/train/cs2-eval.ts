// Scoring helpers for binary (team 1 wins / loses) forecasts of the CS2 model: Brier score, log loss, calibration
// bins, and the rating-only baseline. Used by dev/train/cs2.ts and shared/sports/cs2/model.test.ts.

import type { CalibrationBin } from "./metrics";
import { goldenSection } from "./optim";

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** −ln p(outcome), p floored at 1e-15. */
export const binaryLogLoss = (p: number, y: number): number => -Math.log(Math.max(1e-15, y === 1 ? p : 1 - p));

export interface BinaryScores {
  n: number;
  brier: number;
  logLoss: number;
}

export class BinaryAccumulator {
  n = 0;
  private b = 0;
  private l = 0;
  add(p: number, y: number): void {
    this.n++;
    this.b += (p - y) * (p - y);
    this.l += binaryLogLoss(p, y);
  }
  result(): BinaryScores {
    const n = this.n || 1;
    return { n: this.n, brier: this.b / n, logLoss: this.l / n };
  }
}

/**
 * Mean of a per-row difference with a standard error clustered by match (rows of one match are not independent):
 * s.e. = √(Σ_m (S_m − n_m·d̄)²) / N, S_m the sum of the match's differences.
 */
export class PairedDifference {
  private readonly sum = new Map<number, [number, number]>();
  private total = 0;
  private n = 0;
  add(cluster: number, d: number): void {
    const s = this.sum.get(cluster);
    if (s) {
      s[0] += d;
      s[1]++;
    } else this.sum.set(cluster, [d, 1]);
    this.total += d;
    this.n++;
  }
  result(): { mean: number; se: number } {
    const mean = this.total / (this.n || 1);
    let v = 0;
    for (const [s, k] of this.sum.values()) v += (s - k * mean) ** 2;
    return { mean, se: Math.sqrt(v) / (this.n || 1) };
  }
}

/** Predicted-vs-observed in `bins` equal-width bins of the predicted probability (1.0 falls in the last bin). */
export class CalibrationAccumulator {
  private readonly n: Float64Array;
  private readonly p: Float64Array;
  private readonly y: Float64Array;
  constructor(readonly bins = 10) {
    this.n = new Float64Array(bins);
    this.p = new Float64Array(bins);
    this.y = new Float64Array(bins);
  }
  add(p: number, y: number): void {
    const b = Math.min(this.bins - 1, Math.max(0, Math.floor(p * this.bins)));
    this.n[b]!++;
    this.p[b]! += p;
    this.y[b]! += y;
  }
  result(): CalibrationBin[] {
    return Array.from({ length: this.bins }, (_, b) => ({
      lo: b / this.bins,
      hi: (b + 1) / this.bins,
      n: this.n[b]!,
      predicted: this.n[b]! > 0 ? this.p[b]! / this.n[b]! : NaN,
      observed: this.n[b]! > 0 ? this.y[b]! / this.n[b]! : NaN,
    }));
  }
}

/**
 * Rating-only baseline: p = σ(k·Δ/400) with Δ = rating₁ − rating₂, k by maximum likelihood (golden section on
 * [0, 4]) over the given (Δ, outcome) pairs.
 */
export function fitRatingOnly(ratingDiff: ArrayLike<number>, y: ArrayLike<number>): number {
  const nll = (k: number): number => {
    let l = 0;
    for (let i = 0; i < ratingDiff.length; i++) l += binaryLogLoss(sigmoid((k * ratingDiff[i]!) / 400), y[i]!);
    return l;
  };
  return goldenSection(nll, 0, 4, 1e-6);
}

export const ratingOnly = (k: number, ratingDiff: number): number => sigmoid((k * ratingDiff) / 400);

// Scoring rules for 3-way (team 1 win / draw / team 2 win) forecasts. Outcome index: 0 = team 1, 1 = draw, 2 = team 2.

/** Ranked probability score for the ordered outcomes (team 1 win < draw < team 2 win): ½ Σ (cumulative differences)². */
export function rps(p: readonly [number, number, number], outcome: 0 | 1 | 2): number {
  const o0 = outcome === 0 ? 1 : 0;
  const o1 = outcome <= 1 ? 1 : 0;
  const c0 = p[0] - o0;
  const c1 = p[0] + p[1] - o1;
  return (c0 * c0 + c1 * c1) / 2;
}

/** Multi-class Brier score: Σ over the 3 outcomes of (p − o)² (range 0..2). */
export function brier(p: readonly [number, number, number], outcome: 0 | 1 | 2): number {
  let s = 0;
  for (let k = 0; k < 3; k++) {
    const d = p[k]! - (k === outcome ? 1 : 0);
    s += d * d;
  }
  return s;
}

/** Natural-log loss −ln p(outcome), with p floored at 1e-15. */
export function logLoss(p: readonly [number, number, number], outcome: 0 | 1 | 2): number {
  return -Math.log(Math.max(1e-15, p[outcome]));
}

export interface Scores {
  n: number;
  rps: number;
  brier: number;
  logLoss: number;
}

export class ScoreAccumulator {
  private n = 0;
  private r = 0;
  private b = 0;
  private l = 0;
  add(p: readonly [number, number, number], outcome: 0 | 1 | 2): void {
    this.n++;
    this.r += rps(p, outcome);
    this.b += brier(p, outcome);
    this.l += logLoss(p, outcome);
  }
  result(): Scores {
    const n = this.n || 1;
    return { n: this.n, rps: this.r / n, brier: this.b / n, logLoss: this.l / n };
  }
}

export function outcomeOf(score: readonly [number, number]): 0 | 1 | 2 {
  return score[0] > score[1] ? 0 : score[0] === score[1] ? 1 : 2;
}

/** One bin of a reliability table: mean predicted probability vs observed frequency. */
export interface CalibrationBin {
  lo: number;
  hi: number;
  n: number;
  predicted: number;
  observed: number;
}

// Football in-play win probability: a time-inhomogeneous, score-state-dependent goal process.
// PURE (no I/O): parameters are imported statically from model-params.json (fitted by dev/train/football.ts).
//
// Team 1 is the home side. For minute bins t = 1..90 (bin t covers match time (t−1, t]; stoppage-time goals
// belong to bins 45 and 90) each team i scores in bin t with a Poisson intensity
//
//   μ_i(t) = λ_i · w(t) · exp(s[g] + u[g] · t/90) · red_i
//
//   λ_1, λ_2   expected goals per 90 minutes when level: log λ = a ± b·x + c·x², x = (elo1 − elo2 + H·home)/400
//   w(t)       fitted minute profile (share of goals in bin t; Σ w = 1), rising through each half, spikes at 45/90
//   g          the team's own goal difference at that moment, clamped to −2..+2 (score-state effect)
//   red_i      red-card factor (not in the training data: literature priors, see docs/models.md)
//
// The distribution of the final (90-minute) goal difference is propagated exactly bin by bin from the current
// state (per team 0, 1 or ≥2 goals per bin), then a draw-inflation term moves probability mass onto the draw
// in proportion to the share of the match's goal expectation still to come.
import params from "./model-params.json";

export interface FootballFeatures {
  minute: number;
  score: [number, number];
  redCards: [number, number];
  elo: [number, number];
  neutral: boolean;
}

export interface FootballModelParams {
  version: string;
  /** Elo points added to team 1 (home) unless neutral, in the goal model. */
  homeAdvantageElo: number;
  /**
   * log expected goals per 90 minutes at level score, team 1 / team 2:
   *   intercept ± slope·x + quad·x² + level·z + home·[not neutral],
   *   x = (elo1 − elo2 + homeAdvantageElo·[not neutral])/400, z = ((elo1 + elo2)/2 − 1500)/400
   */
  rate: { intercept: number; slope: number; quad: number; level: number; home: number };
  /** 91 entries; profile[t] = share of the 90 minutes' goal intensity in minute bin t (profile[0] = 0). */
  profile: number[];
  /** Log rate multipliers by own goal difference −2(or less), −1, 0, +1, +2(or more): level + trend·t/90. */
  stateEffect: { level: number[]; trend: number[] };
  /** Per net red card: the short-handed team's rate × own, the opponent's × opponent. */
  redCard: { own: number; opponent: number };
  /**
   * Gamma-Poisson strength update h = 1/shape: each team's remaining rate is multiplied by
   * (1 + h·goalsSoFar)/(1 + h·expectedSoFar) (0 = off).
   */
  heterogeneity: number;
  /** Draw inflation δ: P(draw) += δ·(remaining share of goal expectation)·P(win or loss) (taken proportionally). */
  drawInflation: number;
}

export type FootballPredictor = (f: FootballFeatures) => [number, number, number];

const LIM = 10; // goal differences beyond ±LIM are clamped (their outcome is settled)
const WIDTH = 2 * LIM + 1;
const MAX_NET_RED = 4;

/** Builds a predictor for the given parameters (used by the training script to evaluate candidates). */
export function createFootballPredictor(p: FootballModelParams): FootballPredictor {
  const prof = new Float64Array(92);
  for (let t = 1; t <= 90; t++) prof[t] = p.profile[t] ?? 0;
  // cumulative share after bin t: cum[t] = Σ_{s ≤ t} w(s)
  const cum = new Float64Array(92);
  for (let t = 1; t <= 90; t++) cum[t] = cum[t - 1]! + prof[t]!;
  const total = cum[90]! || 1;
  // state multipliers per bin and class (5 classes: g = −2..+2)
  const mult = new Float64Array(91 * 5);
  for (let t = 1; t <= 90; t++)
    for (let c = 0; c < 5; c++)
      mult[t * 5 + c] = Math.exp((p.stateEffect.level[c] ?? 0) + (p.stateEffect.trend[c] ?? 0) * (t / 90));
  const { intercept: a, slope: b, quad: cq, level: lv, home: hm } = p.rate;
  const het = p.heterogeneity;
  const H = p.homeAdvantageElo;
  const redOwn = p.redCard.own;
  const redOpp = p.redCard.opponent;
  const delta = p.drawInflation;

  let dist = new Float64Array(WIDTH);
  let next = new Float64Array(WIDTH);
  // per-class transition probabilities for the current bin: P(net change k) for k = −2..+2
  const trans = new Float64Array(5 * 5);

  return function predict(f: FootballFeatures): [number, number, number] {
    let m = f.minute;
    if (!(m > 0)) m = 0; // also NaN
    if (m > 90) m = 90;
    const x = (f.elo[0] - f.elo[1] + (f.neutral ? 0 : H)) / 400;
    const z = ((f.elo[0] + f.elo[1]) / 2 - 1500) / 400;
    const base = a + cq * x * x + lv * z + (f.neutral ? 0 : hm);
    let l1 = Math.exp(base + b * x);
    let l2 = Math.exp(base - b * x);
    // goals so far update each team's strength (gamma-Poisson posterior mean; before red cards)
    const s1 = f.score[0] > 0 ? f.score[0] | 0 : 0;
    const s2 = f.score[1] > 0 ? f.score[1] | 0 : 0;
    if (het > 0 && m > 0) {
      const fm = Math.floor(m);
      const played = (cum[fm]! + (fm < 90 ? prof[fm + 1]! * (m - fm) : 0)) / total;
      l1 *= (1 + het * s1) / (1 + het * l1 * played);
      l2 *= (1 + het * s2) / (1 + het * l2 * played);
    }
    let net = (f.redCards[0] | 0) - (f.redCards[1] | 0);
    if (net > MAX_NET_RED) net = MAX_NET_RED;
    if (net < -MAX_NET_RED) net = -MAX_NET_RED;
    if (net > 0) {
      l1 *= Math.pow(redOwn, net);
      l2 *= Math.pow(redOpp, net);
    } else if (net < 0) {
      l1 *= Math.pow(redOpp, -net);
      l2 *= Math.pow(redOwn, -net);
    }

    let d0 = s1 - s2;
    if (d0 > LIM) d0 = LIM;
    if (d0 < -LIM) d0 = -LIM;
    dist.fill(0);
    dist[d0 + LIM] = 1;
    let lo = d0 + LIM;
    let hi = d0 + LIM;

    const first = Math.floor(m) + 1;
    for (let t = first; t <= 90; t++) {
      const frac = t === first ? t - m : 1;
      const w = prof[t]! * frac;
      const w1 = l1 * w;
      const w2 = l2 * w;
      // transition rows per class c (team 1's goal difference g = c − 2; team 2 sees −g → class 4 − c)
      for (let c = 0; c < 5; c++) {
        const mu1 = w1 * mult[t * 5 + c]!;
        const mu2 = w2 * mult[t * 5 + 4 - c]!;
        const e1 = Math.exp(-mu1);
        const e2 = Math.exp(-mu2);
        const a0 = e1, a1 = mu1 * e1, a2 = 1 - a0 - a1; // team 1 scores 0, 1, ≥2 (counted as 2)
        const b0 = e2, b1 = mu2 * e2, b2 = 1 - b0 - b1;
        const o = c * 5;
        trans[o] = a0 * b2; // −2
        trans[o + 1] = a0 * b1 + a1 * b2; // −1
        trans[o + 2] = a0 * b0 + a1 * b1 + a2 * b2; // 0
        trans[o + 3] = a1 * b0 + a2 * b1; // +1
        trans[o + 4] = a2 * b0; // +2
      }
      next.fill(0, lo - 2 < 0 ? 0 : lo - 2, hi + 3 > WIDTH ? WIDTH : hi + 3);
      for (let i = lo; i <= hi; i++) {
        const pi = dist[i]!;
        if (pi === 0) continue;
        const g = i - LIM;
        const o = (g <= -2 ? 0 : g >= 2 ? 4 : g + 2) * 5;
        for (let k = 0; k < 5; k++) {
          let j = i + k - 2;
          if (j < 0) j = 0;
          else if (j >= WIDTH) j = WIDTH - 1;
          next[j] = next[j]! + pi * trans[o + k]!;
        }
      }
      lo = lo - 2 < 0 ? 0 : lo - 2;
      hi = hi + 2 >= WIDTH ? WIDTH - 1 : hi + 2;
      const tmp = dist;
      dist = next;
      next = tmp;
    }

    let p1 = 0;
    let p2 = 0;
    // only [lo, hi] is live (entries outside it are stale from earlier calls)
    for (let i = lo > LIM + 1 ? lo : LIM + 1; i <= hi; i++) p1 += dist[i]!;
    for (let i = lo; i < LIM && i <= hi; i++) p2 += dist[i]!;
    let pd = lo <= LIM && LIM <= hi ? dist[LIM]! : 0;
    const s = p1 + pd + p2;
    p1 /= s;
    p2 /= s;
    pd /= s;
    if (delta !== 0) {
      // share of the goal expectation still to come (1 at kick-off, 0 at full time)
      const rem = m >= 90 ? 0 : (total - cum[Math.floor(m)]! - prof[Math.floor(m) + 1]! * (m - Math.floor(m))) / total;
      const k = delta * rem;
      pd += k * (p1 + p2);
      p1 *= 1 - k;
      p2 *= 1 - k;
    }
    return [p1, pd, p2];
  };
}

/** Parameters shipped with the model (fitted by dev/train/football.ts). */
export const FOOTBALL_MODEL_PARAMS: FootballModelParams = params;
export const FOOTBALL_MODEL_VERSION: string = params.version;

const predictDefault = createFootballPredictor(FOOTBALL_MODEL_PARAMS);

/** [pTeam1, pDraw, pTeam2] for a live state; team 1 is the home side. Each in [0, 1], summing to 1. */
export function footballWinProbability(f: FootballFeatures): [number, number, number] {
  return predictDefault(f);
}

// Football in-play win probability: a time-inhomogeneous, score-state-dependent goal process.
// PURE (no I/O): parameters are imported statically from model-params.json (fitted by dev/train/football.ts).
//
// Team 1 is the home side. For minute bins t = 1..90 (bin t covers match time (t−1, t]; stoppage-time goals
// belong to bins 45 and 90) each team i scores in bin t with a Poisson intensity
//
//   μ_i(t) = λ_i · w(t) · exp(s[g] + u[g] · t/90) · red_i
//
//   λ_1, λ_2   expected goals per 90 minutes when level:
//              log λ_1 = a + b·x + c·min(x², 9) + e·z + h₁·home,  log λ_2 = a − b·x + c·min(x², 9) + e·z − h₂·home
//              x = (elo1 − elo2)/400, z = ((elo1 + elo2)/2 − 1500)/400, h₁, h₂ ≥ 0
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
  /**
   * Knockout match: a level score at 90 minutes goes to 30 minutes of extra time and then a shoot-out. With
   * `knockout`, `minute` may run past 90 into extra time (90–120; the 90-minute result is then a draw).
   */
  knockout?: boolean;
}

/** The 90-minute result and, for knockout matches, the probability that each team goes through. */
export interface FootballPrediction {
  /** [pTeam1, pDraw, pTeam2] after 90 minutes (plus stoppage time). */
  result: [number, number, number];
  /** [team 1, team 2] advances (extra time and shoot-out included); only for knockout matches. */
  advance?: [number, number];
}

export interface FootballModelParams {
  version: string;
  /**
   * log expected goals per 90 minutes at level score:
   *   team 1: intercept + slope·x + quad·min(x², xMax²) + level·z + homeAttack·[not neutral]
   *   team 2: intercept − slope·x + quad·min(x², xMax²) + level·z − homeDefence·[not neutral]
   *   x = (elo1 − elo2)/400, z = ((elo1 + elo2)/2 − 1500)/400, xMax = maxEloDiff/400 (the quadratic saturates
   *   beyond the data's support). Each Elo is clamped to [0, 5000].
   * Monotone by construction when homeAttack, homeDefence ≥ 0 and slope − 2|quad|·xMax − |level|/2 ≥ 0: team 1's
   * rate never falls and team 2's never rises when team 1's Elo rises, team 2's Elo falls or team 1 plays at home.
   */
  rate: {
    intercept: number;
    slope: number;
    quad: number;
    level: number;
    homeAttack: number;
    homeDefence: number;
    maxEloDiff: number;
  };
  /** 91 entries; profile[t] = share of the 90 minutes' goal intensity in minute bin t (profile[0] = 0). */
  profile: number[];
  /** Log rate multipliers by own goal difference −2(or less), −1, 0, +1, +2(or more): level + trend·t/90. */
  stateEffect: { level: number[]; trend: number[] };
  /** Per net red card: the short-handed team's rate × own, the opponent's × opponent. */
  redCard: { own: number; opponent: number };
  /** Draw inflation δ: P(draw) += δ·(remaining share of goal expectation)·P(win or loss) (taken proportionally). */
  drawInflation: number;
  /**
   * Extra time and shoot-out: in extra time each team scores a Poisson number of goals with mean
   * extraTimeRate · λ_i · (remaining extra-time minutes)/90 (λ_i the level-score rates above, red cards included);
   * a shoot-out is won by team 1 with probability σ(shootoutHome·[not neutral] + shootoutSlope·x).
   */
  knockout: { extraTimeRate: number; shootoutHome: number; shootoutSlope: number };
}

export type FootballPredictor = (f: FootballFeatures) => [number, number, number];
export type FootballKnockoutPredictor = (f: FootballFeatures) => FootballPrediction;

const LIM = 10; // goal differences beyond ±LIM are clamped (their outcome is settled)
const WIDTH = 2 * LIM + 1;
const OFF = LIM + 2; // array index of goal difference 0
const MAX_NET_RED = 4;
const MAX_ELO = 5000;
const clampElo = (e: number): number => (e > 0 ? Math.min(e, MAX_ELO) : Number.isNaN(e) ? 1500 : 0);

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
  const { intercept: a, slope: b, quad: cq, level: lv, homeAttack: h1, homeDefence: h2 } = p.rate;
  const xMax2 = (p.rate.maxEloDiff / 400) ** 2;
  const redOwn = p.redCard.own;
  const redOpp = p.redCard.opponent;
  const delta = p.drawInflation;

  // scratch distributions (WIDTH live states plus two padding cells either side)
  const bufA = new Float64Array(WIDTH + 4);
  const bufB = new Float64Array(WIDTH + 4);

  return function predict(f: FootballFeatures): [number, number, number] {
    let m = f.minute;
    if (!(m > 0)) m = 0; // also NaN
    if (m > 90) m = 90;
    const e1 = clampElo(f.elo[0]);
    const e2 = clampElo(f.elo[1]);
    const x = (e1 - e2) / 400;
    const z = ((e1 + e2) / 2 - 1500) / 400;
    const x2 = x * x;
    const base = a + cq * Math.min(x2, xMax2) + lv * z;
    let l1 = Math.exp(base + b * x + (f.neutral ? 0 : h1));
    let l2 = Math.exp(base - b * x - (f.neutral ? 0 : h2));
    const s1 = f.score[0] > 0 ? f.score[0] | 0 : 0;
    const s2 = f.score[1] > 0 ? f.score[1] | 0 : 0;
    // in extra time (knockout only) the 90-minute result was a draw
    if (f.knockout && f.minute > 90) return [0, 1, 0];
    let net = (f.redCards[0] | 0) - (f.redCards[1] | 0);
    if (net > MAX_NET_RED) net = MAX_NET_RED;
    if (net < -MAX_NET_RED) net = -MAX_NET_RED;
    if (net > 0) {
      l1 *= redOwn ** net;
      l2 *= redOpp ** net;
    } else if (net < 0) {
      l1 *= redOpp ** -net;
      l2 *= redOwn ** -net;
    }

    let d0 = s1 - s2;
    if (d0 > LIM) d0 = LIM;
    if (d0 < -LIM) d0 = -LIM;
    // distributions over the goal difference d at index d + OFF; indices [PAD, PAD + WIDTH) are the states −LIM..LIM,
    // two padding cells either side catch jumps beyond ±LIM and are folded back onto ±LIM after each bin
    let cur = bufA;
    let nxt = bufB;
    cur.fill(0);
    nxt.fill(0);
    cur[d0 + OFF] = 1;
    let lo = d0 + OFF;
    let hi = d0 + OFF;
    const LO_END = OFF - LIM; // index of −LIM
    const HI_END = OFF + LIM; // index of +LIM

    const first = Math.floor(m) + 1;
    for (let t = first; t <= 90; t++) {
      const frac = t === first ? t - m : 1;
      const w = prof[t]! * frac;
      const w1 = l1 * w;
      const w2 = l2 * w;
      const mt = t * 5;
      // clear the target range, then scatter each state with the transition row of its class
      // (team 1's goal difference g: class g ≤ −2, −1, 0, +1, ≥ +2; team 2 sees −g)
      const nlo = lo - 2;
      const nhi = hi + 2;
      for (let k = nlo; k <= nhi; k++) nxt[k] = 0;
      for (let c = 0; c < 5; c++) {
        // states of class c within [lo, hi]
        const from = c === 0 ? lo : Math.max(OFF + c - 2, lo);
        const to = c === 4 ? hi : Math.min(OFF + c - 2, hi);
        if (from > to) continue;
        const mu1 = w1 * mult[mt + c]!;
        const mu2 = w2 * mult[mt + 4 - c]!;
        const a0 = Math.exp(-mu1);
        const a1 = mu1 * a0;
        const a2 = 1 - a0 - a1; // team 1 scores 0, 1, ≥ 2 (counted as 2)
        const b0 = Math.exp(-mu2);
        const b1 = mu2 * b0;
        const b2 = 1 - b0 - b1;
        const tm2 = a0 * b2;
        const tm1 = a0 * b1 + a1 * b2;
        const t0 = a0 * b0 + a1 * b1 + a2 * b2;
        const tp1 = a1 * b0 + a2 * b1;
        const tp2 = a2 * b0;
        for (let k = from; k <= to; k++) {
          const pk = cur[k]!;
          nxt[k - 2] = nxt[k - 2]! + pk * tm2;
          nxt[k - 1] = nxt[k - 1]! + pk * tm1;
          nxt[k] = nxt[k]! + pk * t0;
          nxt[k + 1] = nxt[k + 1]! + pk * tp1;
          nxt[k + 2] = nxt[k + 2]! + pk * tp2;
        }
      }
      lo = nlo;
      hi = nhi;
      if (lo < LO_END) {
        let spill = 0;
        for (let k = lo; k < LO_END; k++) {
          spill += nxt[k]!;
          nxt[k] = 0;
        }
        nxt[LO_END] = nxt[LO_END]! + spill;
        lo = LO_END;
      }
      if (hi > HI_END) {
        let spill = 0;
        for (let k = HI_END + 1; k <= hi; k++) {
          spill += nxt[k]!;
          nxt[k] = 0;
        }
        nxt[HI_END] = nxt[HI_END]! + spill;
        hi = HI_END;
      }
      const tmp = cur;
      cur = nxt;
      nxt = tmp;
    }

    let p1 = 0;
    let p2 = 0;
    for (let k = Math.max(lo, OFF + 1); k <= hi; k++) p1 += cur[k]!;
    for (let k = lo; k < OFF && k <= hi; k++) p2 += cur[k]!;
    let pd = lo <= OFF && OFF <= hi ? cur[OFF]! : 0;
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

/** P(X₁ − X₂ > −d) and P(X₁ − X₂ = −d) for independent Poisson X₁ ~ μ₁, X₂ ~ μ₂ (team 1 leads by d now). */
function skellamAhead(mu1: number, mu2: number, d: number): [number, number] {
  const N = 12;
  let win = 0;
  let level = 0;
  let pa = Math.exp(-mu1);
  for (let i = 0; i <= N; i++) {
    let pb = Math.exp(-mu2);
    for (let j = 0; j <= N; j++) {
      const diff = d + i - j;
      if (diff > 0) win += pa * pb;
      else if (diff === 0) level += pa * pb;
      pb = (pb * mu2) / (j + 1);
    }
    pa = (pa * mu1) / (i + 1);
  }
  return [win, level];
}

/** Builds the predictor with advance probabilities for knockout matches (90-minute result from `createFootballPredictor`). */
export function createFootballKnockoutPredictor(p: FootballModelParams): FootballKnockoutPredictor {
  const predict = createFootballPredictor(p);
  const { intercept: a, slope: b, quad: cq, level: lv, homeAttack: h1, homeDefence: h2 } = p.rate;
  const xMax2 = (p.rate.maxEloDiff / 400) ** 2;
  const { extraTimeRate: rho, shootoutHome, shootoutSlope } = p.knockout;
  return function predictKnockout(f: FootballFeatures): FootballPrediction {
    const result = predict(f);
    if (!f.knockout) return { result };
    const e1 = clampElo(f.elo[0]);
    const e2 = clampElo(f.elo[1]);
    const x = (e1 - e2) / 400;
    const base = a + cq * Math.min(x * x, xMax2) + (lv * ((e1 + e2) / 2 - 1500)) / 400;
    let l1 = Math.exp(base + b * x + (f.neutral ? 0 : h1));
    let l2 = Math.exp(base - b * x - (f.neutral ? 0 : h2));
    let net = (f.redCards[0] | 0) - (f.redCards[1] | 0);
    net = Math.max(-MAX_NET_RED, Math.min(MAX_NET_RED, net));
    if (net > 0) {
      l1 *= p.redCard.own ** net;
      l2 *= p.redCard.opponent ** net;
    } else if (net < 0) {
      l1 *= p.redCard.opponent ** -net;
      l2 *= p.redCard.own ** -net;
    }
    const pShoot = 1 / (1 + Math.exp(-((f.neutral ? 0 : shootoutHome) + shootoutSlope * x)));
    const m = f.minute > 90 ? Math.min(f.minute, 120) : 90;
    const d = f.minute > 90 ? (f.score[0] | 0) - (f.score[1] | 0) : 0;
    const share = (rho * (120 - m)) / 90;
    const [win, level] = skellamAhead(l1 * share, l2 * share, d);
    // through after extra time or the shoot-out, given the score is level at 90 (or the current extra-time score)
    const q = Math.min(1, Math.max(0, win + level * pShoot));
    const a1 = f.minute > 90 ? q : result[0] + result[1] * q;
    return { result, advance: [a1, 1 - a1] };
  };
}

/** Parameters shipped with the model (fitted by dev/train/football.ts). */
export const FOOTBALL_MODEL_PARAMS: FootballModelParams = params;
export const FOOTBALL_MODEL_VERSION: string = params.version;

const predictDefault = createFootballPredictor(FOOTBALL_MODEL_PARAMS);

const predictKnockoutDefault = createFootballKnockoutPredictor(FOOTBALL_MODEL_PARAMS);

/** The 90-minute result and, when `f.knockout`, each team's probability of going through. */
export function footballPrediction(f: FootballFeatures): FootballPrediction {
  return predictKnockoutDefault(f);
}

/** [pTeam1, pDraw, pTeam2] for a live state; team 1 is the home side. Each in [0, 1], summing to 1. */
export function footballWinProbability(f: FootballFeatures): [number, number, number] {
  return predictDefault(f);
}

// Trains the football in-play model, chooses it by rolling-origin validation and fits the shipped parameters.
//
//   npx tsx dev/train/football.ts              rolling-origin validation (fit on years < Y, score on Y, Y = 2012…2021)
//                                              of the shipped configuration against the in-play Poisson and the
//                                              pre-match baselines; extra time and shoot-outs on the knockout
//                                              matches; final fit on 1990–2021; writes model-params.json, the
//                                              evaluation section of docs/models.md and docs/images/football-calibration.svg
//   npx tsx dev/train/football.ts --ablation=i validates alternative ABLATIONS[i] (recency weighting, no score-state
//                                              effects, uniform goal timing) and caches its per-match losses (temp dir);
//                                              run several in parallel
//   npx tsx dev/train/football.ts --ablations-report   writes the table of the cached alternatives vs the shipped one
//   npx tsx dev/train/football.ts --dry-run    validate and fit only (writes nothing)
//
// Reads ../shared/data/football/ (relative to the project root) at run time; the data is never copied.
// Reproducible: deterministic optimisers, no randomness.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eloDifference } from "../../shared/sports/football/elo";
import {
  createFootballKnockoutPredictor,
  createFootballPredictor,
  type FootballModelParams,
} from "../../shared/sports/football/model";
import {
  FOOTBALL_DATA_DIR,
  type FootballMatch,
  footballDataAvailable,
  type Goal,
  inPlayMatches,
  loadFootballMatches,
  PROJECT_ROOT,
} from "./football-data";
import { brier, logLoss, outcomeOf, rps } from "./metrics";
import { goldenSection, nelderMead } from "./optim";

/** Model family; the fit's data window is appended (`+1990-2021`). */
export const MODEL_FAMILY = "football-inplay-2.0";
export const TRAIN_FROM_YEAR = 1990; // modern era; earlier football scored noticeably more goals
export const DATA_TO_YEAR = 2021; // the data ends 2021-12-31
/** Rolling origin: for each year Y, fit on TRAIN_FROM_YEAR…Y−1 and score on Y. */
export const FOLD_YEARS = [2012, 2013, 2014, 2015, 2016, 2017, 2018, 2019, 2020, 2021] as const;
export const EVAL_MINUTES = [0, 15, 30, 45, 60, 75, 85] as const;
/** Red cards are not in the data: literature priors (see docs/models.md). */
export const RED_CARD = { own: 0.65, opponent: 1.2 };

/** A model configuration the validation can accept or reject. */
export interface FitConfig {
  name: string;
  /** Training weights halve every this many years back from the last training year (0 = unweighted). */
  halfLife: number;
  /** Score-state effects (goal rates depend on the own goal difference and the minute). */
  stateEffects: boolean;
  /** Fitted minute profile (goal timing, stoppage time at 45/90) instead of a uniform rate. */
  fittedProfile: boolean;
  /** Ablations: the configuration this one differs from in one respect (compared with it, match by match). */
  reference?: string;
}
/** Recency weighting with an 8-year half-life: accepted by the validation (better at every snapshot). */
export const SHIPPED_CONFIG: FitConfig = { name: "shipped", halfLife: 8, stateEffects: true, fittedProfile: true };
const UNWEIGHTED = "unweighted (half-life 0)";
export const ABLATIONS: FitConfig[] = [
  { name: UNWEIGHTED, halfLife: 0, stateEffects: true, fittedProfile: true, reference: "shipped" },
  { name: "recency half-life 4 years", halfLife: 4, stateEffects: true, fittedProfile: true, reference: "shipped" },
  {
    name: "no score-state effects (unweighted)",
    halfLife: 0,
    stateEffects: false,
    fittedProfile: true,
    reference: UNWEIGHTED,
  },
  {
    name: "uniform goal timing, no minute profile (unweighted)",
    halfLife: 0,
    stateEffects: true,
    fittedProfile: false,
    reference: UNWEIGHTED,
  },
];

export interface Sample {
  date: string;
  year: number;
  elo: [number, number]; // pre-match Elo [team 1 (home side), team 2]
  dElo: number; // elo1 − elo2
  weight: number; // training weight (recency)
  home: boolean; // team 1 plays at home (not neutral)
  goals: Goal[]; // all goals incl. extra time, sorted
  score90: [number, number];
  /** Went to extra time (level at 90 and a shoot-out or extra-time goals): a knockout match. */
  extraTime: boolean;
  /** Team 1 went through (extra-time goals, then the shoot-out); null when not a knockout or unknown. */
  advanced1: boolean | null;
}

type Triple = [number, number, number];
type Predict = (minute: number, score: [number, number], s: Sample) => Triple;

export function stateAt(s: Sample, minute: number): [number, number] {
  const sc: [number, number] = [0, 0];
  for (const g of s.goals) if (g.minute <= minute) sc[g.team - 1] = sc[g.team - 1]! + 1;
  return sc;
}

// ---------------------------------------------------------------------------------------------------------------
// Baseline 1: pre-match only (ordered logit on the Elo difference incl. the Elo home advantage), constant in-play.

export interface PrematchParams {
  beta: number;
  cut1: number;
  cut2: number;
}

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

export function prematchProbs(p: PrematchParams, s: Sample): Triple {
  const z = (p.beta * eloDifference(s.dElo, 0, !s.home)) / 400;
  const pAway = sigmoid(p.cut1 - z);
  const pNotHome = sigmoid(p.cut2 - z);
  return [1 - pNotHome, pNotHome - pAway, pAway];
}

export function fitPrematch(train: Sample[]): PrematchParams {
  const f = (v: number[]): number => {
    const p = { beta: v[0]!, cut1: v[1]!, cut2: v[1]! + Math.exp(v[2]!) };
    let ll = 0;
    let ws = 0;
    for (const s of train) {
      ll -= s.weight * Math.log(Math.max(1e-15, prematchProbs(p, s)[outcomeOf(s.score90)]));
      ws += s.weight;
    }
    return ll / ws;
  };
  const r = nelderMead(f, [1.5, -1, 0], { step: 0.3 });
  return { beta: r.x[0]!, cut1: r.x[1]!, cut2: r.x[1]! + Math.exp(r.x[2]!) };
}

// ---------------------------------------------------------------------------------------------------------------
// Baseline 2: in-play Poisson, constant goal rates scaled by Elo, independent teams.

export interface PoissonParams {
  a: number;
  b: number;
}

function poissonRates(p: PoissonParams, s: Sample): [number, number] {
  const x = eloDifference(s.dElo, 0, !s.home) / 400;
  return [Math.exp(p.a + p.b * x), Math.exp(p.a - p.b * x)];
}

export function fitPoisson(train: Sample[]): PoissonParams {
  const f = (v: number[]): number => {
    let ll = 0;
    let ws = 0;
    for (const s of train) {
      const [l1, l2] = poissonRates({ a: v[0]!, b: v[1]! }, s);
      ll += s.weight * (l1 - s.score90[0] * Math.log(l1) + l2 - s.score90[1] * Math.log(l2));
      ws += s.weight;
    }
    return ll / ws;
  };
  const r = nelderMead(f, [0.3, 1], { step: 0.2 });
  return { a: r.x[0]!, b: r.x[1]! };
}

export function skellamOutcome(mu1: number, mu2: number, d0: number): Triple {
  const N = 15;
  const pmf = (mu: number): number[] => {
    const out: number[] = [];
    let p = Math.exp(-mu);
    for (let k = 0; k <= N; k++) {
      out.push(p);
      p = (p * mu) / (k + 1);
    }
    return out;
  };
  const a = pmf(mu1);
  const b = pmf(mu2);
  let p1 = 0;
  let pd = 0;
  let p2 = 0;
  for (let i = 0; i <= N; i++)
    for (let j = 0; j <= N; j++) {
      const p = a[i]! * b[j]!;
      const d = d0 + i - j;
      if (d > 0) p1 += p;
      else if (d < 0) p2 += p;
      else pd += p;
    }
  const t = p1 + pd + p2;
  return [p1 / t, pd / t, p2 / t];
}

export function poissonProbs(p: PoissonParams, minute: number, score: [number, number], s: Sample): Triple {
  const [l1, l2] = poissonRates(p, s);
  const rem = Math.max(0, 90 - minute) / 90;
  return skellamOutcome(l1 * rem, l2 * rem, score[0] - score[1]);
}

// ---------------------------------------------------------------------------------------------------------------
// The model: process likelihood of the goal times (bins 1..90) under the score-state goal process.

interface GoalBin {
  bin: number;
  c1: number;
  c2: number;
}

interface ProcSample {
  dElo: number;
  z: number;
  home: number;
  weight: number;
  bins: GoalBin[];
}

function toProc(s: Sample): ProcSample {
  const bins: GoalBin[] = [];
  for (const g of s.goals) {
    if (g.minute > 90) break;
    const bin = Math.max(1, g.minute);
    let last = bins[bins.length - 1];
    if (!last || last.bin !== bin) {
      last = { bin, c1: 0, c2: 0 };
      bins.push(last);
    }
    if (g.team === 1) last.c1++;
    else last.c2++;
  }
  return { dElo: s.dElo, z: ((s.elo[0] + s.elo[1]) / 2 - 1500) / 400, home: s.home ? 1 : 0, weight: s.weight, bins };
}

// θ = [a, b, c, level, homeAttack, homeDefence, s−2, s−1, s+1, s+2, u−2, u−1, u+1, u+2]
// start near the 1990–2018 fit of the previous model version (only a starting point: every fit converges from it)
const THETA0 = [0.295, 0.834, -0.1235, -0.159, 0.112, 0.333, -0.11, -0.013, 0.023, 0.338, 0.258, 0.142, -0.002, -0.164];
/** The quadratic Elo term saturates beyond this difference (beyond the data's support; keeps the model monotone). */
export const MAX_ELO_DIFF = 1200;
const NO_KNOCKOUT = { extraTimeRate: 1, shootoutHome: 0, shootoutSlope: 0 };
function thetaToParams(
  theta: number[],
  profile: number[],
  drawInflation: number,
  version = MODEL_FAMILY,
): FootballModelParams {
  return {
    version,
    rate: {
      intercept: theta[0]!,
      slope: theta[1]!,
      quad: theta[2]!,
      level: theta[3]!,
      homeAttack: theta[4]!,
      homeDefence: theta[5]!,
      maxEloDiff: MAX_ELO_DIFF,
    },
    profile,
    stateEffect: {
      level: [theta[6]!, theta[7]!, 0, theta[8]!, theta[9]!],
      trend: [theta[10]!, theta[11]!, 0, theta[12]!, theta[13]!],
    },
    redCard: RED_CARD,
    drawInflation,
    knockout: NO_KNOCKOUT,
  };
}

function multTable(p: FootballModelParams): Float64Array {
  const m = new Float64Array(91 * 5);
  for (let t = 1; t <= 90; t++)
    for (let c = 0; c < 5; c++) m[t * 5 + c] = Math.exp(p.stateEffect.level[c]! + p.stateEffect.trend[c]! * (t / 90));
  return m;
}

const cls = (d: number): number => (d <= -2 ? 0 : d >= 2 ? 4 : d + 2);

function rates(p: FootballModelParams, s: ProcSample): [number, number] {
  const xMax = p.rate.maxEloDiff / 400;
  const x = s.dElo / 400;
  const base = p.rate.intercept + p.rate.quad * Math.min(x * x, xMax * xMax) + p.rate.level * s.z;
  return [
    Math.exp(base + p.rate.slope * x + p.rate.homeAttack * s.home),
    Math.exp(base - p.rate.slope * x - p.rate.homeDefence * s.home),
  ];
}

/** The monotonicity constraints of the rate model (see FootballModelParams.rate). */
export function rateConstraintsHold(p: FootballModelParams): boolean {
  const r = p.rate;
  return (
    r.homeAttack >= 0 &&
    r.homeDefence >= 0 &&
    r.slope - 2 * Math.abs(r.quad) * (r.maxEloDiff / 400) - Math.abs(r.level) / 2 >= 0
  );
}

/** Mean negative log-likelihood per match of the goal bins. */
export function processNll(p: FootballModelParams, data: ProcSample[]): number {
  const mult = multTable(p);
  // S[c][t] = Σ_{s ≤ t} w(s)·mult_c(s)
  const S = new Float64Array(91 * 5);
  for (let c = 0; c < 5; c++) {
    let acc = 0;
    for (let t = 1; t <= 90; t++) {
      acc += p.profile[t]! * mult[t * 5 + c]!;
      S[t * 5 + c] = acc;
    }
  }
  const term = (c: number, mu: number): number =>
    c === 0 ? 0 : c === 1 ? Math.log(mu) : Math.log(Math.max(1e-300, 1 - (1 + mu) * Math.exp(-mu))) + mu;
  let nll = 0;
  let wsum = 0;
  for (const s of data) {
    const [l1, l2] = rates(p, s);
    let d = 0;
    let prev = 0;
    let ll = 0;
    const seg = (to: number): void => {
      const c1 = cls(d);
      const c2 = 4 - c1;
      ll -= l1 * (S[to * 5 + c1]! - S[prev * 5 + c1]!) + l2 * (S[to * 5 + c2]! - S[prev * 5 + c2]!);
    };
    for (const g of s.bins) {
      seg(g.bin);
      const c1 = cls(d);
      const w = p.profile[g.bin]!;
      ll += term(g.c1, l1 * w * mult[g.bin * 5 + c1]!) + term(g.c2, l2 * w * mult[g.bin * 5 + 4 - c1]!);
      d += g.c1 - g.c2;
      prev = g.bin;
    }
    seg(90);
    nll -= s.weight * ll;
    wsum += s.weight;
  }
  return nll / wsum;
}

/** Profile-likelihood update of the minute profile given the other parameters (Poisson approximation). */
function updateProfile(p: FootballModelParams, data: ProcSample[]): { profile: number[]; scale: number } {
  const mult = multTable(p);
  const goals = new Float64Array(91);
  const expo = new Float64Array(91);
  for (const s of data) {
    const [l1, l2] = rates(p, s);
    let d = 0;
    let gi = 0;
    for (let t = 1; t <= 90; t++) {
      const c = cls(d);
      expo[t] = expo[t]! + s.weight * (l1 * mult[t * 5 + c]! + l2 * mult[t * 5 + 4 - c]!);
      const g = s.bins[gi];
      if (g && g.bin === t) {
        goals[t] = goals[t]! + s.weight * (g.c1 + g.c2);
        d += g.c1 - g.c2;
        gi++;
      }
    }
  }
  const raw = new Array<number>(91).fill(0);
  for (let t = 1; t <= 90; t++) raw[t] = goals[t]! / expo[t]!;
  // light smoothing (±2 bins, triangular) inside each half; kick-off bins (1, 46) and the stoppage-time bins
  // (45, 90) and the bin before them (44?, 89) keep their own estimates
  const special = new Set([1, 45, 46, 89, 90]);
  const sm = raw.slice();
  for (let t = 1; t <= 90; t++) {
    if (special.has(t)) continue;
    let num = 0;
    let den = 0;
    for (let k = -2; k <= 2; k++) {
      const u = t + k;
      if (u < 1 || u > 90 || special.has(u) || t <= 45 !== u <= 45) continue;
      const wt = 3 - Math.abs(k);
      num += wt * goals[u]!;
      den += wt * expo[u]!;
    }
    sm[t] = num / den;
  }
  const scale = sm.reduce((a, b) => a + b, 0);
  return { profile: sm.map((v) => v / scale), scale };
}

export interface FitResult {
  params: FootballModelParams;
  theta: number[];
  profile: number[];
}

/**
 * Maximum likelihood of the goal bins (Nelder–Mead on the scalar parameters alternating with the profile update),
 * then δ on the in-play outcome log loss. `init` warm-starts from a previous fit (the rolling-origin folds).
 */
export function fitModel(
  train: Sample[],
  cfg: FitConfig,
  log: (s: string) => void,
  init?: { theta: number[]; profile: number[] },
): FitResult {
  const data = train.map(toProc);
  let profile: number[];
  if (init) profile = init.profile.slice();
  else if (!cfg.fittedProfile) profile = Array.from({ length: 91 }, (_, t) => (t === 0 ? 0 : 1 / 90));
  else {
    // start from the empirical minute histogram
    const hist = new Array<number>(91).fill(0);
    for (const s of data) for (const g of s.bins) hist[g.bin] = hist[g.bin]! + s.weight * (g.c1 + g.c2);
    const histSum = hist.reduce((x, y) => x + y, 0);
    profile = hist.map((v, t) => (t === 0 ? 0 : Math.max(v, 1e-3) / histSum));
  }
  // free parameters: the rate model always, the score-state effects when configured
  const free = cfg.stateEffects ? THETA0.map((_, i) => i) : [0, 1, 2, 3, 4, 5];
  let theta = (init?.theta ?? THETA0).slice();
  if (!cfg.stateEffects) for (let i = 6; i < theta.length; i++) theta[i] = 0;
  const expand = (v: number[]): number[] => {
    const t = theta.slice();
    free.forEach((k, j) => {
      t[k] = v[j]!;
    });
    return t;
  };
  let last = Number.POSITIVE_INFINITY;
  const maxRounds = init ? 3 : 6;
  for (let round = 0; round < maxRounds; round++) {
    const objective = (v: number[]): number => {
      const p = thetaToParams(expand(v), profile, 0);
      return rateConstraintsHold(p) ? processNll(p, data) : Number.POSITIVE_INFINITY;
    };
    const r = nelderMead(
      objective,
      free.map((k) => theta[k]!),
      { step: init ? 0.02 : 0.05, tol: 1e-9, restarts: 1 },
    );
    theta = expand(r.x);
    if (cfg.fittedProfile) {
      const up = updateProfile(thetaToParams(theta, profile, 0), data);
      profile = up.profile;
      theta[0] = theta[0]! + Math.log(up.scale);
    }
    const nll = processNll(thetaToParams(theta, profile, 0), data);
    log(`  round ${round + 1}: goal-process NLL/match ${nll.toFixed(6)} (${r.evals} evals)`);
    if (last - nll < 2e-6) break;
    last = nll;
  }
  profile = profile.map((v) => Number(v.toPrecision(6)));
  // draw inflation: fitted on the outcome log loss of in-play predictions (minutes 0, 10, …, 80) on the training matches
  const grid = train.filter((_, i) => i % 3 === 0);
  const outcomeLoss = (delta: number): number => {
    const predict = createFootballPredictor(thetaToParams(theta, profile, delta));
    let l = 0;
    let wsum = 0;
    for (const s of grid)
      for (let m = 0; m <= 80; m += 10) {
        const p = predict({ minute: m, score: stateAt(s, m), redCards: [0, 0], elo: s.elo, neutral: !s.home });
        l -= s.weight * Math.log(Math.max(1e-15, p[outcomeOf(s.score90)]));
        wsum += s.weight;
      }
    return l / wsum;
  };
  const delta = goldenSection(outcomeLoss, -0.1, 0.2, 1e-4);
  log(`  draw inflation δ = ${delta.toFixed(5)}`);
  const thetaOut = theta.map((v) => Number(v.toPrecision(8)));
  return { params: thetaToParams(thetaOut, profile, Number(delta.toPrecision(6))), theta: thetaOut, profile };
}
// ---------------------------------------------------------------------------------------------------------------
// Extra time and shoot-outs (knockout matches)
//
// The data has no stage field. A match is identified as a knockout when it needed a winner and went beyond
// 90 minutes: level at 90 and either in the shoot-out file or with extra-time goals (minutes 91–120). That
// identifies every knockout match that was level at 90 (those are the only ones extra time and shoot-outs
// apply to); knockouts decided in 90 minutes cannot be told apart from group matches, and need not be.

export interface KnockoutParams {
  extraTimeRate: number;
  shootoutHome: number;
  shootoutSlope: number;
}

export interface ShootoutSample {
  year: number;
  x: number; // (elo1 − elo2)/400
  home: boolean;
  winner1: boolean;
}

/** ρ = extra-time goals / the level-score rates' expectation for 30 minutes, on the extra-time matches. */
export function fitExtraTimeRate(p: FootballModelParams, etMatches: Sample[]): number {
  let goals = 0;
  let expected = 0;
  for (const s of etMatches) {
    const [l1, l2] = rates(p, toProc(s));
    expected += (l1 + l2) / 3;
    for (const g of s.goals) if (g.minute > 90 && g.minute <= 120) goals++;
  }
  return expected > 0 ? goals / expected : 1;
}

export function fitShootout(train: ShootoutSample[]): { shootoutHome: number; shootoutSlope: number } {
  const f = (v: number[]): number => {
    let ll = 0;
    for (const s of train) {
      const p = sigmoid((s.home ? v[0]! : 0) + v[1]! * s.x);
      ll -= Math.log(s.winner1 ? p : 1 - p);
    }
    return ll / Math.max(1, train.length);
  };
  const r = nelderMead(f, [0, 0.2], { step: 0.1 });
  return { shootoutHome: Number(r.x[0]!.toPrecision(6)), shootoutSlope: Number(r.x[1]!.toPrecision(6)) };
}

// ---------------------------------------------------------------------------------------------------------------
// Rolling-origin evaluation. Every test match contributes one row per evaluation minute and one row per goal
// (the state just after it, minutes < 90); goal rows are clustered by match for the standard errors.

export const SNAPSHOTS = [...EVAL_MINUTES.map(String), "goal"] as const;

/** Per test match and snapshot key: summed losses and the number of snapshots (clusters = matches). */
export interface LossTable {
  rps: Float64Array;
  brier: Float64Array;
  ll: Float64Array;
  n: Float64Array;
}

export interface MeanSe {
  mean: number;
  se: number;
}

/** Cluster-robust mean ± standard error of Σ values / Σ counts (one cluster per match). */
export function clusterMean(v: ArrayLike<number>, n: ArrayLike<number>, minus?: ArrayLike<number>): MeanSe {
  let sv = 0;
  let sn = 0;
  let c = 0;
  for (let i = 0; i < n.length; i++) {
    if (!n[i]) continue;
    sv += v[i]! - (minus ? minus[i]! : 0);
    sn += n[i]!;
    c++;
  }
  const mean = sv / sn;
  let ss = 0;
  for (let i = 0; i < n.length; i++) {
    if (!n[i]) continue;
    const r = v[i]! - (minus ? minus[i]! : 0) - mean * n[i]!;
    ss += r * r;
  }
  return { mean, se: c > 1 ? Math.sqrt((ss * c) / (c - 1)) / sn : Number.NaN };
}

type PredictorName = string;
export interface FoldResult {
  year: number;
  train: number;
  test: number;
  params: FootballModelParams;
}

export interface Validation {
  folds: FoldResult[];
  /** losses[predictor][snapshot] over all test matches in fold order. */
  losses: Record<PredictorName, Record<string, LossTable>>;
  /** Calibration of the model at each evaluation minute: 10 bins of width 0.1, all three outcomes pooled. */
  calibration: { n: number; pred: number; obs: number }[][];
  knockout: KnockoutEval;
  /** The last fold's fit (warm start for the final fit). */
  lastFit: { theta: number[]; profile: number[] };
}

export interface KnockoutEval {
  /** Extra-time matches scored at the 90th minute (level): log loss / Brier of P(team 1 goes through). */
  advance: Record<"model" | "coin flip" | "shoot-out model only", number[]>;
  /** Shoot-outs in the test years: log loss of P(team 1 wins the shoot-out). */
  shootout: Record<"model" | "coin flip", number[]>;
  etGoals: number;
  etExpected: number;
}

const emptyTable = (n: number): LossTable => ({
  rps: new Float64Array(n),
  brier: new Float64Array(n),
  ll: new Float64Array(n),
  n: new Float64Array(n),
});

function weighted(samples: Sample[], halfLife: number, lastYear: number): Sample[] {
  return samples.map((s) => ({ ...s, weight: halfLife > 0 ? 0.5 ** ((lastYear - s.year) / halfLife) : 1 }));
}

export function rollingOrigin(
  samples: Sample[],
  shootouts: ShootoutSample[],
  cfg: FitConfig,
  log: (s: string) => void,
): Validation {
  const test = samples.filter((s) => s.year >= FOLD_YEARS[0]);
  const N = test.length;
  const names = ["model", "model + draw inflation", "Poisson", "pre-match"];
  const losses: Validation["losses"] = {};
  for (const name of names) {
    losses[name] = {};
    for (const k of SNAPSHOTS) losses[name]![k] = emptyTable(N);
  }
  const calibration = EVAL_MINUTES.map(() => Array.from({ length: 10 }, () => ({ n: 0, pred: 0, obs: 0 })));
  const knockout: KnockoutEval = {
    advance: { model: [], "coin flip": [], "shoot-out model only": [] },
    shootout: { model: [], "coin flip": [] },
    etGoals: 0,
    etExpected: 0,
  };
  const folds: FoldResult[] = [];
  let init: { theta: number[]; profile: number[] } | undefined;
  let row = 0;
  for (const year of FOLD_YEARS) {
    const t0 = Date.now();
    const train = weighted(
      samples.filter((s) => s.year < year),
      cfg.halfLife,
      year - 1,
    );
    const fold = samples.filter((s) => s.year === year);
    const pre = fitPrematch(train);
    const poi = fitPoisson(train);
    const fit = fitModel(train, cfg, () => {}, init);
    init = { theta: fit.theta, profile: fit.profile };
    const ko: KnockoutParams = {
      extraTimeRate: fitExtraTimeRate(
        fit.params,
        train.filter((s) => s.extraTime),
      ),
      ...fitShootout(shootouts.filter((s) => s.year >= TRAIN_FROM_YEAR && s.year < year)),
    };
    const params = { ...fit.params, drawInflation: 0, knockout: ko };
    folds.push({ year, train: train.length, test: fold.length, params });
    // draw inflation was rejected by this validation (no RPS gain, worse log loss): the model ships with δ = 0 and
    // the fitted δ is kept as the alternative it is compared with
    const predict = createFootballPredictor(params);
    const predictDelta = createFootballPredictor({ ...params, drawInflation: fit.params.drawInflation });
    const predictors: Record<string, Predict> = {
      model: (m, sc, s) => predict({ minute: m, score: sc, redCards: [0, 0], elo: s.elo, neutral: !s.home }),
      "model + draw inflation": (m, sc, s) =>
        predictDelta({ minute: m, score: sc, redCards: [0, 0], elo: s.elo, neutral: !s.home }),
      Poisson: (m, sc, s) => poissonProbs(poi, m, sc, s),
      "pre-match": (_m, _sc, s) => prematchProbs(pre, s),
    };
    for (const s of fold) {
      const o = outcomeOf(s.score90);
      const snaps: [string, number][] = EVAL_MINUTES.map((m) => [String(m), m]);
      const goalMinutes = new Set(s.goals.filter((g) => g.minute < 90).map((g) => Math.max(1, g.minute)));
      for (const m of goalMinutes) snaps.push(["goal", m]);
      for (const [key, minute] of snaps) {
        const score = stateAt(s, minute);
        for (const name of names) {
          const p = predictors[name]!(minute, score, s);
          const t = losses[name]![key]!;
          t.rps[row] = t.rps[row]! + rps(p, o);
          t.brier[row] = t.brier[row]! + brier(p, o);
          t.ll[row] = t.ll[row]! + logLoss(p, o);
          t.n[row] = t.n[row]! + 1;
          if (name === "model" && key !== "goal") {
            const bins = calibration[EVAL_MINUTES.indexOf(minute as (typeof EVAL_MINUTES)[number])]!;
            for (let k = 0; k < 3; k++) {
              const b = bins[Math.max(0, Math.min(9, Math.floor(p[k]! * 10)))]!;
              b.n++;
              b.pred += p[k]!;
              b.obs += k === o ? 1 : 0;
            }
          }
        }
      }
      row++;
    }
    // knockout matches of the test year: level at 90 → extra time → shoot-out
    const predictKo = createFootballKnockoutPredictor(params);
    for (const s of fold) {
      if (!s.extraTime || s.advanced1 === null) continue;
      const f = { minute: 90, score: s.score90, redCards: [0, 0] as [number, number], elo: s.elo, neutral: !s.home };
      const a = predictKo({ ...f, knockout: true }).advance![0];
      const pShoot = sigmoid((s.home ? ko.shootoutHome : 0) + (ko.shootoutSlope * s.dElo) / 400);
      const ll = (p: number): number => -Math.log(Math.max(1e-15, s.advanced1 ? p : 1 - p));
      knockout.advance.model.push(ll(a));
      knockout.advance["coin flip"].push(ll(0.5));
      knockout.advance["shoot-out model only"].push(ll(pShoot));
      const [l1, l2] = rates(params, toProc(s));
      knockout.etExpected += (ko.extraTimeRate * (l1 + l2)) / 3;
      for (const g of s.goals) if (g.minute > 90) knockout.etGoals++;
    }
    for (const s of shootouts.filter((x) => x.year === year)) {
      const p = sigmoid((s.home ? ko.shootoutHome : 0) + ko.shootoutSlope * s.x);
      knockout.shootout.model.push(-Math.log(s.winner1 ? p : 1 - p));
      knockout.shootout["coin flip"].push(Math.log(2));
    }
    log(
      `  fold ${year}: train ${train.length}, test ${fold.length}, ρ_ET ${ko.extraTimeRate.toFixed(3)}, ` +
        `shoot-out ${ko.shootoutHome.toFixed(3)}/${ko.shootoutSlope.toFixed(3)} (${((Date.now() - t0) / 1000).toFixed(1)} s)`,
    );
  }
  return { folds, losses, calibration, knockout, lastFit: init! };
}

// ---------------------------------------------------------------------------------------------------------------
// Reports

const ms = (m: MeanSe, d = 4): string => `${m.mean.toFixed(d)} ± ${m.se.toFixed(d)}`;
const sd = (m: MeanSe): string => `${m.mean >= 0 ? "+" : "−"}${Math.abs(m.mean).toFixed(5)} ± ${m.se.toFixed(5)}`;
const label = (k: string): string => (k === "goal" ? "after each goal" : k);

export function validationTables(v: Validation): { rps: string; other: string; diff: string } {
  const L = v.losses;
  const rpsRows = SNAPSHOTS.map((k) => {
    const m = L.model![k]!;
    const q = L.Poisson![k]!;
    const pm = L["pre-match"]![k]!;
    const n = m.n.reduce((a, b) => a + b, 0);
    return `| ${label(k)} | ${n} | **${ms(clusterMean(m.rps, m.n))}** | ${ms(clusterMean(q.rps, q.n))} | ${ms(clusterMean(pm.rps, pm.n))} | ${sd(clusterMean(m.rps, m.n, q.rps))} | ${sd(clusterMean(m.rps, m.n, pm.rps))} |`;
  });
  const otherRows = SNAPSHOTS.map((k) => {
    const g = (name: string, key: "brier" | "ll"): string => ms(clusterMean(L[name]![k]![key], L[name]![k]!.n));
    return `| ${label(k)} | ${g("model", "brier")} | ${g("Poisson", "brier")} | ${g("pre-match", "brier")} | ${g("model", "ll")} | ${g("Poisson", "ll")} | ${g("pre-match", "ll")} |`;
  });
  const diffRows = SNAPSHOTS.map((k) => {
    const m = L.model![k]!;
    const q = L.Poisson![k]!;
    const z = L["model + draw inflation"]![k]!;
    return `| ${label(k)} | ${sd(clusterMean(m.brier, m.n, q.brier))} | ${sd(clusterMean(m.ll, m.n, q.ll))} | ${sd(clusterMean(z.rps, z.n, m.rps))} | ${sd(clusterMean(z.ll, z.n, m.ll))} |`;
  });
  return {
    rps: [
      "| snapshot | N | RPS model | RPS Poisson | RPS pre-match | ΔRPS model − Poisson | ΔRPS model − pre-match |",
      "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
      ...rpsRows,
    ].join("\n"),
    other: [
      "| snapshot | Brier model | Brier Poisson | Brier pre-match | log loss model | log loss Poisson | log loss pre-match |",
      "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
      ...otherRows,
    ].join("\n"),
    diff: [
      "| snapshot | ΔBrier model − Poisson | Δlog loss model − Poisson | ΔRPS with draw inflation − shipped | Δlog loss with draw inflation − shipped |",
      "| --- | ---: | ---: | ---: | ---: |",
      ...diffRows,
    ].join("\n"),
  };
}

/** Does the model beat the Poisson baseline at every snapshot (RPS), and by more than one SE? */
export function beatsPoisson(v: Validation): { everywhere: boolean; beyondSe: string[] } {
  let everywhere = true;
  const beyondSe: string[] = [];
  for (const k of SNAPSHOTS) {
    const m = v.losses.model![k]!;
    const d = clusterMean(m.rps, m.n, v.losses.Poisson![k]!.rps);
    if (!(d.mean < 0)) everywhere = false;
    if (d.mean < -d.se) beyondSe.push(label(k));
  }
  return { everywhere, beyondSe };
}

export function meanSeOf(xs: number[]): MeanSe {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const v = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, n - 1);
  return { mean, se: Math.sqrt(v / n) };
}

export function knockoutTable(k: KnockoutEval): string {
  const rows: string[] = [
    "| target | N | model | coin flip | shoot-out model only |",
    "| --- | ---: | ---: | ---: | ---: |",
    `| P(team 1 goes through), level at 90' (log loss) | ${k.advance.model.length} | ${ms(meanSeOf(k.advance.model))} | ${ms(meanSeOf(k.advance["coin flip"]))} | ${ms(meanSeOf(k.advance["shoot-out model only"]))} |`,
    `| P(team 1 wins the shoot-out) (log loss) | ${k.shootout.model.length} | ${ms(meanSeOf(k.shootout.model))} | ${ms(meanSeOf(k.shootout["coin flip"]))} | — |`,
  ];
  return rows.join("\n");
}

/** Reliability diagram per evaluation minute (pooled out-of-fold predictions), as a hand-written SVG. */
export function calibrationSvg(cal: Validation["calibration"], title: string): string {
  const W = 210;
  const H = 230;
  const P = 30;
  const S = W - P - 10;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W * 4}" height="${H * 2 + 30}" font-family="sans-serif" font-size="10">`,
    `<title>${title}</title>`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="18" font-size="13">${title}</text>`,
  ];
  cal.forEach((bins, i) => {
    const ox = (i % 4) * W;
    const oy = 30 + Math.floor(i / 4) * H;
    const X = (p: number): number => ox + P + p * S;
    const Y = (p: number): number => oy + 10 + (1 - p) * S;
    out.push(`<rect x="${X(0)}" y="${Y(1)}" width="${S}" height="${S}" fill="none" stroke="#999"/>`);
    out.push(`<line x1="${X(0)}" y1="${Y(0)}" x2="${X(1)}" y2="${Y(1)}" stroke="#bbb" stroke-dasharray="4 3"/>`);
    for (const t of [0, 0.5, 1]) {
      out.push(`<text x="${X(t)}" y="${Y(0) + 12}" text-anchor="middle">${t}</text>`);
      out.push(`<text x="${X(0) - 4}" y="${Y(t) + 3}" text-anchor="end">${t}</text>`);
    }
    out.push(
      `<text x="${X(0.5)}" y="${Y(0) + 24}" text-anchor="middle">minute ${EVAL_MINUTES[i]}: predicted → observed</text>`,
    );
    const pts: string[] = [];
    for (const b of bins) {
      if (b.n < 20) continue;
      const p = b.pred / b.n;
      const o = b.obs / b.n;
      const se = Math.sqrt(Math.max(p * (1 - p), 1e-4) / b.n);
      out.push(
        `<line x1="${X(p).toFixed(1)}" y1="${Y(Math.min(1, o + 2 * se)).toFixed(1)}" x2="${X(p).toFixed(1)}" y2="${Y(Math.max(0, o - 2 * se)).toFixed(1)}" stroke="#1f77b4"/>`,
      );
      out.push(
        `<circle cx="${X(p).toFixed(1)}" cy="${Y(o).toFixed(1)}" r="${Math.min(6, 1.5 + Math.sqrt(b.n) / 15).toFixed(1)}" fill="#1f77b4" fill-opacity="0.7"><title>n=${b.n} predicted ${p.toFixed(3)} observed ${o.toFixed(3)}</title></circle>`,
      );
      pts.push(`${X(p).toFixed(1)},${Y(o).toFixed(1)}`);
    }
    out.push(`<polyline points="${pts.join(" ")}" fill="none" stroke="#1f77b4" stroke-width="1"/>`);
  });
  out.push(
    `<text x="${3 * W + 10}" y="${30 + H + 40}">dots: bins of width 0.1 of every</text>`,
    `<text x="${3 * W + 10}" y="${30 + H + 54}">outcome probability (home/draw/away)</text>`,
    `<text x="${3 * W + 10}" y="${30 + H + 68}">bars: ±2 standard errors</text>`,
    `<text x="${3 * W + 10}" y="${30 + H + 82}">dashed: perfect calibration</text>`,
    "</svg>",
  );
  return `${out.join("\n")}\n`;
}

export function paramsSummary(p: FootballModelParams): string {
  const r = p.rate;
  const rel = (t: number): string => (p.profile[t]! * 90).toFixed(2);
  const lv = p.stateEffect.level;
  const tr = p.stateEffect.trend;
  const mult = (c: number, t: number): string => Math.exp(lv[c]! + tr[c]! * (t / 90)).toFixed(3);
  return [
    "| parameter | value |",
    "| --- | ---: |",
    `| intercept a (log goals per 90 min, level score, equal Elo 1500, neutral) | ${r.intercept.toFixed(4)} (${Math.exp(r.intercept).toFixed(3)} goals) |`,
    `| Elo slope b (per 400 Elo points) | ${r.slope.toFixed(4)} |`,
    `| Elo quadratic c (on min(x², (maxEloDiff/400)²)) | ${r.quad.toFixed(4)} |`,
    `| Elo level e (per 400 points of mean Elo above 1500) | ${r.level.toFixed(4)} |`,
    `| home attack h₁ (home side's rate ×) | ${r.homeAttack.toFixed(4)} (× ${Math.exp(r.homeAttack).toFixed(3)}) |`,
    `| home defence h₂ (away side's rate ×) | ${r.homeDefence.toFixed(4)} (× ${Math.exp(-r.homeDefence).toFixed(3)}) |`,
    `| minute profile relative to a uniform rate: bin 1, mean 2–44, bin 45 (incl. stoppage), bin 46, mean 47–89, bin 90 (incl. stoppage) | ${rel(1)}, ${((p.profile.slice(2, 45).reduce((a, b) => a + b, 0) * 90) / 43).toFixed(2)}, ${rel(45)}, ${rel(46)}, ${((p.profile.slice(47, 90).reduce((a, b) => a + b, 0) * 90) / 43).toFixed(2)}, ${rel(90)} |`,
    `| score-state multiplier at minute 1 / 45 / 90, own goal difference ≤ −2 | ${mult(0, 1)} / ${mult(0, 45)} / ${mult(0, 90)} |`,
    `| … −1 | ${mult(1, 1)} / ${mult(1, 45)} / ${mult(1, 90)} |`,
    `| … +1 | ${mult(3, 1)} / ${mult(3, 45)} / ${mult(3, 90)} |`,
    `| … ≥ +2 | ${mult(4, 1)} / ${mult(4, 45)} / ${mult(4, 90)} |`,
    `| draw inflation δ | ${p.drawInflation} |`,
    `| red card (prior, not fitted): own rate × / opponent's rate × per net red card | ${p.redCard.own} / ${p.redCard.opponent} |`,
    `| extra time: goal rate relative to the level-score 90-minute rates (per minute) | ${p.knockout.extraTimeRate.toFixed(3)} |`,
    `| shoot-out: logit P(team 1) = home·[not neutral] + slope·Δelo/400 | ${p.knockout.shootoutHome.toFixed(3)} / ${p.knockout.shootoutSlope.toFixed(3)} |`,
  ].join("\n");
}

// ---------------------------------------------------------------------------------------------------------------

export function toSamples(all: FootballMatch[]): { samples: Sample[]; shootouts: ShootoutSample[] } {
  const samples = inPlayMatches(all)
    .filter((m) => m.year >= TRAIN_FROM_YEAR)
    .map((m): Sample => {
      const level90 = m.score90[0] === m.score90[1];
      const extraTime = level90 && (m.shootout || m.goals.some((g) => g.minute > 90));
      let advanced1: boolean | null = null;
      if (extraTime) {
        if (m.score[0] !== m.score[1]) advanced1 = m.score[0] > m.score[1];
        else if (m.shootoutWinner) advanced1 = m.shootoutWinner === 1;
      }
      return {
        date: m.date,
        year: m.year,
        elo: m.elo,
        weight: 1,
        dElo: m.elo[0] - m.elo[1],
        home: !m.neutral,
        goals: m.goals,
        score90: m.score90,
        extraTime,
        advanced1,
      };
    });
  const shootouts = all
    .filter((m) => m.shootout && m.shootoutWinner !== null)
    .map((m) => ({ year: m.year, x: (m.elo[0] - m.elo[1]) / 400, home: !m.neutral, winner1: m.shootoutWinner === 1 }));
  return { samples, shootouts };
}

function replaceSection(doc: string, marker: string, body: string): string {
  const section = `<!-- ${marker}:start (generated by \`npx tsx dev/train/football.ts\`; do not edit by hand) -->\n${body}\n<!-- ${marker}:end -->`;
  const re = new RegExp(`<!-- ${marker}:start[\\s\\S]*?<!-- ${marker}:end -->`);
  return re.test(doc) ? doc.replace(re, section) : `${doc}\n${section}\n`;
}

// Ablations are slow (a rolling-origin run each): `--ablation=<i>` runs one in its own process (in parallel) and
// caches its per-match losses in the temp directory; `--ablations` then reads the cache.
const ablationCache = (cfg: FitConfig): string =>
  join(tmpdir(), `matchpulse-football-ablation-${cfg.name.replace(/[^a-z0-9]+/gi, "-")}.json`);

function writeLossCache(cfg: FitConfig, losses: Record<string, LossTable>): void {
  const out: Record<string, Record<keyof LossTable, number[]>> = {};
  for (const [k, t] of Object.entries(losses))
    out[k] = { rps: [...t.rps], brier: [...t.brier], ll: [...t.ll], n: [...t.n] };
  writeFileSync(ablationCache(cfg), JSON.stringify(out));
}

function cachedLosses(cfg: FitConfig): Record<string, LossTable> | null {
  const path = ablationCache(cfg);
  if (!existsSync(path)) return null;
  const raw = JSON.parse(readFileSync(path, "utf8")) as Record<string, Record<keyof LossTable, number[]>>;
  const model: Record<string, LossTable> = {};
  for (const [k, t] of Object.entries(raw))
    model[k] = {
      rps: Float64Array.from(t.rps),
      brier: Float64Array.from(t.brier),
      ll: Float64Array.from(t.ll),
      n: Float64Array.from(t.n),
    };
  return model;
}

function runOneAblation(i: number, log: (s: string) => void): void {
  const cfg = ABLATIONS[i];
  if (!cfg) throw new Error(`no ablation ${i}`);
  const { samples, shootouts } = toSamples(loadFootballMatches());
  log(`ablation: ${cfg.name}`);
  const a = rollingOrigin(samples, shootouts, cfg, log);
  writeLossCache(cfg, a.losses.model!);
  log(`cached in ${ablationCache(cfg)}`);
}

function main(): void {
  const one = process.argv.find((a) => a.startsWith("--ablation="));
  if (one) {
    runOneAblation(Number(one.split("=")[1]), (s) => console.log(s));
    return;
  }
  if (process.argv.includes("--ablations-report")) {
    const docPath = join(PROJECT_ROOT, "docs/models.md");
    writeFileSync(
      docPath,
      ablationSection(readFileSync(docPath, "utf8"), (s) => console.log(s)),
    );
    return;
  }
  const dryRun = process.argv.includes("--dry-run");
  const ablations = process.argv.includes("--ablations");
  const log = (s: string): void => console.log(s);
  if (!footballDataAvailable()) {
    console.error(`football data not found at ${FOOTBALL_DATA_DIR}`);
    process.exit(1);
  }
  const t0 = Date.now();
  const all = loadFootballMatches();
  const { samples, shootouts } = toSamples(all);
  log(
    `data: ${all.length} matches; in-play usable ${TRAIN_FROM_YEAR}–${DATA_TO_YEAR}: ${samples.length}; ` +
      `extra-time matches with goal data ${samples.filter((s) => s.extraTime).length}; shoot-outs ${shootouts.length}`,
  );
  log(`rolling-origin validation (${SHIPPED_CONFIG.name}):`);
  const v = rollingOrigin(samples, shootouts, SHIPPED_CONFIG, log);
  const tables = validationTables(v);
  const verdict = beatsPoisson(v);
  const ko = knockoutTable(v.knockout);
  log(`\n${tables.rps}\n\n${tables.other}\n\n${tables.diff}\n\n${ko}`);
  log(
    `extra-time goals in the test folds: ${v.knockout.etGoals} observed, ${v.knockout.etExpected.toFixed(1)} expected`,
  );
  log(
    `beats the Poisson baseline (RPS) at every snapshot: ${verdict.everywhere ? "yes" : "NO"}; by more than one SE at: ${verdict.beyondSe.join(", ")}`,
  );

  writeLossCache(SHIPPED_CONFIG, v.losses.model!);
  log("final fit on all matches 1990–2021:");
  const lastYear = Math.max(...samples.map((s) => s.year));
  const firstYear = Math.min(...samples.map((s) => s.year));
  const train = weighted(samples, SHIPPED_CONFIG.halfLife, lastYear);
  const fit = fitModel(train, SHIPPED_CONFIG, log, v.lastFit);
  const knockout: KnockoutParams = {
    extraTimeRate: Number(
      fitExtraTimeRate(
        fit.params,
        train.filter((s) => s.extraTime),
      ).toPrecision(6),
    ),
    ...fitShootout(shootouts.filter((s) => s.year >= TRAIN_FROM_YEAR)),
  };
  const params: FootballModelParams = {
    ...fit.params,
    version: `${MODEL_FAMILY}+${firstYear}-${lastYear}`,
    drawInflation: 0, // rejected by the validation (see docs/models.md)
    knockout,
  };
  log(JSON.stringify({ ...params, profile: "[…]" }));
  log(`total ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  if (dryRun) return;

  writeFileSync(join(PROJECT_ROOT, "shared/sports/football/model-params.json"), `${JSON.stringify(params, null, 1)}\n`);
  mkdirSync(join(PROJECT_ROOT, "docs/images"), { recursive: true });
  writeFileSync(
    join(PROJECT_ROOT, "docs/images/football-calibration.svg"),
    calibrationSvg(
      v.calibration,
      `Football in-play model: calibration per minute, out-of-fold ${FOLD_YEARS[0]}–${FOLD_YEARS.at(-1)} (rolling origin)`,
    ),
  );
  const docPath = join(PROJECT_ROOT, "docs/models.md");
  let doc = existsSync(docPath) ? readFileSync(docPath, "utf8") : "";
  const foldLine = v.folds.map((f) => `${f.year}: ${f.train}/${f.test}`).join(", ");
  doc = replaceSection(
    doc,
    "football-eval",
    [
      `Shipped model \`${params.version}\` (fitted on ${train.length} matches ${firstYear}–${lastYear}). Rolling-origin validation of the same configuration: for each year Y = ${FOLD_YEARS[0]}…${FOLD_YEARS.at(-1)} all three models are fitted on ${TRAIN_FROM_YEAR}…Y−1 and scored on Y; the tables pool the ${v.folds.reduce((a, f) => a + f.test, 0)} out-of-fold matches (training/test matches per fold — ${foldLine}).`,
      "",
      "Mean RPS ± standard error (lower is better) and the paired difference model − baseline (negative = model better; standard errors of the paired per-match differences, clustered by match for the goal snapshots):",
      "",
      tables.rps,
      "",
      "Brier score and log loss ± standard error:",
      "",
      tables.other,
      "",
      "Paired differences for Brier and log loss against the Poisson baseline, and of the rejected draw-inflation term (δ fitted on each fold's training data) against the shipped δ = 0:",
      "",
      tables.diff,
      "",
      `Beats the Poisson baseline on RPS at every snapshot: **${verdict.everywhere ? "yes" : "no"}**; by more than one standard error at: ${verdict.beyondSe.join(", ") || "none"}.`,
      "",
      "Knockout matches (test folds; extra-time matches with goal data for the advance probability, every shoot-out for the shoot-out model):",
      "",
      ko,
      "",
      `Extra-time goals in the test folds: ${v.knockout.etGoals} observed, ${v.knockout.etExpected.toFixed(1)} expected by the model.`,
      "",
      "Fitted parameters of the shipped model (`shared/sports/football/model-params.json`):",
      "",
      paramsSummary(params),
      "",
      "![Calibration per minute](images/football-calibration.svg)",
    ].join("\n"),
  );
  if (ablations) doc = ablationSection(doc, log);
  writeFileSync(docPath, doc);
  log("wrote shared/sports/football/model-params.json, docs/images/football-calibration.svg and docs/models.md");
}

/** The ablation table from the cached per-match losses (shipped configuration and every cached alternative). */
function ablationSection(doc: string, log: (s: string) => void): string {
  const ablationRows: string[] = [];
  for (const cfg of ABLATIONS) {
    const a = cachedLosses(cfg);
    const refCfg = [SHIPPED_CONFIG, ...ABLATIONS].find((c) => c.name === cfg.reference);
    const shipped = refCfg ? cachedLosses(refCfg) : null;
    if (!a || !shipped) {
      log(`ablation or its reference not cached (run --ablation=${ABLATIONS.indexOf(cfg)} first): ${cfg.name}`);
      continue;
    }
    const cells = SNAPSHOTS.map((k) => sd(clusterMean(a[k]!.rps, a[k]!.n, shipped[k]!.rps)));
    const ll = SNAPSHOTS.map((k) => clusterMean(a[k]!.ll, a[k]!.n, shipped[k]!.ll).mean);
    ablationRows.push(
      `| ${cfg.name} − ${cfg.reference} | ${cells.join(" | ")} | ${(ll.reduce((p, q) => p + q, 0) / ll.length).toFixed(5)} |`,
    );
    log(ablationRows.at(-1)!);
  }
  return replaceSection(
    doc,
    "football-ablations",
    [
      `ΔRPS of each alternative − its reference (the shipped configuration, or the unweighted fit for the older ablations), match by match on the pooled rolling-origin folds (negative = the alternative is better), and the mean Δlog loss over the snapshots:`,
      "",
      `| alternative − reference | ${SNAPSHOTS.map(label).join(" | ")} | mean Δlog loss |`,
      `| --- | ${SNAPSHOTS.map(() => "---:").join(" | ")} | ---: |`,
      ...ablationRows,
    ].join("\n"),
  );
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) main();

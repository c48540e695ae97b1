// Trains the football in-play model and evaluates it against two baselines.
//
//   npx tsx dev/train/football.ts            fit, evaluate, write shared/sports/football/model-params.json and
//                                            the evaluation section of docs/models.md
//   npx tsx dev/train/football.ts --dry-run  fit and evaluate only (writes nothing)
//
// Reads ../shared/data/football/ (relative to the project root) at run time; the data is never copied.
// Reproducible: deterministic optimisers, no randomness.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { eloDifference } from "../../shared/sports/football/elo";
import { createFootballPredictor, type FootballModelParams } from "../../shared/sports/football/model";
import {
  FOOTBALL_DATA_DIR,
  footballDataAvailable,
  type Goal,
  inPlayMatches,
  loadFootballMatches,
  PROJECT_ROOT,
} from "./football-data";
import type { CalibrationBin } from "./metrics";
import { logLoss, outcomeOf, rps, ScoreAccumulator, type Scores } from "./metrics";
import { goldenSection, nelderMead } from "./optim";

export const MODEL_VERSION = "football-inplay-2026.11.1";
export const TRAIN_FROM_YEAR = 1990; // modern era; earlier football scored noticeably more goals
export const HOLDOUT_FROM_YEAR = 2019; // held-out slice: 2019–2021 (the data ends 2021-12-31)
/** Training weights halve every this many years back from the held-out slice (0 = unweighted). */
export const RECENCY_HALF_LIFE_YEARS = 0;
export const EVAL_MINUTES = [0, 15, 30, 45, 60, 75, 85] as const;
/** Red cards are not in the data: literature priors (see docs/models.md). */
export const RED_CARD = { own: 0.65, opponent: 1.2 };

export interface Sample {
  date: string;
  elo: [number, number]; // pre-match Elo [team 1 (home side), team 2]
  dElo: number; // elo1 − elo2
  weight: number; // training weight (recency)
  home: boolean; // team 1 plays at home (not neutral)
  goals: Goal[]; // all goals incl. extra time, sorted
  score90: [number, number];
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
const THETA0 = [Math.log(1.35), 0.9, 0, 0, 0.15, 0.15, 0, 0, 0, 0, 0, 0, 0, 0];
/** The quadratic Elo term saturates beyond this difference (beyond the data's support; keeps the model monotone). */
export const MAX_ELO_DIFF = 1200;
function thetaToParams(theta: number[], profile: number[], drawInflation: number): FootballModelParams {
  return {
    version: MODEL_VERSION,
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

export function fitModel(train: Sample[], log: (s: string) => void): FootballModelParams {
  const data = train.map(toProc);
  // start from the empirical minute histogram
  const hist = new Array<number>(91).fill(0);
  for (const s of data) for (const g of s.bins) hist[g.bin] = hist[g.bin]! + s.weight * (g.c1 + g.c2);
  const histSum = hist.reduce((x, y) => x + y, 0);
  let profile = hist.map((v, t) => (t === 0 ? 0 : Math.max(v, 1e-3) / histSum));
  let theta = THETA0.slice();
  let last = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 12; round++) {
    const objective = (v: number[]): number => {
      const p = thetaToParams(v, profile, 0);
      return rateConstraintsHold(p) ? processNll(p, data) : Number.POSITIVE_INFINITY;
    };
    const r = nelderMead(objective, theta, { step: 0.1, tol: 1e-10, restarts: 2 });
    theta = r.x;
    const up = updateProfile(thetaToParams(theta, profile, 0), data);
    profile = up.profile;
    theta[0] = theta[0]! + Math.log(up.scale);
    const nll = processNll(thetaToParams(theta, profile, 0), data);
    log(`  round ${round + 1}: goal-process NLL/match ${nll.toFixed(6)} (${r.evals} evals)`);
    if (last - nll < 1e-6) break;
    last = nll;
  }
  profile = profile.map((v) => Number(v.toPrecision(6)));
  // draw inflation: fitted on the outcome log loss of in-play predictions (minutes 0, 5, …, 85) on the training matches
  const grid = train.filter((_, i) => i % 2 === 0);
  const outcomeLoss = (delta: number): number => {
    const predict = createFootballPredictor(thetaToParams(theta, profile, delta));
    let l = 0;
    let wsum = 0;
    for (const s of grid)
      for (let m = 0; m <= 85; m += 5) {
        const p = predict({ minute: m, score: stateAt(s, m), redCards: [0, 0], elo: s.elo, neutral: !s.home });
        l -= s.weight * Math.log(Math.max(1e-15, p[outcomeOf(s.score90)]));
        wsum += s.weight;
      }
    return l / wsum;
  };
  const delta = goldenSection(outcomeLoss, -0.1, 0.2, 1e-5);
  log(
    `  draw inflation δ = ${delta.toFixed(5)} (outcome log loss ${outcomeLoss(delta).toFixed(5)} vs ${outcomeLoss(0).toFixed(5)} without)`,
  );
  const out = thetaToParams(
    theta.map((v) => Number(v.toPrecision(8))),
    profile,
    Number(delta.toPrecision(6)),
  );
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Evaluation

export interface PairedDiff {
  mean: number;
  se: number;
}

export interface EvalRow {
  minute: number;
  model: Scores;
  prematch: Scores;
  poisson: Scores;
  /** Per-match paired differences model − baseline (negative = model better), mean ± standard error. */
  diff: {
    rpsVsPrematch: PairedDiff;
    rpsVsPoisson: PairedDiff;
    logLossVsPrematch: PairedDiff;
    logLossVsPoisson: PairedDiff;
  };
}

function paired(xs: number[]): PairedDiff {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const v = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
  return { mean, se: Math.sqrt(v / n) };
}

export function evaluate(
  holdout: Sample[],
  predictors: { model: Predict; prematch: Predict; poisson: Predict },
): EvalRow[] {
  return EVAL_MINUTES.map((minute) => {
    const acc = { model: new ScoreAccumulator(), prematch: new ScoreAccumulator(), poisson: new ScoreAccumulator() };
    const d = {
      rpsVsPrematch: [] as number[],
      rpsVsPoisson: [] as number[],
      logLossVsPrematch: [] as number[],
      logLossVsPoisson: [] as number[],
    };
    for (const s of holdout) {
      const score = stateAt(s, minute);
      const o = outcomeOf(s.score90);
      const pm = predictors.model(minute, score, s);
      const pp = predictors.prematch(minute, score, s);
      const pq = predictors.poisson(minute, score, s);
      acc.model.add(pm, o);
      acc.prematch.add(pp, o);
      acc.poisson.add(pq, o);
      d.rpsVsPrematch.push(rps(pm, o) - rps(pp, o));
      d.rpsVsPoisson.push(rps(pm, o) - rps(pq, o));
      d.logLossVsPrematch.push(logLoss(pm, o) - logLoss(pp, o));
      d.logLossVsPoisson.push(logLoss(pm, o) - logLoss(pq, o));
    }
    return {
      minute,
      model: acc.model.result(),
      prematch: acc.prematch.result(),
      poisson: acc.poisson.result(),
      diff: {
        rpsVsPrematch: paired(d.rpsVsPrematch),
        rpsVsPoisson: paired(d.rpsVsPoisson),
        logLossVsPrematch: paired(d.logLossVsPrematch),
        logLossVsPoisson: paired(d.logLossVsPoisson),
      },
    };
  });
}

/** Reliability of the model's probabilities (all three outcomes pooled, all evaluation minutes). */
export function calibration(
  holdout: Sample[],
  model: Predict,
): { bins: CalibrationBin[]; byMinute: { minute: number; pred: Triple; obs: Triple }[] } {
  const edges = [0, 0.05, 0.15, 0.3, 0.45, 0.6, 0.75, 0.9, 0.97, 1.0000001];
  const bins = edges
    .slice(0, -1)
    .map((lo, i) => ({ lo, hi: Math.min(1, edges[i + 1]!), n: 0, predicted: 0, observed: 0 }));
  const byMinute = EVAL_MINUTES.map((minute) => {
    const pred: Triple = [0, 0, 0];
    const obs: Triple = [0, 0, 0];
    for (const s of holdout) {
      const p = model(minute, stateAt(s, minute), s);
      const o = outcomeOf(s.score90);
      for (let k = 0; k < 3; k++) {
        const v = p[k]!;
        pred[k] = pred[k]! + v / holdout.length;
        if (k === o) obs[k] = obs[k]! + 1 / holdout.length;
        const b = bins.find((x) => v >= x.lo && v < edges[bins.indexOf(x) + 1]!)!;
        b.n++;
        b.predicted += v;
        b.observed += k === o ? 1 : 0;
      }
    }
    return { minute, pred, obs };
  });
  for (const b of bins) {
    if (b.n) {
      b.predicted /= b.n;
      b.observed /= b.n;
    }
  }
  return { bins, byMinute };
}

// ---------------------------------------------------------------------------------------------------------------

const f4 = (v: number): string => v.toFixed(4);

export function markdownTable(rows: EvalRow[]): string {
  const lines = [
    "| minute | N | RPS model | RPS pre-match | RPS Poisson | Brier model | Brier pre-match | Brier Poisson | log loss model | log loss pre-match | log loss Poisson |",
    "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const r of rows) {
    const best = (k: "rps" | "brier" | "logLoss", v: number): string => {
      const isBest = v <= Math.min(r.model[k], r.prematch[k], r.poisson[k]);
      return isBest ? `**${f4(v)}**` : f4(v);
    };
    lines.push(
      `| ${r.minute} | ${r.model.n} | ${best("rps", r.model.rps)} | ${best("rps", r.prematch.rps)} | ${best("rps", r.poisson.rps)} | ` +
        `${best("brier", r.model.brier)} | ${best("brier", r.prematch.brier)} | ${best("brier", r.poisson.brier)} | ` +
        `${best("logLoss", r.model.logLoss)} | ${best("logLoss", r.prematch.logLoss)} | ${best("logLoss", r.poisson.logLoss)} |`,
    );
  }
  return lines.join("\n");
}

export function markdownDiffTable(rows: EvalRow[]): string {
  const f = (d: PairedDiff): string => `${d.mean >= 0 ? "+" : "−"}${Math.abs(d.mean).toFixed(5)} ± ${d.se.toFixed(5)}`;
  return [
    "| minute | ΔRPS vs pre-match | ΔRPS vs Poisson | Δlog loss vs pre-match | Δlog loss vs Poisson |",
    "| ---: | ---: | ---: | ---: | ---: |",
    ...rows.map(
      (r) =>
        `| ${r.minute} | ${f(r.diff.rpsVsPrematch)} | ${f(r.diff.rpsVsPoisson)} | ${f(r.diff.logLossVsPrematch)} | ${f(r.diff.logLossVsPoisson)} |`,
    ),
  ].join("\n");
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
    `| Elo quadratic saturates beyond | ±${r.maxEloDiff} |`,
    `| minute profile relative to a uniform rate: bin 1, mean 2–44, bin 45 (incl. stoppage), bin 46, mean 47–89, bin 90 (incl. stoppage) | ${rel(1)}, ${((p.profile.slice(2, 45).reduce((a, b) => a + b, 0) * 90) / 43).toFixed(2)}, ${rel(45)}, ${rel(46)}, ${((p.profile.slice(47, 90).reduce((a, b) => a + b, 0) * 90) / 43).toFixed(2)}, ${rel(90)} |`,
    `| score-state multiplier at minute 1 / 45 / 90, own goal difference ≤ −2 | ${mult(0, 1)} / ${mult(0, 45)} / ${mult(0, 90)} |`,
    `| … −1 | ${mult(1, 1)} / ${mult(1, 45)} / ${mult(1, 90)} |`,
    `| … +1 | ${mult(3, 1)} / ${mult(3, 45)} / ${mult(3, 90)} |`,
    `| … ≥ +2 | ${mult(4, 1)} / ${mult(4, 45)} / ${mult(4, 90)} |`,
    `| draw inflation δ | ${p.drawInflation} |`,
    `| red card (prior, not fitted): own rate × / opponent's rate × per net red card | ${p.redCard.own} / ${p.redCard.opponent} |`,
  ].join("\n");
}

function main(): void {
  const validate = process.argv.includes("--validate");
  const dryRun = validate || process.argv.includes("--dry-run");
  const hlArg = process.argv.find((a) => a.startsWith("--half-life="));
  const halfLife = hlArg ? Number(hlArg.split("=")[1]) : RECENCY_HALF_LIFE_YEARS;
  // --validate: model selection on 2015–2018 with training < 2015 (the 2019–2021 slice stays untouched)
  const holdoutFrom = validate ? 2015 : HOLDOUT_FROM_YEAR;
  const holdoutTo = validate ? 2018 : 2021;
  const log = (s: string): void => console.log(s);
  if (!footballDataAvailable()) {
    console.error(`football data not found at ${FOOTBALL_DATA_DIR}`);
    process.exit(1);
  }
  const t0 = Date.now();
  const all = loadFootballMatches();
  const toSample = (m: ReturnType<typeof inPlayMatches>[number]): Sample => ({
    date: m.date,
    elo: m.elo,
    weight: halfLife > 0 ? 0.5 ** ((holdoutFrom - 1 - m.year) / halfLife) : 1,
    dElo: m.elo[0] - m.elo[1],
    home: !m.neutral,
    goals: m.goals,
    score90: m.score90,
  });
  const usable = inPlayMatches(all);
  const train = usable.filter((m) => m.year >= TRAIN_FROM_YEAR && m.year < holdoutFrom).map(toSample);
  const holdout = usable.filter((m) => m.year >= holdoutFrom && m.year <= holdoutTo).map(toSample);
  log(
    `data: ${all.length} matches; in-play usable ${usable.length}; train ${TRAIN_FROM_YEAR}–${holdoutFrom - 1}: ${train.length} ` +
      `(recency half-life ${halfLife > 0 ? `${halfLife} years` : "off"}); held out ${holdoutFrom}–${holdoutTo}: ${holdout.length}`,
  );

  const pre = fitPrematch(train);
  log(`pre-match baseline: ${JSON.stringify(pre)}`);
  const poi = fitPoisson(train);
  log(`Poisson baseline: ${JSON.stringify(poi)}`);
  log("fitting the in-play model…");
  const params = fitModel(train, log);
  log(JSON.stringify({ ...params, profile: "[…]" }));

  const predict = createFootballPredictor(params);
  const model: Predict = (minute, score, s) =>
    predict({ minute, score, redCards: [0, 0], elo: s.elo, neutral: !s.home });
  const rows = evaluate(holdout, {
    model,
    prematch: (_m, _sc, s) => prematchProbs(pre, s),
    poisson: (m, sc, s) => poissonProbs(poi, m, sc, s),
  });
  const table = markdownTable(rows);
  const diffTable = markdownDiffTable(rows);
  log(
    `\nheld-out evaluation (${holdoutFrom}–${holdoutTo}):\n` +
      table +
      "\n\npaired differences model − baseline (mean ± s.e.; negative = model better):\n" +
      diffTable,
  );
  const cal = calibration(holdout, model);
  const calTable = [
    "| predicted probability | N (outcome-probabilities) | mean predicted | observed frequency |",
    "| --- | ---: | ---: | ---: |",
    ...cal.bins
      .filter((b) => b.n > 0)
      .map((b) => `| ${b.lo.toFixed(2)}–${b.hi.toFixed(2)} | ${b.n} | ${f4(b.predicted)} | ${f4(b.observed)} |`),
  ].join("\n");
  const calMinute = [
    "| minute | mean p(team 1) | observed team 1 | mean p(draw) | observed draw | mean p(team 2) | observed team 2 |",
    "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...cal.byMinute.map(
      (r) =>
        `| ${r.minute} | ${f4(r.pred[0])} | ${f4(r.obs[0])} | ${f4(r.pred[1])} | ${f4(r.obs[1])} | ${f4(r.pred[2])} | ${f4(r.obs[2])} |`,
    ),
  ].join("\n");
  log(`\ncalibration (held out, all evaluation minutes pooled):\n${calTable}\n\n${calMinute}`);
  const beatsAll = rows.every(
    (r) =>
      r.model.rps < r.prematch.rps &&
      r.model.rps < r.poisson.rps &&
      r.model.logLoss < r.prematch.logLoss &&
      r.model.logLoss < r.poisson.logLoss,
  );
  log(
    `\nmodel beats both baselines (RPS and log loss) at every minute: ${beatsAll ? "yes" : "NO"}  (${((Date.now() - t0) / 1000).toFixed(1)} s)`,
  );

  if (dryRun) return;
  writeFileSync(join(PROJECT_ROOT, "shared/sports/football/model-params.json"), `${JSON.stringify(params, null, 1)}\n`);
  const docPath = join(PROJECT_ROOT, "docs/models.md");
  const section = [
    "<!-- football-eval:start (generated by `npx tsx dev/train/football.ts`; do not edit by hand) -->",
    `Model \`${params.version}\`, trained on ${train.length} matches ${TRAIN_FROM_YEAR}–${HOLDOUT_FROM_YEAR - 1}; ` +
      `held out: ${holdout.length} matches ${HOLDOUT_FROM_YEAR}–2021 (lower is better; best per metric in bold).`,
    "",
    table,
    "",
    "Paired per-match differences, model − baseline (mean ± standard error; negative = model better):",
    "",
    diffTable,
    "",
    `Baselines fitted on the same training matches — pre-match ordered logit: β = ${pre.beta.toFixed(4)}, cut-points ${pre.cut1.toFixed(4)} / ${pre.cut2.toFixed(4)} on (Δelo + 100·home)/400; ` +
      `Poisson: log λ = ${poi.a.toFixed(4)} ± ${poi.b.toFixed(4)}·(Δelo + 100·home)/400 goals per 90 minutes, remaining expectation λ·(90 − m)/90.`,
    "",
    "Fitted parameters (`shared/sports/football/model-params.json`):",
    "",
    paramsSummary(params),
    "",
    "Calibration on the held-out slice (each match contributes its three outcome probabilities at each evaluation minute):",
    "",
    calTable,
    "",
    "Calibration in the large per minute:",
    "",
    calMinute,
    "<!-- football-eval:end -->",
  ].join("\n");
  const doc = existsSync(docPath) ? readFileSync(docPath, "utf8") : "";
  const re = /<!-- football-eval:start[\s\S]*?<!-- football-eval:end -->/;
  writeFileSync(docPath, re.test(doc) ? doc.replace(re, section) : `${doc}\n${section}\n`);
  log(`wrote shared/sports/football/model-params.json and docs/models.md`);
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) main();

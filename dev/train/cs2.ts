// Fits and evaluates the CS2 win-probability model on SIMULATED data (no real round data yet).
//
//   npx tsx dev/train/cs2.ts            simulate, fit, evaluate; write shared/sports/cs2/model-params.json and the
//                                       generated evaluation block of the CS2 section of docs/models.md
//   npx tsx dev/train/cs2.ts --dry-run  the same, writes nothing
//
// Deterministic: fixed seeds, deterministic optimisers. Data: dev/train/cs2-data.ts (simulateCs2 → the real reducer
// → cs2Features, one row per published prediction). Training series: seeds TRAIN_SEEDS; held out: HOLDOUT_SEEDS.
//
// * Live-round coefficients: maximum likelihood of the live round's winner over every in-round row of the training
//   series (after round_start, kill, bomb_planted, bomb_defused), Nelder–Mead (optim.ts). Constraints that keep the
//   model monotone: equipment, players-alive, bomb and rating coefficients ≥ 0; equipment offset ≥ MIN_EQUIPMENT_OFFSET.
//   plantedTEliminatedCtWin is NOT fitted (kept at its prior): the simulator has no defuse clock, so a planted bomb
//   with the T side dead is always defused there (the MLE would be 1).
// * Future-round coefficients (side, rating): maximum likelihood over all training rounds with only side and rating.
// * Consistency check: the live-round logistic fitted on round_start rows only (5v5, no bomb) with no equipment
//   offset has the simulator's own round model's form: it must recover the simulator's coefficients.
// * Evaluation on the held-out series: Brier and log loss of pRound, pMap, pMatch for the fitted model, the previous
//   priors, a score-only model (same DP, no live-round features) and a rating-only baseline; calibration bins.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  type Cs2Features,
  type Cs2ModelParams,
  type Cs2Predictor,
  createCs2Predictor,
  HALF_ROUNDS,
  REGULATION_ROUNDS,
  seriesWin,
} from "../../shared/sports/cs2/model";
import { roundWinProbability } from "../simulator/cs2";
import { type Cs2Dataset, EVENT_TYPES, rowFeatures, seedRange, simulateDataset } from "./cs2-data";
import {
  BinaryAccumulator,
  type BinaryScores,
  binaryLogLoss,
  CalibrationAccumulator,
  fitRatingOnly,
  PairedDifference,
  ratingOnly,
} from "./cs2-eval";
import { PROJECT_ROOT } from "./football-data";
import type { CalibrationBin } from "./metrics";
import { goldenSection, nelderMead } from "./optim";

export const MODEL_VERSION = "cs2-live-2026.11.3";
export const MODEL_STATUS = "fitted-on-simulator";
export const TRAIN_SEEDS = seedRange(1, 6000);
export const HOLDOUT_SEEDS = seedRange(1_000_001, 3000);
/** Lower bound of the equipment offset ($): keeps the equipment term moderate when a feed sends $0 for a team. */
export const MIN_EQUIPMENT_OFFSET = 200;

/** The previous model (cs2-live-2026.11.1): documented priors, rating scale calibrated to the Elo expectation. */
export const PRIORS: Cs2ModelParams = {
  version: "cs2-live-2026.11.1",
  status: "prior",
  round: {
    ctAdvantage: 0.15,
    equipmentCoef: 1.1,
    equipmentOffset: 1000,
    aliveLogRatioCoef: 2.2,
    bombPlantedTAdvantage: 1.2,
    ratingCoef: 0.51801,
    plantedTEliminatedCtWin: 0.85,
  },
  future: { ctAdvantage: 0.15, ratingCoef: 0.51801 },
};

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
const logit = (p: number): number => Math.log(p / (1 - p));

// ---------------------------------------------------------------------------------------------------------------
// Live-round likelihood over the in-round rows (the same formula as the model's live round; checked against
// createCs2Predictor by checkRoundLikelihood).

interface RoundRows {
  /** Rows whose probability depends on the coefficients. */
  n: number;
  row: Int32Array; // index into the dataset's rows
  round: Int32Array; // index into the dataset's rounds (for the equipment term)
  side: Float64Array; // +1 team 1 CT, −1 T
  aliveLog: Float64Array; // ln(alive₁/alive₂) (planted, T eliminated: ln of the CT side's players against one T)
  planted: Uint8Array;
  tEliminated: Uint8Array; // T side dead after the plant: p(CT) = max(plantedTEliminatedCtWin, logistic)
  ratingDiff: Float64Array; // (rating₁ − rating₂)/400
  y: Uint8Array;
  onlyRoundStart: Uint8Array; // 1 for round_start rows
  /** Rows whose outcome is already decided by the state (bomb defused, a side eliminated without a plant pending). */
  decided: number;
}

function roundRows(ds: Cs2Dataset): RoundRows {
  const r = ds.rows;
  const idx: number[] = [];
  let decided = 0;
  for (let i = 0; i < r.n; i++) {
    if (r.yRound[i]! < 0) continue;
    const ct = r.ct[i] === 1;
    const aCt = ct ? r.alive1[i]! : r.alive2[i]!;
    const aT = ct ? r.alive2[i]! : r.alive1[i]!;
    const bomb = r.bomb[i]!;
    if (bomb === 2 || aCt === 0 || (aT === 0 && bomb !== 1)) {
      // the model's exact states: they must agree with the label, else the data or the reducer is wrong
      const ctWins = bomb === 2 || (aCt > 0 ? true : aT === 0 && bomb !== 1);
      if (ctWins !== ((r.yRound[i] === 1) === ct))
        throw new Error(`row ${i}: decided state disagrees with the round's winner`);
      decided++;
      continue;
    }
    idx.push(i);
  }
  const n = idx.length;
  const out: RoundRows = {
    n,
    row: Int32Array.from(idx),
    round: new Int32Array(n),
    side: new Float64Array(n),
    aliveLog: new Float64Array(n),
    planted: new Uint8Array(n),
    tEliminated: new Uint8Array(n),
    ratingDiff: new Float64Array(n),
    y: new Uint8Array(n),
    onlyRoundStart: new Uint8Array(n),
    decided,
  };
  const roundStart = EVENT_TYPES.indexOf("round_start");
  idx.forEach((i, k) => {
    const ct = r.ct[i] === 1;
    const a1 = r.alive1[i]!;
    const a2 = r.alive2[i]!;
    const aT = ct ? a2 : a1;
    out.round[k] = r.round[i]!;
    out.side[k] = ct ? 1 : -1;
    out.planted[k] = r.bomb[i] === 1 ? 1 : 0;
    out.tEliminated[k] = aT === 0 ? 1 : 0;
    // with the T side dead the model evaluates the logistic with one T alive
    out.aliveLog[k] = aT === 0 ? (ct ? Math.log(a1) : -Math.log(a2)) : Math.log(a1 / a2);
    out.ratingDiff[k] = (r.rating1[i]! - r.rating2[i]!) / 400;
    out.y[k] = r.yRound[i]!;
    out.onlyRoundStart[k] = r.event[i] === roundStart ? 1 : 0;
  });
  return out;
}

/** θ = [ctAdvantage, equipmentCoef, ln equipmentOffset, aliveLogRatioCoef, bombPlantedTAdvantage, ratingCoef]. */
type Theta = [number, number, number, number, number, number];

function roundParamsOf(
  t: readonly number[],
  plantedTEliminatedCtWin: number,
  minOffset = MIN_EQUIPMENT_OFFSET,
): Cs2ModelParams["round"] {
  return {
    ctAdvantage: t[0]!,
    equipmentCoef: t[1]!,
    equipmentOffset: Math.max(minOffset, Math.exp(t[2]!)),
    aliveLogRatioCoef: t[3]!,
    bombPlantedTAdvantage: t[4]!,
    ratingCoef: t[5]!,
    plantedTEliminatedCtWin,
  };
}

/** P(team 1 wins the live round) for every row of rr (non-decided in-round rows), into out. */
function roundProbabilities(
  ds: Cs2Dataset,
  rr: RoundRows,
  p: Cs2ModelParams["round"],
  out: Float64Array,
  onlyRoundStart = false,
): void {
  const R = ds.rounds;
  const eq = new Float64Array(R.n);
  for (let j = 0; j < R.n; j++) eq[j] = Math.log((R.eq1[j]! + p.equipmentOffset) / (R.eq2[j]! + p.equipmentOffset));
  for (let k = 0; k < rr.n; k++) {
    if (onlyRoundStart && rr.onlyRoundStart[k] === 0) continue;
    const s = rr.side[k]!;
    const x =
      p.ctAdvantage * s +
      p.equipmentCoef * eq[rr.round[k]!]! +
      p.aliveLogRatioCoef * rr.aliveLog[k]! -
      p.bombPlantedTAdvantage * s * rr.planted[k]! +
      p.ratingCoef * rr.ratingDiff[k]!;
    let p1 = sigmoid(x);
    if (rr.tEliminated[k] === 1) {
      const pCt = Math.max(p.plantedTEliminatedCtWin, s > 0 ? p1 : 1 - p1);
      p1 = s > 0 ? pCt : 1 - pCt;
    }
    out[k] = p1;
  }
}

function roundNll(
  ds: Cs2Dataset,
  rr: RoundRows,
  p: Cs2ModelParams["round"],
  buf: Float64Array,
  onlyRoundStart = false,
): number {
  roundProbabilities(ds, rr, p, buf, onlyRoundStart);
  let l = 0;
  for (let k = 0; k < rr.n; k++)
    if (!onlyRoundStart || rr.onlyRoundStart[k] === 1) l += binaryLogLoss(buf[k]!, rr.y[k]!);
  return l;
}

const feasible = (t: readonly number[]): boolean => t[1]! >= 0 && t[3]! >= 0 && t[4]! >= 0 && t[5]! >= 0;

export interface RoundFit {
  round: Cs2ModelParams["round"];
  nll: number;
  rows: number;
  evals: number;
}

/**
 * Live-round coefficients by maximum likelihood. With `ctAdvantage` given, the CT edge is held at that value (the
 * shipped fit ties it to the future rounds' CT edge: with one CT edge a fresh map between equal teams is exactly
 * 0.5 whichever side team 1 starts on); otherwise it is fitted too, starting from `start`.
 */
export function fitRoundModel(
  ds: Cs2Dataset,
  rr: RoundRows,
  ctAdvantage?: number,
  start: Cs2ModelParams["round"] = PRIORS.round,
): RoundFit {
  const c = start.plantedTEliminatedCtWin;
  const buf = new Float64Array(rr.n);
  const full = (t: readonly number[]): Theta =>
    ctAdvantage === undefined ? (t as Theta) : [ctAdvantage, t[0]!, t[1]!, t[2]!, t[3]!, t[4]!];
  const f = (t: number[]): number => {
    const th = full(t);
    return feasible(th) ? roundNll(ds, rr, roundParamsOf(th, c), buf) : Number.POSITIVE_INFINITY;
  };
  const x0 = [
    Math.log(Math.max(start.equipmentOffset, MIN_EQUIPMENT_OFFSET)),
    start.aliveLogRatioCoef,
    start.bombPlantedTAdvantage,
    start.ratingCoef,
  ];
  const fit = nelderMead(
    f,
    ctAdvantage === undefined ? [start.ctAdvantage, start.equipmentCoef, ...x0] : [start.equipmentCoef, ...x0],
    { step: 0.2 },
  );
  return { round: roundParamsOf(full(fit.x), c), nll: fit.fx, rows: rr.n + rr.decided, evals: fit.evals };
}

/** The simulator's round model (logit = ct·side + eq·ln(eq₁/eq₂) + rating·Δ/400), read off `roundWinProbability`. */
export function simulatorRoundModel(): { ctAdvantage: number; equipmentCoef: number; ratingCoef: number } {
  const ct = logit(roundWinProbability([5000, 5000], [1500, 1500], "CT"));
  const eq = logit(roundWinProbability([5000 * Math.E, 5000], [1500, 1500], "CT")) - ct; // ln(e·x/x) = 1
  const rating = logit(roundWinProbability([5000, 5000], [1900, 1500], "CT")) - ct;
  return { ctAdvantage: ct, equipmentCoef: eq, ratingCoef: rating };
}

/** Consistency check: the round_start rows (5v5, no bomb) fitted with the simulator's functional form (no offset). */
export function fitPreRound(
  ds: Cs2Dataset,
  rr: RoundRows,
): { ctAdvantage: number; equipmentCoef: number; ratingCoef: number; rows: number } {
  const buf = new Float64Array(rr.n);
  const f = (t: number[]): number =>
    roundNll(ds, rr, { ...roundParamsOf([t[0]!, t[1]!, -Infinity, 0, 0, t[2]!], 1, 0), equipmentOffset: 0 }, buf, true);
  const fit = nelderMead(f, [0, 1, 0.5], { step: 0.2 });
  let rows = 0;
  for (let k = 0; k < rr.n; k++) rows += rr.onlyRoundStart[k]!;
  return { ctAdvantage: fit.x[0]!, equipmentCoef: fit.x[1]!, ratingCoef: fit.x[2]!, rows };
}

/** Future rounds: P(team 1 wins) = σ(ct·side + rating·Δ/400), independent rounds (the model before 11.3). */
export function fitFutureIndependent(ds: Cs2Dataset): Cs2ModelParams["future"] {
  const R = ds.rounds;
  const f = (t: number[]): number => {
    if (t[1]! < 0) return Number.POSITIVE_INFINITY;
    let l = 0;
    for (let j = 0; j < R.n; j++)
      l += binaryLogLoss(sigmoid(t[0]! * (R.ct[j] === 1 ? 1 : -1) + (t[1]! * R.ratingDiff[j]!) / 400), R.y[j]!);
    return l;
  };
  const fit = nelderMead(f, [PRIORS.future.ctAdvantage, PRIORS.future.ratingCoef], { step: 0.1 });
  return { ctAdvantage: fit.x[0]!, ratingCoef: fit.x[1]! };
}

/** Which dependence coefficient applies to regulation round n (the model's rule, shared/sports/cs2/model.ts). */
function dependenceSlot(n: number): -1 | 0 | 1 | 2 {
  if (n > REGULATION_ROUNDS || n === 1 || n === HALF_ROUNDS + 1) return -1; // overtime, pistol rounds: none
  const k = (n - 1) % HALF_ROUNDS;
  return k === 1 ? 0 : k === 2 ? 1 : 2;
}

/**
 * Future rounds with the economy's dependence: P(team 1 wins) = σ(ct·side + rating·Δ/400 ± shift), the shift towards
 * the previous round's winner (after a pistol round, the round after that, any other regulation round); maximum
 * likelihood over every training round.
 */
export function fitFutureModel(ds: Cs2Dataset): Cs2ModelParams["future"] {
  const R = ds.rounds;
  const slot = new Int8Array(R.n);
  const sign = new Int8Array(R.n);
  for (let j = 0; j < R.n; j++) {
    slot[j] = dependenceSlot(R.roundNo[j]!);
    sign[j] = R.prev[j] === 1 ? 1 : R.prev[j] === 2 ? -1 : 0;
  }
  const f = (t: number[]): number => {
    if (t[1]! < 0) return Number.POSITIVE_INFINITY;
    let l = 0;
    for (let j = 0; j < R.n; j++) {
      const k = slot[j]!;
      const shift = k < 0 ? 0 : t[2 + k]! * sign[j]!;
      l += binaryLogLoss(sigmoid(t[0]! * (R.ct[j] === 1 ? 1 : -1) + (t[1]! * R.ratingDiff[j]!) / 400 + shift), R.y[j]!);
    }
    return l;
  };
  const fit = nelderMead(f, [PRIORS.future.ctAdvantage, PRIORS.future.ratingCoef, 0.5, 0.3, 0.2], { step: 0.1 });
  const x = fit.x;
  return {
    ctAdvantage: x[0]!,
    ratingCoef: x[1]!,
    dependence: { afterPistol: x[2]!, secondAfterPistol: x[3]!, afterWin: x[4]! },
  };
}

/** Sensitivity: the future-round coefficients fitted on the live map's outcome (pMap at every round_start row). */
export function fitFutureOnMaps(
  ds: Cs2Dataset,
  round: Cs2ModelParams["round"],
  start: Cs2ModelParams["future"],
): Cs2ModelParams["future"] {
  const r = ds.rows;
  const roundStart = EVENT_TYPES.indexOf("round_start");
  const rows: number[] = [];
  for (let i = 0; i < r.n; i++) if (r.event[i] === roundStart && r.yMap[i]! >= 0) rows.push(i);
  const feats = rows.map((i) => rowFeatures(r, i));
  const f = (t: number[]): number => {
    if (t[1]! < 0) return Number.POSITIVE_INFINITY;
    const pr = createCs2Predictor({
      ...PRIORS,
      round: { ...round, ctAdvantage: t[0]! },
      future: { ctAdvantage: t[0]!, ratingCoef: t[1]! },
    });
    let l = 0;
    for (const [k, x] of feats.entries()) l += binaryLogLoss(pr(x).pMap, r.yMap[rows[k]!]!);
    return l;
  };
  const fit = nelderMead(f, [start.ctAdvantage, start.ratingCoef], { step: 0.05, restarts: 1 });
  return { ctAdvantage: fit.x[0]!, ratingCoef: fit.x[1]! };
}

/** The likelihood code above and the model must give the same live-round probability. */
function checkRoundLikelihood(ds: Cs2Dataset, rr: RoundRows, params: Cs2ModelParams): number {
  const buf = new Float64Array(rr.n);
  roundProbabilities(ds, rr, params.round, buf);
  const pr = createCs2Predictor(params);
  let worst = 0;
  for (let k = 0; k < rr.n; k += 7)
    worst = Math.max(worst, Math.abs(pr(rowFeatures(ds.rows, rr.row[k]!)).pRound - buf[k]!));
  if (worst > 1e-9) throw new Error(`likelihood and model disagree on pRound by ${worst}`);
  return worst;
}

// ---------------------------------------------------------------------------------------------------------------
// Evaluation

type Target = "round" | "map" | "match";
const TARGETS: Target[] = ["round", "map", "match"];

export interface Contender {
  name: string;
  predict: (f: Cs2Features) => { pRound: number; pMap: number; pMatch: number };
}

/** Same model, no live-round information: the live round at the future-round baseline (side + rating). */
export function scoreOnly(params: Cs2ModelParams): Cs2Predictor {
  const pr = createCs2Predictor({
    ...params,
    round: { ...params.round, ctAdvantage: params.future.ctAdvantage, ratingCoef: params.future.ratingCoef },
  });
  return (f) => pr({ ...f, equipmentValue: [0, 0], alive: [5, 5], bomb: "none" });
}

export interface RatingOnlyFit {
  round: number;
  map: number;
}

/** Rating-only baseline, fitted on the training rows: live round σ(k_r·Δ/400) (in-round rows), map σ(k_m·Δ/400) (one row per map). */
export function fitRatingOnlyBaseline(ds: Cs2Dataset): RatingOnlyFit {
  const r = ds.rows;
  const mapStart = EVENT_TYPES.indexOf("map_start");
  const rd: number[] = [];
  const ry: number[] = [];
  const md: number[] = [];
  const my: number[] = [];
  for (let i = 0; i < r.n; i++) {
    const d = r.rating1[i]! - r.rating2[i]!;
    if (r.yRound[i]! >= 0) {
      rd.push(d);
      ry.push(r.yRound[i]!);
    }
    if (r.event[i] === mapStart && r.yMap[i]! >= 0) {
      md.push(d);
      my.push(r.yMap[i]!);
    }
  }
  return { round: fitRatingOnly(rd, ry), map: fitRatingOnly(md, my) };
}

export function ratingOnlyPredictor(k: RatingOnlyFit): Contender["predict"] {
  return (f) => {
    const d = f.rating[0] - f.rating[1];
    const q = ratingOnly(k.map, d);
    const need = (f.bestOf + 1) / 2;
    return { pRound: ratingOnly(k.round, d), pMap: q, pMatch: seriesWin(need, need, q) };
  };
}

export interface Evaluation {
  scores: Record<string, Record<Target, BinaryScores>>;
  /** Log-loss difference (first contender − each other), mean ± s.e. clustered by series. */
  diffs: Record<string, Record<Target, { mean: number; se: number }>>;
  calibration: Record<Target, CalibrationBin[]>;
  /** Calibration of every contender, by name. */
  calibrationOf: Record<string, Record<Target, CalibrationBin[]>>;
  /** pRound of the first contender and the score-only model by event type (log loss). */
  byEvent: { event: string; n: number; logLoss: Record<string, number> }[];
}

export function evaluate(ds: Cs2Dataset, contenders: Contender[]): Evaluation {
  const r = ds.rows;
  const acc = contenders.map(() => ({
    round: new BinaryAccumulator(),
    map: new BinaryAccumulator(),
    match: new BinaryAccumulator(),
  }));
  const diff = contenders.map(() => ({
    round: new PairedDifference(),
    map: new PairedDifference(),
    match: new PairedDifference(),
  }));
  const cals = contenders.map(() => ({
    round: new CalibrationAccumulator(),
    map: new CalibrationAccumulator(),
    match: new CalibrationAccumulator(),
  }));
  const cal = cals[0]!;
  const ev = EVENT_TYPES.map(() => contenders.map(() => new BinaryAccumulator()));
  for (let i = 0; i < r.n; i++) {
    const f = rowFeatures(r, i);
    const y: Record<Target, number> = { round: r.yRound[i]!, map: r.yMap[i]!, match: r.yMatch[i]! };
    const ps = contenders.map((c) => c.predict(f));
    for (const t of TARGETS) {
      if (y[t] < 0) continue;
      const key = t === "round" ? "pRound" : t === "map" ? "pMap" : "pMatch";
      const l0 = binaryLogLoss(ps[0]![key], y[t]);
      ps.forEach((p, c) => {
        acc[c]![t].add(p[key], y[t]);
        diff[c]![t].add(r.match[i]!, l0 - binaryLogLoss(p[key], y[t]));
        if (t === "round") ev[r.event[i]!]![c]!.add(p[key], y[t]);
      });
      ps.forEach((p, c) => {
        cals[c]![t].add(p[key], y[t]);
      });
    }
  }
  const scores: Evaluation["scores"] = {};
  const diffs: Evaluation["diffs"] = {};
  contenders.forEach((c, k) => {
    scores[c.name] = { round: acc[k]!.round.result(), map: acc[k]!.map.result(), match: acc[k]!.match.result() };
    diffs[c.name] = { round: diff[k]!.round.result(), map: diff[k]!.map.result(), match: diff[k]!.match.result() };
  });
  const byEvent = EVENT_TYPES.map((event, e) => ({
    event,
    n: ev[e]![0]!.n,
    logLoss: Object.fromEntries(contenders.map((c, k) => [c.name, ev[e]![k]!.result().logLoss])),
  })).filter((x) => x.n > 0);
  return {
    scores,
    diffs,
    calibration: { round: cal.round.result(), map: cal.map.result(), match: cal.match.result() },
    calibrationOf: Object.fromEntries(
      contenders.map((c, k) => [
        c.name,
        { round: cals[k]!.round.result(), map: cals[k]!.map.result(), match: cals[k]!.match.result() },
      ]),
    ),
    byEvent,
  };
}

/**
 * Between rounds the platform feeds the previous round's equipment (cs2Features keeps state.equipmentValue): pMap
 * log loss after round_end with the features as published and with the equipment blanked ($0 each).
 */
export function staleEquipmentCheck(
  ds: Cs2Dataset,
  pr: Cs2Predictor,
): { n: number; published: number; blanked: number } {
  const r = ds.rows;
  const roundEnd = EVENT_TYPES.indexOf("round_end");
  const a = new BinaryAccumulator();
  const b = new BinaryAccumulator();
  for (let i = 0; i < r.n; i++) {
    if (r.event[i] !== roundEnd || r.yMap[i]! < 0) continue;
    const f = rowFeatures(r, i);
    a.add(pr(f).pMap, r.yMap[i]!);
    b.add(pr({ ...f, equipmentValue: [0, 0] }).pMap, r.yMap[i]!);
  }
  return { n: a.n, published: a.result().logLoss, blanked: b.result().logLoss };
}

/**
 * Diagnostic only (not applied): the temperature τ that best rescales logit(pMap) on the training rows (every 4th row
 * with a live map), and the held-out pMap log loss with and without it. τ < 1 means the map probabilities are
 * over-confident, i.e. rounds are less independent than the DP assumes.
 */
export function mapTemperature(
  train: Cs2Dataset,
  holdout: Cs2Dataset,
  pr: Cs2Predictor,
): { tau: number; before: number; after: number } {
  const logits = (ds: Cs2Dataset, step: number): { z: number[]; y: number[] } => {
    const z: number[] = [];
    const y: number[] = [];
    for (let i = 0; i < ds.rows.n; i += step) {
      if (ds.rows.yMap[i]! < 0) continue;
      const p = Math.min(1 - 1e-12, Math.max(1e-12, pr(rowFeatures(ds.rows, i)).pMap));
      z.push(logit(p));
      y.push(ds.rows.yMap[i]!);
    }
    return { z, y };
  };
  const loss = (d: { z: number[]; y: number[] }, tau: number): number => {
    let l = 0;
    for (let k = 0; k < d.z.length; k++) l += binaryLogLoss(sigmoid(tau * d.z[k]!), d.y[k]!);
    return l / d.z.length;
  };
  const tr = logits(train, 4);
  const tau = goldenSection((t) => loss(tr, t), 0.2, 2, 1e-6);
  const ho = logits(holdout, 1);
  return { tau, before: loss(ho, 1), after: loss(ho, tau) };
}

// ---------------------------------------------------------------------------------------------------------------

const level = (rating: [number, number], team1Side: "CT" | "T" = "CT"): Cs2Features => ({
  bestOf: 1,
  mapsWon: [0, 0],
  roundScore: [0, 0],
  team1Side,
  equipmentValue: [4000, 4000],
  alive: [5, 5],
  bomb: "none",
  rating,
});

export const EXAMPLES: [string, Cs2Features][] = [
  ["0–0, pistol round, equal teams, team 1 CT", level([1600, 1600])],
  ["0–0, team 1 rated +100", level([1700, 1600])],
  ["6–6, team 1 CT full buy vs T eco", { ...level([1600, 1600]), roundScore: [6, 6], equipmentValue: [25000, 5000] }],
  [
    "6–6, team 1 T, bomb planted, 3v2",
    {
      ...level([1600, 1600]),
      roundScore: [6, 6],
      team1Side: "T",
      equipmentValue: [12000, 9000],
      alive: [3, 2],
      bomb: "planted",
    },
  ],
  ["11–12, team 1 CT, equal buys", { ...level([1600, 1600]), roundScore: [11, 12], equipmentValue: [24000, 24000] }],
  [
    "12–12 (overtime next), team 1 T",
    { ...level([1600, 1600]), roundScore: [12, 12], team1Side: "T", equipmentValue: [20000, 20000] },
  ],
  [
    "bo3, maps 1–0, live map 3–10",
    { ...level([1600, 1600]), bestOf: 3, mapsWon: [1, 0], roundScore: [3, 10], equipmentValue: [20000, 20000] },
  ],
];

const f3 = (x: number): string => x.toFixed(3);
const f4 = (x: number): string => x.toFixed(4);
const pm = (d: { mean: number; se: number }): string =>
  `${d.mean >= 0 ? "+" : "−"}${Math.abs(d.mean).toFixed(4)} ± ${d.se.toFixed(4)}`;

function main(): void {
  const dryRun = process.argv.includes("--dry-run");
  const t0 = Date.now();
  const log = (s: string): void => console.log(s);
  const secs = (): string => `${((Date.now() - t0) / 1000).toFixed(1)} s`;

  const train = simulateDataset(TRAIN_SEEDS);
  const holdout = simulateDataset(HOLDOUT_SEEDS);
  const count = (ds: Cs2Dataset): string => {
    let inRound = 0;
    for (let i = 0; i < ds.rows.n; i++) if (ds.rows.yRound[i]! >= 0) inRound++;
    return `${ds.matches.length} series, ${ds.maps} maps, ${ds.rounds.n} rounds, ${ds.rows.n} published predictions (${inRound} in-round)`;
  };
  log(`training: ${count(train)}\nheld out: ${count(holdout)}  (${secs()})`);

  const rr = roundRows(train);
  const sim = simulatorRoundModel();
  const pre = fitPreRound(train, rr);
  log(
    `consistency check (round_start rows only, simulator's form): ct ${f4(pre.ctAdvantage)} (simulator ${f4(sim.ctAdvantage)}), ` +
      `equipment ${f4(pre.equipmentCoef)} (${f4(sim.equipmentCoef)}), rating ${f4(pre.ratingCoef)} (${f4(sim.ratingCoef)})  (${secs()})`,
  );
  const future = fitFutureModel(train);
  log(`future rounds: ${JSON.stringify(future)}  (${secs()})`);
  const independent = fitFutureIndependent(train);
  log(`future rounds, independent (before 11.3): ${JSON.stringify(independent)}  (${secs()})`);
  const fit = fitRoundModel(train, rr, future.ctAdvantage);
  log(
    `live round (CT edge tied to the future rounds'): ${JSON.stringify(fit.round)}; NLL/row ${(fit.nll / fit.rows).toFixed(5)}, ${fit.evals} evaluations  (${secs()})`,
  );
  const free = fitRoundModel(train, rr, undefined, fit.round);
  const tieCost = (fit.nll - free.nll) / fit.rows;
  log(
    `live round with a free CT edge: ${JSON.stringify(free.round)}; the tie costs ${tieCost.toExponential(2)} nats per row  (${secs()})`,
  );
  const params: Cs2ModelParams = { version: MODEL_VERSION, status: MODEL_STATUS, round: fit.round, future };
  checkRoundLikelihood(train, rr, params);
  const futureMaps = fitFutureOnMaps(train, fit.round, future);
  log(`sensitivity, future coefficients fitted on map outcomes: ${JSON.stringify(futureMaps)}  (${secs()})`);

  const ro = fitRatingOnlyBaseline(train);
  log(`rating-only baseline: round k = ${f4(ro.round)}, map k = ${f4(ro.map)}`);
  const model = createCs2Predictor(params);
  const contenders: Contender[] = [
    { name: "fitted", predict: model },
    {
      name: "independent rounds (11.2)",
      predict: createCs2Predictor({ ...params, future: independent }),
    },
    { name: "priors (11.1)", predict: createCs2Predictor(PRIORS) },
    { name: "score-only", predict: scoreOnly(params) },
    { name: "rating-only", predict: ratingOnlyPredictor(ro) },
  ];
  const ev = evaluate(holdout, contenders);
  const evMapFuture = evaluate(holdout, [
    { name: "future on maps", predict: createCs2Predictor({ ...params, future: futureMaps }) },
    contenders[0]!,
  ]);
  const stale = staleEquipmentCheck(holdout, model);
  const temp = mapTemperature(train, holdout, model);
  log(`(${secs()})`);

  const names = contenders.map((c) => c.name);
  const label: Record<Target, string> = {
    round: "pRound (live round)",
    map: "pMap (live map)",
    match: "pMatch (series)",
  };
  const best = (t: Target, k: "brier" | "logLoss"): number => Math.min(...names.map((n) => ev.scores[n]![t][k]));
  const cell = (t: Target, n: string, k: "brier" | "logLoss"): string => {
    const v = ev.scores[n]![t][k];
    return v === best(t, k) ? `**${f4(v)}**` : f4(v);
  };
  const scoreTable = [
    `| target | N | ${names.map((n) => `Brier ${n}`).join(" | ")} | ${names.map((n) => `log loss ${n}`).join(" | ")} |`,
    `| --- | ---: | ${names.map(() => "---:").join(" | ")} | ${names.map(() => "---:").join(" | ")} |`,
    ...TARGETS.map(
      (t) =>
        `| ${label[t]} | ${ev.scores.fitted![t].n} | ${names.map((n) => cell(t, n, "brier")).join(" | ")} | ${names.map((n) => cell(t, n, "logLoss")).join(" | ")} |`,
    ),
  ].join("\n");
  const others = names.slice(1);
  const diffTable = [
    `| target | ${others.map((n) => `fitted − ${n}`).join(" | ")} |`,
    `| --- | ${others.map(() => "---:").join(" | ")} |`,
    ...TARGETS.map((t) => `| ${label[t]} | ${others.map((n) => pm(ev.diffs[n]![t])).join(" | ")} |`),
  ].join("\n");
  const byEventTable = [
    `| after event | N | ${names.map((n) => `log loss ${n}`).join(" | ")} |`,
    `| --- | ---: | ${names.map(() => "---:").join(" | ")} |`,
    ...ev.byEvent.map((e) => `| ${e.event} | ${e.n} | ${names.map((n) => f4(e.logLoss[n]!)).join(" | ")} |`),
  ].join("\n");
  const calRow = (b: CalibrationBin): string =>
    b.n > 0 ? `${b.n} | ${f3(b.predicted)} | ${f3(b.observed)}` : "0 | – | –";
  const calTable = [
    "| predicted | N round | mean pRound | observed | N map | mean pMap | observed | N match | mean pMatch | observed |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...ev.calibration.round.map(
      (b, k) =>
        `| ${b.lo.toFixed(1)}–${b.hi.toFixed(1)} | ${calRow(b)} | ${calRow(ev.calibration.map[k]!)} | ${calRow(ev.calibration.match[k]!)} |`,
    ),
  ].join("\n");
  const IND = "independent rounds (11.2)";
  const before = ev.calibrationOf[IND]!;
  const ece = (bins: CalibrationBin[]): number => {
    let n = 0;
    let e = 0;
    for (const b of bins) {
      n += b.n;
      e += b.n * Math.abs(b.predicted - b.observed);
    }
    return e / Math.max(1, n);
  };
  const maxGap = (bins: CalibrationBin[]): number =>
    Math.max(...bins.filter((b) => b.n >= 1000).map((b) => Math.abs(b.predicted - b.observed)));
  const beforeAfterTable = [
    "| predicted | N map (with) | mean pMap | observed | N map (independent) | mean pMap | observed | N match (with) | mean pMatch | observed | N match (independent) | mean pMatch | observed |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...ev.calibration.map.map(
      (b, k) =>
        `| ${b.lo.toFixed(1)}–${b.hi.toFixed(1)} | ${calRow(b)} | ${calRow(before.map[k]!)} | ${calRow(ev.calibration.match[k]!)} | ${calRow(before.match[k]!)} |`,
    ),
    `| mean abs. gap (weighted) | | ${f4(ece(ev.calibration.map))} | | | ${f4(ece(before.map))} | | | ${f4(ece(ev.calibration.match))} | | | ${f4(ece(before.match))} | |`,
    `| largest gap (bins ≥ 1,000 rows) | | ${f3(maxGap(ev.calibration.map))} | | | ${f3(maxGap(before.map))} | | | ${f3(maxGap(ev.calibration.match))} | | | ${f3(maxGap(before.match))} | |`,
  ].join("\n");
  const tempBefore = mapTemperature(train, holdout, contenders[1]!.predict);
  const R = params.round;
  const F = params.future;
  const D = F.dependence;
  const paramTable = [
    "| coefficient | fitted | prior (11.1) | meaning |",
    "| --- | ---: | ---: | --- |",
    `| \`round.ctAdvantage\` | ${f4(R.ctAdvantage)} | ${PRIORS.round.ctAdvantage} | logits towards the CT side (CT wins ${(100 * sigmoid(R.ctAdvantage)).toFixed(1)}% of otherwise even rounds); tied to \`future.ctAdvantage\` — fitted freely on the in-round rows it would be ${f4(free.round.ctAdvantage)}, for ${tieCost.toExponential(1)} nats per row |`,
    `| \`round.equipmentCoef\` | ${f4(R.equipmentCoef)} | ${PRIORS.round.equipmentCoef} | per unit of ln((eq₁ + off)/(eq₂ + off)) |`,
    `| \`round.equipmentOffset\` | ${R.equipmentOffset.toFixed(0)} | ${PRIORS.round.equipmentOffset} | $; ${R.equipmentOffset <= MIN_EQUIPMENT_OFFSET + 1e-9 ? `at its lower bound ${MIN_EQUIPMENT_OFFSET}` : "fitted"} |`,
    `| \`round.aliveLogRatioCoef\` | ${f4(R.aliveLogRatioCoef)} | ${PRIORS.round.aliveLogRatioCoef} | per unit of ln(alive₁/alive₂): 5v4 ${(R.aliveLogRatioCoef * Math.log(5 / 4)).toFixed(2)}, 2v1 ${(R.aliveLogRatioCoef * Math.log(2)).toFixed(2)} logits |`,
    `| \`round.bombPlantedTAdvantage\` | ${f4(R.bombPlantedTAdvantage)} | ${PRIORS.round.bombPlantedTAdvantage} | logits towards the T side once the bomb is planted |`,
    `| \`round.ratingCoef\` | ${f4(R.ratingCoef)} | ${PRIORS.round.ratingCoef} | per (rating₁ − rating₂)/400, live round |`,
    `| \`round.plantedTEliminatedCtWin\` | ${R.plantedTEliminatedCtWin} | ${PRIORS.round.plantedTEliminatedCtWin} | not fitted (prior; see above) |`,
    `| \`future.ctAdvantage\` | ${f4(F.ctAdvantage)} | ${PRIORS.future.ctAdvantage} | future rounds: CT edge |`,
    `| \`future.ratingCoef\` | ${f4(F.ratingCoef)} | ${PRIORS.future.ratingCoef} | future rounds: per Δrating/400 |`,
    `| \`future.dependence.afterPistol\` | ${D ? f4(D.afterPistol) : "–"} | 0 | future rounds 2 and 14: logits towards the pistol round's winner |`,
    `| \`future.dependence.secondAfterPistol\` | ${D ? f4(D.secondAfterPistol) : "–"} | 0 | rounds 3 and 15: logits towards the previous round's winner |`,
    `| \`future.dependence.afterWin\` | ${D ? f4(D.afterWin) : "–"} | 0 | other regulation rounds: logits towards the previous round's winner (overtime: independent) |`,
  ].join("\n");
  const exampleTable = [
    "| state | pRound | pMap | pMatch |",
    "| --- | ---: | ---: | ---: |",
    ...EXAMPLES.map(([name, s]) => {
      const p = model(s);
      return `| ${name} | ${f3(p.pRound)} | ${f3(p.pMap)} | ${f3(p.pMatch)} |`;
    }),
  ].join("\n");
  const freshMap = (d: number): number =>
    0.5 * (model(level([1500 + d, 1500], "CT")).pMap + model(level([1500 + d, 1500], "T")).pMap);
  const eloLine = [100, 200, 400]
    .map(
      (d) =>
        `Δ = ${d} → ${f3(freshMap(d))} (simulated maps ${f3(ratingOnly(ro.map, d))}, Elo ${f3(1 / (1 + 10 ** (-d / 400)))})`,
    )
    .join(", ");
  const mf = evMapFuture.scores;

  log(
    "\n" +
      paramTable +
      "\n\n" +
      scoreTable +
      "\n\n" +
      diffTable +
      "\n\n" +
      byEventTable +
      "\n\n" +
      calTable +
      "\n\n" +
      beforeAfterTable +
      `\n\nmap temperature: with dependence τ = ${f4(temp.tau)}, independent τ = ${f4(tempBefore.tau)}\n\n` +
      exampleTable,
  );
  log(`\nfresh map: ${eloLine}`);
  const mf0 = evMapFuture.scores;
  log(
    `future on maps: held-out log loss pMap ${f4(mf0["future on maps"]!.map.logLoss)} pMatch ${f4(mf0["future on maps"]!.match.logLoss)} (fitted ${f4(mf0.fitted!.map.logLoss)} / ${f4(mf0.fitted!.match.logLoss)})`,
  );
  log(
    `pMap temperature (diagnostic): τ = ${f4(temp.tau)}; held-out pMap log loss ${f4(temp.before)} → ${f4(temp.after)}`,
  );
  log(
    `stale equipment between rounds: pMap log loss ${f4(stale.published)} as published vs ${f4(stale.blanked)} blanked (N = ${stale.n})`,
  );

  const section = [
    "<!-- cs2-eval:start (generated by `npx tsx dev/train/cs2.ts`; do not edit by hand) -->",
    `Model \`${params.version}\` (status \`${params.status}\`). **All figures below are on simulated data** ` +
      `(\`dev/simulator/cs2.ts\`); they check the fitting pipeline and the model's consistency with the simulator, not its accuracy on real CS2.`,
    "",
    `Data: training ${count(train)} (seeds ${TRAIN_SEEDS[0]}–${TRAIN_SEEDS.at(-1)}); held out ${count(holdout)} ` +
      `(seeds ${HOLDOUT_SEEDS[0]}–${HOLDOUT_SEEDS.at(-1)}).`,
    "",
    `**Consistency check** — the live-round logistic fitted on the round_start rows only (${pre.rows} rounds, 5v5, no bomb) with the ` +
      `simulator's own functional form (no equipment offset) recovers the simulator's round model: CT edge ${f4(pre.ctAdvantage)} ` +
      `(simulator ${f4(sim.ctAdvantage)}), equipment ${f4(pre.equipmentCoef)} (${f4(sim.equipmentCoef)}), rating ${f4(pre.ratingCoef)} ` +
      `(${f4(sim.ratingCoef)}). Recovering a model the data was generated from is a consistency check, not evidence about real CS2.`,
    "",
    `Fitted parameters (\`shared/sports/cs2/model-params.json\`; live round: maximum likelihood over ${fit.rows} in-round training rows, ` +
      `${rr.decided} of them decided by the state; future rounds: maximum likelihood over ${train.rounds.n} training rounds):`,
    "",
    paramTable,
    "",
    "Held-out scores (lower is better; best per column group in bold). *priors (11.1)*: the previous coefficients (with the " +
      "reducer's overtime side rule); *score-only*: the same map/match DP with no live-round information (the live round at " +
      `the future-round baseline); *rating-only*: σ(k·Δ/400) for the round (k = ${f4(ro.round)}) and the map (k = ${f4(ro.map)}), ` +
      "the series from that map probability, constant through the match (all fitted on the training series).",
    "",
    scoreTable,
    "",
    "Log-loss differences, fitted − other (mean ± standard error clustered by series; negative = fitted better):",
    "",
    diffTable,
    "",
    "pRound log loss by the event after which it is published (bomb_defused rows are decided: log loss 0 for the models that read the state):",
    "",
    byEventTable,
    "",
    "Calibration of the fitted model on the held-out rows (bins of the predicted probability):",
    "",
    calTable,
    "",
    "**Dependence between rounds — before/after.** Calibration of pMap and pMatch at every published round state of the held-out " +
      "series (every event of every round), with the economy's dependence between future rounds (*with*, shipped) and with " +
      `future rounds independent (*independent*, the 11.2 model: the same live-round model, future rounds refitted without dependence, ` +
      `CT edge ${f4(independent.ctAdvantage)}, rating ${f4(independent.ratingCoef)}):`,
    "",
    beforeAfterTable,
    "",
    `Temperature that would best rescale logit(pMap) (fitted on the training rows; 1 = no systematic over- or under-confidence): ` +
      `with dependence τ = ${f4(temp.tau)}, independent rounds τ = ${f4(tempBefore.tau)}.`,
    "",
    `Sensitivity: fitting the future-round coefficients on the live map's outcome instead (pMap at every round_start) gives ` +
      `CT edge ${f4(futureMaps.ctAdvantage)}, rating ${f4(futureMaps.ratingCoef)} and held-out log loss pMap ${f4(mf["future on maps"]!.map.logLoss)} ` +
      `/ pMatch ${f4(mf["future on maps"]!.match.logLoss)} (fitted: ${f4(mf.fitted!.map.logLoss)} / ${f4(mf.fitted!.match.logLoss)}).`,
    "",
    `Diagnostics (held out; not applied to the model): *map over-confidence* — rescaling logit(pMap) by a temperature fitted on ` +
      `the training rows gives τ = ${f4(temp.tau)} and would lower the pMap log loss from ${f4(temp.before)} to ${f4(temp.after)}; ` +
      `*stale equipment between rounds* — after round_end, pMap log loss is ${f4(stale.published)} with the features as published ` +
      `(the previous round's equipment) and ${f4(stale.blanked)} with the equipment blanked to $0 each (N = ${stale.n}).`,
    "",
    `Fresh map, P(team 1 wins) from the DP with the fitted coefficients against the simulated maps' rate (the rating-only ` +
      `map fit) and the Elo expectation: ${eloLine}.`,
    "",
    "Examples:",
    "",
    exampleTable,
    "<!-- cs2-eval:end -->",
  ].join("\n");
  log(`\n(${secs()})`);
  if (dryRun) return;
  writeFileSync(join(PROJECT_ROOT, "shared/sports/cs2/model-params.json"), `${JSON.stringify(params, null, 1)}\n`);
  const docPath = join(PROJECT_ROOT, "docs/models.md");
  const doc = existsSync(docPath) ? readFileSync(docPath, "utf8") : "";
  const re = /<!-- cs2-eval:start[\s\S]*?<!-- cs2-eval:end -->/;
  if (!re.test(doc))
    throw new Error("docs/models.md has no <!-- cs2-eval:start --> … <!-- cs2-eval:end --> block in its CS2 section");
  writeFileSync(docPath, doc.replace(re, section));
  log("wrote shared/sports/cs2/model-params.json and docs/models.md");
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) main();

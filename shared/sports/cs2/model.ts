// CS2 win probability: live round → map → match. PURE (no I/O): parameters come from model-params.json.
//
// Round (team 1 wins the live round), logistic:
//   logit = ctAdvantage·side + equipmentCoef·ln((eq1 + off)/(eq2 + off)) + aliveLogRatioCoef·ln(alive1/alive2)
//           − bombPlantedTAdvantage·side·[planted] + ratingCoef·(rating1 − rating2)/400,   side = +1 team 1 CT, −1 T
//   bomb defused → the CT side has won the round; CT side eliminated → T wins; T side eliminated → CT wins,
//   unless the bomb is planted (then the CT side still has to defuse: plantedTEliminatedCtWin).
// Map: exact dynamic programme over the remaining rounds (first to 13 of 24; at 12–12 overtime sets of 6 rounds,
// first to 4 wins the set, 3–3 → another set). Sides per round come from the reducer's rule, team1SideForRound
// (sides.ts): swap after round 12 and at each overtime half-time, none at the start of an overtime. The live round
// uses the round model above; future rounds use a per-side baseline σ(±ctAdvantage + ratingCoef·Δrating/400),
// shifted towards the winner of the previous round in regulation (the economy: the winner is richer, the loser
// saves; strongest in the two rounds after each pistol round). The DP carries the previous round's winner as
// state, so it stays exact. Overtime halves start on equal money: future overtime rounds are independent.
// Match: best-of-1/3/5 race over maps; the live map from the computation above, future maps from ratings
// (the starting side of a future map is unknown: average of both).
import params from "./model-params.json";
import { type Cs2MapFormat, DEFAULT_MAP_FORMAT, HALF_ROUNDS, OVERTIME_HALF_ROUNDS, team1SideForRound } from "./sides";

export interface Cs2Features {
  bestOf: 1 | 3 | 5;
  mapsWon: [number, number];
  roundScore: [number, number];
  team1Side: "CT" | "T";
  equipmentValue: [number, number];
  alive: [number, number];
  bomb: "none" | "planted" | "defused";
  rating: [number, number];
  /** The live map's format from its map_start (mp_maxrounds, mp_overtime_maxrounds; 0 = no overtime).
   * Absent: CS2's default MR12 with overtime sets of 6. Future maps are assumed to share it. */
  maxRounds?: number;
  overtimeMaxRounds?: number;
}

export interface Cs2Probability {
  pRound: number;
  pMap: number;
  pMatch: number;
}

export interface Cs2ModelParams {
  version: string;
  /** "prior" (documented priors), "fitted-on-simulator" (dev/train/cs2.ts on simulated rounds), later real data. */
  status: string;
  round: {
    ctAdvantage: number;
    equipmentCoef: number;
    equipmentOffset: number;
    aliveLogRatioCoef: number;
    bombPlantedTAdvantage: number;
    ratingCoef: number;
    plantedTEliminatedCtWin: number;
  };
  future: {
    ctAdvantage: number;
    ratingCoef: number;
    /**
     * Logit shift towards the previous round's winner in regulation: in the round after a pistol round (2, 14),
     * the round after that (3, 15) and every other round (pistol rounds 1 and 13 start on equal money: none).
     * Absent = future rounds independent (the model before cs2-live-2026.11.3).
     */
    dependence?: { afterPistol: number; secondAfterPistol: number; afterWin: number };
  };
}

export type Cs2Predictor = (f: Cs2Features) => Cs2Probability;

export { HALF_ROUNDS, REGULATION_ROUNDS } from "./sides";
export const WIN_ROUNDS = HALF_ROUNDS + 1;
export const OT_HALF_ROUNDS = OVERTIME_HALF_ROUNDS;
export const OT_SET_ROUNDS = 2 * OT_HALF_ROUNDS;
export const OT_WIN_ROUNDS = OT_HALF_ROUNDS + 1;

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
const nonNeg = (v: number): number => Math.max(v, 0);

/** Team 1's side (true = CT) in round n (1-based), given its side in the first half: the reducer's rule (sides.ts). */
export function team1IsCtInRound(n: number, firstHalfCt: boolean, format: Cs2MapFormat = DEFAULT_MAP_FORMAT): boolean {
  return team1SideForRound(firstHalfCt ? "CT" : "T", n, format) === "CT";
}

/** The round counts of a map format (MR12 with overtime sets of 6 gives the constants above). */
interface MapRules {
  format: Cs2MapFormat;
  /** Rounds in a half (12 in MR12); the map is won at half + 1. */
  half: number;
  win: number;
  overtime: boolean;
  otHalf: number;
  otSet: number;
  otWin: number;
}

function mapRules(format: Cs2MapFormat = DEFAULT_MAP_FORMAT): MapRules {
  const half = Math.max(1, Math.floor(format.maxRounds / 2));
  const otHalf = Math.max(1, Math.floor(format.overtimeMaxRounds / 2));
  return {
    format,
    half,
    win: half + 1,
    overtime: format.overtimeMaxRounds > 0,
    otHalf,
    otSet: 2 * otHalf,
    otWin: otHalf + 1,
  };
}

/** The format of the features' map: its own, else the default. */
export function featuresFormat(f: Pick<Cs2Features, "maxRounds" | "overtimeMaxRounds">): Cs2MapFormat {
  return {
    maxRounds: f.maxRounds ?? DEFAULT_MAP_FORMAT.maxRounds,
    overtimeMaxRounds: f.overtimeMaxRounds ?? DEFAULT_MAP_FORMAT.overtimeMaxRounds,
  };
}

/** 1 if team 1 has won the map at this score, −1 if team 2 has, 0 if it is still going (or drawn without overtime). */
export function mapResult(a: number, b: number, format: Cs2MapFormat = DEFAULT_MAP_FORMAT): 1 | -1 | 0 {
  const r = mapRules(format);
  const half = r.half;
  if (a < half || b < half || (a === half && b === half) || a + b < 2 * half || !r.overtime) {
    if (a >= r.win && a > b) return 1;
    if (b >= r.win && b > a) return -1;
    return 0;
  }
  // overtime: both reached half; sets of otSet rounds after half–half
  const lo = Math.min(a, b) - half;
  const sets = Math.floor(lo / r.otHalf); // completed tied sets (at most)
  const x = a - half - r.otHalf * sets;
  const y = b - half - r.otHalf * sets;
  if (x >= r.otWin && x > y) return 1;
  if (y >= r.otWin && y > x) return -1;
  return 0;
}

/**
 * Overtime sets repeat their side pattern with this period: the reducer's rule (sides.ts) plays the first overtime
 * half on the second-half sides and swaps only at overtime half-times, so set 1 is S|N, set 2 N|S, set 3 S|N, …
 * (S = second-half side, N = first-half side). model.test.ts checks the period against team1SideForRound.
 */
export const OT_SET_PERIOD = 2;

/**
 * Future-round map DP for fixed per-side round probabilities. Returns value(a, b) = P(team 1 wins the map | score
 * a–b before round a+b+1). Regulation values are tabulated; overtime is closed-form per set.
 */
/** The previous round's winner: none (pistol round next, or unknown), team 1, team 2. */
export type PreviousWinner = 0 | 1 | 2;

class MapTable {
  /** reg[(a·W + b)·3 + previous winner] */
  private readonly reg: Float64Array;
  /** Overtime values by set parity k: ot[k][x·4 + y] = value at x–y into a set of parity k. */
  private readonly ot: Float64Array[] = [];
  /** P(team 1 wins the map) at 12–12 (the start of the first overtime set). */
  readonly otSet: number;

  constructor(
    readonly pCt: number, // P(team 1 wins a future round | team 1 CT)
    readonly pT: number, // P(team 1 wins a future round | team 1 T)
    readonly firstHalfCt: boolean,
    dependence?: Cs2ModelParams["future"]["dependence"],
    private readonly rules: MapRules = mapRules(),
  ) {
    const W = rules.win;
    const regulation = 2 * rules.half;
    this.reg = new Float64Array(W * W * 3);
    // Overtime set of parity k (sides of rounds 25 + 6k … 30 + 6k): A_k(x, y) = P(team 1 wins this set | x–y),
    // B_k(x, y) = P(it reaches 3–3 | x–y). The value at x–y is A_k + B_k·V_{k+1}, V_k the value at the start of a set
    // of parity k, and the parities alternate: V_0 = A_0 + B_0·(A_1 + B_1·V_0).
    const O = rules.otWin;
    const A: Float64Array[] = [];
    const B: Float64Array[] = [];
    for (let k = 0; k < OT_SET_PERIOD; k++) {
      const Ak = new Float64Array(O * O);
      const Bk = new Float64Array(O * O);
      for (let x = O - 1; x >= 0; x--)
        for (let y = O - 1; y >= 0; y--) {
          const i = x * O + y;
          if (x === O - 1 && y === O - 1) {
            Ak[i] = 0;
            Bk[i] = 1;
            continue;
          }
          const n = regulation + 1 + k * rules.otSet + x + y;
          const p = team1IsCtInRound(n, firstHalfCt, rules.format) ? pCt : pT;
          const winA = x + 1 === O ? 1 : Ak[(x + 1) * O + y]!;
          const winB = x + 1 === O ? 0 : Bk[(x + 1) * O + y]!;
          const loseA = y + 1 === O ? 0 : Ak[x * O + y + 1]!;
          const loseB = y + 1 === O ? 0 : Bk[x * O + y + 1]!;
          Ak[i] = p * winA + (1 - p) * loseA;
          Bk[i] = p * winB + (1 - p) * loseB;
        }
      A.push(Ak);
      B.push(Bk);
    }
    const a0 = A[0]![0]!;
    const b0 = B[0]![0]!;
    const a1 = A[1]![0]!;
    const b1 = B[1]![0]!;
    // No overtime: a tie at half–half is a draw, worth half a win to either side.
    const v0 = rules.overtime ? (a0 + b0 * a1) / (1 - b0 * b1) : 0.5;
    const V = [v0, a1 + b1 * v0];
    this.otSet = v0;
    for (let k = 0; k < OT_SET_PERIOD; k++) {
      const t = new Float64Array(O * O);
      const next = V[(k + 1) % OT_SET_PERIOD]!;
      for (let i = 0; i < t.length; i++) t[i] = A[k]![i]! + B[k]![i]! * next;
      this.ot.push(t);
    }
    // Regulation: first to W (13 in MR12); tied at W−1 → overtime. Round n's probability depends on the previous
    // round's winner.
    const lCt = Math.log(pCt / (1 - pCt));
    const lT = Math.log(pT / (1 - pT));
    const shiftFor = (n: number): number => {
      if (!dependence || n === 1 || n === rules.half + 1) return 0; // pistol rounds
      const k = (n - 1) % rules.half; // rounds since the half's pistol round
      return k === 1 ? dependence.afterPistol : k === 2 ? dependence.secondAfterPistol : dependence.afterWin;
    };
    for (let a = W - 1; a >= 0; a--)
      for (let b = W - 1; b >= 0; b--) {
        const i = (a * W + b) * 3;
        if (a === W - 1 && b === W - 1) {
          this.reg[i] = this.reg[i + 1] = this.reg[i + 2] = v0;
          continue;
        }
        const n = a + b + 1;
        const l = team1IsCtInRound(n, firstHalfCt, rules.format) ? lCt : lT;
        const shift = shiftFor(n);
        const winNext = a + 1 === W ? -1 : ((a + 1) * W + b) * 3 + 1; // the next state: team 1 won this round
        const loseNext = b + 1 === W ? -1 : (a * W + b + 1) * 3 + 2;
        const win = winNext < 0 ? 1 : this.reg[winNext]!;
        const lose = loseNext < 0 ? 0 : this.reg[loseNext]!;
        for (let prev = 0; prev < 3; prev++) {
          const p = 1 / (1 + Math.exp(-(l + (prev === 1 ? shift : prev === 2 ? -shift : 0))));
          this.reg[i + prev] = p * win + (1 - p) * lose;
        }
      }
  }

  /** P(team 1 wins the map | a–b before round a+b+1, the previous round won by `prev`). */
  value(a: number, b: number, prev: PreviousWinner = 0): number {
    const R = this.rules;
    const r = mapResult(a, b, R.format);
    if (r !== 0) return r === 1 ? 1 : 0;
    if (a < R.win && b < R.win) return this.reg[(a * R.win + b) * 3 + prev]!;
    if (!R.overtime) return 0.5; // only the drawn half–half is left
    const sets = Math.floor((Math.min(a, b) - R.half) / R.otHalf); // completed overtime sets
    const x = a - R.half - R.otHalf * sets;
    const y = b - R.half - R.otHalf * sets;
    return this.ot[sets % OT_SET_PERIOD]![x * R.otWin + y]!;
  }
}

export function createCs2Predictor(p: Cs2ModelParams): Cs2Predictor {
  const R = p.round;
  const F = p.future;
  // memo of map tables by (first-half side, rating difference rounded to 1 point, map format)
  const cache = new Map<string, MapTable>();
  const table = (ratingDiff: number, firstHalfCt: boolean, format: Cs2MapFormat): MapTable => {
    const rd = Math.round(ratingDiff);
    const key = `${rd}|${firstHalfCt ? 1 : 0}|${format.maxRounds}|${format.overtimeMaxRounds}`;
    let t = cache.get(key);
    if (!t) {
      const r = (F.ratingCoef * rd) / 400;
      t = new MapTable(
        sigmoid(F.ctAdvantage + r),
        sigmoid(-F.ctAdvantage + r),
        firstHalfCt,
        F.dependence,
        mapRules(format),
      );
      if (cache.size > 4096) cache.clear();
      cache.set(key, t);
    }
    return t;
  };

  const roundProbability = (f: Cs2Features, ratingDiff: number): number => {
    const ct = f.team1Side === "CT";
    if (f.bomb === "defused") return ct ? 1 : 0;
    const a1 = nonNeg(f.alive[0]);
    const a2 = nonNeg(f.alive[1]);
    const aCt = ct ? a1 : a2;
    const aT = ct ? a2 : a1;
    const side = ct ? 1 : -1;
    // logistic for team 1 with the given numbers alive
    const logistic = (alive1: number, alive2: number): number => {
      let x = R.ctAdvantage * side;
      x +=
        R.equipmentCoef *
        Math.log((nonNeg(f.equipmentValue[0]) + R.equipmentOffset) / (nonNeg(f.equipmentValue[1]) + R.equipmentOffset));
      x += R.aliveLogRatioCoef * Math.log(alive1 / alive2);
      if (f.bomb === "planted") x -= R.bombPlantedTAdvantage * side;
      x += (R.ratingCoef * ratingDiff) / 400;
      return sigmoid(x);
    };
    if (aCt > 0 && aT > 0) return logistic(a1, a2);
    let pCt: number;
    if (aCt === 0) pCt = aT === 0 && f.bomb !== "planted" ? 1 : 0;
    else if (f.bomb !== "planted") pCt = 1;
    else {
      // T side eliminated after the plant: the CT side still has to defuse. Never below the chance it would
      // have with one T player still alive (keeps the model monotone in players alive).
      const withOneT = ct ? logistic(aCt, 1) : 1 - logistic(1, aCt);
      pCt = Math.max(R.plantedTEliminatedCtWin, withOneT);
    }
    return ct ? pCt : 1 - pCt;
  };

  // P(team 1 wins a future map), the starting side unknown (50/50)
  const futureMap = (ratingDiff: number, format: Cs2MapFormat): number =>
    0.5 * (table(ratingDiff, true, format).value(0, 0) + table(ratingDiff, false, format).value(0, 0));

  return function predict(f: Cs2Features): Cs2Probability {
    const ratingDiff = Number.isFinite(f.rating[0] - f.rating[1]) ? f.rating[0] - f.rating[1] : 0;
    const a = nonNeg(f.roundScore[0] | 0);
    const b = nonNeg(f.roundScore[1] | 0);
    const pRound = roundProbability(f, ratingDiff);
    const format = featuresFormat(f);
    let pMap: number;
    const decided = mapResult(a, b, format);
    if (decided !== 0) pMap = decided === 1 ? 1 : 0;
    else {
      const n = a + b + 1; // the live round
      const ct = f.team1Side === "CT";
      const firstHalfCt = team1IsCtInRound(n, true, format) ? ct : !ct;
      const t = table(ratingDiff, firstHalfCt, format);
      pMap = pRound * t.value(a + 1, b, 1) + (1 - pRound) * t.value(a, b + 1, 2);
    }
    const need = f.bestOf === 5 ? 3 : f.bestOf === 3 ? 2 : 1;
    const m1 = nonNeg(f.mapsWon[0] | 0);
    const m2 = nonNeg(f.mapsWon[1] | 0);
    let pMatch: number;
    if (m1 >= need) pMatch = 1;
    else if (m2 >= need) pMatch = 0;
    else {
      const q = need - m1 - 1 > 0 || need - m2 - 1 > 0 ? futureMap(ratingDiff, format) : 0.5;
      pMatch = pMap * seriesWin(need - m1 - 1, need - m2, q) + (1 - pMap) * seriesWin(need - m1, need - m2 - 1, q);
    }
    return { pRound, pMap, pMatch };
  };
}

/** P(team 1 wins a race: it needs x more maps, team 2 needs y, each map won with probability q). */
export function seriesWin(x: number, y: number, q: number): number {
  if (x <= 0) return 1;
  if (y <= 0) return 0;
  // sum over the number of maps team 2 wins before team 1's x-th win: C(x−1+k, k) q^x (1−q)^k, k < y
  let s = 0;
  let c = 1; // C(x − 1 + k, k)
  const qx = q ** x;
  let pk = 1;
  for (let k = 0; k < y; k++) {
    s += c * qx * pk;
    c = (c * (x + k)) / (k + 1);
    pk *= 1 - q;
  }
  return s;
}

export const CS2_MODEL_PARAMS: Cs2ModelParams = params;
export const CS2_MODEL_VERSION: string = params.version;

const predictDefault = createCs2Predictor(CS2_MODEL_PARAMS);

/** Round, map and match win probabilities for team 1. */
export function cs2WinProbability(f: Cs2Features): Cs2Probability {
  return predictDefault(f);
}

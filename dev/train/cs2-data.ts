// Simulated CS2 data for fitting and checking the CS2 win-probability model. Deterministic: series from the
// simulator (dev/simulator/cs2.ts, `simulateCs2`) are run through the real reducer (`cs2.applyEvent`) and the real
// state → features mapping (`cs2Features`), and one row is kept for every point at which the platform publishes a
// prediction (after every event), labelled with the winners of the live round, the live map and the match.
//
// The data is SIMULATED: the simulator decides every round from its own logistic round model
// (`roundWinProbability`: equipment, rating, side) and then writes kills and the bomb story to agree with the
// winner. Fitting on it checks the pipeline and the model's consistency; it says nothing about real CS2.
import { seededRng } from "../../shared/random";
import { type Cs2State, cs2, cs2Features } from "../../shared/sports/cs2";
import { cs2EventTypes } from "../../shared/sports/cs2/events";
import { type Cs2Features, mapResult } from "../../shared/sports/cs2/model";
import type { MatchEvent, TeamSide } from "../../shared/sports/sport";
import { simulateCs2 } from "../simulator/cs2";

/** The events after which a live prediction is published (all but match_end, which settles the series). */
export const EVENT_TYPES = cs2EventTypes.filter(
  (t): t is Exclude<(typeof cs2EventTypes)[number], "match_end"> => t !== "match_end",
);
export type RowEvent = (typeof EVENT_TYPES)[number];

const SIM_START = new Date("2026-01-01T12:00:00Z");

export interface SimMatchSpec {
  seed: number;
  matchId: string;
  bestOf: 1 | 3 | 5;
  rating: [number, number];
}

/**
 * The series simulated for a seed: best-of 1/3/5 with weights 35/50/15 %, each team's rating drawn from
 * N(1600, 110²) clamped to 1150–2050 (rating differences: s.d. ≈ 155, |Δ| > 300 in ≈ 5 % of series).
 */
export function simMatchSpec(seed: number): SimMatchSpec {
  const rng = seededRng("cs2-model-data", seed);
  const bestOf = ([1, 3, 5] as const)[rng.weighted([0.35, 0.5, 0.15])]!;
  const rating = (): number => Math.min(2050, Math.max(1150, Math.round(rng.normal(1600, 110))));
  return { seed, matchId: `cs2-model-data-${seed}`, bestOf, rating: [rating(), rating()] };
}

/** Growable typed column. */
class Column<T extends Float64Array | Int32Array | Int8Array | Uint8Array | Uint16Array> {
  constructor(
    public data: T,
    private readonly make: (n: number) => T,
  ) {}
  set(i: number, v: number): void {
    if (i >= this.data.length) {
      const next = this.make(Math.max(1024, this.data.length * 2));
      next.set(this.data);
      this.data = next;
    }
    this.data[i] = v;
  }
  trim(n: number): T {
    return this.data.subarray(0, n) as T;
  }
}

/** Column-wise rows: one per published prediction. Labels are 1 (team 1 won), 0 (team 2 won) or −1 (not scored). */
export interface Cs2Rows {
  n: number;
  /** Index into `matches`. */
  match: Int32Array;
  /** Index into EVENT_TYPES of the event after which the prediction is published. */
  event: Uint8Array;
  /** 1 while a round is being played (after round_start, kill, bomb_planted, bomb_defused). */
  inRound: Uint8Array;
  /** Index into `rounds` of the live round (in-round rows), else −1. */
  round: Int32Array;
  // the model's features (cs2Features of the reducer's state)
  bestOf: Uint8Array;
  mapsWon1: Uint8Array;
  mapsWon2: Uint8Array;
  score1: Uint16Array;
  score2: Uint16Array;
  /** 1 if team 1 plays CT in the live (or next) round. */
  ct: Uint8Array;
  eq1: Int32Array;
  eq2: Int32Array;
  alive1: Uint8Array;
  alive2: Uint8Array;
  /** 0 none, 1 planted, 2 defused. */
  bomb: Uint8Array;
  rating1: Float64Array;
  rating2: Float64Array;
  /** Live round: scored on in-round rows. */
  yRound: Int8Array;
  /** Live map: scored while a map is being played and its score does not decide it yet. */
  yMap: Int8Array;
  /** Match: scored while the series is not decided. */
  yMatch: Int8Array;
}

export interface Cs2Rounds {
  n: number;
  match: Int32Array;
  ct: Uint8Array;
  eq1: Int32Array;
  eq2: Int32Array;
  /** rating₁ − rating₂. */
  ratingDiff: Float64Array;
  /** 1 if team 1 won the round. */
  y: Uint8Array;
  /** Round number within the map (1-based). */
  roundNo: Uint16Array;
  /** Winner of the previous round of the same map: 0 none (first round), 1 team 1, 2 team 2. */
  prev: Uint8Array;
}

export interface Cs2Dataset {
  matches: SimMatchSpec[];
  rows: Cs2Rows;
  rounds: Cs2Rounds;
  /** Maps played (all matches). */
  maps: number;
}

const BOMB_CODE = { none: 0, planted: 1, defused: 2 } as const;
const BOMBS = ["none", "planted", "defused"] as const;

/** The features of row i, as the platform passes them to the model. */
export function rowFeatures(r: Cs2Rows, i: number): Cs2Features {
  return {
    bestOf: r.bestOf[i] as 1 | 3 | 5,
    mapsWon: [r.mapsWon1[i]!, r.mapsWon2[i]!],
    roundScore: [r.score1[i]!, r.score2[i]!],
    team1Side: r.ct[i] === 1 ? "CT" : "T",
    equipmentValue: [r.eq1[i]!, r.eq2[i]!],
    alive: [r.alive1[i]!, r.alive2[i]!],
    bomb: BOMBS[r.bomb[i]!]!,
    rating: [r.rating1[i]!, r.rating2[i]!],
  };
}

interface Outcomes {
  rounds: Map<string, TeamSide>;
  maps: Map<number, TeamSide>;
  match: TeamSide;
}

function outcomesOf(events: readonly MatchEvent[]): Outcomes {
  const rounds = new Map<string, TeamSide>();
  const maps = new Map<number, TeamSide>();
  let match: TeamSide | undefined;
  let map = 0;
  for (const e of events) {
    if (e.type === "map_start") map = e.payload!.mapNumber as number;
    else if (e.type === "round_end") rounds.set(`${map}:${e.payload!.round as number}`, e.teamId!);
    else if (e.type === "map_end") maps.set(map, e.teamId!);
    else if (e.type === "match_end") match = e.teamId!;
  }
  if (match === undefined) throw new Error("simulated series without match_end");
  return { rounds, maps, match };
}

/** Simulates the series for the given seeds and collects the rows (deterministic). */
export function simulateDataset(seeds: readonly number[]): Cs2Dataset {
  const f64 = (n: number) => new Float64Array(n);
  const i32 = (n: number) => new Int32Array(n);
  const i8 = (n: number) => new Int8Array(n);
  const u8 = (n: number) => new Uint8Array(n);
  const u16 = (n: number) => new Uint16Array(n);
  const col = {
    match: new Column(i32(0), i32),
    event: new Column(u8(0), u8),
    inRound: new Column(u8(0), u8),
    round: new Column(i32(0), i32),
    bestOf: new Column(u8(0), u8),
    mapsWon1: new Column(u8(0), u8),
    mapsWon2: new Column(u8(0), u8),
    score1: new Column(u16(0), u16),
    score2: new Column(u16(0), u16),
    ct: new Column(u8(0), u8),
    eq1: new Column(i32(0), i32),
    eq2: new Column(i32(0), i32),
    alive1: new Column(u8(0), u8),
    alive2: new Column(u8(0), u8),
    bomb: new Column(u8(0), u8),
    rating1: new Column(f64(0), f64),
    rating2: new Column(f64(0), f64),
    yRound: new Column(i8(0), i8),
    yMap: new Column(i8(0), i8),
    yMatch: new Column(i8(0), i8),
  };
  const rc = {
    match: new Column(i32(0), i32),
    ct: new Column(u8(0), u8),
    eq1: new Column(i32(0), i32),
    eq2: new Column(i32(0), i32),
    ratingDiff: new Column(f64(0), f64),
    y: new Column(u8(0), u8),
    roundNo: new Column(u16(0), u16),
    prev: new Column(u8(0), u8),
  };
  const eventCode = new Map<string, number>(EVENT_TYPES.map((t, i) => [t, i]));
  const matches: SimMatchSpec[] = [];
  let n = 0;
  let nRounds = 0;
  let maps = 0;
  for (const seed of seeds) {
    const spec = simMatchSpec(seed);
    const m = matches.length;
    matches.push(spec);
    const events = simulateCs2({
      matchId: spec.matchId,
      seed,
      bestOf: spec.bestOf,
      team1Rating: spec.rating[0],
      team2Rating: spec.rating[1],
      start: SIM_START,
    });
    const out = outcomesOf(events);
    maps += out.maps.size;
    const strength = { rating: spec.rating, neutral: true };
    const need = (spec.bestOf + 1) / 2;
    let state: Cs2State = cs2.initialState();
    let liveRound = -1;
    for (const e of events) {
      state = cs2.applyEvent(state, e);
      const code = eventCode.get(e.type);
      if (code === undefined) continue; // match_end: the result is published, nothing to predict
      if (state.mapsWon[0] >= need || state.mapsWon[1] >= need) continue; // series decided
      const f = cs2Features(state, strength);
      const map = state.currentMap?.number;
      if (e.type === "round_start") {
        const y = out.rounds.get(`${map}:${state.round}`);
        if (y === undefined) throw new Error(`no result for round ${state.round} of map ${map}`);
        liveRound = nRounds++;
        rc.match.set(liveRound, m);
        rc.ct.set(liveRound, f.team1Side === "CT" ? 1 : 0);
        rc.eq1.set(liveRound, f.equipmentValue[0]);
        rc.eq2.set(liveRound, f.equipmentValue[1]);
        rc.ratingDiff.set(liveRound, spec.rating[0] - spec.rating[1]);
        rc.y.set(liveRound, y === 1 ? 1 : 0);
        rc.roundNo.set(liveRound, state.round);
        rc.prev.set(liveRound, out.rounds.get(`${map}:${state.round - 1}`) ?? 0);
      }
      const inRound = state.roundInProgress;
      col.match.set(n, m);
      col.event.set(n, code);
      col.inRound.set(n, inRound ? 1 : 0);
      col.round.set(n, inRound ? liveRound : -1);
      col.bestOf.set(n, f.bestOf);
      col.mapsWon1.set(n, f.mapsWon[0]);
      col.mapsWon2.set(n, f.mapsWon[1]);
      col.score1.set(n, f.roundScore[0]);
      col.score2.set(n, f.roundScore[1]);
      col.ct.set(n, f.team1Side === "CT" ? 1 : 0);
      col.eq1.set(n, f.equipmentValue[0]);
      col.eq2.set(n, f.equipmentValue[1]);
      col.alive1.set(n, f.alive[0]);
      col.alive2.set(n, f.alive[1]);
      col.bomb.set(n, BOMB_CODE[f.bomb]);
      col.rating1.set(n, f.rating[0]);
      col.rating2.set(n, f.rating[1]);
      col.yRound.set(n, inRound ? (rc.y.data[liveRound] ?? -1) : -1);
      const mapLive = map !== undefined && mapResult(f.roundScore[0], f.roundScore[1]) === 0;
      col.yMap.set(n, mapLive ? (out.maps.get(map) === 1 ? 1 : 0) : -1);
      col.yMatch.set(n, out.match === 1 ? 1 : 0);
      n++;
    }
  }
  const rows = Object.fromEntries(Object.entries(col).map(([k, c]) => [k, c.trim(n)])) as unknown as Cs2Rows;
  rows.n = n;
  const rounds = Object.fromEntries(Object.entries(rc).map(([k, c]) => [k, c.trim(nRounds)])) as unknown as Cs2Rounds;
  rounds.n = nRounds;
  return { matches, rows, rounds, maps };
}

/** Seeds first, first + 1, …, first + count − 1. */
export const seedRange = (first: number, count: number): number[] => Array.from({ length: count }, (_, i) => first + i);

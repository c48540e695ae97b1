// World Football Elo ratings (eloratings.net method). PURE: no I/O.
//
//   Rn = Ro + K·G·(W − We)
//   We = 1 / (10^(−dr/400) + 1),  dr = Ro(team) − Ro(opponent) (+100 for the home side unless neutral)
//   W  = 1 win, 0.5 draw (a match decided by a penalty shoot-out counts as a draw), 0 loss
//   K  = 60 World Cup finals; 50 continental finals and major intercontinental tournaments;
//        40 World Cup and continental qualifiers and major tournaments; 30 other tournaments; 20 friendlies
//   G  = 1 for a win by 0–1 goals, 1.5 for 2 goals, (11 + N)/8 for N ≥ 3 goals
//   New teams start at 1500.

export const ELO_START = 1500;
export const ELO_HOME_ADVANTAGE = 100;

export type TournamentClass = "world_cup" | "continental_final" | "qualifier_or_major" | "other" | "friendly";

export const K_BY_CLASS: Readonly<Record<TournamentClass, number>> = {
  world_cup: 60,
  continental_final: 50,
  qualifier_or_major: 40,
  other: 30,
  friendly: 20,
};

/** Final tournaments of the confederations, plus the major intercontinental tournaments (K = 50). */
const CONTINENTAL_FINALS = new Set([
  "UEFA Euro",
  "Copa América",
  "African Cup of Nations",
  "AFC Asian Cup",
  "Gold Cup",
  "CONCACAF Championship",
  "Oceania Nations Cup",
  "Confederations Cup",
  "CONMEBOL–UEFA Cup of Champions",
  "Artemio Franchi Trophy",
]);

/** Major tournaments that are neither World Cup nor continental finals (K = 40). */
const MAJOR_TOURNAMENTS = new Set(["UEFA Nations League", "CONCACAF Nations League"]);

/** Qualifiers of the World Cup and of the continental finals (K = 40). */
const QUALIFIED_FINALS = new Set([
  "FIFA World Cup",
  "UEFA Euro",
  "Copa América",
  "African Cup of Nations",
  "AFC Asian Cup",
  "Gold Cup",
  "CONCACAF Championship",
  "Oceania Nations Cup",
  "CONCACAF Nations League",
]);

export function tournamentClass(tournament: string): TournamentClass {
  const t = tournament.trim();
  if (t === "Friendly") return "friendly";
  if (t === "FIFA World Cup") return "world_cup";
  if (CONTINENTAL_FINALS.has(t)) return "continental_final";
  if (MAJOR_TOURNAMENTS.has(t)) return "qualifier_or_major";
  const q = / qualification$/.exec(t);
  if (q && QUALIFIED_FINALS.has(t.slice(0, q.index))) return "qualifier_or_major";
  return "other";
}

export function kFactor(tournament: string): number {
  return K_BY_CLASS[tournamentClass(tournament)];
}

/** Goal-margin multiplier G. */
export function marginMultiplier(goalDifference: number): number {
  const n = Math.abs(goalDifference);
  if (n <= 1) return 1;
  if (n === 2) return 1.5;
  return (11 + n) / 8;
}

/** Expected result of a team whose rating (incl. home advantage) exceeds its opponent's by `dr`. */
export function expectedResult(dr: number): number {
  return 1 / (10 ** (-dr / 400) + 1);
}

/** Rating difference team 1 − team 2 including the home advantage (team 1 is the home side). */
export function eloDifference(elo1: number, elo2: number, neutral: boolean): number {
  return elo1 - elo2 + (neutral ? 0 : ELO_HOME_ADVANTAGE);
}

export interface EloMatch {
  /** Pre-match ratings [team 1 (home side), team 2]. */
  ratings: readonly [number, number];
  /** Final score (including extra time, excluding shoot-outs). */
  score: readonly [number, number];
  neutral: boolean;
  /** Tournament name (as in the results data) or an explicit K. */
  tournament: string | number;
  /** True when the match was decided by a penalty shoot-out: counted as a draw. */
  shootout?: boolean;
}

/** Post-match ratings. Zero-sum: team 1 gains exactly what team 2 loses. */
export function eloUpdate(m: EloMatch): [number, number] {
  const [r1, r2] = m.ratings;
  const diff = m.score[0] - m.score[1];
  const k = typeof m.tournament === "number" ? m.tournament : kFactor(m.tournament);
  const w = m.shootout || diff === 0 ? 0.5 : diff > 0 ? 1 : 0;
  const we = expectedResult(eloDifference(r1, r2, m.neutral));
  const delta = k * marginMultiplier(diff) * (w - we);
  return [r1 + delta, r2 - delta];
}

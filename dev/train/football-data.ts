// Loads the international results data (read-only, from ../shared/data/football relative to the project
// root), computes pre-match World Football Elo ratings sequentially through ALL matches, and attaches the
// goal minutes where the goal data is complete. Dev/training use only (Node I/O).
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ELO_START, eloUpdate } from "../../shared/sports/football/elo";
import { parseCsv } from "./csv";

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const FOOTBALL_DATA_DIR = resolve(PROJECT_ROOT, "../shared/data/football");

export interface Goal {
  minute: number;
  /** 1 = home team (team 1), 2 = away team. */
  team: 1 | 2;
}

export interface FootballMatch {
  date: string;
  year: number;
  home: string;
  away: string;
  tournament: string;
  neutral: boolean;
  /** Final score incl. extra time (excl. shoot-outs). */
  score: [number, number];
  shootout: boolean;
  /** Shoot-out winner (1 = home team, 2 = away team) when the match went to a shoot-out. */
  shootoutWinner: 1 | 2 | null;
  /** Pre-match Elo [home, away]. */
  elo: [number, number];
  /** Goals sorted by minute when the goal data is complete (rows add up to the score, no missing minute), else null. */
  goals: Goal[] | null;
  /** Score after 90 minutes (goals with minute ≤ 90), when goals are complete. */
  score90: [number, number] | null;
  /** The match's tournament-year has (almost) complete goal data: ≥ 90% of its matches with goals have complete goal rows. */
  coveredGroup: boolean;
}

export function footballDataAvailable(dir = FOOTBALL_DATA_DIR): boolean {
  return existsSync(join(dir, "results-until-2021.csv")) && existsSync(join(dir, "goalscorers-until-2021.csv"));
}

export function loadFootballMatches(dir = FOOTBALL_DATA_DIR): FootballMatch[] {
  const results = parseCsv(readFileSync(join(dir, "results-until-2021.csv"), "utf8"));
  const scorers = parseCsv(readFileSync(join(dir, "goalscorers-until-2021.csv"), "utf8"));
  const shootoutsPath = join(dir, "shootouts-until-2021.csv");
  const shootouts = existsSync(shootoutsPath) ? parseCsv(readFileSync(shootoutsPath, "utf8")) : [];
  const key = (r: Record<string, string>): string => `${r.date}|${r.home_team}|${r.away_team}`;

  const goalRows = new Map<string, Record<string, string>[]>();
  for (const g of scorers) {
    const k = key(g);
    const list = goalRows.get(k);
    if (list) list.push(g);
    else goalRows.set(k, [g]);
  }
  const shootoutWinners = new Map(shootouts.map((r) => [key(r), r.winner ?? ""]));

  const ratings = new Map<string, number>();
  const matches: FootballMatch[] = [];
  const sorted = results
    .filter((r) => r.home_score !== "NA" && r.away_score !== "NA" && r.home_score !== "" && r.away_score !== "")
    .map((r, i) => ({ r, i }))
    .sort((a, b) => (a.r.date! < b.r.date! ? -1 : a.r.date! > b.r.date! ? 1 : a.i - b.i));
  for (const { r } of sorted) {
    const home = r.home_team!;
    const away = r.away_team!;
    const score: [number, number] = [Number(r.home_score), Number(r.away_score)];
    const neutral = r.neutral === "TRUE";
    const tournament = r.tournament!;
    const k = key(r);
    const winner = shootoutWinners.get(k);
    const shootout = winner !== undefined;
    const shootoutWinner = winner === home ? 1 : winner === away ? 2 : null;
    const elo: [number, number] = [ratings.get(home) ?? ELO_START, ratings.get(away) ?? ELO_START];
    const rows = goalRows.get(k) ?? [];
    let goals: Goal[] | null = null;
    let score90: [number, number] | null = null;
    if (rows.length === score[0] + score[1] && rows.every((g) => /^\d+$/.test(g.minute ?? ""))) {
      goals = rows
        .map((g): Goal => ({ minute: Number(g.minute), team: g.team === home ? 1 : 2 }))
        .sort((a, b) => a.minute - b.minute);
      const h = goals.filter((g) => g.team === 1).length;
      if (h !== score[0])
        goals = null; // goal rows credited inconsistently with the score
      else {
        score90 = [0, 0];
        for (const g of goals) if (g.minute <= 90) score90[g.team - 1] = score90[g.team - 1]! + 1;
      }
    }
    matches.push({
      date: r.date!,
      year: Number(r.date!.slice(0, 4)),
      home,
      away,
      tournament,
      neutral,
      score,
      shootout,
      shootoutWinner,
      elo,
      goals,
      score90,
      coveredGroup: false,
    });
    const [n1, n2] = eloUpdate({ ratings: elo, score, neutral, tournament, shootout });
    ratings.set(home, n1);
    ratings.set(away, n2);
  }

  // Goal-data coverage is (almost) all-or-nothing per tournament and year. Matches without goals trivially
  // look "complete", so selecting matches by completeness alone would over-represent 0–0 draws; we select
  // whole tournament-years whose scoring matches are ≥ 90% complete instead (selection independent of the result).
  const groups = new Map<string, { scoring: number; complete: number }>();
  const gk = (m: FootballMatch): string => `${m.tournament}|${m.year}`;
  for (const m of matches) {
    if (m.score[0] + m.score[1] === 0) continue;
    const g = groups.get(gk(m)) ?? { scoring: 0, complete: 0 };
    g.scoring++;
    if (m.goals) g.complete++;
    groups.set(gk(m), g);
  }
  for (const m of matches) {
    const g = groups.get(gk(m));
    m.coveredGroup = g !== undefined && g.complete >= 0.9 * g.scoring;
  }
  return matches;
}

/** Matches usable for in-play training/evaluation: covered tournament-year and complete goal data. */
export function inPlayMatches(all: FootballMatch[]): (FootballMatch & { goals: Goal[]; score90: [number, number] })[] {
  return all.filter(
    (m): m is FootballMatch & { goals: Goal[]; score90: [number, number] } =>
      m.coveredGroup && m.goals !== null && m.score90 !== null,
  );
}

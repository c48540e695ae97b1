// Real international results as event streams: match_start, the periods, every goal at its recorded
// minute (own-goal and penalty flags, teamId = the credited team, team 1 = home_team), match_end.
// replayFootball is PURE (CSV text in, events out); readFootballData is the small file reader.
//
// The data has dates, not kick-off times: every match kicks off at `kickoffUtc` (15:00 UTC by default)
// with fixed halves of 45+2 and 45+4 minutes and a 15-minute break. Extra time (periods 3 and 4) is
// played when a goal is recorded after minute 90. eventIds derive from the matchId, so replaying the
// same match twice is recognised as duplicates by the platform.
import { readFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { MATCH_ID_PATTERN } from "../../shared/contract/event";
import { seededRng } from "../../shared/random";
import type { MatchEvent, Pair, TeamSide } from "../../shared/sports/sport";
import { type DraftEvent, toMatchEvents } from "./draft-events";

export interface FootballReplayOptions {
  /** First date to replay, inclusive (YYYY-MM-DD). */
  from?: string;
  /** Last date to replay, inclusive (YYYY-MM-DD). */
  to?: string;
  /** Kick-off time of day in UTC, "HH:MM"; the data has dates only. Default "15:00". */
  kickoffUtc?: string;
  /**
   * Also replay matches whose goal rows are missing or lack a minute (most matches before the 1990s).
   * Their unplaced goals are spread evenly over the 90 minutes so the final score is right; the minutes
   * are invented. Default false: such matches are skipped.
   */
  includeIncomplete?: boolean;
}

export interface ReplayedMatch {
  matchId: string;
  date: string;
  home: string;
  away: string;
  tournament: string;
  neutral: boolean;
  /** Final score from the results file (incl. extra time, excl. shoot-outs). */
  score: Pair;
  /** Every goal had a recorded minute. */
  complete: boolean;
  events: MatchEvent[];
}

const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const FOOTBALL_DATA_DIR = resolve(PROJECT_ROOT, "../shared/data/football");

/** Reads the results and goal CSVs (defaults: ../shared/data/football relative to the project root). */
export async function readFootballData(
  paths: { results?: string; goals?: string } = {},
): Promise<{ results: string; goals: string }> {
  const [results, goals] = await Promise.all([
    readFile(paths.results ?? join(FOOTBALL_DATA_DIR, "results-until-2021.csv"), "utf8"),
    readFile(paths.goals ?? join(FOOTBALL_DATA_DIR, "goalscorers-until-2021.csv"), "utf8"),
  ]);
  return { results, goals };
}

/** RFC 4180 records (quoted fields with "" escapes, CRLF or LF) keyed by the header row. */
function csvRecords(text: string): Record<string, string>[] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch !== '"') field += ch;
      else if (text[i + 1] === '"') {
        field += '"';
        i++;
      } else quoted = false;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      row.push(field);
      field = "";
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      row.push(field);
      field = "";
      if (row.length > 1 || row[0] !== "") rows.push(row);
      row = [];
    } else field += ch;
  }
  if (field !== "" || row.length > 0) rows.push([...row, field]);
  const header = (rows.shift() ?? []).map((h) => h.trim().replace(/^\uFEFF/, ""));
  return rows.map((r) => Object.fromEntries(header.map((h, j) => [h, r[j] ?? ""])));
}

/** "fb-<date>-<home>-<away>", letters without accents, spaces as "_"; long names end in a short hash. */
export function footballMatchId(date: string, home: string, away: string): string {
  const slug = (s: string) =>
    s
      .normalize("NFD")
      .replace(/[\u0300-\u036f]/g, "")
      .replace(/[^A-Za-z0-9.]+/g, "_")
      .replace(/^_+|_+$/g, "");
  const id = `fb-${date}-${slug(home)}-${slug(away)}`;
  if (id.length <= 64 && MATCH_ID_PATTERN.test(id)) return id;
  // Truncation alone could make two pairings collide; a hash of the full key keeps them apart.
  const hash = seededRng("match-id", date, home, away).uuid().slice(0, 8);
  return `${id.slice(0, 55)}-${hash}`;
}

interface GoalRow {
  team: TeamSide;
  minute: number | null;
  ownGoal: boolean;
  penalty: boolean;
  scorer: string;
}

const MINUTE_MS = 60_000;
/** Start and length of each period, ms after kick-off: halves 45+2 and 45+4, 15' break, 5' before extra time. */
const PERIODS: readonly { start: number; length: number; first: number; last: number }[] = [
  { start: 0, length: 47 * MINUTE_MS, first: 0, last: 45 },
  { start: 62 * MINUTE_MS, length: 49 * MINUTE_MS, first: 45, last: 90 },
  { start: 116 * MINUTE_MS, length: 16 * MINUTE_MS, first: 90, last: 105 },
  { start: 133 * MINUTE_MS, length: 17 * MINUTE_MS, first: 105, last: 120 },
];

const periodOfMinute = (minute: number) => (minute <= 45 ? 1 : minute <= 90 ? 2 : minute <= 105 ? 3 : 4);

/** Evenly spread minutes for goals without one: 90·(k + ½)/n. */
const spreadMinutes = (n: number) => Array.from({ length: n }, (_, k) => Math.max(1, Math.round((90 * (k + 0.5)) / n)));

function matchDrafts(score: Pair, goals: GoalRow[]): DraftEvent[] {
  const placed = goals.filter((g) => g.minute !== null);
  // Goals the data cannot place: the rows without a minute plus any the rows do not account for.
  const missing: TeamSide[] = [];
  for (const team of [1, 2] as const) {
    const recorded = goals.filter((g) => g.team === team).length;
    const unplaced = goals.filter((g) => g.team === team && g.minute === null).length;
    for (let i = 0; i < unplaced + Math.max(0, score[team === 1 ? 0 : 1] - recorded); i++) missing.push(team);
  }
  // Alternate the teams so neither gets all the early invented minutes.
  const alternated: TeamSide[] = [];
  const left: Pair = [missing.filter((t) => t === 1).length, missing.filter((t) => t === 2).length];
  while (left[0] + left[1] > 0) {
    for (const team of [1, 2] as const) {
      if (left[team === 1 ? 0 : 1] > 0) {
        alternated.push(team);
        left[team === 1 ? 0 : 1]--;
      }
    }
  }
  const invented = spreadMinutes(alternated.length);
  const allGoals = [
    ...placed,
    ...alternated.map((team, i) => ({ team, minute: invented[i]!, ownGoal: false, penalty: false, scorer: "" })),
  ].sort((a, b) => a.minute! - b.minute!);

  const periods = allGoals.some((g) => g.minute! > 90) ? 4 : 2;
  const drafts: DraftEvent[] = [{ atMs: 0, type: "match_start", payload: { minute: 0 } }];
  const sameMinute = new Map<number, number>();
  const goalDrafts = allGoals.map((g): DraftEvent => {
    const minute = Math.min(130, Math.max(0, g.minute!));
    const period = PERIODS[periodOfMinute(minute) - 1]!;
    const nth = sameMinute.get(minute) ?? 0;
    sameMinute.set(minute, nth + 1);
    const into = Math.min(
      period.length - 1_000,
      Math.max(0, minute - period.first - 1) * MINUTE_MS + 30_000 + nth * 5_000,
    );
    const payload: Record<string, unknown> = { minute };
    if (g.ownGoal) payload.ownGoal = true;
    if (g.penalty) payload.penalty = true;
    const draft: DraftEvent = { atMs: period.start + into, type: "goal", teamId: g.team, payload };
    // The scorer of an own goal plays for the other team, so only name scorers of the credited team.
    if (g.scorer !== "" && !g.ownGoal) draft.playerId = g.scorer.slice(0, 64);
    return draft;
  });
  for (let p = 1; p <= periods; p++) {
    const period = PERIODS[p - 1]!;
    drafts.push({ atMs: period.start, type: "period_start", payload: { period: p, minute: period.first } });
    const inPeriod = goalDrafts.filter((d) => periodOfMinute(d.payload!.minute as number) === p);
    drafts.push(...inPeriod);
    // A goal recorded past the period's nominal end (e.g. minute 122) keeps the clock from running backwards.
    const endMinute = Math.min(130, Math.max(period.last, ...inPeriod.map((d) => d.payload!.minute as number)));
    drafts.push({ atMs: period.start + period.length, type: "period_end", payload: { period: p, minute: endMinute } });
  }
  const last = PERIODS[periods - 1]!;
  const endMinute = Math.max(last.last, ...allGoals.map((g) => g.minute!));
  drafts.push({ atMs: last.start + last.length, type: "match_end", payload: { minute: Math.min(130, endMinute) } });
  return drafts;
}

const bool = (s: string | undefined) => (s ?? "").trim().toUpperCase() === "TRUE";

export function replayFootball(
  resultsCsv: string,
  goalsCsv: string,
  options: FootballReplayOptions = {},
): ReplayedMatch[] {
  const kickoffUtc = options.kickoffUtc ?? "15:00";
  if (!/^([01]\d|2[0-3]):[0-5]\d$/.test(kickoffUtc)) throw new Error(`kickoffUtc must be HH:MM, got "${kickoffUtc}"`);
  const results = csvRecords(resultsCsv).filter(
    (r) =>
      (options.from === undefined || r.date! >= options.from) && (options.to === undefined || r.date! <= options.to),
  );
  const keyOf = (r: Record<string, string>) => `${r.date}\u0000${r.home_team}\u0000${r.away_team}`;
  const wanted = new Map<string, number>();
  for (const r of results) wanted.set(keyOf(r), (wanted.get(keyOf(r)) ?? 0) + 1);

  const goalsByMatch = new Map<string, GoalRow[]>();
  for (const g of csvRecords(goalsCsv)) {
    const key = keyOf(g);
    if (!wanted.has(key)) continue;
    const team: TeamSide | null = g.team === g.home_team ? 1 : g.team === g.away_team ? 2 : null;
    if (team === null) continue;
    const minute = /^\d+$/.test((g.minute ?? "").trim()) ? Number(g.minute) : null;
    const list = goalsByMatch.get(key) ?? [];
    list.push({ team, minute, ownGoal: bool(g.own_goal), penalty: bool(g.penalty), scorer: (g.scorer ?? "").trim() });
    goalsByMatch.set(key, list);
  }

  const out: ReplayedMatch[] = [];
  const seen = new Map<string, number>();
  for (const r of results) {
    const score: Pair = [Number(r.home_score), Number(r.away_score)];
    if (!Number.isInteger(score[0]) || !Number.isInteger(score[1]) || !/^\d{4}-\d{2}-\d{2}$/.test(r.date ?? ""))
      continue;
    const key = keyOf(r);
    // Two results rows for the same date and teams: their goal rows cannot be told apart.
    const ambiguous = (wanted.get(key) ?? 0) > 1;
    const goals = ambiguous ? [] : (goalsByMatch.get(key) ?? []);
    const placedPerTeam = [1, 2].map((t) => goals.filter((g) => g.team === t && g.minute !== null).length);
    const complete =
      placedPerTeam[0] === score[0] && placedPerTeam[1] === score[1] && goals.every((g) => g.minute !== null);
    if (!complete && !options.includeIncomplete) continue;

    const nth = (seen.get(key) ?? 0) + 1;
    seen.set(key, nth);
    const base = footballMatchId(r.date!, r.home_team!, r.away_team!);
    const matchId = nth === 1 ? base : `${base.slice(0, 61)}-${nth}`;
    const kickoff = new Date(`${r.date}T${kickoffUtc}:00Z`);
    if (Number.isNaN(kickoff.getTime())) continue;
    const events = toMatchEvents(matchDrafts(score, goals), {
      matchId,
      sport: "football",
      start: kickoff,
      ids: seededRng("replay-football", matchId),
    });
    out.push({
      matchId,
      date: r.date!,
      home: r.home_team!,
      away: r.away_team!,
      tournament: r.tournament ?? "",
      neutral: bool(r.neutral),
      score,
      complete,
      events,
    });
  }
  return out;
}

// The prediction game's rules, pure: a fan guesses a match's final score (football: goals; CS2: maps won
// in the series, so the outcome is the series winner). Exact score earns `exact` points, the right
// outcome (team 1 win / draw / team 2 win) earns `outcome`, anything else 0. Settlement (SQL) and the
// provisional points of live matches apply the same rule; shared/games/scoring.test.ts pins it.
import { z } from "zod";
import { MATCH_ID_PATTERN } from "../contract/event";

export interface Scoring {
  exact: number;
  outcome: number;
}

export const DEFAULT_SCORING: Scoring = { exact: 3, outcome: 1 };

/** A score as the game sees it: team 1 ("home") and team 2 ("away"). */
export interface GameScore {
  home: number;
  away: number;
}

export type Outcome = "home" | "draw" | "away";

export const outcomeOf = (s: GameScore): Outcome => (s.home > s.away ? "home" : s.home < s.away ? "away" : "draw");

export function guessPoints(guess: GameScore, final: GameScore, scoring: Scoring = DEFAULT_SCORING): number {
  if (guess.home === final.home && guess.away === final.away) return scoring.exact;
  return outcomeOf(guess) === outcomeOf(final) ? scoring.outcome : 0;
}

export interface GuessGroup extends GameScore {
  /** How many fans guessed this score. */
  guesses: number;
}

/**
 * Provisional points for a live match: points depend only on the guessed score and the current one, so
 * they are computed once per distinct guessed score (a few dozen groups), never per fan.
 */
export function provisionalPoints(
  groups: readonly GuessGroup[],
  current: GameScore,
  scoring: Scoring = DEFAULT_SCORING,
): (GuessGroup & { points: number })[] {
  return groups.map((g) => ({ ...g, points: guessPoints(g, current, scoring) }));
}

/** Highest score a guess may name; the store keeps scores as smallint. */
export const MAX_GUESS_SCORE = 99;
export const MAX_GUESSES_PER_REQUEST = 10_000;
export const FAN_ID_MAX = 64;

const goals = (side: string) =>
  z
    .int({ error: (i) => (i.input === undefined ? "is required" : "must be an integer") })
    .min(0, { error: "must be >= 0" })
    .max(MAX_GUESS_SCORE, { error: `must be <= ${MAX_GUESS_SCORE}` })
    .describe(`Guessed final score of team ${side} (football: goals; CS2: maps won).`);

export const guessSchema = z
  .strictObject({
    fanId: z
      .string({ error: (i) => (i.input === undefined ? "is required" : "must be a string") })
      .min(1, { error: "must not be empty" })
      .max(FAN_ID_MAX, { error: `must be at most ${FAN_ID_MAX} characters` })
      .describe("The operator's id for the fan, 1-64 characters."),
    matchId: z
      .string({ error: (i) => (i.input === undefined ? "is required" : "must be a string") })
      .regex(MATCH_ID_PATTERN, { error: "must be 1-64 characters of A-Z a-z 0-9 . _ : -" }),
    home: goals("1"),
    away: goals("2"),
  })
  .meta({ id: "Guess", description: "One fan's guess of one match's final score." });

export type Guess = z.infer<typeof guessSchema>;

export interface GuessIssue {
  path: string;
  message: string;
}

/** Validates one item of a guesses batch; every bad field is named. */
export function parseGuess(value: unknown): { ok: true; guess: Guess } | { ok: false; issues: GuessIssue[] } {
  const r = guessSchema.safeParse(value);
  if (r.success) return { ok: true, guess: r.data };
  const issues: GuessIssue[] = [];
  for (const i of r.error.issues) {
    if (i.code === "unrecognized_keys") {
      for (const k of i.keys) issues.push({ path: k, message: `field "${k}" is not allowed` });
    } else if (i.path.length === 0) issues.push({ path: "", message: "guess must be a JSON object" });
    else issues.push({ path: i.path.map(String).join("."), message: i.message });
  }
  return { ok: false, issues };
}

/**
 * Leaderboard order in the sorted set: the member's score is -points, so ascending order is points
 * descending and, within a tie, fanId ascending (Redis orders equal scores by member bytes).
 */
export const boardScore = (points: number): number => -points;
export const pointsOfBoardScore = (score: number): number => (score === 0 ? 0 : -score);

/**
 * Ranks of consecutive leaderboard entries: rank = 1 + the number of fans with strictly more points, so
 * ties share a rank. `firstRank` is the rank of the first entry (from a count of strictly better scores).
 */
export function rankEntries<T extends { points: number }>(
  entries: readonly T[],
  firstRank: number,
  firstPosition: number,
): (T & { rank: number })[] {
  let rank = firstRank;
  return entries.map((e, i) => {
    if (i > 0 && e.points !== entries[i - 1]!.points) rank = firstPosition + i + 1;
    return { ...e, rank };
  });
}

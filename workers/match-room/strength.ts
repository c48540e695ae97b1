// The room's Postgres access for the predictor (key revocation goes through workers/api/auth.ts). Pre-match team strength: the teams' ratings and the venue from the metadata store.
// A match or team the store does not know gets DEFAULT_STRENGTH (two 1500-rated teams, team 1 at home).
import { and, eq } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import type { TeamStrength } from "../../shared/sports/sport";
import { withPostgres } from "../clients/postgres";
import { matches, teams } from "../clients/postgres-schema";
import type { Env } from "../env";
import { errorMessage, log } from "../observability/log";
import { DEFAULT_RATING, DEFAULT_STRENGTH } from "./record";

/** The match's strength, DEFAULT_STRENGTH when the store does not know it, null when the store is unreachable. */
export async function loadStrength(env: Env, tenantId: string, matchId: string): Promise<TeamStrength | null> {
  const team1 = alias(teams, "team1");
  const team2 = alias(teams, "team2");
  try {
    const rows = await withPostgres(env, ({ db }) =>
      db
        .select({ neutral: matches.neutral, knockout: matches.knockout, rating1: team1.rating, rating2: team2.rating })
        .from(matches)
        .leftJoin(team1, and(eq(team1.tenantId, matches.tenantId), eq(team1.id, matches.team1Id)))
        .leftJoin(team2, and(eq(team2.tenantId, matches.tenantId), eq(team2.id, matches.team2Id)))
        .where(and(eq(matches.tenantId, tenantId), eq(matches.id, matchId)))
        .limit(1),
    );
    const row = rows[0];
    if (!row) return DEFAULT_STRENGTH;
    return {
      rating: [row.rating1 ?? DEFAULT_RATING, row.rating2 ?? DEFAULT_RATING],
      neutral: row.neutral,
      ...(row.knockout ? { knockout: true } : {}),
    };
  } catch (err) {
    log("warn", "team strength unavailable, using defaults for now", { tenantId, matchId, error: errorMessage(err) });
    return null;
  }
}

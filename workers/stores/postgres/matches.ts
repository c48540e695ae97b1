// Matches in Postgres, as the edge needs them outside the admin routes.
import { inArray } from "drizzle-orm";
import type { Database } from "../../clients/postgres";
import { matches } from "../../clients/postgres-schema";

/** The sport of each registered match among `ids` (unregistered ids are absent). */
export async function sportsOfMatches(db: Database, ids: string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await db.select({ id: matches.id, sport: matches.sport }).from(matches).where(inArray(matches.id, ids));
  return new Map(rows.map((r) => [r.id, r.sport]));
}

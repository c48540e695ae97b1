// Which sport a registered match is, for rejecting another sport's events at the edge (the room would drop
// them, and the event log would count them). Cached per isolate and bounded; when Postgres cannot be asked
// the check is skipped (the match room still refuses what it cannot apply).
import { describeDbError, postgresBreaker, withPostgres } from "../clients/postgres";
import type { Env } from "../env";
import { log } from "../observability/log";
import { metrics } from "../observability/metrics";
import { sportsOfMatches } from "../stores/postgres/matches";
import { roomName } from "../tenants/tenant";

/** A registered match's sport cannot change; a match not (yet) registered is asked again sooner. */
export const SPORT_CACHE_TTL_MS = 5 * 60_000;
export const UNREGISTERED_TTL_MS = 60_000;
const MAX_CACHED_MATCHES = 10_000;
const LOOKUP_TIMEOUT_MS = 2_000;

const cache = new Map<string, { sport: string | null; expires: number }>();

/**
 * The registered sport of each of the tenant's `matchIds` that has one; unregistered or unknown (outage)
 * are absent. Cached by room name: another tenant's match of the same id is another match.
 */
export async function registeredSports(
  env: Env,
  tenantId: string,
  matchIds: Iterable<string>,
  requestId?: string,
  now = Date.now(),
): Promise<Map<string, string>> {
  const known = new Map<string, string>();
  const ask: string[] = [];
  for (const id of new Set(matchIds)) {
    const hit = cache.get(roomName(tenantId, id));
    if (hit && hit.expires > now) {
      if (hit.sport !== null) known.set(id, hit.sport);
    } else ask.push(id);
  }
  if (ask.length === 0 || postgresBreaker.isOpen(env.DATABASE_URL, now)) return known;
  try {
    const found = await Promise.race([
      withPostgres(env, ({ db }) => sportsOfMatches(db, tenantId, ask)),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error("timed out")), LOOKUP_TIMEOUT_MS)),
    ]);
    if (cache.size + ask.length > MAX_CACHED_MATCHES) cache.clear();
    for (const id of ask) {
      const sport = found.get(id) ?? null;
      cache.set(roomName(tenantId, id), {
        sport,
        expires: now + (sport === null ? UNREGISTERED_TTL_MS : SPORT_CACHE_TTL_MS),
      });
      if (sport !== null) known.set(id, sport);
    }
  } catch (err) {
    postgresBreaker.trip(env.DATABASE_URL, now);
    metrics.dependencyErrors.inc({ dependency: "postgres" });
    log("warn", "match sport lookup unavailable; events are not checked against registered sports", {
      requestId,
      ...describeDbError(err),
    });
  }
  return known;
}

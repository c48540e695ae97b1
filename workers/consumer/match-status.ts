// Keeps matches.status in Postgres in step with the feed, so `GET /v1/matches?status=live` can filter in
// SQL: a registered match goes scheduled → live on its first event and → finished on match_end. Best
// effort and off the live path: a failed update is logged and tried again with the match's next batch,
// after a pause, so a Postgres outage does not hold every consumer batch for a connection timeout.
import { and, eq, inArray, sql } from "drizzle-orm";
import type { MatchEvent } from "../../shared/sports/sport";
import { withPostgres } from "../clients/postgres";
import { matches } from "../clients/postgres-schema";
import type { Env } from "../env";
import { errorMessage, log } from "../observability/log";
import { metrics } from "../observability/metrics";

// Matches this isolate already moved to live: later batches skip the round trip. Entries expire so a
// match registered after its first events still gets its status within a few minutes.
const KNOWN_LIVE_TTL_MS = 5 * 60_000;
const MAX_KNOWN = 10_000;
const knownLive = new Map<string, number>();
const PAUSE_AFTER_FAILURE_MS = 30_000;
let pausedUntil = 0;

export interface StatusTransitions {
  live: string[];
  finished: string[];
}

export function statusTransitions(events: MatchEvent[], now = Date.now()): StatusTransitions {
  const finished = new Set<string>();
  const seen = new Set<string>();
  for (const e of events) {
    seen.add(e.matchId);
    if (e.type === "match_end") finished.add(e.matchId);
  }
  const live = [...seen].filter((id) => !finished.has(id) && !((knownLive.get(id) ?? 0) > now));
  return { live, finished: [...finished] };
}

export async function advanceMatchStatus(env: Env, events: MatchEvent[]): Promise<void> {
  const { live, finished } = statusTransitions(events);
  if ((live.length === 0 && finished.length === 0) || Date.now() < pausedUntil) return;
  try {
    await withPostgres(env, async ({ db }) => {
      if (finished.length > 0) {
        await db
          .update(matches)
          .set({ status: "finished", updatedAt: sql`now()` })
          .where(and(inArray(matches.id, finished), inArray(matches.status, ["scheduled", "live"])));
      }
      if (live.length > 0) {
        await db
          .update(matches)
          .set({ status: "live", updatedAt: sql`now()` })
          .where(and(inArray(matches.id, live), eq(matches.status, "scheduled")));
      }
    });
    if (knownLive.size >= MAX_KNOWN) knownLive.clear();
    const until = Date.now() + KNOWN_LIVE_TTL_MS;
    for (const id of [...live, ...finished]) knownLive.set(id, until);
  } catch (err) {
    pausedUntil = Date.now() + PAUSE_AFTER_FAILURE_MS;
    metrics.dependencyErrors.inc({ dependency: "postgres" });
    log("warn", "match status update failed; retried with a later batch", {
      error: errorMessage(err),
      live,
      finished,
      pauseMs: PAUSE_AFTER_FAILURE_MS,
    });
  }
}

// Keeps matches.status in Postgres in step with the feed, so `GET /v1/matches?status=live` can filter in
// SQL: a registered match goes scheduled → live on its first event and → finished on match_end. Best
// effort and off the live path: a failed update is logged and tried again with the match's next batch,
// after a pause, so a Postgres outage does not hold every consumer batch for a connection timeout.
import { and, eq, inArray, sql } from "drizzle-orm";
import { withPostgres } from "../clients/postgres";
import { matches } from "../clients/postgres-schema";
import type { Env } from "../env";
import { errorMessage, log } from "../observability/log";
import { metrics } from "../observability/metrics";
import type { EventsMessage } from "../queue/messages";
import { DEFAULT_TENANT, roomName } from "../tenants/tenant";

// Matches this isolate already moved to live (by room name: tenant and match): later batches skip the
// round trip. Entries expire so a match registered after its first events still gets its status within a
// few minutes.
const KNOWN_LIVE_TTL_MS = 5 * 60_000;
const MAX_KNOWN = 10_000;
const knownLive = new Map<string, number>();
const PAUSE_AFTER_FAILURE_MS = 30_000;
let pausedUntil = 0;

export interface StatusTransitions {
  live: string[];
  finished: string[];
}

/**
 * Per tenant, the matches to move to live and to finished. A match id is its tenant's: a match_end of
 * one tenant's `final-1` never finishes another tenant's `final-1`.
 */
export function statusTransitions(
  messages: Pick<EventsMessage, "tenantId" | "events">[],
  now = Date.now(),
): Map<string, StatusTransitions> {
  const seen = new Map<string, { seen: Set<string>; finished: Set<string> }>();
  for (const m of messages) {
    const tenantId = m.tenantId ?? DEFAULT_TENANT;
    const t = seen.get(tenantId) ?? { seen: new Set<string>(), finished: new Set<string>() };
    seen.set(tenantId, t);
    for (const e of m.events) {
      t.seen.add(e.matchId);
      if (e.type === "match_end") t.finished.add(e.matchId);
    }
  }
  const out = new Map<string, StatusTransitions>();
  for (const [tenantId, t] of seen) {
    const live = [...t.seen].filter(
      (id) => !t.finished.has(id) && !((knownLive.get(roomName(tenantId, id)) ?? 0) > now),
    );
    if (live.length > 0 || t.finished.size > 0) out.set(tenantId, { live, finished: [...t.finished] });
  }
  return out;
}

export async function advanceMatchStatus(
  env: Env,
  messages: Pick<EventsMessage, "tenantId" | "events">[],
): Promise<void> {
  const transitions = statusTransitions(messages);
  if (transitions.size === 0 || Date.now() < pausedUntil) return;
  try {
    await withPostgres(env, async ({ db }) => {
      for (const [tenantId, { live, finished }] of transitions) {
        if (finished.length > 0) {
          await db
            .update(matches)
            .set({ status: "finished", updatedAt: sql`now()` })
            .where(
              and(
                eq(matches.tenantId, tenantId),
                inArray(matches.id, finished),
                inArray(matches.status, ["scheduled", "live"]),
              ),
            );
        }
        if (live.length > 0) {
          await db
            .update(matches)
            .set({ status: "live", updatedAt: sql`now()` })
            .where(and(eq(matches.tenantId, tenantId), inArray(matches.id, live), eq(matches.status, "scheduled")));
        }
      }
    });
    if (knownLive.size >= MAX_KNOWN) knownLive.clear();
    const until = Date.now() + KNOWN_LIVE_TTL_MS;
    for (const [tenantId, { live, finished }] of transitions)
      for (const id of [...live, ...finished]) knownLive.set(roomName(tenantId, id), until);
  } catch (err) {
    pausedUntil = Date.now() + PAUSE_AFTER_FAILURE_MS;
    metrics.dependencyErrors.inc({ dependency: "postgres" });
    log("warn", "match status update failed; retried with a later batch", {
      error: errorMessage(err),
      tenants: [...transitions.keys()].slice(0, 10),
      live: [...transitions.values()].flatMap((t) => t.live).slice(0, 50),
      finished: [...transitions.values()].flatMap((t) => t.finished).slice(0, 50),
      pauseMs: PAUSE_AFTER_FAILURE_MS,
    });
  }
}

// The ingest pipeline after parsing: validate → check registered sports → drop in-request repeats → claim
// at the edge → pack → enqueue → confirm the claims. The caller answers 202 only when this returns: every
// accepted event is in the queue by then, and no id is remembered as seen unless the queue took it.
import { boundIssues, clip, MAX_ISSUES } from "../../shared/contract/errors";
import { type ContractIssue, parseEvent } from "../../shared/contract/event";
import type { MatchEvent } from "../../shared/sports/sport";
import { ApiError } from "../api/errors";
import { openRedis, redisBreaker } from "../clients/redis";
import { numberVar } from "../config";
import type { Env } from "../env";
import { errorMessage, log } from "../observability/log";
import { metrics, oneOf } from "../observability/metrics";
import { type Claim, claimEventIds, confirmEventIds, releaseEventIds } from "./dedup";
import { registeredSports } from "./match-sports";
import { packEvents, toSendBatches } from "./pack";

export interface RejectedEvent {
  index: number;
  eventId?: string;
  issues: ContractIssue[];
  /** Issues of this item beyond those listed. */
  issuesOmitted?: number;
}

export interface AcceptResult {
  accepted: number;
  duplicates: number;
  rejected: RejectedEvent[];
  /** Per valid input index: its (normalised) eventId and whether it was accepted or a duplicate. */
  statuses: Map<number, { eventId: string; status: "accepted" | "duplicate" }>;
}

/** A rejected item lists at most this many issues, and a response at most MAX_LISTED_ISSUES in all. */
export const MAX_ISSUES_PER_ITEM = 10;
export const MAX_LISTED_ISSUES = 1_000;

/** The envelope's fields: metric labels name one of them (or "payload", "event"), never client text. */
const reasonLabels = new Set([
  "event",
  "eventId",
  "matchId",
  "sport",
  "type",
  "timestamp",
  "seq",
  "teamId",
  "playerId",
  "payload",
]);
const reasonOf = (issue: ContractIssue | undefined): string =>
  oneOf(issue?.path.split(".")[0] || "event", reasonLabels);

/** Rejected items with their issues bounded: distinct, clipped, a few per item and a total budget. */
function rejection(
  index: number,
  item: unknown,
  issues: ContractIssue[],
  budget: { left: number; perItem: number },
): RejectedEvent {
  const eventId = typeof item === "object" && item !== null && "eventId" in item ? item.eventId : undefined;
  const bounded = boundIssues(issues, Math.min(budget.perItem, budget.left));
  budget.left -= bounded.issues.length;
  return {
    index,
    ...(typeof eventId === "string" ? { eventId: clip(eventId, 64) } : {}),
    issues: bounded.issues,
    ...(bounded.omitted > 0 ? { issuesOmitted: bounded.omitted } : {}),
  };
}

export function validateEvents(
  items: unknown[],
  now = new Date(),
): { valid: { index: number; event: MatchEvent }[]; rejected: RejectedEvent[] } {
  const valid: { index: number; event: MatchEvent }[] = [];
  const rejected: RejectedEvent[] = [];
  // A request of one event lists as many of its issues as an error body does.
  const budget = { left: MAX_LISTED_ISSUES, perItem: items.length === 1 ? MAX_ISSUES : MAX_ISSUES_PER_ITEM };
  items.forEach((item, index) => {
    const result = parseEvent(item, now);
    if (result.ok) valid.push({ index, event: result.event });
    else {
      metrics.eventsRejected.inc({ reason: reasonOf(result.issues[0]) });
      rejected.push(rejection(index, item, result.issues, budget));
    }
  });
  return { valid, rejected };
}

/** Events of a registered match must be of its sport; the others are rejected per item. */
async function rejectOtherSports(
  env: Env,
  valid: { index: number; event: MatchEvent }[],
  requestId: string,
): Promise<{ valid: { index: number; event: MatchEvent }[]; rejected: RejectedEvent[] }> {
  const sports = await registeredSports(
    env,
    valid.map((v) => v.event.matchId),
    requestId,
  );
  const kept: { index: number; event: MatchEvent }[] = [];
  const rejected: RejectedEvent[] = [];
  for (const v of valid) {
    const sport = sports.get(v.event.matchId);
    if (sport === undefined || sport === v.event.sport) kept.push(v);
    else {
      metrics.eventsRejected.inc({ reason: "sport" });
      rejected.push({
        index: v.index,
        eventId: v.event.eventId,
        issues: [
          { path: "sport", message: `match '${v.event.matchId}' is registered as ${sport}, not ${v.event.sport}` },
        ],
      });
    }
  }
  return { valid: kept, rejected };
}

/** Claims the ids at the edge; when Redis cannot be asked every id counts as new (fail open). */
async function claim(env: Env, ids: string[], requestId: string): Promise<Map<string, Claim> | null> {
  if (ids.length === 0 || redisBreaker.isOpen(env.UPSTASH_REDIS_REST_URL)) return null;
  const started = performance.now();
  try {
    const claims = await claimEventIds(openRedis(env), ids);
    metrics.stageDuration.observe((performance.now() - started) / 1000, { stage: "ingest_dedup" });
    return claims;
  } catch (err) {
    // Fail open: the match room is the authoritative deduplicator.
    redisBreaker.trip(env.UPSTASH_REDIS_REST_URL);
    metrics.dependencyErrors.inc({ dependency: "redis" });
    log("warn", "edge dedup unavailable, accepting without it", { requestId, error: errorMessage(err) });
    return null;
  }
}

export async function acceptEvents(env: Env, items: unknown[], requestId: string): Promise<AcceptResult> {
  const parsed = validateEvents(items);
  const checked = await rejectOtherSports(env, parsed.valid, requestId);
  const valid = checked.valid;
  const rejected = [...parsed.rejected, ...checked.rejected].sort((a, b) => a.index - b.index);

  const statuses: AcceptResult["statuses"] = new Map();
  const firstSeen = new Map<string, { index: number; event: MatchEvent }>();
  for (const v of valid) {
    if (firstSeen.has(v.event.eventId)) statuses.set(v.index, { eventId: v.event.eventId, status: "duplicate" });
    else firstSeen.set(v.event.eventId, v);
  }

  const claims = await claim(env, [...firstSeen.keys()], requestId);
  const toSend: MatchEvent[] = [];
  for (const [id, v] of firstSeen) {
    if (claims?.get(id) === "duplicate") statuses.set(v.index, { eventId: id, status: "duplicate" });
    else {
      statuses.set(v.index, { eventId: id, status: "accepted" });
      toSend.push(v.event);
    }
  }
  const claimed = claims ? toSend.map((e) => e.eventId).filter((id) => claims.get(id) === "claimed") : [];

  if (toSend.length > 0) {
    const batches = toSendBatches(packEvents(toSend, { requestId, acceptedAt: Date.now() }));
    const enqueueStarted = performance.now();
    try {
      for (const batch of batches) await env.EVENTS_QUEUE.sendBatch(batch.map((body) => ({ body })));
      metrics.stageDuration.observe((performance.now() - enqueueStarted) / 1000, { stage: "ingest_enqueue" });
    } catch (err) {
      metrics.dependencyErrors.inc({ dependency: "queue" });
      log("error", "queue send failed", { requestId, error: errorMessage(err), events: toSend.length });
      await releaseEventIds(openRedis(env), claimed).catch((e) =>
        log("warn", "could not release dedup claims after queue failure", { requestId, error: errorMessage(e) }),
      );
      throw new ApiError(
        "queue_unavailable",
        "the event queue refused the events; nothing was accepted, retry later",
        {},
        { "retry-after": "1" },
      );
    }
    metrics.queueMessages.inc(
      {},
      batches.reduce((n, b) => n + b.length, 0),
    );
    if (claims) {
      // Only now are the ids remembered as seen. A failure here costs nothing but a resend the room drops.
      const ttl = numberVar(env.EDGE_DEDUP_TTL_SECONDS, 86_400);
      await confirmEventIds(
        openRedis(env),
        toSend.map((e) => e.eventId),
        ttl,
      ).catch((e) => {
        redisBreaker.trip(env.UPSTASH_REDIS_REST_URL);
        log("warn", "could not confirm dedup claims", { requestId, error: errorMessage(e) });
      });
    }
  }

  const ingested = new Map<string, { sport: string; type: string; n: number }>();
  for (const e of toSend) {
    const key = `${e.sport}\n${e.type}`;
    const entry = ingested.get(key);
    if (entry) entry.n++;
    else ingested.set(key, { sport: e.sport, type: e.type, n: 1 });
  }
  for (const { sport, type, n } of ingested.values()) metrics.eventsIngested.inc({ sport, type }, n);
  const duplicates = [...statuses.values()].filter((s) => s.status === "duplicate").length;
  if (duplicates > 0) metrics.eventsDuplicate.inc({}, duplicates);
  log("info", "events accepted", { requestId, accepted: toSend.length, duplicates, rejected: rejected.length });
  return { accepted: toSend.length, duplicates, rejected, statuses };
}

// The ingest pipeline after parsing: validate → check registered sports → drop in-request repeats → admit
// at the edge (one Redis command: the client's budget, the claims, and the confirmation of earlier
// requests' ids; dedup.ts) → pack → enqueue → confirm the claims with the next admission. The caller
// answers 202 only when this returns: every accepted event is in the queue by then, and no id is
// remembered as seen unless the queue took it.
import { boundIssues, clip, MAX_ISSUES } from "../../shared/contract/errors";
import { type ContractIssue, parseEvent } from "../../shared/contract/event";
import type { MatchEvent } from "../../shared/sports/sport";
import type { ApiClient } from "../api/app-env";
import { ApiError } from "../api/errors";
import { budgetOf, RATE_LIMIT_WINDOW_MS, type RateDecision, rateBudgetOf, rateLimitedError } from "../api/rate-limit";
import { openRedis, redisBreaker } from "../clients/redis";
import { numberVar } from "../config";
import type { Env } from "../env";
import { errorMessage, log } from "../observability/log";
import { metrics, oneOf } from "../observability/metrics";
import { quotaExceeded } from "../tenants/quota-error";
import { DEFAULT_TENANT } from "../tenants/tenant";
import { type Admission, type AdmissionScope, admit, type Claim, confirmLater, releaseEventIds } from "./dedup";
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
  /** The ingest budget's decision (null: not metered here). */
  rate: RateDecision | null;
}

/** Whose ingest budget the request spends, and how much (one unit per item, valid or not). */
export interface IngestBudget {
  client: ApiClient;
  cost: number;
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
  tenantId: string,
  valid: { index: number; event: MatchEvent }[],
  requestId: string,
): Promise<{ valid: { index: number; event: MatchEvent }[]; rejected: RejectedEvent[] }> {
  const sports = await registeredSports(
    env,
    tenantId,
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

/**
 * Admits the request at the edge in one Redis command; when Redis cannot be asked every id counts as new
 * and the request goes unmetered (fail open: the match room is the authoritative deduplicator, and limits
 * must not take the service down).
 */
async function admitAtEdge(
  env: Env,
  ids: string[],
  budget: IngestBudget | undefined,
  scope: AdmissionScope,
  requestId: string,
  now: number,
): Promise<{ claims: Map<string, Claim> | null; rate: RateDecision | null; admission: Admission | null }> {
  const limit = budget ? budgetOf(budget.client, "ingest") : 0;
  const unmetered = (): RateDecision | null => {
    if (!budget) return null;
    metrics.rateLimitFailOpen.inc({ budget: "ingest" });
    return { allowed: true, limit, remaining: limit, resetMs: Date.now() + RATE_LIMIT_WINDOW_MS, failedOpen: true };
  };
  if ((ids.length === 0 && !budget) || redisBreaker.isOpen(env.UPSTASH_REDIS_REST_URL))
    return { claims: null, rate: unmetered(), admission: null };
  const started = performance.now();
  let admission: Admission;
  try {
    admission = await admit(
      openRedis(env),
      env.UPSTASH_REDIS_REST_URL,
      ids,
      budget ? rateBudgetOf(budget.client, "ingest", budget.cost) : null,
      now,
      scope,
    );
  } catch (err) {
    redisBreaker.trip(env.UPSTASH_REDIS_REST_URL);
    metrics.dependencyErrors.inc({ dependency: "redis" });
    log("warn", "edge admission unavailable (dedup, rate limit): accepting without it", {
      requestId,
      error: errorMessage(err),
    });
    return { claims: null, rate: unmetered(), admission: null };
  }
  metrics.stageDuration.observe((performance.now() - started) / 1000, { stage: "ingest_dedup" });
  const rate = admission.rate && { ...admission.rate, limit, failedOpen: false };
  return { claims: admission.claims, rate, admission };
}

export async function acceptEvents(
  env: Env,
  items: unknown[],
  requestId: string,
  budget?: IngestBudget,
): Promise<AcceptResult> {
  // The key's tenant owns the events: its matches' sports, its rooms, its dedup keys, its day quota.
  // Without a key (tools, tests) the default tenant's, unmetered.
  const tenantId = budget?.client.tenantId ?? DEFAULT_TENANT;
  const parsed = validateEvents(items);
  const checked = await rejectOtherSports(env, tenantId, parsed.valid, requestId);
  const valid = checked.valid;
  const rejected = [...parsed.rejected, ...checked.rejected].sort((a, b) => a.index - b.index);

  const statuses: AcceptResult["statuses"] = new Map();
  const firstSeen = new Map<string, { index: number; event: MatchEvent }>();
  for (const v of valid) {
    if (firstSeen.has(v.event.eventId)) statuses.set(v.index, { eventId: v.event.eventId, status: "duplicate" });
    else firstSeen.set(v.event.eventId, v);
  }

  const scope = { tenantId, eventsPerDay: budget?.client.quotas.eventsPerDay ?? null };
  const admittedAt = Date.now();
  const { claims, rate, admission } = await admitAtEdge(
    env,
    [...firstSeen.keys()],
    budget,
    scope,
    requestId,
    admittedAt,
  );
  if (rate && !rate.allowed) {
    metrics.rateLimited.inc({ budget: "ingest" });
    throw rateLimitedError(rate, "ingest", budget?.cost ?? 0);
  }
  const overQuota = admission?.overQuota;
  if (overQuota) {
    metrics.quotaExceeded.inc({ quota: "eventsPerDay" });
    throw quotaExceeded(
      "eventsPerDay",
      firstSeen.size > overQuota.limit
        ? `${firstSeen.size} events exceed the tenant's whole quota of ${overQuota.limit} events per day`
        : `the tenant's quota of ${overQuota.limit} events per day (UTC) has ${overQuota.remaining} left; this request has ${firstSeen.size} new events`,
      (overQuota.resetMs - Date.now()) / 1000,
    );
  }
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
    const batches = toSendBatches(packEvents(toSend, { requestId, acceptedAt: Date.now(), tenantId }));
    const enqueueStarted = performance.now();
    try {
      for (const batch of batches) await env.EVENTS_QUEUE.sendBatch(batch.map((body) => ({ body })));
      metrics.stageDuration.observe((performance.now() - enqueueStarted) / 1000, { stage: "ingest_enqueue" });
    } catch (err) {
      metrics.dependencyErrors.inc({ dependency: "queue" });
      log("error", "queue send failed", { requestId, error: errorMessage(err), events: toSend.length });
      const charged = admission?.charged ?? 0;
      await releaseEventIds(openRedis(env), claimed, { tenantId, charged, now: admittedAt }).catch((e) =>
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
    // Only now may the ids be remembered as seen: the next admission script confirms them.
    if (claims)
      confirmLater(
        env.UPSTASH_REDIS_REST_URL,
        tenantId,
        toSend.map((e) => e.eventId),
        numberVar(env.EDGE_DEDUP_TTL_SECONDS, 86_400),
      );
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
  return { accepted: toSend.length, duplicates, rejected, statuses, rate };
}

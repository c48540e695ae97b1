// The ingest pipeline after parsing: validate → drop in-request repeats → edge dedup → pack → enqueue.
// The caller answers 202 only when this returns: every accepted event is in the queue by then.
import { type ContractIssue, parseEvent } from "../../shared/contract/event";
import type { MatchEvent } from "../../shared/sports/sport";
import { ApiError } from "../api/errors";
import { openRedis } from "../clients/redis";
import { type Env, numberVar } from "../env";
import { errorMessage, log } from "../observability/log";
import { metrics } from "../observability/metrics";
import { claimEventIds, releaseEventIds } from "./dedup";
import { packEvents, toSendBatches } from "./pack";

export interface RejectedEvent {
  index: number;
  eventId?: string;
  issues: ContractIssue[];
}

export interface AcceptResult {
  accepted: number;
  duplicates: number;
  rejected: RejectedEvent[];
  /** Per valid input index: whether it was accepted or a duplicate. */
  statuses: Map<number, "accepted" | "duplicate">;
}

export function validateEvents(
  items: unknown[],
  now = new Date(),
): { valid: { index: number; event: MatchEvent }[]; rejected: RejectedEvent[] } {
  const valid: { index: number; event: MatchEvent }[] = [];
  const rejected: RejectedEvent[] = [];
  items.forEach((item, index) => {
    const result = parseEvent(item, now);
    if (result.ok) valid.push({ index, event: result.event });
    else {
      const eventId = (item as { eventId?: unknown } | null)?.eventId;
      rejected.push({ index, ...(typeof eventId === "string" ? { eventId } : {}), issues: result.issues });
    }
  });
  return { valid, rejected };
}

export async function acceptEvents(env: Env, items: unknown[], requestId: string): Promise<AcceptResult> {
  const { valid, rejected } = validateEvents(items);
  for (const r of rejected) metrics.eventsRejected.inc({ reason: r.issues[0]?.path || "event" });

  const statuses = new Map<number, "accepted" | "duplicate">();
  const firstSeen = new Map<string, { index: number; event: MatchEvent }>();
  for (const v of valid) {
    if (firstSeen.has(v.event.eventId)) statuses.set(v.index, "duplicate");
    else firstSeen.set(v.event.eventId, v);
  }

  const redis = openRedis(env);
  const ids = [...firstSeen.keys()];
  let fresh: Set<string>;
  const dedupStarted = performance.now();
  try {
    fresh = (await claimEventIds(redis, ids, numberVar(env.EDGE_DEDUP_TTL_SECONDS, 86_400))) ?? new Set(ids);
    metrics.stageDuration.observe((performance.now() - dedupStarted) / 1000, { stage: "ingest_dedup" });
  } catch (err) {
    // Fail open: the match room is the authoritative deduplicator.
    metrics.dependencyErrors.inc({ dependency: "redis" });
    log("warn", "edge dedup unavailable, accepting without it", { requestId, error: errorMessage(err) });
    fresh = new Set(ids);
  }

  const toSend: MatchEvent[] = [];
  for (const [id, v] of firstSeen) {
    if (fresh.has(id)) {
      statuses.set(v.index, "accepted");
      toSend.push(v.event);
    } else statuses.set(v.index, "duplicate");
  }

  if (toSend.length > 0) {
    const batches = toSendBatches(packEvents(toSend, { requestId, acceptedAt: Date.now() }));
    const enqueueStarted = performance.now();
    try {
      for (const batch of batches) await env.EVENTS_QUEUE.sendBatch(batch.map((body) => ({ body })));
      metrics.stageDuration.observe((performance.now() - enqueueStarted) / 1000, { stage: "ingest_enqueue" });
    } catch (err) {
      metrics.dependencyErrors.inc({ dependency: "queue" });
      log("error", "queue send failed", { requestId, error: errorMessage(err), events: toSend.length });
      await releaseEventIds(
        redis,
        toSend.map((e) => e.eventId),
      ).catch((e) =>
        log("warn", "could not release dedup keys after queue failure", { requestId, error: errorMessage(e) }),
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
  }

  const ingested = new Map<string, { sport: string; type: string; n: number }>();
  for (const e of toSend) {
    const key = `${e.sport}\n${e.type}`;
    const entry = ingested.get(key);
    if (entry) entry.n++;
    else ingested.set(key, { sport: e.sport, type: e.type, n: 1 });
  }
  for (const { sport, type, n } of ingested.values()) metrics.eventsIngested.inc({ sport, type }, n);
  const duplicates = [...statuses.values()].filter((s) => s === "duplicate").length;
  if (duplicates > 0) metrics.eventsDuplicate.inc({}, duplicates);
  log("info", "events accepted", { requestId, accepted: toSend.length, duplicates, rejected: rejected.length });
  return { accepted: toSend.length, duplicates, rejected, statuses };
}

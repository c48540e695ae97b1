// What happens when a dependency is down: Redis (fail open), the queue (503, nothing accepted, dedup
// keys released), ClickHouse (the live path does not notice; the analytics batch is retried), the
// analytics queue (the room applied; the events message is retried).
import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { ApiError } from "../workers/api/errors";
import { type AnalyticsMessage, consumeAnalytics } from "../workers/consumer/analytics-queue";
import { consumeEvents } from "../workers/consumer/consume-events";
import { eventLogRows } from "../workers/consumer/event-log";
import type { Env } from "../workers/env";
import { acceptEvents } from "../workers/ingest/accept-events";
import type { EventsMessage } from "../workers/queue/messages";
import { createApiKey, eventually, footballEvent, getState, postEvents, uniqueMatchId } from "./fixtures";

const DEAD = "http://127.0.0.1:9"; // discard port: nothing listens

let ingestKey: string;
let readKey: string;
beforeAll(async () => {
  ingestKey = await createApiKey(["ingest"]);
  readKey = await createApiKey(["read"]);
});

describe("dependency failures", () => {
  it("keeps accepting when Redis is unreachable (the room deduplicates)", async () => {
    const matchId = uniqueMatchId("noredis");
    const event = footballEvent(matchId, "match_start");
    const noRedis: Env = { ...env, UPSTASH_REDIS_REST_URL: DEAD };
    const first = await acceptEvents(noRedis, [event], "test-noredis");
    const second = await acceptEvents(noRedis, [event], "test-noredis");
    expect([first.accepted, second.accepted]).toEqual([1, 1]);
    const state = await eventually(async () => {
      const res = await getState(readKey, matchId);
      return res.status === 200 ? ((await res.json()) as { eventsApplied: number }) : null;
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(state.eventsApplied).toBe(1);
  });

  it("answers 503 when the queue refuses, and a retry is not taken for a duplicate", async () => {
    const event = footballEvent(uniqueMatchId("noqueue"), "match_start");
    const refusingQueue = {
      sendBatch: async () => Promise.reject(new Error("queue unavailable")),
    } as unknown as Env["EVENTS_QUEUE"];
    const err = await acceptEvents({ ...env, EVENTS_QUEUE: refusingQueue }, [event], "test-noqueue").catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(503);
    expect((err as ApiError).code).toBe("queue_unavailable");
    const retry = await postEvents(ingestKey, event);
    expect(await retry.json()).toMatchObject({ accepted: 1, status: "accepted" });
  });

  it("applies to the room and acks without ClickHouse: the live path never touches it", async () => {
    const matchId = uniqueMatchId("noch");
    const body: EventsMessage = {
      kind: "events",
      v: 1,
      matchId,
      requestId: "test-noch",
      acceptedAt: Date.now(),
      events: [footballEvent(matchId, "match_start")],
    };
    const batch = createMessageBatch<EventsMessage>("matchpulse-events", [
      { id: "m1", timestamp: new Date(), attempts: 1, body },
    ]);
    const ctx = createExecutionContext();
    await consumeEvents(batch, { ...env, CLICKHOUSE_URL: DEAD });
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks).toEqual(["m1"]);
    const res = await getState(readKey, matchId);
    expect(((await res.json()) as { eventsApplied: number }).eventsApplied).toBe(1);
  });

  it("retries the whole analytics batch while ClickHouse is down", async () => {
    const matchId = uniqueMatchId("chdown");
    const rows = eventLogRows([
      {
        kind: "events",
        v: 1,
        matchId,
        requestId: "test-chdown",
        acceptedAt: Date.now(),
        events: [footballEvent(matchId, "match_start")],
      },
    ]);
    const body: AnalyticsMessage = { kind: "analytics", v: 1, events: rows, predictions: [] };
    const batch = createMessageBatch<AnalyticsMessage>("matchpulse-analytics", [
      { id: "a1", timestamp: new Date(), attempts: 1, body },
      { id: "a2", timestamp: new Date(), attempts: 1, body },
    ]);
    const ctx = createExecutionContext();
    await consumeAnalytics(batch, { ...env, CLICKHOUSE_URL: DEAD });
    const result = await getQueueResult(batch, ctx);
    expect(result.retryBatch.retry).toBe(true);
    expect(result.ackAll).toBe(false);
  });

  it("retries the events batch when the analytics queue refuses it, after the room applied it", async () => {
    const matchId = uniqueMatchId("noanalytics");
    const body: EventsMessage = {
      kind: "events",
      v: 1,
      matchId,
      requestId: "test-noanalytics",
      acceptedAt: Date.now(),
      events: [footballEvent(matchId, "match_start")],
    };
    const batch = createMessageBatch<EventsMessage>("matchpulse-events", [
      { id: "m1", timestamp: new Date(), attempts: 1, body },
    ]);
    const ctx = createExecutionContext();
    const refusing = {
      sendBatch: async () => Promise.reject(new Error("analytics queue unavailable")),
    } as unknown as Env["ANALYTICS_QUEUE"];
    await consumeEvents(batch, { ...env, ANALYTICS_QUEUE: refusing });
    const result = await getQueueResult(batch, ctx);
    expect(result.retryMessages.map((m) => m.msgId)).toEqual(["m1"]);
    const res = await getState(readKey, matchId);
    expect(((await res.json()) as { eventsApplied: number }).eventsApplied).toBe(1);
  });
});

// Defence in depth behind the edge (issue 9: D1, D2, D4, D9, D19): rows reach the analytics writer
// directly (the analytics queue binding, or the consumer with a made-up batch), bypassing the edge's
// validation, so the writer itself must keep one bad row from holding back the others, keep old and
// wide-spanning source times, count a re-sent event once, and park what it cannot write where
// `npm run redrive` finds it.
import { createExecutionContext, createMessageBatch, env, getQueueResult, SELF } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import type { MatchEvent } from "../shared/sports/sport";
import { fromBase64 } from "../workers/consumer/dead-letters";
import { eventLogRows } from "../workers/consumer/event-log";
import worker from "../workers/index";
import type { AnalyticsMessage, EventLogRow, EventsMessage } from "../workers/queue/messages";
import { BASE, call, clickhouseRows, createApiKey, eventually, footballEvent, uniqueMatchId } from "./fixtures";

let readKey: string;
beforeAll(async () => {
  readKey = await createApiKey(["read"]);
});

const eventsMessage = (matchId: string, events: MatchEvent[], requestId = `test-${matchId}`): EventsMessage => ({
  kind: "events",
  v: 1,
  matchId,
  requestId,
  acceptedAt: Date.now(),
  events,
});

const rowsOf = (matchId: string, events: MatchEvent[]): EventLogRow[] => eventLogRows([eventsMessage(matchId, events)]);

async function idsInLog(matchId: string): Promise<Map<string, number>> {
  const rows = await clickhouseRows<{ id: string; n: number }>(
    "SELECT toString(event_id) AS id, toUInt32(count()) AS n FROM events FINAL WHERE match_id = {m:String} GROUP BY id",
    { m: matchId },
  );
  return new Map(rows.map((r) => [r.id, Number(r.n)]));
}

interface DeadLetterView {
  source: string;
  target: string;
  event_id: string;
  match_id: string;
  error: string;
  body_base64: string;
}

const deadLettersOf = (matchId: string) =>
  clickhouseRows<DeadLetterView>(
    "SELECT source, target, event_id, match_id, error, body_base64 FROM dead_letters FINAL WHERE match_id = {m:String}",
    { m: matchId },
  );

async function runQueue(queue: string, bodies: unknown[]) {
  const batch = createMessageBatch<unknown>(
    queue,
    bodies.map((body, i) => ({ id: `m${i}`, timestamp: new Date(), attempts: 1, body })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch, env);
  return getQueueResult(batch, ctx);
}

describe("one bad row never takes down another", () => {
  it("a lone surrogate is quarantined; good rows of other matches, a 2018 match and a 120-month span land", async () => {
    const good = uniqueMatchId("good");
    const poisoned = uniqueMatchId("poison");
    const wide = uniqueMatchId("span");
    const old = uniqueMatchId("replay2018");
    const goodEvents = Array.from({ length: 40 }, () => footballEvent(good, "pass", { teamId: 1 }));
    const bad = footballEvent(poisoned, "pass", { teamId: 2, playerId: "\ud800" });
    const poisonedEvents = [footballEvent(poisoned, "match_start"), bad, footballEvent(poisoned, "match_end")];
    // Source times one month apart over ten years: one insert block over 120 monthly partitions of source time.
    const spanEvents = Array.from({ length: 120 }, (_, i) => ({
      ...footballEvent(wide, "pass", { teamId: 1 }),
      timestamp: new Date(Date.UTC(2015, i, 15)).toISOString(),
    }));
    const oldEvents = [
      { ...footballEvent(old, "match_start"), timestamp: "2018-07-15T15:00:00Z" },
      { ...footballEvent(old, "goal", { teamId: 1, payload: { minute: 18 } }), timestamp: "2018-07-15T15:18:00Z" },
    ];
    const body: AnalyticsMessage = {
      kind: "analytics",
      v: 1,
      events: [
        ...rowsOf(good, goodEvents.slice(0, 20)),
        ...rowsOf(poisoned, poisonedEvents),
        ...rowsOf(wide, spanEvents),
        ...rowsOf(old, oldEvents),
        ...rowsOf(good, goodEvents.slice(20)),
      ],
      predictions: [],
    };
    const sent = Date.now();
    // Through the real analytics queue binding, as the events consumer sends it.
    await env.ANALYTICS_QUEUE.send(body);
    const landed = await eventually(async () => {
      const ids = await idsInLog(good);
      return ids.size === goodEvents.length ? ids : null;
    }, 20_000);
    const landedMs = Date.now() - sent;
    console.log(`good rows landed ${landedMs} ms after the send, beside a poison row`);
    // The queue's batch window is 1 s; a retried batch would wait at least 2 s more, then fail again.
    expect(landedMs).toBeLessThan(10_000);
    expect([...landed.values()].every((n) => n === 1)).toBe(true);
    expect((await idsInLog(wide)).size).toBe(spanEvents.length);
    expect([...(await idsInLog(old)).keys()].sort()).toEqual(oldEvents.map((e) => e.eventId).sort());

    const poisonedIds = await idsInLog(poisoned);
    expect(poisonedIds.has(bad.eventId)).toBe(false);
    expect(poisonedIds.size).toBe(2);
    const parked = await eventually(async () => {
      const rows = await deadLettersOf(poisoned);
      return rows.length > 0 ? rows : null;
    });
    expect(parked).toHaveLength(1);
    expect(parked[0]).toMatchObject({ source: "quarantine", target: "events", event_id: bad.eventId });
    expect(parked[0]!.error).toMatch(/\S/);
    // The parked body is exactly the row that was refused, surrogate included.
    expect(fromBase64(parked[0]!.body_base64)).toMatchObject({ event_id: bad.eventId, player_id: "\ud800" });

    const metricsText = await (await SELF.fetch(`${BASE}/metrics`)).text();
    expect(metricsText).toMatch(/matchpulse_analytics_quarantined_total\{table="events"\} [1-9]/);
  });

  it("acks the batch with the refused row parked instead of retrying everything", async () => {
    const matchId = uniqueMatchId("ack");
    const bad = { ...rowsOf(matchId, [footballEvent(matchId, "pass", { teamId: 1 })])[0]!, event_id: "not-a-uuid" };
    const good = rowsOf(matchId, [footballEvent(matchId, "match_start"), footballEvent(matchId, "match_end")]);
    const result = await runQueue("matchpulse-analytics", [
      { kind: "analytics", v: 1, events: [good[0], bad], predictions: [] },
      { kind: "analytics", v: 1, events: [good[1]], predictions: [] },
    ]);
    expect(result.ackAll).toBe(true);
    expect(result.retryBatch.retry).toBe(false);
    expect((await idsInLog(matchId)).size).toBe(2);
    expect((await deadLettersOf(matchId)).map((d) => d.event_id)).toEqual(["not-a-uuid"]);
  });
});

describe("queue messages are read by kind and version", () => {
  it("parks a message of an unknown version with a log line and acks it, instead of crashing", async () => {
    const matchId = uniqueMatchId("v99");
    const future = { ...eventsMessage(matchId, [footballEvent(matchId, "match_start")]), v: 99 };
    const result = await runQueue("matchpulse-events", [future]);
    expect(result.explicitAcks).toEqual(["m0"]);
    expect(result.retryMessages).toEqual([]);
    const parked = await deadLettersOf("");
    const mine = parked.filter((d) => JSON.stringify(fromBase64(d.body_base64)).includes(matchId));
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ source: "unknown_message", target: "matchpulse-events" });
    expect(mine[0]!.error).toMatch(/unknown version 99/);
    // Nothing was applied from it.
    expect((await call(readKey, `/v1/matches/${matchId}/state`)).status).toBe(404);
  });

  it("parks what reaches a dead-letter queue, so it can be listed and re-driven", async () => {
    const matchId = uniqueMatchId("dlq");
    const body = eventsMessage(matchId, [footballEvent(matchId, "match_start")]);
    const result = await runQueue("matchpulse-events-dlq", [body]);
    expect(result.ackAll).toBe(true);
    const parked = await deadLettersOf(matchId);
    expect(parked).toHaveLength(1);
    expect(parked[0]).toMatchObject({ source: "events_dlq", target: "matchpulse-events-dlq" });
    expect(fromBase64(parked[0]!.body_base64)).toEqual(body);
  });
});

describe("the event log holds what the rooms accepted, once", () => {
  it("an event of another sport for an existing match is not logged (D9)", async () => {
    const matchId = uniqueMatchId("sport");
    await runQueue("matchpulse-events", [eventsMessage(matchId, [footballEvent(matchId, "match_start")])]);
    const alien: MatchEvent = {
      eventId: crypto.randomUUID(),
      matchId,
      sport: "cs2",
      type: "round_start",
      timestamp: new Date().toISOString(),
      payload: { round: 1 },
    };
    const marker = footballEvent(matchId, "pass", { teamId: 1 });
    const result = await runQueue("matchpulse-events", [eventsMessage(matchId, [alien, marker])]);
    expect(result.explicitAcks).toEqual(["m0"]);
    await eventually(async () => (await idsInLog(matchId)).has(marker.eventId), 15_000);
    const ids = await idsInLog(matchId);
    expect(ids.size).toBe(2);
    expect(ids.has(alien.eventId)).toBe(false);
  });

  it("an event re-sent with another timestamp counts once in the timeline and the metrics (D19)", async () => {
    const matchId = uniqueMatchId("resent");
    const first = footballEvent(matchId, "match_start");
    const goal = footballEvent(matchId, "goal", { teamId: 1, payload: { minute: 3 } });
    const resent = { ...goal, timestamp: new Date(Date.parse(goal.timestamp) + 5 * 60_000).toISOString() };
    // The room dedups by eventId; the log receives both copies (the second through the consumer's forward).
    await runQueue("matchpulse-analytics", [
      { kind: "analytics", v: 1, events: rowsOf(matchId, [first, goal]), predictions: [] },
    ]);
    await runQueue("matchpulse-analytics", [
      { kind: "analytics", v: 1, events: rowsOf(matchId, [resent]), predictions: [] },
    ]);
    const timeline = (await (await call(readKey, `/v1/matches/${matchId}/timeline`)).json()) as {
      buckets: { start: string; total: number; byType: Record<string, number> }[];
    };
    expect(timeline.buckets.reduce((n, b) => n + b.total, 0)).toBe(2);
    expect(timeline.buckets.reduce((n, b) => n + (b.byType.goal ?? 0), 0)).toBe(1);
    const metrics = (await (await call(readKey, `/v1/matches/${matchId}/metrics`)).json()) as {
      totalEvents: number;
      goals: number;
    };
    expect(metrics).toMatchObject({ totalEvents: 2, goals: 1 });
  });

  it("a year-0001 timestamp gives its own minute, not a wrapped 32-bit one", async () => {
    const matchId = uniqueMatchId("y0001");
    const ancient = { ...footballEvent(matchId, "match_start"), timestamp: "0001-01-01T00:00:30Z" };
    await runQueue("matchpulse-analytics", [
      { kind: "analytics", v: 1, events: rowsOf(matchId, [ancient]), predictions: [] },
    ]);
    const metrics = (await (await call(readKey, `/v1/matches/${matchId}/metrics`)).json()) as {
      peakMinute: { minute: string; eventCount: number };
      firstEventAt: string;
    };
    expect(metrics.peakMinute).toEqual({ minute: "0001-01-01T00:00:00.000Z", eventCount: 1 });
    const timeline = (await (await call(readKey, `/v1/matches/${matchId}/timeline`)).json()) as {
      buckets: { start: string }[];
    };
    expect(timeline.buckets.map((b) => b.start)).toEqual(["0001-01-01T00:00:00.000Z"]);
  });
});

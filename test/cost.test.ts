// What an event costs, pinned: the billable operations per event and per request that docs/capacity.md
// prices. Counted, not estimated: Upstash commands at the local REST bridge (every command it forwards),
// Durable Object SQLite rows from the cursors (the room's `sqlRowCounts`), queue messages and 64 KB
// operations from the packing the edge does. A change that adds a command per request, a row written per
// event or a queue operation fails here. The game's board reads are pinned too: one command each.
import { createExecutionContext, createMessageBatch, env, getQueueResult, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { MatchEvent } from "../shared/sports/sport";
import { encodeCursor } from "../workers/api/pagination";
import { openRedis } from "../workers/clients/redis";
import { consumeEvents } from "../workers/consumer/consume-events";
import type { Env } from "../workers/env";
import { openLeaderboardRedis, writeTotals } from "../workers/games/leaderboard";
import { acceptEvents } from "../workers/ingest/accept-events";
import { forgetEventIds } from "../workers/ingest/dedup";
import { packEvents, QUEUE_BILLING_UNIT_BYTES, toSendBatches } from "../workers/ingest/pack";
import type { AnalyticsMessage, EventsMessage } from "../workers/queue/messages";
import { DEFAULT_TENANT } from "../workers/tenants/tenant";
import {
  awayFromWindowEdge,
  BASE,
  call,
  clientIdOf,
  createApiKey,
  eventually,
  footballEvent,
  getState,
  postEvents,
  uniqueMatchId,
} from "./fixtures";

/** Commands the bridge forwarded that name `marker` (an API client's id) since the first ask. */
async function commandsNaming(marker: string): Promise<number> {
  const res = await fetch(`${env.UPSTASH_REDIS_REST_URL}/__matchpulse/commands?marker=${encodeURIComponent(marker)}`, {
    headers: { authorization: `Bearer ${env.UPSTASH_REDIS_REST_TOKEN}` },
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { marked: number }).marked;
}

const pass = (matchId: string, i: number, extra: Partial<MatchEvent> = {}) =>
  footballEvent(matchId, "pass", { teamId: i % 2 === 0 ? 1 : 2, payload: { minute: i % 90 }, ...extra });

describe("Upstash commands per ingest request", () => {
  it("one command per request (budget, claims and the previous request's confirmations), single or 1,000 events", async () => {
    const key = await createApiKey(["ingest", "read"], "cost: upstash", { ingestPerMinute: 100_000 });
    const clientId = await clientIdOf(key);
    const matchId = uniqueMatchId("cost-redis");
    // Once per Redis server the script is loaded (EVALSHA answers NOSCRIPT, then EVAL): not per request.
    expect((await postEvents(key, pass(matchId, 0))).status).toBe(202);
    expect(await commandsNaming(clientId)).toBe(0);
    const singles = Array.from({ length: 5 }, (_, i) => pass(matchId, i));
    for (const e of singles) expect((await postEvents(key, e)).status).toBe(202);
    expect(await commandsNaming(clientId)).toBe(5);
    const batch = Array.from({ length: 1_000 }, (_, i) => pass(matchId, i));
    expect((await postEvents(key, batch)).status).toBe(202);
    expect(await commandsNaming(clientId)).toBe(6);
    // The confirmations rode in the later scripts: a repeat of an event the queue took is a duplicate.
    const again = await postEvents(key, singles[4]);
    expect(await again.json()).toMatchObject({ status: "duplicate" });
    expect(await commandsNaming(clientId)).toBe(7);
  });
});

describe("Upstash commands per board read", () => {
  it("one per leaderboard page and per fan standing: the read budget rides in the board's script", async () => {
    await awayFromWindowEdge();
    const admin = await createApiKey(["admin"]);
    const key = await createApiKey(["read"], "cost: board reads", { readPerMinute: 1_000 });
    const clientId = await clientIdOf(key);
    const matchId = uniqueMatchId("cost-board");
    const match = await call(admin, "/v1/matches", { body: { id: matchId, sport: "football", startsAt: null } });
    expect(match.status).toBe(201);
    const created = await call(admin, "/v1/games", { body: { name: "cost: board", matchIds: [matchId] } });
    const gameId = ((await created.json()) as { id: string }).id;
    // The fan is named after the client, so that the board's read (its fanId, its cursor) and the budget's
    // keys both name the marker: a budget taken by a command of its own counts twice per read.
    await writeTotals(openLeaderboardRedis(env), { tenantId: DEFAULT_TENANT, gameId }, 1, [
      clientId,
      "3",
      "zz-below",
      "1",
    ]);
    const page = `/v1/games/${gameId}/leaderboard?cursor=${encodeCursor({ fanId: clientId })}`;
    const fan = `/v1/games/${gameId}/fans/${clientId}`;
    // Once per Redis server each script is loaded (EVALSHA answers NOSCRIPT, then EVAL): not per request.
    for (const path of [page, fan]) expect((await call(key, path)).status).toBe(200);
    expect(await commandsNaming(clientId)).toBe(0);
    for (let i = 0; i < 3; i++) expect((await call(key, page)).status).toBe(200);
    expect(await commandsNaming(clientId)).toBe(3);
    for (let i = 0; i < 3; i++) expect((await call(key, fan)).status).toBe(200);
    expect(await commandsNaming(clientId)).toBe(6);
  });
});

describe("edge admission: the late confirmation", () => {
  it("confirms only a still-pending claim: an id an operator forgot meanwhile is accepted again", async () => {
    const matchId = uniqueMatchId("cost-forget");
    const lost = pass(matchId, 1);
    expect((await acceptEvents(env, [lost], "t-forget-1")).accepted).toBe(1);
    // The queue took it; its confirmation waits for this isolate's next admission. Meanwhile the event is
    // lost downstream and an operator forgets its id to send it again (dev/redrive.ts).
    await forgetEventIds(openRedis(env), [lost.eventId]);
    expect((await acceptEvents(env, [pass(matchId, 2)], "t-forget-2")).accepted).toBe(1);
    const resent = await acceptEvents(env, [lost], "t-forget-3");
    expect(resent).toMatchObject({ accepted: 1, duplicates: 0 });
    // And a confirmed one is a duplicate, as before.
    expect((await acceptEvents(env, [pass(matchId, 3)], "t-forget-4")).accepted).toBe(1);
    expect((await acceptEvents(env, [lost], "t-forget-5")).duplicates).toBe(1);
  });
});

describe("Durable Object SQLite rows per applied event", () => {
  const roomOf = (matchId: string) => env.MATCH_ROOM.get(env.MATCH_ROOM.idFromName(matchId));

  it("writes 2 rows per event delivered alone (its entry + the record), 1 + 1/n in a delivery of n", async () => {
    const matchId = uniqueMatchId("cost-rows");
    const room = roomOf(matchId);
    await room.applyEvents(matchId, [pass(matchId, 0, { seq: 1 })]);
    const start = await room.sqlRowCounts();
    for (let i = 1; i <= 20; i++) {
      const r = await room.applyEvents(matchId, [pass(matchId, i, { seq: i + 1 })]);
      expect(r.applied).toBe(1);
      // The consumer's confirmation writes nothing (it rides in the next record).
      await room.confirmPredictions(r.predictions.at(-1)!.seq);
    }
    const singles = await room.sqlRowCounts();
    expect((singles.rowsWritten - start.rowsWritten) / 20).toBe(2);
    const batch = Array.from({ length: 100 }, (_, i) => pass(matchId, i, { seq: 22 + i }));
    expect((await room.applyEvents(matchId, batch)).applied).toBe(100);
    const batched = await room.sqlRowCounts();
    expect(batched.rowsWritten - singles.rowsWritten).toBe(101);
    // A redelivery is found by its key and writes nothing.
    expect((await room.applyEvents(matchId, batch)).duplicates).toBe(100);
    expect((await room.sqlRowCounts()).rowsWritten).toBe(batched.rowsWritten);
  });

  it("a resume reads the entries and writes nothing", async () => {
    const key = await createApiKey(["ingest", "read"], "cost: resume");
    const matchId = uniqueMatchId("cost-resume");
    await postEvents(
      key,
      Array.from({ length: 10 }, (_, i) => pass(matchId, i, { seq: i + 1 })),
    );
    await eventually(async () => {
      const res = await getState(key, matchId);
      return res.status === 200 && ((await res.json()) as { eventsApplied: number }).eventsApplied === 10;
    });
    const room = roomOf(matchId);
    const before = await room.sqlRowCounts();
    const res = await SELF.fetch(`${BASE}/v1/matches/${matchId}/live?since=5`, {
      headers: { upgrade: "websocket", authorization: `Bearer ${key}` },
    });
    expect(res.status).toBe(101);
    res.webSocket!.accept();
    res.webSocket!.close(1000);
    const after = await room.sqlRowCounts();
    expect(after.rowsWritten - before.rowsWritten).toBe(0);
    expect(after.rowsRead - before.rowsRead).toBeGreaterThanOrEqual(5);
  });
});

describe("Durable Object requests per room call", () => {
  it("one: the consumer's confirmation rides in the room's next call, so each batch forwards only its own predictions", async () => {
    const matchId = uniqueMatchId("cost-confirm");
    const forwarded: AnalyticsMessage[] = [];
    const analytics = {
      send: async (body: AnalyticsMessage) => void forwarded.push(body),
      sendBatch: async (messages: Iterable<MessageSendRequest<AnalyticsMessage>>) => {
        for (const m of messages) forwarded.push(m.body);
      },
    };
    const batchEnv: Env = { ...env, ANALYTICS_QUEUE: analytics as unknown as Env["ANALYTICS_QUEUE"] };
    const consume = async (events: MatchEvent[]) => {
      const body: EventsMessage = { kind: "events", v: 1, matchId, requestId: "cost", acceptedAt: Date.now(), events };
      const batch = createMessageBatch<EventsMessage>("matchpulse-events", [
        { id: crypto.randomUUID(), timestamp: new Date(), attempts: 1, body },
      ]);
      await consumeEvents(batch, batchEnv);
      return getQueueResult(batch, createExecutionContext());
    };
    for (let i = 1; i <= 3; i++) expect((await consume([pass(matchId, i, { seq: i })])).explicitAcks).toHaveLength(1);
    const seqs = forwarded.map((m) => m.predictions.map((p) => p.seq));
    expect(seqs).toEqual([[1], [2], [3]]);
  });
});

describe("queue messages and 64 KB operations per event", () => {
  const meta = { requestId: "cost", acceptedAt: 0 };

  it("a single event is one message of one billing unit", () => {
    const [message, ...rest] = packEvents([pass("m", 1)], meta);
    expect(rest).toEqual([]);
    expect(message!.bytes).toBeLessThan(QUEUE_BILLING_UNIT_BYTES);
  });

  it("1,000 events of one match fill messages of at most one 64 KB unit each, as few as the size allows", () => {
    const events = Array.from({ length: 1_000 }, (_, i) => pass("m", i, { seq: i + 1 }));
    const packed = packEvents(events, meta);
    const total = packed.reduce((n, p) => n + p.bytes, 0);
    for (const p of packed) expect(p.bytes).toBeLessThanOrEqual(QUEUE_BILLING_UNIT_BYTES);
    // No more messages than the 64 KB units the bytes need, plus one for the split remainders.
    expect(packed.length).toBeLessThanOrEqual(Math.ceil(total / QUEUE_BILLING_UNIT_BYTES) + 1);
    expect(toSendBatches(packed).length).toBeLessThanOrEqual(Math.ceil(total / 200_000) + 1);
  });
});

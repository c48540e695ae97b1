// The whole live path: POST → real local queue → consumer → MatchRoom → WebSocket, and the event log.
import { createExecutionContext, createMessageBatch, env, getQueueResult, SELF } from "cloudflare:test";
import { and, eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { withPostgres } from "../workers/clients/postgres";
import { modelVersions } from "../workers/clients/postgres-schema";
import worker from "../workers/index";
import type { EventsMessage } from "../workers/queue/messages";
import {
  BASE,
  clickhouseRows,
  createApiKey,
  eventually,
  footballEvent,
  getState,
  openLive,
  postEvents,
  uniqueMatchId,
} from "./fixtures";

let ingestKey: string;
let readKey: string;

beforeAll(async () => {
  ingestKey = await createApiKey(["ingest"]);
  readKey = await createApiKey(["read"]);
});

interface StateBody {
  status: string;
  score: [number, number];
  eventsApplied: number;
  lastSeq: number;
  prediction: { pTeam1: number; pDraw: number; pTeam2: number; modelVersion: string } | null;
}

async function stateOnce(matchId: string, predicate: (s: StateBody) => boolean): Promise<StateBody> {
  return eventually(async () => {
    const res = await getState(readKey, matchId);
    if (res.status !== 200) return null;
    const s = (await res.json()) as StateBody;
    return predicate(s) ? s : null;
  });
}

describe("live path", () => {
  it("an accepted event reaches a connected WebSocket client through the real queue", async () => {
    const matchId = uniqueMatchId("live");
    await postEvents(ingestKey, footballEvent(matchId, "match_start", { seq: 1 }));
    await stateOnce(matchId, (s) => s.eventsApplied === 1);

    const live = await openLive(readKey, matchId);
    await eventually(async () => live.frames.length >= 1);
    expect(live.frames[0]).toMatchObject({ type: "snapshot", seq: 1, state: { status: "live", eventsApplied: 1 } });

    const goal = footballEvent(matchId, "goal", { seq: 2, teamId: 1, payload: { minute: 12 } });
    const res = await postEvents(ingestKey, goal);
    expect(res.status).toBe(202);
    await eventually(async () => live.frames.length >= 2);
    expect(live.frames[1]).toMatchObject({
      type: "update",
      seq: 2,
      event: { eventId: goal.eventId },
      state: { score: [1, 0] },
    });
    expect(live.frames).toHaveLength(2);
    live.close();
  });

  it("state is 404 for a match no event has reached, and the prediction sums to 1", async () => {
    expect((await getState(readKey, uniqueMatchId("none"))).status).toBe(404);
    const matchId = uniqueMatchId("pred");
    await postEvents(ingestKey, [
      footballEvent(matchId, "match_start"),
      footballEvent(matchId, "goal", { teamId: 2, payload: { minute: 30 } }),
    ]);
    const s = await stateOnce(matchId, (x) => x.eventsApplied === 2);
    expect(s.score).toEqual([0, 1]);
    const p = s.prediction!;
    expect(p.pTeam1 + p.pDraw + p.pTeam2).toBeCloseTo(1, 9);
    expect(p.pTeam2).toBeGreaterThan(p.pTeam1);
    expect(p.modelVersion).toMatch(/\S/);
    const registered = await withPostgres(env, ({ db }) =>
      db
        .select()
        .from(modelVersions)
        .where(and(eq(modelVersions.version, p.modelVersion), eq(modelVersions.active, true))),
    );
    expect(registered.map((r) => r.sport)).toEqual(["football"]);
  });

  it("the same eventId in two requests is applied once", async () => {
    const matchId = uniqueMatchId("twice");
    const goal = footballEvent(matchId, "goal", { teamId: 1, payload: { minute: 5 } });
    await postEvents(ingestKey, [footballEvent(matchId, "match_start"), goal]);
    await postEvents(ingestKey, goal);
    const s = await stateOnce(matchId, (x) => x.eventsApplied >= 2);
    await new Promise((r) => setTimeout(r, 300));
    const again = (await (await getState(readKey, matchId)).json()) as StateBody;
    expect(again.eventsApplied).toBe(2);
    expect(s.score).toEqual([1, 0]);
  });

  it("a message redelivered by the queue changes nothing and is acked", async () => {
    const matchId = uniqueMatchId("redeliver");
    const body: EventsMessage = {
      kind: "events",
      v: 1,
      matchId,
      requestId: "test",
      acceptedAt: Date.now(),
      events: [
        footballEvent(matchId, "match_start"),
        footballEvent(matchId, "goal", { teamId: 2, payload: { minute: 9 } }),
      ],
    };
    for (let attempt = 1; attempt <= 2; attempt++) {
      const batch = createMessageBatch<EventsMessage>("matchpulse-events", [
        { id: `m-${attempt}`, timestamp: new Date(), attempts: attempt, body },
      ]);
      const ctx = createExecutionContext();
      await worker.queue(batch, env);
      const result = await getQueueResult(batch, ctx);
      expect(result.explicitAcks).toEqual([`m-${attempt}`]);
      expect(result.retryMessages).toEqual([]);
    }
    const s = await stateOnce(matchId, (x) => x.eventsApplied > 0);
    expect(s.eventsApplied).toBe(2);
    expect(s.score).toEqual([0, 1]);
    const rows = await eventually(async () => {
      const r = await clickhouseRows<{ n: number; ids: number }>(
        "SELECT toUInt32(count()) AS n, toUInt32(uniqExact(event_id)) AS ids FROM events FINAL WHERE match_id = {m:String}",
        { m: matchId },
      );
      return r[0]?.n === 2 ? r : null;
    });
    await new Promise((r) => setTimeout(r, 1_500)); // a second delivery would land within the analytics batch window
    expect(
      await clickhouseRows(
        "SELECT toUInt32(count()) AS n, toUInt32(uniqExact(event_id)) AS ids FROM events FINAL WHERE match_id = {m:String}",
        { m: matchId },
      ),
    ).toEqual(rows);
    expect(rows[0]).toEqual({ n: 2, ids: 2 });
  });

  it("invalid events are never enqueued; ClickHouse holds each accepted event once", async () => {
    const matchId = uniqueMatchId("log");
    const events = [
      footballEvent(matchId, "match_start"),
      ...Array.from({ length: 20 }, (_, i) => footballEvent(matchId, "pass", { teamId: 1, payload: { minute: i } })),
    ];
    const invalid = { ...footballEvent(matchId, "goal", { payload: { minute: 3 } }) }; // goal without teamId
    const res = await postEvents(ingestKey, [...events, invalid, events[3]]);
    expect(await res.json()).toMatchObject({ accepted: 21, duplicates: 1, rejected: [{ index: 21 }] });
    const rows = await eventually(async () => {
      const r = await clickhouseRows<{ n: number; ids: number; invalid: number }>(
        "SELECT toUInt32(count()) AS n, toUInt32(uniqExact(event_id)) AS ids, toUInt32(countIf(event_id = {bad:UUID})) AS invalid FROM events FINAL WHERE match_id = {m:String}",
        { m: matchId, bad: invalid.eventId },
      );
      return r[0]?.n === 21 ? r : null;
    });
    expect(rows[0]).toEqual({ n: 21, ids: 21, invalid: 0 });
    const s = await stateOnce(matchId, (x) => x.eventsApplied === 21);
    expect(s.eventsApplied).toBe(21);
  });

  it("/ready checks Postgres, Redis and ClickHouse for real", async () => {
    const res = await SELF.fetch(`${BASE}/ready`);
    const body = (await res.json()) as {
      status: string;
      checks: Record<string, { status: string; latencyMs: number }>;
    };
    expect(res.status).toBe(200);
    expect(Object.keys(body.checks).sort()).toEqual(["clickhouse", "postgres", "redis"]);
    for (const c of Object.values(body.checks)) expect(c.status).toBe("healthy");
  });
});

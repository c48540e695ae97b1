// Tenants on the event path (issue 13): two tenants using the same match id have two matches — two rooms,
// states, live streams, ClickHouse rows, analytics answers and Postgres statuses — and a tenant's reads
// find nothing of another's, whatever ids they are asked about. Quotas: events per UTC day (refused whole,
// nothing claimed or spent) and live sockets across the tenant's rooms (refused at the upgrade).
import { env, SELF } from "cloudflare:test";
import { and, eq } from "drizzle-orm";
import { beforeAll, describe, expect, inject, it } from "vitest";
import type { MatchEvent } from "../shared/contract/event";
import { cs2Rounds } from "../workers/analytics/cs2-rounds";
import { matchActivity } from "../workers/analytics/match-activity";
import { matchMetrics } from "../workers/analytics/match-metrics";
import { OPEN_FROM_MS, OPEN_TO_MS, predictionSeries } from "../workers/analytics/prediction-series";
import { matchTimeline } from "../workers/analytics/timeline";
import { openClickHouse } from "../workers/clients/clickhouse";
import { withPostgres } from "../workers/clients/postgres";
import { matches } from "../workers/clients/postgres-schema";
import { LEASE_MS, renewSocketLeases, takeSocketLease } from "../workers/tenants/live-sockets";
import { roomName } from "../workers/tenants/tenant";
import {
  BASE,
  call,
  clickhouseRows,
  createApiKey,
  eventually,
  footballEvent,
  getState,
  openLive,
  postEvents,
  uniqueMatchId,
} from "./fixtures";
import { createTenant, operator, tenantKey, uniqueTenantId } from "./tenant-fixtures";

/** The operator's view of a tenant's usage. */
async function usageOf(tenantId: string): Promise<Record<string, number | null>> {
  const res = await call(await operator(), `/v1/tenants/${tenantId}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { usage: Record<string, number | null> }).usage;
}

/** A key of the tenant with these scopes (made by the operator, test/tenant-fixtures.ts). */
const keyOf = async (tenantId: string, scopes: string[]) => (await tenantKey(tenantId, scopes)).key;

interface StateBody {
  score: [number, number];
  status: string;
  eventsApplied: number;
}

async function stateOf(key: string, matchId: string, until: (s: StateBody) => boolean): Promise<StateBody> {
  return eventually(async () => {
    const res = await getState(key, matchId);
    if (res.status !== 200) return null;
    const body = (await res.json()) as StateBody;
    return until(body) ? body : null;
  });
}

const goal = (matchId: string, teamId: 1 | 2, minute: number) =>
  footballEvent(matchId, "goal", { teamId, payload: { minute } });

async function post(key: string, events: MatchEvent | MatchEvent[]) {
  const res = await postEvents(key, events);
  expect(res.status, await res.clone().text()).toBe(202);
  return (await res.json()) as { accepted: number; duplicates: number };
}

describe("two tenants, one match id", () => {
  let a: string;
  let b: string;
  let keyA: string;
  let keyB: string;
  let defaultKey: string;
  const matchId = uniqueMatchId("final");
  const start = footballEvent(matchId, "match_start");

  beforeAll(async () => {
    a = await createTenant("a");
    b = await createTenant("b");
    keyA = await keyOf(a, ["ingest", "read"]);
    keyB = await keyOf(b, ["ingest", "read"]);
    defaultKey = await createApiKey(["ingest", "read"]);
    // The same event (same eventId) from both: each tenant's dedup is its own, neither hides the other's.
    expect(await post(keyA, [start, goal(matchId, 1, 10)])).toMatchObject({ accepted: 2, duplicates: 0 });
    expect(await post(keyB, [start, goal(matchId, 2, 20), goal(matchId, 2, 30)])).toMatchObject({
      accepted: 3,
      duplicates: 0,
    });
  });

  it("keeps two rooms with their own states; the default tenant has no such match", async () => {
    expect((await stateOf(keyA, matchId, (s) => s.eventsApplied === 2)).score).toEqual([1, 0]);
    expect((await stateOf(keyB, matchId, (s) => s.eventsApplied === 3)).score).toEqual([0, 2]);
    expect((await getState(defaultKey, matchId)).status).toBe(404);
    // The rooms are named after their tenants (a default-tenant room keeps the bare id).
    const roomA = env.MATCH_ROOM.get(env.MATCH_ROOM.idFromName(roomName(a, matchId)));
    expect((await roomA.getState())?.state.score).toEqual([1, 0]);
    const bare = env.MATCH_ROOM.get(env.MATCH_ROOM.idFromName(matchId));
    expect(await bare.getState()).toBeNull();
  });

  it("streams each tenant its own match", async () => {
    await stateOf(keyB, matchId, (s) => s.eventsApplied === 3);
    const liveA = await openLive(keyA, matchId);
    const liveB = await openLive(keyB, matchId);
    await eventually(async () => liveA.frames.length >= 1 && liveB.frames.length >= 1);
    expect(liveA.frames[0]).toMatchObject({ type: "snapshot", state: { score: [1, 0] } });
    expect(liveB.frames[0]).toMatchObject({ type: "snapshot", state: { score: [0, 2] } });
    const late = goal(matchId, 1, 40);
    await post(keyB, late);
    await eventually(async () => liveB.frames.length >= 2);
    expect(liveB.frames[1]).toMatchObject({
      type: "update",
      event: { eventId: late.eventId },
      state: { score: [1, 2] },
    });
    // A's room never saw B's goal: its state is unchanged and its socket got nothing more.
    expect((await stateOf(keyA, matchId, () => true)).score).toEqual([1, 0]);
    expect(liveA.frames).toHaveLength(1);
    liveA.close();
    liveB.close();
  });

  it("writes each tenant's rows and answers each tenant's analytics from its own rows", async () => {
    await stateOf(keyB, matchId, (s) => s.eventsApplied === 4);
    const counts = await eventually(async () => {
      const rows = await clickhouseRows<{ tenant_id: string; events: number | string }>(
        "SELECT tenant_id, uniqExact(event_id) AS events FROM events WHERE match_id = {m:String} GROUP BY tenant_id ORDER BY tenant_id",
        { m: matchId },
      );
      const byTenant = Object.fromEntries(rows.map((r) => [r.tenant_id, Number(r.events)]));
      return byTenant[a] === 2 && byTenant[b] === 4 ? byTenant : null;
    });
    expect(Object.keys(counts).sort()).toEqual([a, b].sort());

    const metricsOf = async (key: string) => {
      const res = await call(key, `/v1/matches/${matchId}/metrics`);
      expect(res.status).toBe(200);
      return (await res.json()) as { totalEvents: number; goals: number };
    };
    expect(await metricsOf(keyA)).toMatchObject({ totalEvents: 2, goals: 1 });
    expect(await metricsOf(keyB)).toMatchObject({ totalEvents: 4, goals: 3 });
    expect((await call(defaultKey, `/v1/matches/${matchId}/metrics`)).status).toBe(404);

    // Predictions: both rooms published seq 1, 2, …: neither tenant's series holds the other's points.
    const seriesOf = async (key: string, n: number) =>
      eventually(async () => {
        const res = await call(key, `/v1/matches/${matchId}/predictions`);
        const body = (await res.json()) as { data: { seq: number; eventId: string }[] };
        return body.data.length === n ? body.data : null;
      });
    expect((await seriesOf(keyA, 2)).map((p) => p.seq)).toEqual([1, 2]);
    const seriesB = await seriesOf(keyB, 4);
    expect(seriesB.map((p) => p.seq)).toEqual([1, 2, 3, 4]);
    const idsA = new Set((await seriesOf(keyA, 2)).map((p) => p.eventId));
    // The shared match_start has one id in both; every other point is the tenant's own event.
    expect(seriesB.filter((p) => idsA.has(p.eventId)).map((p) => p.eventId)).toEqual([start.eventId]);

    const timelineOf = async (key: string) =>
      ((await (await call(key, `/v1/matches/${matchId}/timeline`)).json()) as { buckets: { total: number }[] }).buckets
        .map((x) => x.total)
        .reduce((x, y) => x + y, 0);
    expect(await timelineOf(keyA)).toBe(2);
    expect(await timelineOf(keyB)).toBe(4);
    expect(await timelineOf(defaultKey)).toBe(0);
  });
});

describe("match status per tenant", () => {
  it("a match_end of tenant B does not finish tenant A's match of the same id", async () => {
    const a = await createTenant("a");
    const b = await createTenant("b");
    const keyA = await keyOf(a, ["ingest", "read"]);
    const keyB = await keyOf(b, ["ingest", "read"]);
    const matchId = uniqueMatchId("registered");
    const statusOf = async (tenantId: string) =>
      withPostgres(env, async ({ db }) => {
        const [row] = await db
          .select({ status: matches.status })
          .from(matches)
          .where(and(eq(matches.tenantId, tenantId), eq(matches.id, matchId)));
        return row?.status;
      });
    await withPostgres(env, ({ db }) =>
      db.insert(matches).values([
        { tenantId: a, id: matchId, sport: "football" },
        { tenantId: b, id: matchId, sport: "football" },
      ]),
    );
    await post(keyA, footballEvent(matchId, "match_start"));
    await eventually(async () => (await statusOf(a)) === "live");
    await post(keyB, [footballEvent(matchId, "match_start"), footballEvent(matchId, "match_end")]);
    await eventually(async () => (await statusOf(b)) === "finished");
    await stateOf(keyB, matchId, (s) => s.status === "finished");
    expect(await statusOf(a)).toBe("live");
    expect((await stateOf(keyA, matchId, () => true)).status).toBe("live");
  });
});

describe("analytics reads within the tenant", () => {
  let owner: string;
  let other: string;
  let ownerKey: string;
  let otherKey: string;
  const matchId = uniqueMatchId("secret");

  beforeAll(async () => {
    owner = await createTenant("owner");
    other = await createTenant("other");
    ownerKey = await keyOf(owner, ["ingest", "read"]);
    otherKey = await keyOf(other, ["ingest", "read"]);
    await post(ownerKey, [footballEvent(matchId, "match_start"), goal(matchId, 1, 3)]);
    await eventually(async () => {
      const res = await call(ownerKey, `/v1/matches/${matchId}/metrics`);
      return res.status === 200 && ((await res.json()) as { totalEvents: number }).totalEvents === 2;
    });
  });

  it("another tenant gets nothing through the routes, whatever id it crafts", async () => {
    expect((await call(otherKey, `/v1/matches/${matchId}/metrics`)).status).toBe(404);
    expect((await call(otherKey, `/v1/matches/${matchId}/state`)).status).toBe(404);
    const series = await call(otherKey, `/v1/matches/${matchId}/predictions`);
    expect(((await series.json()) as { data: unknown[] }).data).toEqual([]);
    // Tenant-looking ids, quotes: refused as ids (400) or simply another match (404), never the owner's data.
    for (const crafted of [`${owner}%2F${matchId}`, `${owner}:${matchId}`, `${matchId}'%20OR%20'1'='1`, "%27"]) {
      const res = await call(otherKey, `/v1/matches/${crafted}/metrics`);
      expect([400, 404], crafted).toContain(res.status);
    }
  });

  it("the queries themselves return nothing of another tenant for crafted ids and tenants", async () => {
    const client = openClickHouse(env);
    try {
      const crafted = [
        matchId,
        `${owner}/${matchId}`,
        `${matchId}' OR '1'='1`,
        `${matchId}\\' OR 1=1 --`,
        `default/${matchId}`,
      ];
      for (const id of crafted) {
        expect(await matchMetrics(client, other, id), id).toBeNull();
        expect(await matchTimeline(client, other, id, "1m"), id).toEqual([]);
        expect(await cs2Rounds(client, other, id), id).toEqual([]);
        const window = { fromMs: OPEN_FROM_MS, toMs: OPEN_TO_MS, afterSeq: 0, limit: 100 };
        expect((await predictionSeries(client, other, id, window)).points, id).toEqual([]);
      }
      expect((await matchActivity(client, other, crafted)).size).toBe(0);
      // A crafted tenant is a tenant id like any other: it matches no row.
      for (const tenant of [`${owner}' OR '1'='1`, `${owner} `, "", `${owner}/x`]) {
        expect(await matchMetrics(client, tenant, matchId), tenant).toBeNull();
      }
      // The owner's own reads find its rows, so the above are not empty by accident.
      expect((await matchMetrics(client, owner, matchId))?.totalEvents).toBe(2);
      expect((await matchActivity(client, owner, [matchId])).get(matchId)?.lastEventAt).not.toBeNull();
    } finally {
      await client.close();
    }
  });
});

describe("quota: events per day", () => {
  it("refuses a request that would pass the quota whole (429 quota_exceeded), claiming nothing", async () => {
    const tenantId = await createTenant("quota", { eventsPerDay: 3 });
    const key = await keyOf(tenantId, ["ingest", "read"]);
    const matchId = uniqueMatchId("quota");
    const [e1, e2, e3, e4] = [
      footballEvent(matchId, "match_start"),
      goal(matchId, 1, 1),
      goal(matchId, 1, 2),
      goal(matchId, 2, 3),
    ];
    expect(await post(key, [e1!, e2!])).toMatchObject({ accepted: 2 });
    const over = await postEvents(key, [e3, e4]);
    expect(over.status).toBe(429);
    expect(Number(over.headers.get("retry-after"))).toBeGreaterThan(0);
    const body = (await over.json()) as { error: { code: string; quota: string } };
    expect(body.error).toMatchObject({ code: "quota_exceeded", quota: "eventsPerDay" });
    // Repeats of accepted events are duplicates, not counted against the quota.
    expect(await post(key, [e1!, e2!])).toMatchObject({ accepted: 0, duplicates: 2 });
    // Nothing of the refused request was claimed: e3 alone fits and is new.
    expect(await post(key, e3!)).toMatchObject({ accepted: 1, duplicates: 0 });
    const last = await postEvents(key, e4);
    expect(last.status).toBe(429);
    expect((await stateOf(key, matchId, (s) => s.eventsApplied === 3)).score).toEqual([2, 0]);
    // The operator sees the day's count; a quota the tenant does not have is not counted.
    expect(await usageOf(tenantId)).toMatchObject({ eventsToday: 3, liveSockets: null });
    // Another tenant's quota is its own.
    const otherKey = await keyOf(await createTenant("quota", { eventsPerDay: 3 }), ["ingest"]);
    expect(await post(otherKey, e4!)).toMatchObject({ accepted: 1 });
  });
});

describe("quota: live sockets", () => {
  const liveUpgrade = (key: string, matchId: string) =>
    SELF.fetch(`${BASE}/v1/matches/${matchId}/live`, {
      headers: { upgrade: "websocket", authorization: `Bearer ${key}` },
    });

  it("counts the tenant's sockets across its rooms; 429 quota_exceeded past it, a closed socket frees its place", async () => {
    const tenantId = await createTenant("sockets", { liveSockets: 2 });
    const key = await keyOf(tenantId, ["ingest", "read"]);
    const m1 = uniqueMatchId("sockets");
    const m2 = uniqueMatchId("sockets");
    await post(key, [footballEvent(m1, "match_start"), footballEvent(m2, "match_start")]);
    await stateOf(key, m1, () => true);
    await stateOf(key, m2, () => true);

    const first = await openLive(key, m1);
    const second = await openLive(key, m2);
    expect(await usageOf(tenantId)).toMatchObject({ eventsToday: null, liveSockets: 2 });
    const third = await liveUpgrade(key, m1);
    expect(third.status).toBe(429);
    expect(((await third.json()) as { error: { code: string; quota: string } }).error).toMatchObject({
      code: "quota_exceeded",
      quota: "liveSockets",
    });
    // Another tenant is not held back by this one's sockets.
    const otherKey = await keyOf(await createTenant("sockets", { liveSockets: 1 }), ["ingest", "read"]);
    await post(otherKey, footballEvent(m1, "match_start"));
    await stateOf(otherKey, m1, () => true);
    const others = await openLive(otherKey, m1);

    first.close();
    const reopened = await eventually(async () => {
      const res = await liveUpgrade(key, m1);
      if (res.status === 101) return res;
      expect(res.status).toBe(429);
      return null;
    });
    reopened.webSocket?.accept();
    reopened.webSocket?.close(1000, "done");
    second.close();
    others.close();
  });

  it("a lease nobody renews (its room crashed) lapses; a renewed one holds its place", async () => {
    const tenantId = uniqueTenantId("lease");
    const now = Date.now();
    const crashed = await takeSocketLease(env, tenantId, 1, now - LEASE_MS - 1);
    expect(crashed).toMatchObject({ ok: true, lease: { tenantId } });
    const next = await takeSocketLease(env, tenantId, 1, now);
    expect(next).toMatchObject({ ok: true, lease: { tenantId } });
    if (!next.ok || !next.lease) throw new Error("no lease");
    // Renewed just before it would lapse, it still holds the only place a minute later.
    await renewSocketLeases(env, [next.lease], now + LEASE_MS - 1_000);
    expect(await takeSocketLease(env, tenantId, 1, now + LEASE_MS + 1_000)).toMatchObject({ ok: false, open: 1 });
    // Renewing a lapsed lease does not bring it back.
    if (!crashed.ok || !crashed.lease) throw new Error("no lease");
    await renewSocketLeases(env, [crashed.lease], now + LEASE_MS);
    expect(await takeSocketLease(env, tenantId, 2, now + LEASE_MS + 1_000)).toMatchObject({ ok: true });
  });

  it("gives the lease back when the room refuses the upgrade", async () => {
    const key = await keyOf(await createTenant("sockets", { liveSockets: 1 }), ["ingest", "read"]);
    const quiet = uniqueMatchId("no-events");
    for (let i = 0; i < 3; i++) expect((await liveUpgrade(key, quiet)).status).toBe(404);
    const matchId = uniqueMatchId("sockets");
    await post(key, footballEvent(matchId, "match_start"));
    await stateOf(key, matchId, () => true);
    const live = await eventually(async () => {
      const res = await liveUpgrade(key, matchId);
      return res.status === 101 ? res : null;
    });
    live.webSocket?.accept();
    live.webSocket?.close(1000, "done");
  });
});

describe("sources ingest into their tenant", () => {
  const data = inject("sourcesReplay");
  /** The HTTP form a CS2 server streams (as test/sources.test.ts sends it). */
  const lines = () =>
    data.cs2Log
      .split("\n")
      .filter((l) => l !== "")
      .slice(0, 400)
      .map((l) => l.replace(/^L (\d\d\/\d\d\/\d{4} - \d\d:\d\d:\d\d): /, "$1.000 - "))
      .join("\n");
  const register = async (key: string, matchId: string) => {
    const res = await call(key, "/v1/sources", { body: { kind: "cs2-log", matchId } });
    expect(res.status).toBe(201);
    return ((await res.json()) as { ingestUrl: string }).ingestUrl.replace(/^https?:\/\/[^/]+/, BASE);
  };
  const ingest = (url: string) =>
    SELF.fetch(url, { method: "POST", headers: { "content-type": "text/plain" }, body: lines() });

  it("a source's events reach its tenant's match, within the tenant's events-per-day quota", async () => {
    const matchId = uniqueMatchId("src");
    const roomyKey = await keyOf(await createTenant("roomy", { eventsPerDay: 100_000 }), ["admin", "read"]);
    const res = await ingest(await register(roomyKey, matchId));
    expect(res.status).toBe(200);
    const { events } = (await res.json()) as { events: number };
    expect(events).toBeGreaterThan(1);
    await stateOf(roomyKey, matchId, (s) => s.eventsApplied > 0);
    expect((await getState(await createApiKey(["read"]), matchId)).status).toBe(404);

    // The same batch in a tenant whose quota it passes: refused whole, nothing queued, and again on retry.
    const tightKey = await keyOf(await createTenant("tight", { eventsPerDay: events - 1 }), ["admin", "read"]);
    const url = await register(tightKey, matchId);
    for (let i = 0; i < 2; i++) {
      const over = await ingest(url);
      expect(over.status).toBe(429);
      expect(((await over.json()) as { error: { quota: string } }).error.quota).toBe("eventsPerDay");
    }
    expect((await getState(tightKey, matchId)).status).toBe(404);
  });
});

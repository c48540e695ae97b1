// Analytics against the real local ClickHouse: exact metrics for known football and CS2 matches sent
// with duplicates (in a request, across requests, past a dead edge dedup, and as queue redeliveries),
// rollups that agree with the raw log, the prediction series with its outbox and pagination, and the
// result shaping on its own (with ClickHouse's quoted 64-bit integers).
import { createExecutionContext, createMessageBatch, env, getQueueResult, SELF } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import type { MatchEvent } from "../shared/sports/sport";
import { type Cs2RoundRow, shapeCs2Rounds, winnerSide } from "../workers/analytics/cs2-rounds";
import { type ActivityRow, shapeMatchActivity } from "../workers/analytics/match-activity";
import { type MetricsRow, shapeMatchMetrics } from "../workers/analytics/match-metrics";
import { type PredictionRow, shapePredictionSeries } from "../workers/analytics/prediction-series";
import { shapeTimeline } from "../workers/analytics/timeline";
import { consumeEvents } from "../workers/consumer/consume-events";
import type { Env } from "../workers/env";
import worker from "../workers/index";
import { acceptEvents } from "../workers/ingest/accept-events";
import type { EventsMessage } from "../workers/queue/messages";
import { BASE, call, clickhouseRows, createApiKey, eventually, postEvents, uniqueMatchId } from "./fixtures";

const DEAD = "http://127.0.0.1:9";

let ingestKey: string;
let readKey: string;
beforeAll(async () => {
  ingestKey = await createApiKey(["ingest"]);
  readKey = await createApiKey(["read"]);
});

/** Source times an hour back, aligned to a minute, so minute buckets are known in advance. */
const BASE_MS = Math.floor((Date.now() - 3_600_000) / 60_000) * 60_000;
const at = (minute: number, second: number) => new Date(BASE_MS + minute * 60_000 + second * 1000).toISOString();

function event(
  matchId: string,
  sport: string,
  type: string,
  minute: number,
  second: number,
  extra: Partial<MatchEvent> = {},
): MatchEvent {
  return { eventId: crypto.randomUUID(), matchId, sport, type, timestamp: at(minute, second), ...extra };
}

async function json<T>(res: Response): Promise<T> {
  expect(res.headers.get("content-type")).toMatch(/json/);
  return (await res.json()) as T;
}

async function redeliver(matchId: string, events: MatchEvent[], attempts = 2): Promise<void> {
  const body: EventsMessage = {
    kind: "events",
    v: 1,
    matchId,
    requestId: `redelivery-${matchId}`,
    acceptedAt: Date.now(),
    events,
  };
  const batch = createMessageBatch<EventsMessage>("matchpulse-events", [
    { id: `r-${crypto.randomUUID()}`, timestamp: new Date(), attempts, body },
  ]);
  const ctx = createExecutionContext();
  await worker.queue(batch, env);
  expect((await getQueueResult(batch, ctx)).retryMessages).toEqual([]);
  // The rows reach ClickHouse through the analytics queue, within its batch window.
  await eventually(async () => (await logState(matchId)).byRequest[body.requestId] === events.length, 15_000);
}

/** Distinct events in the log, and rows per request id. Rows written later replace earlier copies of an
 * event when ClickHouse merges, so only the latest writer's count is stable: wait on that, not on totals. */
async function logState(matchId: string): Promise<{ ids: number; byRequest: Record<string, number> }> {
  const rows = await clickhouseRows<{ request_id: string; rows: number }>(
    "SELECT request_id, toUInt32(count()) AS rows FROM events WHERE match_id = {m:String} GROUP BY request_id",
    { m: matchId },
  );
  const all = await clickhouseRows<{ ids: number }>(
    "SELECT toUInt32(uniqExact(event_id)) AS ids FROM events WHERE match_id = {m:String}",
    { m: matchId },
  );
  return {
    ids: Number(all[0]?.ids ?? 0),
    byRequest: Object.fromEntries(rows.map((r) => [r.request_id, Number(r.rows)])),
  };
}

interface Metrics {
  matchId: string;
  sport: string;
  totalEvents: number;
  eventsByType: Record<string, number>;
  goals: number;
  yellowCards: number;
  redCards: number;
  firstEventAt: string;
  lastEventAt: string;
  peakMinute: { minute: string; eventCount: number };
  latency: Record<"sourceToAcceptedMs" | "acceptedToWrittenMs", { p50: number; p95: number; p99: number }>;
  cs2: null | {
    maps: number;
    roundsPlayed: number;
    kills: number;
    headshots: number;
    headshotRate: number;
    roundWinsByTeam: [number, number];
    roundWinsBySide: { CT: number; T: number };
  };
}

describe("football metrics with duplicates and redeliveries", () => {
  const matchId = uniqueMatchId("metrics-fb");
  const traceId = `trace-${crypto.randomUUID()}`;
  const fb = (type: string, minute: number, second: number, teamId?: 1 | 2) =>
    event(matchId, "football", type, minute, second, { ...(teamId ? { teamId } : {}), payload: { minute } });
  const events = [
    fb("match_start", 0, 0),
    fb("pass", 0, 10, 1),
    fb("pass", 0, 20, 2),
    fb("shot", 1, 5, 1),
    fb("goal", 1, 30, 1),
    ...[0, 10, 20, 30, 40].map((s) => fb("pass", 2, s, s % 20 ? 1 : 2)),
    fb("yellow_card", 2, 50, 2),
    fb("foul", 3, 0, 2),
    fb("red_card", 3, 10, 2),
    fb("yellow_card", 4, 0, 1),
    fb("goal", 4, 30, 2),
    fb("match_end", 5, 0),
  ];
  let metrics: Metrics;

  beforeAll(async () => {
    // In-request repeat, then a second request repeating four events: both caught at the edge.
    const first = await SELF.fetch(`${BASE}/v1/events`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${ingestKey}`, "x-request-id": traceId },
      body: JSON.stringify([...events, events[3]]),
    });
    expect(first.headers.get("x-request-id")).toBe(traceId);
    expect(await first.json()).toMatchObject({ accepted: events.length, duplicates: 1 });
    expect(await (await postEvents(ingestKey, events.slice(0, 4))).json()).toMatchObject({
      accepted: 0,
      duplicates: 4,
    });
    await eventually(async () => (await logState(matchId)).ids === events.length, 15_000);
    // Past a dead edge dedup the repeats reach the queue, the rooms and the log a second time.
    const noRedis = await acceptEvents(
      { ...env, UPSTASH_REDIS_REST_URL: DEAD } as Env,
      events.slice(4, 7),
      `noredis-${matchId}`,
    );
    expect(noRedis.accepted).toBe(3);
    // And the queue delivers a message twice.
    await redeliver(matchId, events.slice(7, 10));

    const log = await eventually(async () => {
      const state = await logState(matchId);
      return state.byRequest[`noredis-${matchId}`] === 3 ? state : null;
    }, 15_000);
    expect(log).toMatchObject({ ids: events.length, byRequest: { [`redelivery-${matchId}`]: 3 } });
    metrics = await json<Metrics>(await call(readKey, `/v1/matches/${matchId}/metrics`));
  });

  it("counts each accepted event once", () => {
    expect(metrics).toMatchObject({
      matchId,
      sport: "football",
      totalEvents: 16,
      eventsByType: { match_start: 1, pass: 7, shot: 1, goal: 2, yellow_card: 2, foul: 1, red_card: 1, match_end: 1 },
      goals: 2,
      yellowCards: 2,
      redCards: 1,
      firstEventAt: at(0, 0),
      lastEventAt: at(5, 0),
      peakMinute: { minute: at(2, 0), eventCount: 6 },
      cs2: null,
    });
    expect(Object.keys(metrics.eventsByType)).toEqual(Object.keys(metrics.eventsByType).sort());
  });

  it("serves ingest latency percentiles in milliseconds", () => {
    const { sourceToAcceptedMs: s, acceptedToWrittenMs: w } = metrics.latency;
    // Source times lie 55–60 minutes before acceptance.
    expect(s.p50).toBeGreaterThan(54 * 60_000);
    expect(s.p99).toBeLessThan(61 * 60_000 + 30_000);
    expect(s.p50).toBeLessThanOrEqual(s.p95);
    expect(s.p95).toBeLessThanOrEqual(s.p99);
    expect(w.p50).toBeGreaterThanOrEqual(0);
    expect(w.p50).toBeLessThanOrEqual(w.p95);
    expect(w.p99).toBeLessThan(30_000);
  });

  it("the timeline agrees with the raw log, at 1m and 5m", async () => {
    for (const [bucket, minutes] of [
      ["1m", 1],
      ["5m", 5],
    ] as const) {
      const raw = await clickhouseRows<{ b: number; type: string; n: number }>(
        `SELECT toUInt32(toUnixTimestamp(toStartOfInterval(ts, toIntervalMinute({w:UInt8})))) AS b, type, toUInt32(uniqExact(event_id)) AS n
         FROM events WHERE match_id = {m:String} GROUP BY b, type ORDER BY b, type`,
        { m: matchId, w: minutes },
      );
      const body = await json<{
        bucket: string;
        buckets: { start: string; total: number; byType: Record<string, number> }[];
      }>(await call(readKey, `/v1/matches/${matchId}/timeline?bucket=${bucket}`));
      expect(body.bucket).toBe(bucket);
      const fromRollup = body.buckets.flatMap((p) =>
        Object.entries(p.byType).map(([type, n]) => ({ b: Date.parse(p.start) / 1000, type, n })),
      );
      expect(fromRollup).toEqual(raw.map((r) => ({ b: Number(r.b), type: r.type, n: Number(r.n) })));
      expect(body.buckets.reduce((n, p) => n + p.total, 0)).toBe(metrics.totalEvents);
    }
    const minute = await json<{ buckets: { start: string; total: number }[] }>(
      await call(readKey, `/v1/matches/${matchId}/timeline`),
    );
    expect(minute.buckets.map((p) => p.total)).toEqual([3, 2, 6, 2, 2, 1]);
  });

  it("the prediction series pages through every applied event in order", async () => {
    await eventually(async () => {
      const r = await json<{ data: unknown[] }>(await call(readKey, `/v1/matches/${matchId}/predictions?limit=100`));
      return r.data.length === events.length;
    });
    const seen: { seq: number; eventId: string; pDraw?: number; modelVersion: string; at: string }[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { data: typeof seen; nextCursor: string | null } = await json(
        await call(readKey, `/v1/matches/${matchId}/predictions?limit=5${cursor ? `&cursor=${cursor}` : ""}`),
      );
      seen.push(...page.data);
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(4);
    expect(seen.map((p) => p.seq)).toEqual(events.map((_, i) => i + 1));
    expect(new Set(seen.map((p) => p.eventId))).toEqual(new Set(events.map((e) => e.eventId)));
    for (const p of seen) {
      expect(p.modelVersion).toMatch(/\S/);
      expect(p.pDraw).toBeTypeOf("number");
    }
    // from is inclusive, to exclusive, on the time the room computed the prediction.
    const from = seen[3]!.at;
    const to = new Date(Date.parse(seen[seen.length - 1]!.at) + 1).toISOString();
    const windowed = await json<{ data: typeof seen }>(
      await call(readKey, `/v1/matches/${matchId}/predictions?from=${from}&to=${to}`),
    );
    expect(windowed.data.map((p) => p.seq)).toEqual(seen.filter((p) => p.at >= from && p.at < to).map((p) => p.seq));
    const none = await json<{ data: unknown[]; nextCursor: null }>(
      await call(readKey, `/v1/matches/${matchId}/predictions?to=${seen[0]!.at}`),
    );
    expect(none).toMatchObject({ data: [], nextCursor: null });
  });

  it("the request id follows the events from ingest to the event log", async () => {
    const rows = await clickhouseRows<{ id: string }>(
      "SELECT toString(event_id) AS id FROM events WHERE match_id = {m:String} AND request_id = {r:String}",
      {
        m: matchId,
        r: traceId,
      },
    );
    // Events written only once keep the id of the request that sent them (the repeats carry their own).
    const once = [...events.slice(0, 4), ...events.slice(10)].map((e) => e.eventId);
    expect(rows.map((r) => r.id)).toEqual(expect.arrayContaining(once));
  });

  it("rejects bad parameters with the error shape", async () => {
    const bad = await call(readKey, `/v1/matches/${matchId}/timeline?bucket=2m`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: "invalid_request", issues: [{ path: "query.bucket" }] } });
    const cursor = await call(readKey, `/v1/matches/${matchId}/predictions?cursor=nonsense`);
    expect(cursor.status).toBe(400);
    const limit = await call(readKey, `/v1/matches/${matchId}/predictions?limit=0`);
    expect(await limit.json()).toMatchObject({ error: { code: "invalid_request", issues: [{ path: "query.limit" }] } });
    expect((await call(readKey, "/v1/matches/bad%20id/metrics")).status).toBe(400);
  });

  it("404 for a match without logged events", async () => {
    const res = await call(readKey, `/v1/matches/${uniqueMatchId("nothing")}/metrics`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: "not_found" } });
  });
});

describe("CS2 metrics and rounds", () => {
  const matchId = uniqueMatchId("metrics-cs2");
  let clock = 0;
  const cs = (type: string, teamId: 1 | 2 | undefined, payload: Record<string, unknown>) => {
    clock += 10;
    return event(matchId, "cs2", type, Math.floor(clock / 60), clock % 60, { ...(teamId ? { teamId } : {}), payload });
  };
  const kill = (round: number, teamId: 1 | 2, headshot?: boolean) =>
    cs("kill", teamId, { round, victimPlayerId: "v", weapon: "ak47", ...(headshot === undefined ? {} : { headshot }) });
  const events = [
    cs("match_start", undefined, { bestOf: 3 }),
    cs("map_start", undefined, { mapNumber: 1, mapName: "de_mirage", startingSide: "CT" }),
    kill(1, 1, true),
    kill(1, 1, false),
    kill(1, 2, true),
    cs("round_end", 1, { round: 1, reason: "elimination" }), // team 1 on CT
    kill(2, 2),
    cs("round_end", 2, { round: 2, reason: "time" }), // team 2 on T
    kill(13, 1, true),
    cs("round_end", 1, { round: 13, reason: "bomb_exploded" }), // after half-time: team 1 on T
    cs("map_end", 1, { mapNumber: 1 }),
    cs("map_start", undefined, { mapNumber: 2, mapName: "de_nuke", startingSide: "T" }),
    kill(1, 2, true),
    cs("round_end", 2, { round: 1, reason: "bomb_defused" }), // team 2 on CT
    kill(2, 1), // round still being played
  ];

  beforeAll(async () => {
    expect(await (await postEvents(ingestKey, events)).json()).toMatchObject({ accepted: events.length });
    await eventually(async () => (await logState(matchId)).ids === events.length, 15_000);
    await redeliver(
      matchId,
      events.filter((e) => e.type === "kill"),
    );
    expect((await logState(matchId)).byRequest[`redelivery-${matchId}`]).toBe(7);
  });

  it("counts rounds, kills, headshots and round wins by side", async () => {
    const m = await json<Metrics>(await call(readKey, `/v1/matches/${matchId}/metrics`));
    expect(m).toMatchObject({
      sport: "cs2",
      totalEvents: events.length,
      goals: 0,
      eventsByType: { kill: 7, round_end: 4, map_start: 2 },
    });
    expect(m.cs2).toEqual({
      maps: 2,
      roundsPlayed: 4,
      kills: 7,
      headshots: 4,
      headshotRate: 0.5714,
      roundWinsByTeam: [2, 2],
      roundWinsBySide: { CT: 2, T: 2 },
    });
  });

  it("lists every round with its map, winner side and kills", async () => {
    const { rounds } = await json<{ rounds: Record<string, unknown>[] }>(
      await call(readKey, `/v1/matches/${matchId}/rounds`),
    );
    expect(
      rounds.map((r) => [r.map, r.round, r.winnerTeam, r.winnerSide, r.reason, r.kills, r.headshots, r.killsByTeam]),
    ).toEqual([
      [1, 1, 1, "CT", "elimination", 3, 2, [2, 1]],
      [1, 2, 2, "T", "time", 1, 0, [0, 1]],
      [1, 13, 1, "T", "bomb_exploded", 1, 1, [1, 0]],
      [2, 1, 2, "CT", "bomb_defused", 1, 1, [0, 1]],
      [2, 2, null, null, null, 1, 0, [1, 0]],
    ]);
    expect(rounds[0]).toMatchObject({ mapName: "de_mirage", endedAt: events[5]!.timestamp });
  });

  it("has no rounds for a football match", async () => {
    const res = await call(readKey, `/v1/matches/${uniqueMatchId("none")}/rounds`);
    expect(await res.json()).toMatchObject({ rounds: [] });
  });
});

describe("the prediction outbox", () => {
  it("keeps predictions the analytics queue refused and writes them with the room's next batch, once", async () => {
    const matchId = uniqueMatchId("outbox");
    const ev = (type: string, n: number) =>
      event(matchId, "football", type, 0, n, type === "pass" ? { teamId: 1, payload: { minute: 0 } } : {});
    const consume = async (events: MatchEvent[], batchEnv: Env) => {
      const body: EventsMessage = {
        kind: "events",
        v: 1,
        matchId,
        requestId: "test-outbox",
        acceptedAt: Date.now(),
        events,
      };
      const batch = createMessageBatch<EventsMessage>("matchpulse-events", [
        { id: crypto.randomUUID(), timestamp: new Date(), attempts: 1, body },
      ]);
      const ctx = createExecutionContext();
      await consumeEvents(batch, batchEnv);
      return getQueueResult(batch, ctx);
    };
    const seqs = async () =>
      (
        await clickhouseRows<{ seq: number }>(
          "SELECT seq FROM predictions FINAL WHERE match_id = {m:String} ORDER BY seq",
          { m: matchId },
        )
      ).map((r) => Number(r.seq));
    const refusing = {
      sendBatch: async () => Promise.reject(new Error("analytics queue unavailable")),
    } as unknown as Env["ANALYTICS_QUEUE"];

    const down = await consume([ev("match_start", 1), ev("pass", 2)], { ...env, ANALYTICS_QUEUE: refusing });
    expect(down.retryMessages).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await seqs()).toEqual([]);

    const up = await consume([ev("pass", 3)], env);
    expect(up.explicitAcks).toHaveLength(1);
    await eventually(async () => (await seqs()).length === 3, 15_000);
    expect(await seqs()).toEqual([1, 2, 3]);

    // Confirmed predictions left the outbox: the next batch writes only its own.
    await consume([ev("pass", 4)], env);
    await eventually(async () => (await seqs()).length === 4, 15_000);
    expect(await seqs()).toEqual([1, 2, 3, 4]);
  });
});

describe("observability", () => {
  it("/metrics exposes the pipeline's counters and histograms", async () => {
    const text = await (await SELF.fetch(`${BASE}/metrics`)).text();
    for (const series of [
      /^matchpulse_http_requests_total\{.*route="\/v1\/matches\/:matchId\/metrics".*status="200"/m,
      /^matchpulse_http_request_duration_seconds_bucket\{/m,
      /^matchpulse_events_ingested_total\{sport="football",type="goal"\} \d+/m,
      /^matchpulse_events_duplicate_total \d+/m,
      /^matchpulse_queue_messages_sent_total \d+/m,
      /^matchpulse_consumer_batch_size_bucket\{le="1"\}/m,
      /^matchpulse_clickhouse_rows_written_total\{table="events"\} \d+/m,
      /^matchpulse_clickhouse_rows_written_total\{table="predictions"\} \d+/m,
      /^matchpulse_clickhouse_insert_duration_seconds_bucket\{/m,
      /^matchpulse_ingest_latency_seconds_bucket\{stage="source_to_accepted",le="[^"]+"\}/m,
      /^matchpulse_dependency_errors_total\{dependency="analytics_queue"\} \d+/m,
    ]) {
      expect(text).toMatch(series);
    }
  });
});

describe("result shaping", () => {
  // Real ClickHouse quotes 64-bit integers in JSON; the local chdb front does not. Both must shape alike.
  const row = (over: Partial<MetricsRow>): MetricsRow => ({
    kind: "total",
    type: "",
    minute_ms: 0,
    events: 0,
    sport: "football",
    first_ms: "0",
    last_ms: "0",
    source_to_accepted_ms: [],
    accepted_to_written_ms: [],
    ...over,
  });

  it("builds the metrics from grouping-set rows, earliest peak minute on ties", () => {
    const m = shapeMatchMetrics(
      "m",
      [
        row({
          events: 5,
          first_ms: "1772377200000",
          last_ms: "1772377500000",
          source_to_accepted_ms: [12.34, 45.2, 98.75],
          accepted_to_written_ms: [1, 2, 3],
        }),
        row({ kind: "type", type: "pass", events: 3 }),
        row({ kind: "type", type: "goal", events: 2 }),
        row({ kind: "minute", minute_ms: 1772377260000, events: 2 }),
        row({ kind: "minute", minute_ms: 1772377200000, events: 2 }),
        row({ kind: "minute", minute_ms: 1772377320000, events: 1 }),
      ],
      [],
    );
    expect(m).toEqual({
      matchId: "m",
      sport: "football",
      totalEvents: 5,
      eventsByType: { goal: 2, pass: 3 },
      goals: 2,
      yellowCards: 0,
      redCards: 0,
      firstEventAt: "2026-03-01T15:00:00.000Z",
      lastEventAt: "2026-03-01T15:05:00.000Z",
      peakMinute: { minute: "2026-03-01T15:00:00.000Z", eventCount: 2 },
      latency: {
        sourceToAcceptedMs: { p50: 12.3, p95: 45.2, p99: 98.8 },
        acceptedToWrittenMs: { p50: 1, p95: 2, p99: 3 },
      },
      cs2: null,
    });
    expect(shapeMatchMetrics("m", [row({ events: 0 })], [])).toBeNull();
    expect(shapeMatchMetrics("m", [], [])).toBeNull();
  });

  it("derives the winner's side from the map's starting side and the half-time rules", () => {
    expect([
      winnerSide("CT", 1, 1),
      winnerSide("CT", 12, 2),
      winnerSide("CT", 13, 1),
      winnerSide("T", 25, 1),
      winnerSide("", 3, 1),
    ]).toEqual(["CT", "T", "T", "CT", null]);
    const r: Cs2RoundRow = {
      map_number: "1",
      map_name: "de_inferno",
      starting_side: "T",
      round: "1",
      winner: 0,
      reason: "",
      ended_at_ms: "0",
      kills: "2",
      headshots: 1,
      kills_team1: 2,
      kills_team2: "0",
    };
    expect(shapeCs2Rounds([r])).toEqual([
      {
        map: 1,
        mapName: "de_inferno",
        round: 1,
        winnerTeam: null,
        winnerSide: null,
        reason: null,
        endedAt: null,
        kills: 2,
        headshots: 1,
        killsByTeam: [2, 0],
      },
    ]);
  });

  it("groups timeline rows into buckets", () => {
    expect(
      shapeTimeline([
        { bucket_ms: "60000", type: "goal", events: 1 },
        { bucket_ms: "60000", type: "pass", events: "4" },
        { bucket_ms: 360000, type: "pass", events: 2 },
      ]),
    ).toEqual([
      { start: "1970-01-01T00:01:00.000Z", total: 5, byType: { goal: 1, pass: 4 } },
      { start: "1970-01-01T00:06:00.000Z", total: 2, byType: { pass: 2 } },
    ]);
  });

  it("pages the prediction series with one look-ahead row, and leaves pDraw out where there is none", () => {
    const p = (seq: number, pDraw: number | null): PredictionRow => ({
      seq: String(seq),
      at_ms: "1772377200000",
      p_team1: 0.5,
      p_draw: pDraw,
      p_team2: 0.5,
      model_version: "v",
      event_id: "e",
      event_type: "kill",
    });
    expect(shapePredictionSeries([p(1, null), p(2, null), p(3, null)], 2)).toMatchObject({
      nextAfterSeq: 2,
      points: [{ seq: 1 }, { seq: 2 }],
    });
    expect(shapePredictionSeries([p(1, 0.2)], 2)).toEqual({
      nextAfterSeq: null,
      points: [
        {
          seq: 1,
          at: "2026-03-01T15:00:00.000Z",
          pTeam1: 0.5,
          pDraw: 0.2,
          pTeam2: 0.5,
          modelVersion: "v",
          eventId: "e",
          eventType: "kill",
        },
      ],
    });
    expect(shapePredictionSeries([p(1, null)], 2).points[0]).not.toHaveProperty("pDraw");
  });

  it("reads a missing right side of the activity join as no prediction", () => {
    const a: ActivityRow = {
      match_id: "m",
      last_event_ms: "1772377200000",
      seq: "0",
      p_team1: 0,
      p_draw: null,
      p_team2: 0,
      model_version: "",
      at_ms: "0",
    };
    expect(shapeMatchActivity([a]).get("m")).toEqual({ lastEventAt: "2026-03-01T15:00:00.000Z", prediction: null });
  });
});

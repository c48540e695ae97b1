// Match analytics from ClickHouse: exact metrics, the event timeline, CS2 rounds and the prediction
// series. Routes only validate and shape; the SQL lives in workers/analytics.
import type { ClickHouseClient } from "@clickhouse/client-web";
import { OpenAPIHono, z } from "@hono/zod-openapi";
import { cs2Rounds } from "../analytics/cs2-rounds";
import { matchMetrics } from "../analytics/match-metrics";
import { OPEN_FROM_MS, OPEN_TO_MS, predictionSeries } from "../analytics/prediction-series";
import { matchTimeline, type TimelineBucket, timelineBuckets } from "../analytics/timeline";
import { withClickHouse } from "../clients/clickhouse";
import type { Env } from "../env";
import { errorMessage, log } from "../observability/log";
import { metrics } from "../observability/metrics";
import type { AppEnv } from "./app-env";
import { ApiError, validationHook } from "./errors";
import { errors, okJson, readRoute } from "./openapi";
import { cursorQuery, decodeCursor, encodeCursor, limitQuery, nextCursorSchema } from "./pagination";
import { instantQuery, matchIdParams } from "./params";

const count = z.int().min(0);

const percentilesSchema = z.object({ p50: z.number(), p95: z.number(), p99: z.number() }).meta({ id: "Percentiles" });

const cs2MetricsSchema = z
  .object({
    maps: count.describe("Maps with at least one finished round."),
    roundsPlayed: count,
    kills: count,
    headshots: count,
    headshotRate: z.number().min(0).max(1).describe("headshots / kills, 0 without kills."),
    roundWinsByTeam: z.tuple([count, count]),
    roundWinsBySide: z.object({ CT: count, T: count }).describe("Rounds won while playing each side."),
  })
  .meta({ id: "Cs2Metrics" });

const matchMetricsSchema = z
  .object({
    matchId: z.string(),
    sport: z.string(),
    totalEvents: count.describe("Distinct events accepted (by eventId): redeliveries and repeats count once."),
    eventsByType: z.record(z.string(), count),
    goals: count,
    yellowCards: count,
    redCards: count,
    firstEventAt: z.string().describe("Earliest source timestamp."),
    lastEventAt: z.string().describe("Latest source timestamp."),
    peakMinute: z
      .object({ minute: z.string(), eventCount: count })
      .describe("The busiest minute by source timestamp (earliest on ties)."),
    latency: z
      .object({ sourceToAcceptedMs: percentilesSchema, acceptedToWrittenMs: percentilesSchema })
      .describe(
        "Per event, in milliseconds: source timestamp → accepted at the edge, accepted → written to the event log.",
      ),
    cs2: z.union([cs2MetricsSchema, z.null()]).describe("CS2 matches only."),
  })
  .meta({ id: "MatchMetrics" });

const timelineSchema = z
  .object({
    matchId: z.string(),
    bucket: z.enum(Object.keys(timelineBuckets) as [TimelineBucket, ...TimelineBucket[]]),
    buckets: z
      .array(z.object({ start: z.string(), total: count, byType: z.record(z.string(), count) }))
      .describe("Buckets with events, in time order."),
  })
  .meta({ id: "MatchTimeline" });

const roundSchema = z
  .object({
    map: count.describe("Map number (0: before any map_start)."),
    mapName: z.string().nullable(),
    round: z.int().min(1),
    winnerTeam: z.union([z.literal(1), z.literal(2), z.null()]),
    winnerSide: z.union([z.literal("CT"), z.literal("T"), z.null()]),
    reason: z.string().nullable(),
    endedAt: z.string().nullable(),
    kills: count,
    headshots: count,
    killsByTeam: z.tuple([count, count]),
  })
  .meta({ id: "Cs2Round" });

const predictionPointSchema = z
  .object({
    seq: z.int().min(1).describe("The room's update seq that produced it."),
    at: z.string(),
    pTeam1: z.number(),
    pDraw: z.number().optional(),
    pTeam2: z.number(),
    modelVersion: z.string(),
    eventId: z.string(),
    eventType: z.string(),
  })
  .meta({ id: "PredictionPoint" });

/** A read of the analytics store; an unreachable or failing store is 503 (retry later). */
async function queryAnalytics<T>(env: Env, query: string, work: (client: ClickHouseClient) => Promise<T>): Promise<T> {
  try {
    return await withClickHouse(env, work, {
      timed: (seconds) => metrics.clickhouseQuery.observe(seconds, { query }),
    });
  } catch (err) {
    metrics.dependencyErrors.inc({ dependency: "clickhouse" });
    log("error", "analytics query failed", { query, error: errorMessage(err) });
    throw new ApiError(
      "dependency_unavailable",
      "the analytics store is unavailable; retry later",
      {},
      { "retry-after": "5" },
    );
  }
}

export const metricsRoute = readRoute({
  method: "get",
  path: "/v1/matches/{matchId}/metrics",
  tags: ["analytics"],
  summary: "Exact metrics of a match",
  description:
    "Counts, peak minute, ingest latency percentiles, and for CS2 rounds, kills, headshot rate and round wins by side. 404 before any event is logged. Scope: read.",
  request: { params: matchIdParams },
  responses: {
    200: okJson(matchMetricsSchema, "The match's metrics"),
    ...errors(404),
  },
});

export const timelineRoute = readRoute({
  method: "get",
  path: "/v1/matches/{matchId}/timeline",
  tags: ["analytics"],
  summary: "Events per time bucket and type",
  description: "From the per-minute rollups; buckets by source timestamp. Scope: read.",
  request: {
    params: matchIdParams,
    query: z.object({
      bucket: z
        .enum(Object.keys(timelineBuckets) as [TimelineBucket, ...TimelineBucket[]])
        .default("1m")
        .openapi({ param: { name: "bucket", in: "query" }, description: "Bucket width: 1m or 5m." }),
    }),
  },
  responses: {
    200: okJson(timelineSchema, "The timeline"),
  },
});

export const roundsRoute = readRoute({
  method: "get",
  path: "/v1/matches/{matchId}/rounds",
  tags: ["analytics"],
  summary: "Per-round CS2 metrics",
  description:
    "Every round of a CS2 match: map, winner and the side it played, reason, kills, headshots. Empty for other sports. Scope: read.",
  request: { params: matchIdParams },
  responses: {
    200: okJson(z.object({ matchId: z.string(), rounds: z.array(roundSchema) }), "The rounds, by map and round"),
  },
});

const seriesPositionSchema = z.object({ seq: z.int().min(0) });

export const predictionsRoute = readRoute({
  method: "get",
  path: "/v1/matches/{matchId}/predictions",
  tags: ["analytics"],
  summary: "Prediction time series",
  description: "Every published win probability with its model version, in order, for charts. Scope: read.",
  request: {
    params: matchIdParams,
    query: z.object({
      from: instantQuery("from", "Predictions computed at or after this time."),
      to: instantQuery("to", "Predictions computed before this time."),
      limit: limitQuery(1000, 5000),
      cursor: cursorQuery,
    }),
  },
  responses: {
    200: okJson(
      z.object({ matchId: z.string(), data: z.array(predictionPointSchema), nextCursor: nextCursorSchema }),
      "A page of the series",
    ),
  },
});

const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

app.openapi(metricsRoute, async (c) => {
  const { matchId } = c.req.valid("param");
  const body = await queryAnalytics(c.env, "match_metrics", (client) => matchMetrics(client, matchId));
  if (!body) throw new ApiError("not_found", `no events of match '${matchId}' are logged`);
  return c.json(body, 200);
});

app.openapi(timelineRoute, async (c) => {
  const { matchId } = c.req.valid("param");
  const { bucket } = c.req.valid("query");
  const buckets = await queryAnalytics(c.env, "match_timeline", (client) => matchTimeline(client, matchId, bucket));
  return c.json({ matchId, bucket, buckets }, 200);
});

app.openapi(roundsRoute, async (c) => {
  const { matchId } = c.req.valid("param");
  const rounds = await queryAnalytics(c.env, "cs2_rounds", (client) => cs2Rounds(client, matchId));
  return c.json({ matchId, rounds }, 200);
});

app.openapi(predictionsRoute, async (c) => {
  const { matchId } = c.req.valid("param");
  const q = c.req.valid("query");
  const after = decodeCursor(q.cursor, seriesPositionSchema);
  const window = {
    fromMs: q.from ?? OPEN_FROM_MS,
    toMs: q.to ?? OPEN_TO_MS,
    afterSeq: after?.seq ?? 0,
    limit: q.limit,
  };
  const { points, nextAfterSeq } = await queryAnalytics(c.env, "prediction_series", (client) =>
    predictionSeries(client, matchId, window),
  );
  return c.json(
    { matchId, data: points, nextCursor: nextAfterSeq === null ? null : encodeCursor({ seq: nextAfterSeq }) },
    200,
  );
});

export const analyticsRoutes = app;

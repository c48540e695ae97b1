// Match analytics from ClickHouse: exact metrics, the event timeline, CS2 rounds and the prediction
// series. Routes only validate and shape; the SQL lives in workers/analytics.
import type { ClickHouseClient } from "@clickhouse/client-web";
import { OpenAPIHono, z } from "@hono/zod-openapi";
import { cs2Rounds, roundSchema } from "../analytics/cs2-rounds";
import { matchMetrics, matchMetricsSchema } from "../analytics/match-metrics";
import { OPEN_FROM_MS, OPEN_TO_MS, predictionPointSchema, predictionSeries } from "../analytics/prediction-series";
import { matchTimeline, type TimelineBucket, timelineBuckets, timelineSchema } from "../analytics/timeline";
import { withClickHouse } from "../clients/clickhouse";
import type { Env } from "../env";
import { errorMessage, log } from "../observability/log";
import { metrics } from "../observability/metrics";
import { matchOwner } from "../tenants/match-owner";
import type { AppEnv } from "./app-env";
import { ApiError, validationHook } from "./errors";
import { errors, matchReadRoute, okJson, readRoute } from "./openapi";
import { cursorQuery, decodeCursor, encodeCursor, limitQuery, nextCursorSchema } from "./pagination";
import { instantQuery, matchIdParams } from "./params";

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
  description: "From the event log, each eventId counted once; buckets by source timestamp. Scope: read.",
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

export const predictionsRoute = matchReadRoute({
  method: "get",
  path: "/v1/matches/{matchId}/predictions",
  tags: ["analytics"],
  summary: "Prediction time series",
  description:
    "Every published win probability with its model version, in order, for charts. Scope: read, or a viewer token for this match.",
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
  const owner = await matchOwner(c, matchId, "read");
  const body = await queryAnalytics(c.env, "match_metrics", (client) => matchMetrics(client, owner, matchId));
  if (!body) throw new ApiError("not_found", `no events of match '${matchId}' are logged`);
  return c.json(body, 200);
});

app.openapi(timelineRoute, async (c) => {
  const { matchId } = c.req.valid("param");
  const { bucket } = c.req.valid("query");
  const owner = await matchOwner(c, matchId, "read");
  const buckets = await queryAnalytics(c.env, "match_timeline", (client) =>
    matchTimeline(client, owner, matchId, bucket),
  );
  return c.json({ matchId, bucket, buckets }, 200);
});

app.openapi(roundsRoute, async (c) => {
  const { matchId } = c.req.valid("param");
  const owner = await matchOwner(c, matchId, "read");
  const rounds = await queryAnalytics(c.env, "cs2_rounds", (client) => cs2Rounds(client, owner, matchId));
  return c.json({ matchId, rounds }, 200);
});

app.openapi(predictionsRoute, async (c) => {
  const { matchId } = c.req.valid("param");
  const q = c.req.valid("query");
  const after = decodeCursor(q.cursor, seriesPositionSchema);
  const owner = await matchOwner(c, matchId, "read");
  const window = {
    fromMs: q.from ?? OPEN_FROM_MS,
    toMs: q.to ?? OPEN_TO_MS,
    afterSeq: after?.seq ?? 0,
    limit: q.limit,
  };
  const { points, nextAfterSeq } = await queryAnalytics(c.env, "prediction_series", (client) =>
    predictionSeries(client, owner, matchId, window),
  );
  return c.json(
    { matchId, data: points, nextCursor: nextAfterSeq === null ? null : encodeCursor({ seq: nextAfterSeq }) },
    200,
  );
});

export const analyticsRoutes = app;

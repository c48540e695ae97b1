// Match analytics from ClickHouse: exact metrics, the event timeline, CS2 rounds and the prediction
// series. Routes only validate and shape; the SQL lives in workers/analytics.
import type { ClickHouseClient } from "@clickhouse/client-web";
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { cs2Rounds, roundSchema } from "../analytics/cs2-rounds";
import { matchMetrics, matchMetricsSchema } from "../analytics/match-metrics";
import { OPEN_FROM_MS, OPEN_TO_MS, predictionPointSchema, predictionSeries } from "../analytics/prediction-series";
import { matchTimeline, type TimelineBucket, timelineBuckets, timelineSchema } from "../analytics/timeline";
import { openClickHouse } from "../clients/clickhouse";
import type { Env } from "../env";
import { errorMessage, log } from "../observability/log";
import { metrics } from "../observability/metrics";
import type { AppEnv } from "./app-env";
import { requireScope } from "./auth";
import { ApiError, validationHook } from "./errors";
import { bearerAuth, errors, json, rateLimitHeaders } from "./openapi";
import { cursorQuery, decodeCursor, encodeCursor, limitQuery, nextCursorSchema } from "./pagination";
import { instantQuery, matchIdParams } from "./params";
import { readBudget } from "./rate-limit";

async function fromAnalytics<T>(env: Env, query: string, work: (client: ClickHouseClient) => Promise<T>): Promise<T> {
  const client = openClickHouse(env);
  const started = performance.now();
  try {
    return await work(client);
  } catch (err) {
    metrics.dependencyErrors.inc({ dependency: "clickhouse" });
    log("error", "analytics query failed", { query, error: errorMessage(err) });
    throw new ApiError(503, "dependency_unavailable", "the analytics store is unavailable; retry later");
  } finally {
    metrics.clickhouseQuery.observe((performance.now() - started) / 1000, { query });
    await client.close().catch(() => {});
  }
}

const readScope = () => [requireScope(["read", "admin"]), readBudget];

export const metricsRoute = createRoute({
  method: "get",
  path: "/v1/matches/{matchId}/metrics",
  tags: ["analytics"],
  summary: "Exact metrics of a match",
  description:
    "Counts, peak minute, ingest latency percentiles, and for CS2 rounds, kills, headshot rate and round wins by side. 404 before any event is logged. Scope: read.",
  security: bearerAuth,
  middleware: readScope(),
  request: { params: matchIdParams },
  responses: {
    200: { ...json(matchMetricsSchema, "The match's metrics"), headers: rateLimitHeaders },
    ...errors(400, 401, 403, 404, 429, 503),
  },
});

export const timelineRoute = createRoute({
  method: "get",
  path: "/v1/matches/{matchId}/timeline",
  tags: ["analytics"],
  summary: "Events per time bucket and type",
  description: "From the per-minute rollups; buckets by source timestamp. Scope: read.",
  security: bearerAuth,
  middleware: readScope(),
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
    200: { ...json(timelineSchema, "The timeline"), headers: rateLimitHeaders },
    ...errors(400, 401, 403, 429, 503),
  },
});

export const roundsRoute = createRoute({
  method: "get",
  path: "/v1/matches/{matchId}/rounds",
  tags: ["analytics"],
  summary: "Per-round CS2 metrics",
  description:
    "Every round of a CS2 match: map, winner and the side it played, reason, kills, headshots. Empty for other sports. Scope: read.",
  security: bearerAuth,
  middleware: readScope(),
  request: { params: matchIdParams },
  responses: {
    200: {
      ...json(z.object({ matchId: z.string(), rounds: z.array(roundSchema) }), "The rounds, by map and round"),
      headers: rateLimitHeaders,
    },
    ...errors(400, 401, 403, 429, 503),
  },
});

const seriesPositionSchema = z.object({ seq: z.int().min(0) });

export const predictionsRoute = createRoute({
  method: "get",
  path: "/v1/matches/{matchId}/predictions",
  tags: ["analytics"],
  summary: "Prediction time series",
  description: "Every published win probability with its model version, in order, for charts. Scope: read.",
  security: bearerAuth,
  middleware: readScope(),
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
    200: {
      ...json(
        z.object({ matchId: z.string(), data: z.array(predictionPointSchema), nextCursor: nextCursorSchema }),
        "A page of the series",
      ),
      headers: rateLimitHeaders,
    },
    ...errors(400, 401, 403, 429, 503),
  },
});

const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

app.openapi(metricsRoute, async (c) => {
  const { matchId } = c.req.valid("param");
  const body = await fromAnalytics(c.env, "match_metrics", (client) => matchMetrics(client, matchId));
  if (!body) throw new ApiError(404, "not_found", `no events of match '${matchId}' are logged`);
  return c.json(body, 200);
});

app.openapi(timelineRoute, async (c) => {
  const { matchId } = c.req.valid("param");
  const { bucket } = c.req.valid("query");
  const buckets = await fromAnalytics(c.env, "match_timeline", (client) => matchTimeline(client, matchId, bucket));
  return c.json({ matchId, bucket, buckets }, 200);
});

app.openapi(roundsRoute, async (c) => {
  const { matchId } = c.req.valid("param");
  const rounds = await fromAnalytics(c.env, "cs2_rounds", (client) => cs2Rounds(client, matchId));
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
  const { points, nextAfterSeq } = await fromAnalytics(c.env, "prediction_series", (client) =>
    predictionSeries(client, matchId, window),
  );
  return c.json(
    { matchId, data: points, nextCursor: nextAfterSeq === null ? null : encodeCursor({ seq: nextAfterSeq }) },
    200,
  );
});

export const analyticsRoutes = app;

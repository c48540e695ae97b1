// Liveness, readiness (real round trips to each dependency, with latency) and Prometheus metrics.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { sql } from "drizzle-orm";
import { withClickHouse } from "../clients/clickhouse";
import { withPostgres } from "../clients/postgres";
import { openRedis } from "../clients/redis";
import type { Env } from "../env";
import { errorMessage } from "../observability/log";
import { metrics, renderMetrics } from "../observability/metrics";
import type { AppEnv } from "./app-env";
import { validationHook } from "./errors";
import { json } from "./openapi";

const READY_TIMEOUT_MS = 3_000;

const checkSchema = z.object({
  status: z.enum(["healthy", "unhealthy"]),
  latencyMs: z.number(),
  error: z.string().optional(),
});
type Check = z.infer<typeof checkSchema>;

const readinessSchema = z
  .object({
    status: z.enum(["ready", "unavailable"]),
    down: z.array(z.string()),
    timestamp: z.string(),
    checks: z.object({ postgres: checkSchema, redis: checkSchema, clickhouse: checkSchema }),
  })
  .meta({ id: "Readiness" });

async function check(name: string, probe: () => Promise<unknown>): Promise<Check> {
  const started = performance.now();
  try {
    await Promise.race([
      probe(),
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error(`no answer within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS),
      ),
    ]);
    return { status: "healthy", latencyMs: Math.round((performance.now() - started) * 10) / 10 };
  } catch (err) {
    metrics.dependencyErrors.inc({ dependency: name });
    return { status: "unhealthy", latencyMs: Math.round(performance.now() - started), error: errorMessage(err) };
  }
}

export async function readiness(env: Env): Promise<Record<"postgres" | "redis" | "clickhouse", Check>> {
  const [postgres, redis, clickhouse] = await Promise.all([
    check("postgres", () => withPostgres(env, ({ db }) => db.execute(sql`select 1`))),
    check("redis", () => openRedis(env, READY_TIMEOUT_MS).ping()),
    check("clickhouse", () =>
      withClickHouse(env, async (client) => (await client.query({ query: "SELECT 1", format: "JSONEachRow" })).json(), {
        requestTimeoutMs: READY_TIMEOUT_MS,
      }),
    ),
  ]);
  return { postgres, redis, clickhouse };
}

export const healthRoute = createRoute({
  method: "get",
  path: "/health",
  tags: ["operations"],
  summary: "Liveness",
  responses: { 200: json(z.object({ status: z.literal("ok"), timestamp: z.string() }), "The Worker runs") },
});

export const readyRoute = createRoute({
  method: "get",
  path: "/ready",
  tags: ["operations"],
  summary: "Readiness: a round trip to Postgres, Redis and ClickHouse",
  responses: {
    200: json(readinessSchema, "Every dependency answered"),
    503: json(readinessSchema, "At least one dependency is down (named in `down`)"),
  },
});

export const prometheusRoute = createRoute({
  method: "get",
  path: "/metrics",
  tags: ["operations"],
  summary: "Prometheus metrics of this isolate",
  responses: {
    200: { content: { "text/plain": { schema: z.string() } }, description: "Prometheus text format 0.0.4" },
  },
});

const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

app.openapi(healthRoute, (c) => c.json({ status: "ok" as const, timestamp: new Date().toISOString() }, 200));

app.openapi(readyRoute, async (c) => {
  const checks = await readiness(c.env);
  const down = Object.entries(checks)
    .filter(([, v]) => v.status !== "healthy")
    .map(([k]) => k);
  const body = {
    status: down.length ? ("unavailable" as const) : ("ready" as const),
    down,
    timestamp: new Date().toISOString(),
    checks,
  };
  return down.length ? c.json(body, 503) : c.json(body, 200);
});

app.openapi(prometheusRoute, (c) => c.text(renderMetrics(), 200, { "content-type": "text/plain; version=0.0.4" }));

export const healthRoutes = app;

// Liveness, readiness (real round trips to each dependency, with latency) and Prometheus metrics.
import { Hono } from "hono";
import { openClickHouse } from "../clients/clickhouse";
import { withPostgres } from "../clients/postgres";
import { openRedis } from "../clients/redis";
import { sql } from "drizzle-orm";
import type { Env } from "../env";
import { errorMessage } from "../observability/log";
import { metrics, renderMetrics } from "../observability/metrics";
import type { AppEnv } from "./app-env";

const READY_TIMEOUT_MS = 3_000;

interface Check {
  status: "healthy" | "unhealthy";
  latencyMs: number;
  error?: string;
}

async function check(name: string, probe: () => Promise<unknown>): Promise<Check> {
  const started = performance.now();
  try {
    await Promise.race([
      probe(),
      new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS)),
    ]);
    return { status: "healthy", latencyMs: Math.round((performance.now() - started) * 10) / 10 };
  } catch (err) {
    metrics.dependencyErrors.inc({ dependency: name });
    return { status: "unhealthy", latencyMs: Math.round(performance.now() - started), error: errorMessage(err) };
  }
}

export async function readiness(env: Env): Promise<Record<string, Check>> {
  const [postgres, redis, clickhouse] = await Promise.all([
    check("postgres", () => withPostgres(env, ({ db }) => db.execute(sql`select 1`))),
    check("redis", () => openRedis(env, READY_TIMEOUT_MS).ping()),
    check("clickhouse", async () => {
      const client = openClickHouse(env, READY_TIMEOUT_MS);
      try {
        const r = await client.query({ query: "SELECT 1", format: "JSONEachRow" });
        await r.json();
      } finally {
        await client.close().catch(() => {});
      }
    }),
  ]);
  return { postgres, redis, clickhouse };
}

export const healthRoutes = new Hono<AppEnv>()
  .get("/health", (c) => c.json({ status: "ok", timestamp: new Date().toISOString() }))
  .get("/ready", async (c) => {
    const checks = await readiness(c.env);
    const down = Object.entries(checks).filter(([, v]) => v.status !== "healthy").map(([k]) => k);
    return c.json(
      { status: down.length ? "unavailable" : "ready", down, timestamp: new Date().toISOString(), checks },
      down.length ? 503 : 200,
    );
  })
  .get("/metrics", (c) => c.text(renderMetrics(), 200, { "content-type": "text/plain; version=0.0.4" }));

// Postgres through the Neon serverless driver (WebSocket), one Pool per request: workerd forbids reusing
// I/O objects across requests. Locally NEON_WS_PROXY points the driver at the dev bridge; that is the
// only difference from production.
import { neonConfig, Pool } from "@neondatabase/serverless";
import { drizzle } from "drizzle-orm/neon-serverless";
import type { Env } from "../env";
import * as schema from "./postgres-schema";

export type Database = ReturnType<typeof drizzle<typeof schema>>;

export interface Postgres {
  db: Database;
  pool: Pool;
  close(): Promise<void>;
}

function configureLocalProxy(proxy: string | undefined): void {
  if (!proxy) return;
  const base = proxy.replace(/^wss?:\/\//, "").replace(/\/$/, "");
  neonConfig.wsProxy = (host, port) => `${base}/v1?address=${host}:${port}`;
  neonConfig.useSecureWebSocket = false;
  neonConfig.pipelineConnect = false;
}

export function openPostgres(env: Pick<Env, "DATABASE_URL" | "NEON_WS_PROXY">): Postgres {
  configureLocalProxy(env.NEON_WS_PROXY);
  const pool = new Pool({ connectionString: env.DATABASE_URL, connectionTimeoutMillis: 5_000 });
  // The driver reports a dead bridge or server as a bare "Network connection lost."; keep the pool
  // from throwing an unhandled error event and let the failed query carry the error.
  pool.on("error", () => {});
  return { db: drizzle(pool, { schema }), pool, close: () => pool.end() };
}

/** Runs `work` with a fresh Postgres connection and always releases it. */
export async function withPostgres<T>(
  env: Pick<Env, "DATABASE_URL" | "NEON_WS_PROXY">,
  work: (pg: Postgres) => Promise<T>,
): Promise<T> {
  const pg = openPostgres(env);
  try {
    return await work(pg);
  } finally {
    await pg.close().catch(() => {});
  }
}

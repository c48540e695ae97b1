// Postgres through the Neon serverless driver, one Pool per request: workerd forbids reusing I/O objects
// across requests. A one-shot query (pool.query, so every drizzle call outside a transaction) goes over
// HTTP (`poolQueryViaFetch`): one round trip to the proxy, which keeps its own server connections,
// instead of a WebSocket, a startup and an authentication per request. Transactions take a WebSocket
// session. Locally NEON_WS_PROXY points both at the dev bridge; that is the only difference from
// production.
import { neonConfig, Pool, type PoolClient } from "@neondatabase/serverless";
import { drizzle } from "drizzle-orm/neon-serverless";
import type { Env } from "../env";
import { Breaker } from "./breaker";
import * as schema from "./postgres-schema";

/** One breaker for the edge's Postgres look-ups (API keys, match sports): an outage costs one wait. */
export const postgresBreaker = new Breaker("postgres", 5_000);

/**
 * What may be logged of a database error: the driver's own message and the SQLSTATE. drizzle's wrapper
 * message carries the query's parameters (key hashes, names), so it is never logged.
 */
export function describeDbError(err: unknown): { error: string; sqlState?: string } {
  let inner: unknown = err;
  let sqlState: string | undefined;
  for (let e: unknown = err; e && typeof e === "object"; e = (e as { cause?: unknown }).cause) {
    inner = e;
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) sqlState = code;
  }
  const message = inner instanceof Error ? inner.message : String(inner);
  return { error: message.replace(/params:[\s\S]*$/, "params: [not logged]"), ...(sqlState ? { sqlState } : {}) };
}

export type Database = ReturnType<typeof drizzle<typeof schema>>;

export interface Postgres {
  db: Database;
  pool: Pool;
  close(): Promise<void>;
}

/**
 * The driver's settings are process-wide: every Pool of the process (Workers, and Node tools such as
 * dev/migrate.ts) takes them from here, so one-shot queries go over HTTP and, locally, both paths reach
 * the dev bridge.
 */
export function configureNeon({ DATABASE_URL, NEON_WS_PROXY }: Pick<Env, "DATABASE_URL" | "NEON_WS_PROXY">): void {
  neonConfig.poolQueryViaFetch = true;
  if (!NEON_WS_PROXY) return;
  const base = NEON_WS_PROXY.replace(/^wss?:\/\//, "").replace(/\/$/, "");
  neonConfig.wsProxy = (host, port) => `${base}/v1?address=${host}:${port}`;
  // The driver's HTTP path drops the port from the connection string (Neon listens on the default);
  // the local server's comes from DATABASE_URL.
  const { hostname, port } = new URL(DATABASE_URL);
  neonConfig.fetchEndpoint = `http://${base}/sql?address=${hostname}:${port || 5432}`;
  neonConfig.useSecureWebSocket = false;
  neonConfig.pipelineConnect = false;
}

export function openPostgres(env: Pick<Env, "DATABASE_URL" | "NEON_WS_PROXY">): Postgres {
  configureNeon(env);
  const pool = new Pool({ connectionString: env.DATABASE_URL, connectionTimeoutMillis: 5_000 });
  // The driver reports a dead bridge or server as a bare "Network connection lost."; keep the pool
  // from throwing an unhandled error event and let the failed query carry the error.
  pool.on("error", () => {});
  // drizzle builds its relational config from the whole schema on construction (profiled: more CPU than a
  // game read's own query), so only the callers that use it pay for it.
  let db: Postgres["db"] | undefined;
  return {
    get db() {
      db ??= drizzle(pool, { schema });
      return db;
    },
    pool,
    close: () => pool.end(),
  };
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

/** Runs `work` on a session of `pool` (a WebSocket: the HTTP path has no sessions), released after. */
export async function withSession<T>(pool: Pool, work: (session: PoolClient) => Promise<T>): Promise<T> {
  const session = await pool.connect();
  try {
    return await work(session);
  } finally {
    session.release();
  }
}

/**
 * Runs `work` in one transaction: on `on` when it is a session, else on a session of the pool
 * (withSession). Committed when `work` returns, rolled back when it throws.
 */
export async function inTransaction<T>(on: Pool | PoolClient, work: (session: PoolClient) => Promise<T>): Promise<T> {
  if (on instanceof Pool) return withSession(on, (session) => inTransaction(session, work));
  await on.query("BEGIN");
  try {
    const result = await work(on);
    await on.query("COMMIT");
    return result;
  } catch (err) {
    await on.query("ROLLBACK").catch(() => {});
    throw err;
  }
}

// ClickHouse over HTTP with the web client (fetch-based, runs in workerd). One client per call, always
// closed: `withClickHouse`, the twin of `withPostgres`.
import { type ClickHouseClient, createClient } from "@clickhouse/client-web";
import type { Env } from "../env";

type ClickHouseEnv = Pick<Env, "CLICKHOUSE_URL" | "CLICKHOUSE_USER" | "CLICKHOUSE_PASSWORD" | "CLICKHOUSE_DATABASE">;

export function openClickHouse(env: ClickHouseEnv, requestTimeoutMs = 10_000): ClickHouseClient {
  return createClient({
    url: env.CLICKHOUSE_URL,
    username: env.CLICKHOUSE_USER || "default",
    password: env.CLICKHOUSE_PASSWORD ?? "",
    database: env.CLICKHOUSE_DATABASE || "matchpulse",
    request_timeout: requestTimeoutMs,
  });
}

export interface ClickHouseCall {
  requestTimeoutMs?: number;
  /** Called with the call's duration in seconds, whether it succeeded or not (for a timing metric). */
  timed?: (seconds: number) => void;
}

/** Runs `work` with a fresh ClickHouse client and always closes it. */
export async function withClickHouse<T>(
  env: ClickHouseEnv,
  work: (client: ClickHouseClient) => Promise<T>,
  call: ClickHouseCall = {},
): Promise<T> {
  const client = openClickHouse(env, call.requestTimeoutMs);
  const started = performance.now();
  try {
    return await work(client);
  } finally {
    call.timed?.((performance.now() - started) / 1000);
    await client.close().catch(() => {});
  }
}

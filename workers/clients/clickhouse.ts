// ClickHouse over HTTP with the web client (fetch-based, runs in workerd).
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

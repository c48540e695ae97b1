// How analytics queries travel: SQL text that never changes per request plus bound `{name:Type}`
// parameters, and rows back as JSONEachRow. 64-bit integers arrive as JSON strings from ClickHouse
// (quoted by default) and as numbers from the local chdb front, so readers go through toNumber.
import type { ClickHouseClient } from "@clickhouse/client-web";

export interface BoundQuery {
  query: string;
  params: Record<string, unknown>;
}

export async function selectRows<T>(client: ClickHouseClient, { query, params }: BoundQuery): Promise<T[]> {
  const result = await client.query({ query, query_params: params, format: "JSONEachRow" });
  return result.json<T>();
}

/** A ClickHouse integer that may come back as a number or a quoted string. */
export type Int = number | string;

export const toNumber = (value: Int | null | undefined): number =>
  value === null || value === undefined ? 0 : Number(value);

/** Epoch milliseconds (as selected with toUnixTimestamp64Milli) to ISO 8601. */
export const isoFromMs = (ms: Int): string => new Date(Number(ms)).toISOString();

/** Epoch seconds (as selected with toUnixTimestamp) to ISO 8601. */
export const isoFromSeconds = (s: Int): string => new Date(Number(s) * 1000).toISOString();

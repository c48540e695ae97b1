// Bindings and configuration of the one Worker. Values come from wrangler.toml [vars], `wrangler secret`
// in production, and the local stack's URLs under `npm start` / `npm test`.

import type { AnalyticsMessage } from "./consumer/analytics-queue";
import type { SettlementMessage } from "./games/settlement";
import type { EventsMessage } from "./ingest/pack";
import type { MatchRoom } from "./match-room/match-room";

export interface Env {
  EVENTS_QUEUE: Queue<EventsMessage>;
  ANALYTICS_QUEUE: Queue<AnalyticsMessage>;
  SETTLEMENT_QUEUE: Queue<SettlementMessage>;
  MATCH_ROOM: DurableObjectNamespace<MatchRoom>;

  /** Postgres connection string (Neon in production). */
  DATABASE_URL: string;
  /** Local only: the WebSocket-to-TCP bridge the Neon driver goes through (ws://host:port). */
  NEON_WS_PROXY?: string;
  UPSTASH_REDIS_REST_URL: string;
  UPSTASH_REDIS_REST_TOKEN: string;
  CLICKHOUSE_URL: string;
  CLICKHOUSE_USER: string;
  CLICKHOUSE_PASSWORD: string;
  CLICKHOUSE_DATABASE: string;

  EDGE_DEDUP_TTL_SECONDS: string;
  GAP_HOLD_MS: string;
  /** Live sockets one API client may hold open on one match (default 100). */
  LIVE_SOCKETS_PER_CLIENT?: string;
  LOG_LEVEL: string;
}

export function numberVar(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return value !== undefined && value !== "" && Number.isFinite(n) ? n : fallback;
}

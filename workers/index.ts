// The Worker's entry: HTTP → the Hono app; queue batches → the events consumer (rooms) or the analytics
// consumer (ClickHouse), told apart by queue name; exports the MatchRoom class.
import { app } from "./api/app";
import { type AnalyticsMessage, consumeAnalytics } from "./consumer/analytics-queue";
import { consumeEvents } from "./consumer/consume-events";
import type { Env } from "./env";
import type { EventsMessage } from "./ingest/pack";

export { MatchRoom } from "./match-room/match-room";
export { MatchRelay } from "./relay/match-relay";

/** The analytics queue is the one whose name ends in "-analytics" (wrangler.toml). */
export const isAnalyticsQueue = (name: string): boolean => name.endsWith("-analytics");

export default {
  fetch: app.fetch,
  async queue(batch: MessageBatch<EventsMessage | AnalyticsMessage>, env: Env): Promise<void> {
    if (isAnalyticsQueue(batch.queue)) await consumeAnalytics(batch as MessageBatch<AnalyticsMessage>, env);
    else await consumeEvents(batch as MessageBatch<EventsMessage>, env);
  },
} satisfies ExportedHandler<Env, EventsMessage | AnalyticsMessage>;

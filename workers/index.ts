// The Worker's entry: HTTP → the Hono app; queue batches → the events consumer (rooms), the analytics
// consumer (ClickHouse), the prediction game's settlement or the dead-letter consumer, told apart by queue name; exports the MatchRoom class.
// Bodies reach the consumers as `unknown`: each reads them by kind and version (workers/queue/messages).
import { app } from "./api/app";
import { consumeAnalytics } from "./consumer/analytics-queue";
import { consumeEvents } from "./consumer/consume-events";
import { consumeDeadLetterQueue, isDeadLetterQueue } from "./consumer/dead-letter-queue";
import type { Env } from "./env";
import { consumeSettlement, isSettlementQueue } from "./games/settlement";

export { MatchRoom } from "./match-room/match-room";
export { MatchRelay } from "./relay/match-relay";
export { SourceSession } from "./sources/source-session";

/** The analytics queue is the one whose name ends in "-analytics" (wrangler.toml). */
export const isAnalyticsQueue = (name: string): boolean => name.endsWith("-analytics");

export default {
  fetch: app.fetch,
  async queue(batch: MessageBatch<unknown>, env: Env): Promise<void> {
    if (isDeadLetterQueue(batch.queue)) await consumeDeadLetterQueue(batch, env);
    else if (isSettlementQueue(batch.queue)) await consumeSettlement(batch, env);
    else if (isAnalyticsQueue(batch.queue)) await consumeAnalytics(batch, env);
    else await consumeEvents(batch, env);
  },
} satisfies ExportedHandler<Env, unknown>;

// The Worker's entry: HTTP → the Hono app, queue batches → the consumer; exports the MatchRoom class.
import { app } from "./api/app";
import { consumeEvents } from "./consumer/consume-events";
import type { Env } from "./env";
import type { EventsMessage } from "./ingest/pack";

export { MatchRoom } from "./match-room/match-room";

export default {
  fetch: app.fetch,
  async queue(batch: MessageBatch<EventsMessage>, env: Env): Promise<void> {
    await consumeEvents(batch, env);
  },
} satisfies ExportedHandler<Env, EventsMessage>;

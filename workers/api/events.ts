// POST /v1/events — ingest one event, a JSON array, or NDJSON.
import { Hono } from "hono";
import { acceptEvents } from "../ingest/accept-events";
import { bodyKind, parseEventsBody, readBodyText } from "../ingest/parse-body";
import type { AppEnv } from "./app-env";
import { requireScope } from "./auth";
import { ApiError } from "./errors";

export const eventsRoutes = new Hono<AppEnv>().post("/v1/events", requireScope("ingest"), async (c) => {
  const kind = bodyKind(c.req.header("content-type") ?? null);
  if (!kind) {
    throw new ApiError(415, "unsupported_media_type", "send application/json (an event or an array of events) or application/x-ndjson");
  }
  const { items, single } = parseEventsBody(await readBodyText(c.req.raw), kind);
  const result = await acceptEvents(c.env, items, c.get("requestId"));

  if (result.accepted + result.duplicates === 0) {
    const first = result.rejected[0];
    throw new ApiError(400, "invalid_event", single ? "the event is invalid" : "no event in the request is valid", {
      issues: single ? first?.issues : undefined,
      rejected: result.rejected,
    });
  }
  const body = { accepted: result.accepted, duplicates: result.duplicates, rejected: result.rejected };
  if (single) {
    const status = result.statuses.get(0)!;
    return c.json({ ...body, eventId: (items[0] as { eventId: string }).eventId, status }, 202);
  }
  return c.json(body, 202);
});

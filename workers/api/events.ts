// POST /v1/events — ingest one event, a JSON array, or NDJSON. The handler reads the body itself (size
// limits while streaming, per-item validation with indexes), so the route is declared for the document
// only; the ingest budget is spent per event once the body is parsed.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { contractIssueSchema } from "../../shared/contract/errors";
import { eventSchema } from "../../shared/contract/event";
import { acceptEvents } from "../ingest/accept-events";
import {
  bodyKind,
  bodyTooLarge,
  decodeBody,
  MAX_BODY_BYTES,
  MAX_EVENTS_PER_REQUEST,
  parseEventsBody,
} from "../ingest/parse-body";
import { ingestAccess } from "./access";
import type { AppEnv } from "./app-env";
import { ApiError, validationHook } from "./errors";
import { bearerAuth, errors, json, rateLimitHeaders } from "./openapi";
import { rateLimitHeaders as decisionHeaders } from "./rate-limit";

export const ingestResultSchema = z
  .object({
    accepted: z.int().min(0).describe("Events now in the queue."),
    duplicates: z.int().min(0).describe("Events already received (same eventId)."),
    rejected: z.array(
      z.object({
        index: z.int().min(0),
        eventId: z.string().optional(),
        issues: z.array(contractIssueSchema),
        issuesOmitted: z.int().min(1).optional().describe("Issues of this item beyond those listed."),
      }),
    ),
    eventId: z.string().optional().describe("Single-event requests only."),
    status: z.enum(["accepted", "duplicate"]).optional().describe("Single-event requests only."),
  })
  .meta({ id: "IngestResult" });

export const postEventsRoute = createRoute({
  method: "post",
  path: "/v1/events",
  tags: ["ingest"],
  summary: "Send events",
  description:
    `One event, a JSON array, or NDJSON; at most ${MAX_EVENTS_PER_REQUEST} events and 1 MB. Valid events are accepted even when ` +
    "others in the batch are rejected; 202 comes only after the queue took them. Spends one unit of the ingest budget per event. " +
    "The events go to matches of the key's tenant. Over the tenant's events-per-day quota the whole request is refused: 429 `quota_exceeded` (quota `eventsPerDay`). Scope: ingest.",
  security: bearerAuth,
  request: {
    body: {
      required: true,
      content: {
        "application/json": { schema: z.union([eventSchema, z.array(eventSchema).max(MAX_EVENTS_PER_REQUEST)]) },
        "application/x-ndjson": { schema: z.string().describe("One MatchEvent JSON object per line.") },
      },
    },
  },
  responses: {
    202: {
      ...json(ingestResultSchema, "Accepted (some items may be rejected: see `rejected`)"),
      headers: rateLimitHeaders,
    },
    ...errors(400, 401, 403, 413, 415, 429, 503),
  },
});

const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

app.openAPIRegistry.registerPath(postEventsRoute);
// Authenticate before reading the body; bodyLimit refuses an oversized one while it streams.
const limitBody = bodyLimit({
  maxSize: MAX_BODY_BYTES,
  onError: () => {
    throw bodyTooLarge();
  },
});

app.post("/v1/events", ingestAccess, limitBody, async (c) => {
  const kind = bodyKind(c.req.header("content-type") ?? null);
  if (!kind) {
    throw new ApiError(
      "unsupported_media_type",
      "send application/json (an event or an array of events) or application/x-ndjson",
    );
  }
  const { items, single } = parseEventsBody(decodeBody(await c.req.arrayBuffer()), kind);
  // The ingest budget rides in the edge admission (one Redis command with the dedup claims).
  const result = await acceptEvents(c.env, items, c.get("requestId"), { client: c.get("client"), cost: items.length });
  if (result.rate) for (const [name, value] of Object.entries(decisionHeaders(result.rate))) c.header(name, value);

  if (result.accepted + result.duplicates === 0) {
    // A single event's issues are listed once, at the top; a batch's per item in `rejected`.
    const first = result.rejected[0];
    if (single)
      throw new ApiError("invalid_event", "the event is invalid", {
        issues: first?.issues ?? [],
        ...(first?.issuesOmitted ? { issuesOmitted: first.issuesOmitted } : {}),
      });
    throw new ApiError("invalid_event", "no event in the request is valid", { rejected: result.rejected });
  }
  const body = { accepted: result.accepted, duplicates: result.duplicates, rejected: result.rejected };
  const only = single ? result.statuses.get(0) : undefined;
  return c.json(only ? { ...body, ...only } : body, 202);
});

export const eventsRoutes = app;

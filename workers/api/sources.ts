// Sources: feeds a match's events come from without an API key (issue 10 §2). The admin registers one and
// gets its token once; the source POSTs to its ingest URL (a CS2 server's `logaddress_add_http` with
// ?token=, a GSI client with `auth.token` in the body). Each source's batches go through its SourceSession
// Durable Object (cursor, serialization, token check); Postgres keeps the admin's list, per tenant: a
// key lists and revokes only its own tenant's sources, and registers them for its own tenant's matches.
import { OpenAPIHono, z } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { hex } from "../../shared/digest";
import { type SourceConfig, sourceKinds } from "../../shared/sources/session";
import { bodyTooLarge, MAX_BODY_BYTES } from "../ingest/parse-body";
import { errorMessage, log } from "../observability/log";
import { sportsOfMatches } from "../stores/postgres/matches";
import { insertSource, listSources, revokeSource, type SourceRow } from "../stores/postgres/sources";
import { quotaExceeded } from "../tenants/quota-error";
import { hashApiKey, keyPrefix } from "./api-keys";
import type { AppEnv } from "./app-env";
import { ApiError, validationHook } from "./errors";
import { withMetadata } from "./metadata-store";
import { adminRoute, errors, json, okJson } from "./openapi";
import { cursorQuery, decodeCursor, limitQuery, nextCursorSchema, page } from "./pagination";
import { entityId, includeRevokedQuery, storableText } from "./params";

/** A source token: 192 random bits, `mps_` so a leaked one is easy to grep for and told apart from API keys. */
export const newSourceToken = (): string => `mps_${hex(crypto.getRandomValues(new Uint8Array(24)))}`;

export const sourceSchema = z
  .object({
    id: z.string(),
    kind: z.enum(sourceKinds),
    matchId: z.string(),
    tokenPrefix: z.string().describe("The token's first characters, to tell tokens apart."),
    createdAt: z.string(),
    revokedAt: z.string().nullable(),
  })
  .meta({ id: "Source" });

const createSourceBody = z
  .strictObject({
    kind: z
      .enum(sourceKinds)
      .describe("cs2-log: a CS2 dedicated server's log over HTTP; cs2-gsi: Game State Integration."),
    matchId: entityId,
    bestOf: z
      .union([z.literal(1), z.literal(3), z.literal(5)])
      .optional()
      .describe("Default 1."),
    team1Name: storableText(1, 64).optional().describe("The name the server shows for team 1 (else learnt)."),
    team2Name: storableText(1, 64).optional(),
    utcOffsetMinutes: z
      .int()
      .min(-10_000_000)
      .max(10_000_000)
      .optional()
      .describe("cs2-log: the server clock's offset from UTC in minutes (log lines carry no zone). Default 0."),
  })
  .meta({ id: "CreateSource" });

const sourceIdParams = z.object({ sourceId: z.guid().openapi({ param: { name: "sourceId", in: "path" } }) });

const kindOf = (k: string): (typeof sourceKinds)[number] => (k === "cs2-gsi" ? "cs2-gsi" : "cs2-log");

const sourceView = (r: SourceRow): z.infer<typeof sourceSchema> => ({
  id: r.id,
  kind: kindOf(r.kind),
  matchId: r.matchId,
  tokenPrefix: r.tokenPrefix,
  createdAt: r.createdAt.toISOString(),
  revokedAt: r.revokedAt?.toISOString() ?? null,
});

export const createSourceRoute = adminRoute({
  method: "post",
  path: "/v1/sources",
  tags: ["admin"],
  summary: "Register a source (a CS2 server's log, a GSI client) for a match",
  description:
    'The token is in this response only. cs2-log: `logaddress_add_http "<ingestUrl>"` on the server. ' +
    "cs2-gsi: the ingestUrl (without token) and the token as `auth.token` in the client's cfg. Scope: admin.",
  request: { body: { content: { "application/json": { schema: createSourceBody } }, required: true } },
  responses: {
    201: okJson(
      z.object({
        id: z.string(),
        kind: z.enum(sourceKinds),
        matchId: z.string(),
        token: z.string().describe("The source's token, shown once."),
        ingestUrl: z.string().describe("Where the source POSTs (cs2-log: with ?token=)."),
      }),
      "The source and its token",
    ),
    ...errors(415),
  },
});

export const listSourcesRoute = adminRoute({
  method: "get",
  path: "/v1/sources",
  tags: ["admin"],
  summary: "List sources",
  description: "Ordered by id; revoked sources only with includeRevoked=true. Scope: admin.",
  request: {
    query: z.object({
      matchId: entityId.optional().openapi({ param: { name: "matchId", in: "query" } }),
      includeRevoked: includeRevokedQuery,
      limit: limitQuery(100, 500),
      cursor: cursorQuery,
    }),
  },
  responses: {
    200: okJson(z.object({ data: z.array(sourceSchema), nextCursor: nextCursorSchema }), "A page of sources"),
  },
});

export const revokeSourceRoute = adminRoute({
  method: "post",
  path: "/v1/sources/{sourceId}/revoke",
  tags: ["admin"],
  summary: "Revoke a source's token",
  description: "Its next batch is refused with 401. Idempotent. Scope: admin.",
  request: { params: sourceIdParams },
  responses: {
    200: okJson(sourceSchema, "The revoked source"),
    ...errors(404),
  },
});

const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

const session = (env: AppEnv["Bindings"], id: string) => env.SOURCE_SESSION.get(env.SOURCE_SESSION.idFromName(id));

app.openapi(createSourceRoute, async (c) => {
  const body = c.req.valid("json");
  const id = crypto.randomUUID();
  const token = newSourceToken();
  const tokenHash = await hashApiKey(token, c.env.API_KEY_PEPPER);
  // Every source kind sends CS2 events: a match registered as another sport would refuse them all.
  const { tenantId } = c.get("client");
  const registered = await withMetadata(c.env, (db) => sportsOfMatches(db, tenantId, [body.matchId]));
  const sport = registered.get(body.matchId);
  if (sport !== undefined && sport !== "cs2")
    throw new ApiError(
      "invalid_request",
      `match '${body.matchId}' is registered as ${sport}; a ${body.kind} source sends cs2`,
      {
        issues: [{ path: "matchId", message: `is a ${sport} match` }],
      },
    );
  const config: SourceConfig = { sourceId: id, ...body };
  // The session first: should the insert fail, an object nobody has the token of is left, never a listed
  // source that cannot ingest.
  await session(c.env, id).configure(config, tokenHash, tenantId);
  const row = await withMetadata(c.env, (db) =>
    insertSource(db, {
      tenantId,
      id,
      kind: body.kind,
      matchId: body.matchId,
      tokenHash,
      tokenPrefix: keyPrefix(token),
    }),
  );
  if (!row) throw new ApiError("internal", "the new source was not stored");
  const url = new URL(`/v1/sources/${id}/ingest`, c.req.url);
  if (body.kind === "cs2-log") url.searchParams.set("token", token);
  log("info", "source created", {
    requestId: c.get("requestId"),
    by: c.get("client").id,
    sourceId: id,
    kind: body.kind,
  });
  return c.json({ id, kind: body.kind, matchId: body.matchId, token, ingestUrl: url.toString() }, 201);
});

app.openapi(listSourcesRoute, async (c) => {
  const q = c.req.valid("query");
  const after = decodeCursor(q.cursor, z.object({ id: z.guid() }));
  const rows = await withMetadata(c.env, (db) =>
    listSources(db, c.get("client").tenantId, {
      includeRevoked: q.includeRevoked,
      matchId: q.matchId ?? null,
      afterId: after?.id ?? null,
      limit: q.limit,
    }),
  );
  const { data, nextCursor } = page(rows.map(sourceView), q.limit, (r) => ({ id: r.id }));
  return c.json({ data, nextCursor }, 200);
});

app.openapi(revokeSourceRoute, async (c) => {
  const { sourceId } = c.req.valid("param");
  const row = await withMetadata(c.env, (db) => revokeSource(db, c.get("client").tenantId, sourceId));
  if (!row) throw new ApiError("not_found", `no source '${sourceId}'`);
  await session(c.env, sourceId).revoke();
  log("info", "source revoked", { requestId: c.get("requestId"), by: c.get("client").id, sourceId });
  return c.json(sourceView(row), 200);
});

// Ingest: no API key (a game server cannot set headers); the source's token authenticates, checked by its
// session. Answers 200 as soon as the events are queued; bad lines are counted, not refused (a server
// cannot act on errors), and logged.
app.openAPIRegistry.registerComponent("securitySchemes", "sourceToken", {
  type: "apiKey",
  in: "query",
  name: "token",
  description: "The source's token (POST /v1/sources); a GSI body carries it as `auth.token` instead.",
});
app.openAPIRegistry.registerPath({
  method: "post",
  path: "/v1/sources/{sourceId}/ingest",
  tags: ["ingest"],
  security: [{ sourceToken: [] }],
  summary: "A source's batch: CS2 log lines (text/plain) or a GSI body (application/json)",
  description:
    "cs2-log: lines in the HTTP form `MM/DD/YYYY - HH:MM:SS.mmm - <event>` or the file form " +
    "`L MM/DD/YYYY - HH:MM:SS: <event>`, authenticated by `?token=`. cs2-gsi: the GSI JSON body, " +
    "authenticated by its `auth.token`. Retried and overlapping batches add nothing.",
  request: {
    params: sourceIdParams,
    query: z.object({
      token: z
        .string()
        .optional()
        .openapi({ param: { name: "token", in: "query" } }),
    }),
    body: { content: { "text/plain": { schema: z.string() }, "application/json": { schema: z.unknown() } } },
  },
  responses: {
    200: json(
      z.object({
        events: z.int().describe("Events queued from this batch."),
        issues: z.int().describe("Problems met: lines or bodies that are not events (at most 20 per batch); logged."),
      }),
      "Taken (lines that are not events are counted in `issues`)",
    ),
    ...errors(401, 413, 429, 503),
  },
});

const limitBody = bodyLimit({
  maxSize: MAX_BODY_BYTES,
  onError: () => {
    throw bodyTooLarge();
  },
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const refused = () => new ApiError("unauthorized", "unknown source, wrong token or revoked source");

app.post("/v1/sources/:sourceId/ingest", limitBody, async (c) => {
  const sourceId = c.req.param("sourceId").toLowerCase();
  if (!UUID.test(sourceId)) throw refused();
  // Not fatal: bytes that are not UTF-8 become lines that do not parse, counted like any other bad line.
  const text = new TextDecoder().decode(await c.req.arrayBuffer());
  const requestId = c.get("requestId");
  let result: Awaited<ReturnType<ReturnType<typeof session>["ingest"]>>;
  try {
    result = await session(c.env, sourceId).ingest(text, c.req.query("token") ?? null, requestId);
  } catch (err) {
    log("error", "source batch not queued", { requestId, sourceId, error: errorMessage(err) });
    throw new ApiError("queue_unavailable", "the event queue refused the batch; retry it", {}, { "retry-after": "1" });
  }
  if (!result.ok) {
    log("info", "source batch refused", { requestId, sourceId, reason: result.reason });
    if (result.reason === "quota")
      throw quotaExceeded(
        "eventsPerDay",
        `the batch's events would pass the tenant's quota of ${result.limit} events per day (UTC; ${result.remaining} left); resend it later`,
        (result.resetMs - Date.now()) / 1000,
      );
    throw refused();
  }
  if (result.issues.length > 0)
    log("warn", "source batch had lines that are not events", {
      requestId,
      sourceId,
      issues: result.issues.length,
      first: result.issues.slice(0, 3),
    });
  return c.json({ events: result.events, issues: result.issues.length }, 200);
});

export const sourcesRoutes = app;

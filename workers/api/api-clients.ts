// API clients: who may call the API, with which scopes and rate limits. The key is returned once, when
// the client is created; only its SHA-256 is stored. Revoking takes effect at once in this isolate and
// within KEY_CACHE_TTL_MS everywhere else.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { and, eq, gt, isNull, sql } from "drizzle-orm";
import { apiClients } from "../clients/postgres-schema";
import { log } from "../observability/log";
import { hashApiKey, keyPrefix, newApiKey } from "./api-keys";
import type { AppEnv, Scope } from "./app-env";
import { forgetClient, KEY_CACHE_TTL_MS, requireScope } from "./auth";
import { ApiError, validationHook } from "./errors";
import { withMetadata } from "./metadata-store";
import { bearerAuth, errors, json, rateLimitHeaders } from "./openapi";
import { cursorQuery, decodeCursor, limitQuery, nextCursorSchema, page } from "./pagination";
import { readBudget } from "./rate-limit";

const scopes = ["ingest", "read", "admin", "games"] as const satisfies readonly Scope[];

export const apiClientSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    keyPrefix: z.string().describe("The key's first characters, to tell keys apart."),
    scopes: z.array(z.enum(scopes)),
    ingestPerMinute: z.int().describe("Ingest budget: events per minute."),
    readPerMinute: z.int().describe("Read budget: requests per minute (read and admin routes)."),
    createdAt: z.string(),
    revokedAt: z.string().nullable(),
  })
  .meta({ id: "ApiClient" });

const perMinute = z.int().min(1).max(10_000_000);
const createClientBody = z
  .strictObject({
    name: z.string().min(1).max(200),
    scopes: z
      .array(z.enum(scopes))
      .min(1)
      .describe("ingest: POST /v1/events; read: live and analytics reads; admin: metadata and clients."),
    ingestPerMinute: perMinute.optional().describe("Default 120000."),
    readPerMinute: perMinute.optional().describe("Default 6000."),
  })
  .meta({ id: "CreateApiClient" });
const updateClientBody = createClientBody.partial().meta({ id: "UpdateApiClient" });

const clientIdParams = z.object({ clientId: z.guid().openapi({ param: { name: "clientId", in: "path" } }) });

type ClientRow = typeof apiClients.$inferSelect;
const clientView = (r: ClientRow): z.infer<typeof apiClientSchema> => ({
  id: r.id,
  name: r.name,
  keyPrefix: r.keyPrefix,
  scopes: r.scopes.filter((s): s is (typeof scopes)[number] => (scopes as readonly string[]).includes(s)),
  ingestPerMinute: r.ingestPerMinute,
  readPerMinute: r.readPerMinute,
  createdAt: r.createdAt.toISOString(),
  revokedAt: r.revokedAt?.toISOString() ?? null,
});

const admins = () => [requireScope("admin"), readBudget];

export const createClientRoute = createRoute({
  method: "post",
  path: "/v1/api-clients",
  tags: ["admin"],
  summary: "Create an API client and its key",
  description: "The key is in this response only: store it now. Scope: admin.",
  security: bearerAuth,
  middleware: admins(),
  request: { body: { content: { "application/json": { schema: createClientBody } }, required: true } },
  responses: {
    201: {
      ...json(
        z.object({ client: apiClientSchema, key: z.string().describe("The API key, shown once.") }),
        "The client and its key",
      ),
      headers: rateLimitHeaders,
    },
    ...errors(400, 401, 403, 415, 429, 503),
  },
});

export const listClientsRoute = createRoute({
  method: "get",
  path: "/v1/api-clients",
  tags: ["admin"],
  summary: "List API clients",
  description: "Ordered by id; revoked clients only with includeRevoked=true. Scope: admin.",
  security: bearerAuth,
  middleware: admins(),
  request: {
    query: z.object({
      includeRevoked: z
        .enum(["true", "false"])
        .default("false")
        .transform((v) => v === "true")
        .openapi({ param: { name: "includeRevoked", in: "query" } }),
      limit: limitQuery(100, 500),
      cursor: cursorQuery,
    }),
  },
  responses: {
    200: {
      ...json(z.object({ data: z.array(apiClientSchema), nextCursor: nextCursorSchema }), "A page of clients"),
      headers: rateLimitHeaders,
    },
    ...errors(400, 401, 403, 429, 503),
  },
});

export const updateClientRoute = createRoute({
  method: "patch",
  path: "/v1/api-clients/{clientId}",
  tags: ["admin"],
  summary: "Change a client's name, scopes or rate limits",
  description: `Applies everywhere within ${KEY_CACHE_TTL_MS / 1000} s. Scope: admin.`,
  security: bearerAuth,
  middleware: admins(),
  request: {
    params: clientIdParams,
    body: { content: { "application/json": { schema: updateClientBody } }, required: true },
  },
  responses: {
    200: { ...json(apiClientSchema, "The client"), headers: rateLimitHeaders },
    ...errors(400, 401, 403, 404, 415, 429, 503),
  },
});

export const revokeClientRoute = createRoute({
  method: "post",
  path: "/v1/api-clients/{clientId}/revoke",
  tags: ["admin"],
  summary: "Revoke a client's key",
  description: `The key stops working at once on this instance and within ${KEY_CACHE_TTL_MS / 1000} s everywhere. Idempotent. Scope: admin.`,
  security: bearerAuth,
  middleware: admins(),
  request: { params: clientIdParams },
  responses: {
    200: { ...json(apiClientSchema, "The revoked client"), headers: rateLimitHeaders },
    ...errors(400, 401, 403, 404, 429, 503),
  },
});

const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

app.openapi(createClientRoute, async (c) => {
  const body = c.req.valid("json");
  const key = newApiKey();
  const keyHash = await hashApiKey(key);
  const rows = await withMetadata(c.env, (db) =>
    db
      .insert(apiClients)
      .values({
        name: body.name,
        keyHash,
        keyPrefix: keyPrefix(key),
        scopes: [...new Set(body.scopes)],
        ...(body.ingestPerMinute !== undefined ? { ingestPerMinute: body.ingestPerMinute } : {}),
        ...(body.readPerMinute !== undefined ? { readPerMinute: body.readPerMinute } : {}),
      })
      .returning(),
  );
  const client = clientView(rows[0]!);
  log("info", "api client created", {
    requestId: c.get("requestId"),
    by: c.get("client").id,
    clientId: client.id,
    scopes: client.scopes,
  });
  return c.json({ client, key }, 201);
});

app.openapi(listClientsRoute, async (c) => {
  const q = c.req.valid("query");
  const after = decodeCursor(q.cursor, z.object({ id: z.string() }));
  const rows = await withMetadata(c.env, (db) =>
    db
      .select()
      .from(apiClients)
      .where(
        and(
          q.includeRevoked ? undefined : isNull(apiClients.revokedAt),
          after ? gt(apiClients.id, after.id) : undefined,
        ),
      )
      .orderBy(apiClients.id)
      .limit(q.limit + 1),
  );
  const { data, nextCursor } = page(rows.map(clientView), q.limit, (r) => ({ id: r.id }));
  return c.json({ data, nextCursor }, 200);
});

app.openapi(updateClientRoute, async (c) => {
  const { clientId } = c.req.valid("param");
  const { scopes: newScopes, ...rest } = c.req.valid("json");
  const rows = await withMetadata(c.env, (db) =>
    db
      .update(apiClients)
      .set({ ...rest, ...(newScopes ? { scopes: [...new Set(newScopes)] } : {}) })
      .where(eq(apiClients.id, clientId))
      .returning(),
  );
  if (!rows[0]) throw new ApiError(404, "not_found", `no API client '${clientId}'`);
  forgetClient(clientId);
  return c.json(clientView(rows[0]), 200);
});

app.openapi(revokeClientRoute, async (c) => {
  const { clientId } = c.req.valid("param");
  const rows = await withMetadata(c.env, async (db) => {
    const revoked = await db
      .update(apiClients)
      .set({ revokedAt: sql`now()` })
      .where(and(eq(apiClients.id, clientId), isNull(apiClients.revokedAt)))
      .returning();
    return revoked.length > 0 ? revoked : db.select().from(apiClients).where(eq(apiClients.id, clientId)).limit(1);
  });
  if (!rows[0]) throw new ApiError(404, "not_found", `no API client '${clientId}'`);
  forgetClient(clientId);
  log("info", "api client revoked", { requestId: c.get("requestId"), by: c.get("client").id, clientId });
  return c.json(clientView(rows[0]), 200);
});

export const apiClientsRoutes = app;

// API clients: who may call the API, with which scopes and rate limits. The key is returned once, when
// the client is created; only its SHA-256 is stored. Revoking takes effect at once in this isolate and
// within KEY_CACHE_TTL_MS everywhere else.
import { OpenAPIHono, z } from "@hono/zod-openapi";
import { log } from "../observability/log";
import {
  type ApiClientRow,
  insertApiClient,
  listApiClients,
  revokeApiClient,
  updateApiClient,
} from "../stores/postgres/api-clients";
import { hashApiKey, keyPrefix, newApiKey } from "./api-keys";
import { type AppEnv, scopes } from "./app-env";
import { forgetClient, KEY_CACHE_TTL_MS } from "./auth";
import { ApiError, validationHook } from "./errors";
import { withMetadata } from "./metadata-store";
import { adminRoute, errors, okJson } from "./openapi";
import { cursorQuery, decodeCursor, limitQuery, nextCursorSchema, page } from "./pagination";
import { changesSomething, NOTHING_TO_CHANGE, storableText } from "./params";

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
    name: storableText(1, 200),
    scopes: z
      .array(z.enum(scopes))
      .min(1)
      .describe("ingest: POST /v1/events; read: live and analytics reads; admin: metadata and clients."),
    ingestPerMinute: perMinute.optional().describe("Default 120000."),
    readPerMinute: perMinute.optional().describe("Default 6000."),
  })
  .meta({ id: "CreateApiClient" });
const updateClientBody = createClientBody
  .partial()
  .refine(changesSomething, { error: NOTHING_TO_CHANGE })
  .meta({ id: "UpdateApiClient" });

const clientIdParams = z.object({ clientId: z.guid().openapi({ param: { name: "clientId", in: "path" } }) });

const clientView = (r: ApiClientRow): z.infer<typeof apiClientSchema> => ({
  id: r.id,
  name: r.name,
  keyPrefix: r.keyPrefix,
  scopes: r.scopes.filter((s): s is (typeof scopes)[number] => (scopes as readonly string[]).includes(s)),
  ingestPerMinute: r.ingestPerMinute,
  readPerMinute: r.readPerMinute,
  createdAt: r.createdAt.toISOString(),
  revokedAt: r.revokedAt?.toISOString() ?? null,
});

export const createClientRoute = adminRoute({
  method: "post",
  path: "/v1/api-clients",
  tags: ["admin"],
  summary: "Create an API client and its key",
  description: "The key is in this response only: store it now. Scope: admin.",
  request: { body: { content: { "application/json": { schema: createClientBody } }, required: true } },
  responses: {
    201: okJson(
      z.object({ client: apiClientSchema, key: z.string().describe("The API key, shown once.") }),
      "The client and its key",
    ),
    ...errors(415),
  },
});

export const listClientsRoute = adminRoute({
  method: "get",
  path: "/v1/api-clients",
  tags: ["admin"],
  summary: "List API clients",
  description: "Ordered by id; revoked clients only with includeRevoked=true. Scope: admin.",
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
    200: okJson(z.object({ data: z.array(apiClientSchema), nextCursor: nextCursorSchema }), "A page of clients"),
  },
});

export const updateClientRoute = adminRoute({
  method: "patch",
  path: "/v1/api-clients/{clientId}",
  tags: ["admin"],
  summary: "Change a client's name, scopes or rate limits",
  description: `Applies everywhere within ${KEY_CACHE_TTL_MS / 1000} s. Scope: admin.`,
  request: {
    params: clientIdParams,
    body: { content: { "application/json": { schema: updateClientBody } }, required: true },
  },
  responses: {
    200: okJson(apiClientSchema, "The client"),
    ...errors(404, 415),
  },
});

export const revokeClientRoute = adminRoute({
  method: "post",
  path: "/v1/api-clients/{clientId}/revoke",
  tags: ["admin"],
  summary: "Revoke a client's key",
  description: `The key stops working at once on this instance and within ${KEY_CACHE_TTL_MS / 1000} s everywhere. Idempotent. Scope: admin.`,
  request: { params: clientIdParams },
  responses: {
    200: okJson(apiClientSchema, "The revoked client"),
    ...errors(404),
  },
});

const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

app.openapi(createClientRoute, async (c) => {
  const body = c.req.valid("json");
  const key = newApiKey();
  const keyHash = await hashApiKey(key, c.env.API_KEY_PEPPER);
  const row = await withMetadata(c.env, (db) =>
    insertApiClient(db, {
      name: body.name,
      keyHash,
      keyPrefix: keyPrefix(key),
      scopes: [...new Set(body.scopes)],
      ...(body.ingestPerMinute !== undefined ? { ingestPerMinute: body.ingestPerMinute } : {}),
      ...(body.readPerMinute !== undefined ? { readPerMinute: body.readPerMinute } : {}),
    }),
  );
  if (!row) throw new ApiError("internal", "the new API client was not stored");
  const client = clientView(row);
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
  const after = decodeCursor(q.cursor, z.object({ id: z.guid() }));
  const rows = await withMetadata(c.env, (db) =>
    listApiClients(db, { includeRevoked: q.includeRevoked, afterId: after?.id ?? null, limit: q.limit }),
  );
  const { data, nextCursor } = page(rows.map(clientView), q.limit, (r) => ({ id: r.id }));
  return c.json({ data, nextCursor }, 200);
});

app.openapi(updateClientRoute, async (c) => {
  const { clientId } = c.req.valid("param");
  const { scopes: newScopes, ...rest } = c.req.valid("json");
  const row = await withMetadata(c.env, (db) =>
    updateApiClient(db, clientId, { ...rest, ...(newScopes ? { scopes: [...new Set(newScopes)] } : {}) }),
  );
  if (!row) throw new ApiError("not_found", `no API client '${clientId}'`);
  forgetClient(clientId);
  return c.json(clientView(row), 200);
});

app.openapi(revokeClientRoute, async (c) => {
  const { clientId } = c.req.valid("param");
  const row = await withMetadata(c.env, (db) => revokeApiClient(db, clientId));
  if (!row) throw new ApiError("not_found", `no API client '${clientId}'`);
  forgetClient(clientId);
  log("info", "api client revoked", { requestId: c.get("requestId"), by: c.get("client").id, clientId });
  return c.json(clientView(row), 200);
});

export const apiClientsRoutes = app;

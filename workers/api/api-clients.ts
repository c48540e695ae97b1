// API clients: who may call the API, with which scopes and rate limits. The key is returned once, when
// the client is created; only its SHA-256 is stored. Revoking takes effect at once in this isolate and
// within KEY_CACHE_TTL_MS everywhere else. A tenant's admin sees and manages only its own tenant's clients;
// the operator creates a tenant's first client (POST /v1/tenants/{tenantId}/clients). Only an operator key
// may hand out the operator scope, so a tenant admin cannot raise itself to operator.
import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { log } from "../observability/log";
import {
  type ApiClientRow,
  insertApiClient,
  listApiClients,
  revokeApiClient,
  updateApiClient,
} from "../stores/postgres/api-clients";
import { findTenant } from "../stores/postgres/tenants";
import { hashApiKey, keyPrefix, newApiKey } from "./api-keys";
import { type AppEnv, type Scope, scopes } from "./app-env";
import { forgetClient, KEY_CACHE_TTL_MS } from "./auth";
import { ApiError, validationHook } from "./errors";
import { withMetadata } from "./metadata-store";
import { adminRoute, errors, okJson, operatorRoute } from "./openapi";
import { cursorQuery, decodeCursor, limitQuery, nextCursorSchema, page } from "./pagination";
import { changesSomething, includeRevokedQuery, NOTHING_TO_CHANGE, storableText, tenantIdParams } from "./params";

export const apiClientSchema = z
  .object({
    id: z.string(),
    tenantId: z.string().describe("The tenant the key acts within."),
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
      .describe(
        "ingest: POST /v1/events; read: live and analytics reads; admin: the tenant's metadata and clients; " +
          "games: guesses; operator: tenants (only an operator key may give it).",
      ),
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
  tenantId: r.tenantId,
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
      includeRevoked: includeRevokedQuery,
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

export const createTenantClientRoute = operatorRoute({
  method: "post",
  path: "/v1/tenants/{tenantId}/clients",
  tags: ["tenants"],
  summary: "Create an API client in a tenant (its first admin key)",
  description: "The key is in this response only. Scope: operator.",
  request: {
    params: tenantIdParams,
    body: { content: { "application/json": { schema: createClientBody } }, required: true },
  },
  responses: {
    201: okJson(
      z.object({ client: apiClientSchema, key: z.string().describe("The API key, shown once.") }),
      "The client and its key",
    ),
    ...errors(404, 415),
  },
});

/** Only an operator key may give the operator scope. */
function assertMayGrant(c: Context<AppEnv>, given: readonly Scope[] | undefined): void {
  if (given?.includes("operator") && !c.get("client").scopes.includes("operator")) {
    throw new ApiError("forbidden", "only a key with the 'operator' scope may give the 'operator' scope");
  }
}

async function createClient(c: Context<AppEnv>, tenantId: string, body: z.infer<typeof createClientBody>) {
  assertMayGrant(c, body.scopes);
  const key = newApiKey();
  const keyHash = await hashApiKey(key, c.env.API_KEY_PEPPER);
  const row = await withMetadata(c.env, (db) =>
    insertApiClient(db, {
      tenantId,
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
    tenantId,
    scopes: client.scopes,
  });
  return { client, key };
}

const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

app.openapi(createClientRoute, async (c) =>
  c.json(await createClient(c, c.get("client").tenantId, c.req.valid("json")), 201),
);

app.openapi(createTenantClientRoute, async (c) => {
  const { tenantId } = c.req.valid("param");
  if (!(await withMetadata(c.env, (db) => findTenant(db, tenantId))))
    throw new ApiError("not_found", `no tenant '${tenantId}'`);
  return c.json(await createClient(c, tenantId, c.req.valid("json")), 201);
});

app.openapi(listClientsRoute, async (c) => {
  const q = c.req.valid("query");
  const after = decodeCursor(q.cursor, z.object({ id: z.guid() }));
  const rows = await withMetadata(c.env, (db) =>
    listApiClients(db, c.get("client").tenantId, {
      includeRevoked: q.includeRevoked,
      afterId: after?.id ?? null,
      limit: q.limit,
    }),
  );
  const { data, nextCursor } = page(rows.map(clientView), q.limit, (r) => ({ id: r.id }));
  return c.json({ data, nextCursor }, 200);
});

app.openapi(updateClientRoute, async (c) => {
  const { clientId } = c.req.valid("param");
  const { scopes: newScopes, ...rest } = c.req.valid("json");
  assertMayGrant(c, newScopes);
  const row = await withMetadata(c.env, (db) =>
    updateApiClient(db, c.get("client").tenantId, clientId, {
      ...rest,
      ...(newScopes ? { scopes: [...new Set(newScopes)] } : {}),
    }),
  );
  if (!row) throw new ApiError("not_found", `no API client '${clientId}'`);
  forgetClient(clientId);
  return c.json(clientView(row), 200);
});

app.openapi(revokeClientRoute, async (c) => {
  const { clientId } = c.req.valid("param");
  const row = await withMetadata(c.env, (db) => revokeApiClient(db, c.get("client").tenantId, clientId));
  if (!row) throw new ApiError("not_found", `no API client '${clientId}'`);
  forgetClient(clientId);
  log("info", "api client revoked", { requestId: c.get("requestId"), by: c.get("client").id, clientId });
  return c.json(clientView(row), 200);
});

export const apiClientsRoutes = app;

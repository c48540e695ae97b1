// Tenants: the operator (scope operator, the deployment's own admin) creates them and sets their quotas;
// a tenant's admin shares chosen matches with other tenants for reading (a provider syndicating a feed to
// media clients) and revokes the grants. A grant or its revocation shows within the key-cache bound.
import { OpenAPIHono, z } from "@hono/zod-openapi";
import { log } from "../observability/log";
import { findMatch } from "../stores/postgres/matches";
import {
  deleteGrant,
  findTenant,
  grantCount,
  insertGrant,
  insertTenant,
  listGrants,
  listTenants,
  type MatchGrantRow,
  storedMatchCount,
  type TenantRow,
  updateTenant,
} from "../stores/postgres/tenants";
import { forgetMatchOwners, MATCH_OWNER_TTL_MS } from "../tenants/match-owner";
import { countedUsage } from "../tenants/usage";
import type { AppEnv } from "./app-env";
import { forgetTenant, KEY_CACHE_TTL_MS } from "./auth";
import { ApiError, validationHook } from "./errors";
import { withMetadata } from "./metadata-store";
import { adminRoute, errors, okJson, operatorRoute } from "./openapi";
import { cursorQuery, decodeCursor, limitQuery, nextCursorSchema, page } from "./pagination";
import { changesSomething, matchIdParams, NOTHING_TO_CHANGE, storableText, tenantId, tenantIdParams } from "./params";

/** A match may be shared with at most this many tenants (bounds the grant list and its responses). */
export const MAX_GRANTS_PER_MATCH = 1_000;

const quota = (what: string) =>
  z.int().min(0).max(2_000_000_000).nullable().describe(`${what}; null (the default) is unlimited.`);

const quotasSchema = z
  .object({
    eventsPerDay: quota("Events accepted per UTC day over all the tenant's keys"),
    liveSockets: quota("Live sockets open at once over all the tenant's keys"),
    storedMatches: quota("Matches the tenant may register"),
  })
  .meta({ id: "TenantQuotas", description: "Over a quota is 429 quota_exceeded naming it in `quota`." });

export const tenantSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    quotas: quotasSchema,
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: "Tenant" });

const tenantDetailSchema = tenantSchema
  .extend({
    usage: z.object({
      storedMatches: z.int().describe("Matches the tenant stores now."),
      eventsToday: z
        .int()
        .nullable()
        .describe("Events accepted this UTC day; null without an eventsPerDay quota (not counted) or Redis."),
      liveSockets: z
        .int()
        .nullable()
        .describe("Live sockets open now; null without a liveSockets quota (not counted) or Redis."),
    }),
  })
  .meta({ id: "TenantDetail" });

const createTenantBody = z
  .strictObject({
    id: tenantId,
    name: storableText(1, 200),
    quotas: quotasSchema.partial().strict().optional(),
  })
  .meta({ id: "CreateTenant" });
const updateTenantBody = z
  .strictObject({ name: storableText(1, 200), quotas: quotasSchema.partial().strict() })
  .partial()
  .refine(changesSomething, { error: NOTHING_TO_CHANGE })
  .meta({ id: "UpdateTenant" });

const tenantView = (t: TenantRow): z.infer<typeof tenantSchema> => ({
  id: t.id,
  name: t.name,
  quotas: { eventsPerDay: t.eventsPerDay, liveSockets: t.liveSockets, storedMatches: t.storedMatches },
  createdAt: t.createdAt.toISOString(),
  updatedAt: t.updatedAt.toISOString(),
});

const grantSchema = z
  .object({
    matchId: z.string(),
    tenantId: z.string().describe("The tenant that may read the match."),
    createdAt: z.string(),
  })
  .meta({ id: "MatchGrant" });

const grantView = (g: MatchGrantRow): z.infer<typeof grantSchema> => ({
  matchId: g.matchId,
  tenantId: g.granteeTenantId,
  createdAt: g.createdAt.toISOString(),
});

export const createTenantRoute = operatorRoute({
  method: "post",
  path: "/v1/tenants",
  tags: ["tenants"],
  summary: "Create a tenant",
  description: "Then give it its first admin key with POST /v1/tenants/{tenantId}/clients. Scope: operator.",
  request: { body: { content: { "application/json": { schema: createTenantBody } }, required: true } },
  responses: {
    201: okJson(tenantSchema, "The tenant"),
    ...errors(409, 415),
  },
});

export const listTenantsRoute = operatorRoute({
  method: "get",
  path: "/v1/tenants",
  tags: ["tenants"],
  summary: "List tenants",
  description: "Ordered by id. Scope: operator.",
  request: { query: z.object({ limit: limitQuery(100, 500), cursor: cursorQuery }) },
  responses: {
    200: okJson(z.object({ data: z.array(tenantSchema), nextCursor: nextCursorSchema }), "A page of tenants"),
  },
});

export const getTenantRoute = operatorRoute({
  method: "get",
  path: "/v1/tenants/{tenantId}",
  tags: ["tenants"],
  summary: "One tenant, its quotas and usage",
  description: "Scope: operator.",
  request: { params: tenantIdParams },
  responses: {
    200: okJson(tenantDetailSchema, "The tenant"),
    ...errors(404),
  },
});

export const updateTenantRoute = operatorRoute({
  method: "patch",
  path: "/v1/tenants/{tenantId}",
  tags: ["tenants"],
  summary: "Rename a tenant or change its quotas",
  description: `Only the fields sent change; a quota set to null is unlimited. Applies within ${KEY_CACHE_TTL_MS / 1000} s. Scope: operator.`,
  request: {
    params: tenantIdParams,
    body: { content: { "application/json": { schema: updateTenantBody } }, required: true },
  },
  responses: {
    200: okJson(tenantSchema, "The tenant"),
    ...errors(404, 415),
  },
});

const grantParams = matchIdParams.extend({
  tenantId: tenantId.openapi({ param: { name: "tenantId", in: "path" } }),
});

export const createGrantRoute = adminRoute({
  method: "post",
  path: "/v1/matches/{matchId}/grants",
  tags: ["admin"],
  summary: "Share one of the tenant's matches with another tenant (read only)",
  description:
    `The other tenant's keys then read the match (metadata, state, stream, analytics) under its id, within ` +
    `${MATCH_OWNER_TTL_MS / 1000} s; they cannot change it. A repeat changes nothing. Scope: admin of the ` +
    "match's tenant.",
  request: {
    params: matchIdParams,
    body: {
      content: { "application/json": { schema: z.strictObject({ tenantId }).meta({ id: "CreateMatchGrant" }) } },
      required: true,
    },
  },
  responses: {
    201: okJson(grantSchema, "The grant"),
    ...errors(404, 415),
  },
});

export const listGrantsRoute = adminRoute({
  method: "get",
  path: "/v1/matches/{matchId}/grants",
  tags: ["admin"],
  summary: "The tenants a match is shared with",
  description: `At most ${MAX_GRANTS_PER_MATCH}, by tenant id. Scope: admin of the match's tenant.`,
  request: { params: matchIdParams },
  responses: {
    200: okJson(z.object({ data: z.array(grantSchema) }), "The grants"),
    ...errors(404),
  },
});

export const deleteGrantRoute = adminRoute({
  method: "delete",
  path: "/v1/matches/{matchId}/grants/{tenantId}",
  tags: ["admin"],
  summary: "Stop sharing a match with a tenant",
  description: `Its keys lose read access within ${MATCH_OWNER_TTL_MS / 1000} s. Scope: admin of the match's tenant.`,
  request: { params: grantParams },
  responses: {
    204: { description: "Revoked" },
    ...errors(404),
  },
});

const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

const notFound = (id: string) => new ApiError("not_found", `no tenant '${id}'`);

app.openapi(createTenantRoute, async (c) => {
  const body = c.req.valid("json");
  const row = await withMetadata(
    c.env,
    (db) => insertTenant(db, { id: body.id, name: body.name, ...body.quotas }),
    `tenant '${body.id}'`,
  );
  if (!row) throw new ApiError("internal", "the new tenant was not stored");
  log("info", "tenant created", { requestId: c.get("requestId"), by: c.get("client").id, tenantId: row.id });
  return c.json(tenantView(row), 201);
});

app.openapi(listTenantsRoute, async (c) => {
  const q = c.req.valid("query");
  const after = decodeCursor(q.cursor, z.object({ id: tenantId }));
  const rows = await withMetadata(c.env, (db) => listTenants(db, { afterId: after?.id ?? null, limit: q.limit }));
  const { data, nextCursor } = page(rows.map(tenantView), q.limit, (t) => ({ id: t.id }));
  return c.json({ data, nextCursor }, 200);
});

app.openapi(getTenantRoute, async (c) => {
  const { tenantId: id } = c.req.valid("param");
  const found = await withMetadata(c.env, async (db) => {
    const row = await findTenant(db, id);
    return row ? { row, storedMatches: await storedMatchCount(db, id) } : null;
  });
  if (!found) throw notFound(id);
  const counted = await countedUsage(c.env, id, found.row);
  return c.json({ ...tenantView(found.row), usage: { storedMatches: found.storedMatches, ...counted } }, 200);
});

app.openapi(updateTenantRoute, async (c) => {
  const { tenantId: id } = c.req.valid("param");
  const { name, quotas } = c.req.valid("json");
  const row = await withMetadata(c.env, (db) =>
    updateTenant(db, id, { ...(name !== undefined ? { name } : {}), ...quotas }),
  );
  if (!row) throw notFound(id);
  // At once in this isolate; the others within the key-cache bound (the quotas are cached with the keys).
  forgetTenant(id);
  log("info", "tenant updated", { requestId: c.get("requestId"), by: c.get("client").id, tenantId: id });
  return c.json(tenantView(row), 200);
});

/** The caller's own registered match (grants are made by the match's tenant), else 404. */
async function assertOwnMatch(db: Parameters<typeof findMatch>[0], owner: string, matchId: string): Promise<void> {
  if (!(await findMatch(db, owner, matchId))) throw new ApiError("not_found", `no match '${matchId}' is registered`);
}

app.openapi(createGrantRoute, async (c) => {
  const { matchId } = c.req.valid("param");
  const { tenantId: grantee } = c.req.valid("json");
  const owner = c.get("client").tenantId;
  if (grantee === owner) {
    throw new ApiError("invalid_request", "a tenant reads its own matches already", {
      issues: [{ path: "body.tenantId", message: "is this match's own tenant" }],
    });
  }
  const grant = await withMetadata(c.env, async (db) => {
    await assertOwnMatch(db, owner, matchId);
    if (!(await findTenant(db, grantee))) {
      throw new ApiError("invalid_request", `no tenant '${grantee}'`, {
        issues: [{ path: "body.tenantId", message: "no such tenant" }],
      });
    }
    if ((await grantCount(db, owner, matchId)) >= MAX_GRANTS_PER_MATCH) {
      throw new ApiError("invalid_request", `a match can be shared with at most ${MAX_GRANTS_PER_MATCH} tenants`, {
        issues: [{ path: "body.tenantId", message: "too many grants on this match" }],
      });
    }
    await insertGrant(db, { tenantId: owner, matchId, granteeTenantId: grantee });
    const rows = await listGrants(db, owner, matchId, MAX_GRANTS_PER_MATCH);
    return rows.find((g) => g.granteeTenantId === grantee);
  });
  if (!grant) throw new ApiError("internal", "the grant was not stored");
  forgetMatchOwners(matchId);
  log("info", "match shared", { requestId: c.get("requestId"), by: c.get("client").id, matchId, grantee });
  return c.json(grantView(grant), 201);
});

app.openapi(listGrantsRoute, async (c) => {
  const { matchId } = c.req.valid("param");
  const owner = c.get("client").tenantId;
  const rows = await withMetadata(c.env, async (db) => {
    await assertOwnMatch(db, owner, matchId);
    return listGrants(db, owner, matchId, MAX_GRANTS_PER_MATCH);
  });
  return c.json({ data: rows.map(grantView) }, 200);
});

app.openapi(deleteGrantRoute, async (c) => {
  const { matchId, tenantId: grantee } = c.req.valid("param");
  const owner = c.get("client").tenantId;
  const deleted = await withMetadata(c.env, (db) =>
    deleteGrant(db, { tenantId: owner, matchId, granteeTenantId: grantee }),
  );
  if (!deleted) throw new ApiError("not_found", `match '${matchId}' is not shared with tenant '${grantee}'`);
  forgetMatchOwners(matchId);
  log("info", "match grant revoked", { requestId: c.get("requestId"), by: c.get("client").id, matchId, grantee });
  return c.body(null, 204);
});

export const tenantsRoutes = app;

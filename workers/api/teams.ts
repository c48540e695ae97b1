// Teams: the rating the predictors read before a match's first event, and what matches and players name.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { and, eq, gt, sql } from "drizzle-orm";
import { sportNames } from "../../shared/sports";
import { teams } from "../clients/postgres-schema";
import type { AppEnv } from "./app-env";
import { requireScope } from "./auth";
import { ApiError, validationHook } from "./errors";
import { withMetadata } from "./metadata-store";
import { bearerAuth, errors, json, rateLimitHeaders } from "./openapi";
import { cursorQuery, decodeCursor, limitQuery, nextCursorSchema, page } from "./pagination";
import { entityId } from "./params";
import { readBudget } from "./rate-limit";

export const teamSchema = z
  .object({
    id: z.string(),
    sport: z.string(),
    name: z.string(),
    country: z.string().nullable(),
    rating: z.number().describe("Pre-match strength on the Elo scale (1500 = average)."),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: "Team" });

const rating = z.number().min(0).max(4000);
const createTeamBody = z
  .strictObject({
    id: entityId,
    sport: z.enum(sportNames as [string, ...string[]]),
    name: z.string().min(1).max(200),
    country: z.string().min(1).max(100).nullable().optional(),
    rating: rating.optional().describe("Default 1500."),
  })
  .meta({ id: "CreateTeam" });
const updateTeamBody = createTeamBody.omit({ id: true, sport: true }).partial().meta({ id: "UpdateTeam" });

const teamIdParams = z.object({
  teamId: entityId.openapi({ param: { name: "teamId", in: "path" }, example: "arsenal" }),
});

type TeamRow = typeof teams.$inferSelect;
const teamView = (t: TeamRow): z.infer<typeof teamSchema> => ({
  id: t.id,
  sport: t.sport,
  name: t.name,
  country: t.country,
  rating: t.rating,
  createdAt: t.createdAt.toISOString(),
  updatedAt: t.updatedAt.toISOString(),
});

const readers = () => [requireScope(["read", "admin"]), readBudget];
const admins = () => [requireScope("admin"), readBudget];

export const listTeamsRoute = createRoute({
  method: "get",
  path: "/v1/teams",
  tags: ["metadata"],
  summary: "List teams",
  description: "Ordered by id. Scope: read or admin.",
  security: bearerAuth,
  middleware: readers(),
  request: {
    query: z.object({
      sport: z
        .enum(sportNames as [string, ...string[]])
        .optional()
        .openapi({ param: { name: "sport", in: "query" } }),
      limit: limitQuery(100, 500),
      cursor: cursorQuery,
    }),
  },
  responses: {
    200: {
      ...json(z.object({ data: z.array(teamSchema), nextCursor: nextCursorSchema }), "A page of teams"),
      headers: rateLimitHeaders,
    },
    ...errors(400, 401, 403, 429, 503),
  },
});

export const getTeamRoute = createRoute({
  method: "get",
  path: "/v1/teams/{teamId}",
  tags: ["metadata"],
  summary: "One team",
  description: "Scope: read or admin.",
  security: bearerAuth,
  middleware: readers(),
  request: { params: teamIdParams },
  responses: {
    200: { ...json(teamSchema, "The team"), headers: rateLimitHeaders },
    ...errors(400, 401, 403, 404, 429, 503),
  },
});

export const createTeamRoute = createRoute({
  method: "post",
  path: "/v1/teams",
  tags: ["metadata"],
  summary: "Register a team",
  description: "Scope: admin.",
  security: bearerAuth,
  middleware: admins(),
  request: { body: { content: { "application/json": { schema: createTeamBody } }, required: true } },
  responses: {
    201: { ...json(teamSchema, "The team as stored"), headers: rateLimitHeaders },
    ...errors(400, 401, 403, 409, 415, 429, 503),
  },
});

export const updateTeamRoute = createRoute({
  method: "patch",
  path: "/v1/teams/{teamId}",
  tags: ["metadata"],
  summary: "Update a team",
  description:
    "Only the fields sent change. A new rating applies to matches whose first event comes after it. Scope: admin.",
  security: bearerAuth,
  middleware: admins(),
  request: {
    params: teamIdParams,
    body: { content: { "application/json": { schema: updateTeamBody } }, required: true },
  },
  responses: {
    200: { ...json(teamSchema, "The team as stored"), headers: rateLimitHeaders },
    ...errors(400, 401, 403, 404, 415, 429, 503),
  },
});

const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

app.openapi(listTeamsRoute, async (c) => {
  const q = c.req.valid("query");
  const after = decodeCursor(q.cursor, z.object({ id: z.string() }));
  const rows = await withMetadata(c.env, (db) =>
    db
      .select()
      .from(teams)
      .where(and(q.sport ? eq(teams.sport, q.sport) : undefined, after ? gt(teams.id, after.id) : undefined))
      .orderBy(teams.id)
      .limit(q.limit + 1),
  );
  const { data, nextCursor } = page(rows.map(teamView), q.limit, (t) => ({ id: t.id }));
  return c.json({ data, nextCursor }, 200);
});

app.openapi(getTeamRoute, async (c) => {
  const { teamId } = c.req.valid("param");
  const rows = await withMetadata(c.env, (db) => db.select().from(teams).where(eq(teams.id, teamId)).limit(1));
  if (!rows[0]) throw new ApiError(404, "not_found", `no team '${teamId}'`);
  return c.json(teamView(rows[0]), 200);
});

app.openapi(createTeamRoute, async (c) => {
  const body = c.req.valid("json");
  const rows = await withMetadata(
    c.env,
    (db) =>
      db
        .insert(teams)
        .values({
          id: body.id,
          sport: body.sport,
          name: body.name,
          country: body.country ?? null,
          ...(body.rating !== undefined ? { rating: body.rating } : {}),
        })
        .returning(),
    `team '${body.id}'`,
  );
  return c.json(teamView(rows[0]!), 201);
});

app.openapi(updateTeamRoute, async (c) => {
  const { teamId } = c.req.valid("param");
  const body = c.req.valid("json");
  const rows = await withMetadata(c.env, (db) =>
    db
      .update(teams)
      .set({ ...body, updatedAt: sql`now()` })
      .where(eq(teams.id, teamId))
      .returning(),
  );
  if (!rows[0]) throw new ApiError(404, "not_found", `no team '${teamId}'`);
  return c.json(teamView(rows[0]), 200);
});

export const teamsRoutes = app;

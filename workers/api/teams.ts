// Teams: the rating the predictors read before a match's first event, and what matches and players name.
// Each key sees and changes only its own tenant's teams (another tenant's team id is 404).
import { OpenAPIHono, z } from "@hono/zod-openapi";
import { sportNames } from "../../shared/sports";
import { findTeam, insertTeam, listTeams, type TeamRow, updateTeam } from "../stores/postgres/teams";
import type { AppEnv } from "./app-env";
import { ApiError, validationHook } from "./errors";
import { withMetadata } from "./metadata-store";
import { adminRoute, errors, okJson, readRoute } from "./openapi";
import { cursorQuery, decodeCursor, limitQuery, nextCursorSchema, page } from "./pagination";
import { changesSomething, entityId, NOTHING_TO_CHANGE, storableText } from "./params";

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
    name: storableText(1, 200),
    country: storableText(1, 100).nullable().optional(),
    rating: rating.optional().describe("Default 1500."),
  })
  .meta({ id: "CreateTeam" });
const updateTeamBody = createTeamBody
  .omit({ id: true, sport: true })
  .partial()
  .refine(changesSomething, { error: NOTHING_TO_CHANGE })
  .meta({ id: "UpdateTeam" });

const teamIdParams = z.object({
  teamId: entityId.openapi({ param: { name: "teamId", in: "path" }, example: "arsenal" }),
});

const teamView = (t: TeamRow): z.infer<typeof teamSchema> => ({
  id: t.id,
  sport: t.sport,
  name: t.name,
  country: t.country,
  rating: t.rating,
  createdAt: t.createdAt.toISOString(),
  updatedAt: t.updatedAt.toISOString(),
});

export const listTeamsRoute = readRoute({
  method: "get",
  path: "/v1/teams",
  tags: ["metadata"],
  summary: "List teams",
  description: "Ordered by id. Scope: read or admin.",
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
    200: okJson(z.object({ data: z.array(teamSchema), nextCursor: nextCursorSchema }), "A page of teams"),
  },
});

export const getTeamRoute = readRoute({
  method: "get",
  path: "/v1/teams/{teamId}",
  tags: ["metadata"],
  summary: "One team",
  description: "Scope: read or admin.",
  request: { params: teamIdParams },
  responses: {
    200: okJson(teamSchema, "The team"),
    ...errors(404),
  },
});

export const createTeamRoute = adminRoute({
  method: "post",
  path: "/v1/teams",
  tags: ["metadata"],
  summary: "Register a team",
  description: "Scope: admin.",
  request: { body: { content: { "application/json": { schema: createTeamBody } }, required: true } },
  responses: {
    201: okJson(teamSchema, "The team as stored"),
    ...errors(409, 415),
  },
});

export const updateTeamRoute = adminRoute({
  method: "patch",
  path: "/v1/teams/{teamId}",
  tags: ["metadata"],
  summary: "Update a team",
  description:
    "Only the fields sent change. A new rating applies to matches whose first event comes after it. Scope: admin.",
  request: {
    params: teamIdParams,
    body: { content: { "application/json": { schema: updateTeamBody } }, required: true },
  },
  responses: {
    200: okJson(teamSchema, "The team as stored"),
    ...errors(404, 415),
  },
});

const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

app.openapi(listTeamsRoute, async (c) => {
  const q = c.req.valid("query");
  const after = decodeCursor(q.cursor, z.object({ id: entityId }));
  const rows = await withMetadata(c.env, (db) =>
    listTeams(db, c.get("client").tenantId, { sport: q.sport, afterId: after?.id ?? null, limit: q.limit }),
  );
  const { data, nextCursor } = page(rows.map(teamView), q.limit, (t) => ({ id: t.id }));
  return c.json({ data, nextCursor }, 200);
});

app.openapi(getTeamRoute, async (c) => {
  const { teamId } = c.req.valid("param");
  const team = await withMetadata(c.env, (db) => findTeam(db, c.get("client").tenantId, teamId));
  if (!team) throw new ApiError("not_found", `no team '${teamId}'`);
  return c.json(teamView(team), 200);
});

app.openapi(createTeamRoute, async (c) => {
  const body = c.req.valid("json");
  const team = await withMetadata(
    c.env,
    (db) =>
      insertTeam(db, {
        tenantId: c.get("client").tenantId,
        id: body.id,
        sport: body.sport,
        name: body.name,
        country: body.country ?? null,
        ...(body.rating !== undefined ? { rating: body.rating } : {}),
      }),
    `team '${body.id}'`,
  );
  if (!team) throw new ApiError("internal", "the new team was not stored");
  return c.json(teamView(team), 201);
});

app.openapi(updateTeamRoute, async (c) => {
  const { teamId } = c.req.valid("param");
  const body = c.req.valid("json");
  const team = await withMetadata(c.env, (db) => updateTeam(db, c.get("client").tenantId, teamId, body));
  if (!team) throw new ApiError("not_found", `no team '${teamId}'`);
  return c.json(teamView(team), 200);
});

export const teamsRoutes = app;

// Players, optionally on a team of their tenant. Each key sees and changes only its own tenant's players.
import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { Database } from "../clients/postgres";
import { insertPlayer, listPlayers, type PlayerRow, updatePlayer } from "../stores/postgres/players";
import { findTeam } from "../stores/postgres/teams";
import type { AppEnv } from "./app-env";
import { ApiError, validationHook } from "./errors";
import { withMetadata } from "./metadata-store";
import { adminRoute, errors, okJson, readRoute } from "./openapi";
import { cursorQuery, decodeCursor, limitQuery, nextCursorSchema, page } from "./pagination";
import { changesSomething, entityId, NOTHING_TO_CHANGE, storableText } from "./params";

export const playerSchema = z
  .object({
    id: z.string(),
    teamId: z.string().nullable(),
    name: z.string(),
    position: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: "Player" });

const createPlayerBody = z
  .strictObject({
    id: entityId.describe("The id events use as playerId."),
    teamId: entityId.nullable().optional(),
    name: storableText(1, 200),
    position: storableText(1, 50).nullable().optional(),
  })
  .meta({ id: "CreatePlayer" });
const updatePlayerBody = createPlayerBody
  .omit({ id: true })
  .partial()
  .refine(changesSomething, { error: NOTHING_TO_CHANGE })
  .meta({ id: "UpdatePlayer" });

const playerIdParams = z.object({
  playerId: entityId.openapi({ param: { name: "playerId", in: "path" }, example: "saka" }),
});

const playerView = (p: PlayerRow): z.infer<typeof playerSchema> => ({
  id: p.id,
  teamId: p.teamId,
  name: p.name,
  position: p.position,
  createdAt: p.createdAt.toISOString(),
  updatedAt: p.updatedAt.toISOString(),
});

async function assertTeamExists(db: Database, tenantId: string, teamId: string | null | undefined): Promise<void> {
  if (!teamId || (await findTeam(db, tenantId, teamId))) return;
  throw new ApiError("invalid_request", `no team '${teamId}'`, {
    issues: [{ path: "body.teamId", message: `no team '${teamId}'` }],
  });
}

export const listPlayersRoute = readRoute({
  method: "get",
  path: "/v1/players",
  tags: ["metadata"],
  summary: "List players",
  description: "Ordered by id. Scope: read or admin.",
  request: {
    query: z.object({
      teamId: entityId.optional().openapi({ param: { name: "teamId", in: "query" } }),
      limit: limitQuery(100, 500),
      cursor: cursorQuery,
    }),
  },
  responses: {
    200: okJson(z.object({ data: z.array(playerSchema), nextCursor: nextCursorSchema }), "A page of players"),
  },
});

export const createPlayerRoute = adminRoute({
  method: "post",
  path: "/v1/players",
  tags: ["metadata"],
  summary: "Register a player",
  description: "Scope: admin.",
  request: { body: { content: { "application/json": { schema: createPlayerBody } }, required: true } },
  responses: {
    201: okJson(playerSchema, "The player as stored"),
    ...errors(409, 415),
  },
});

export const updatePlayerRoute = adminRoute({
  method: "patch",
  path: "/v1/players/{playerId}",
  tags: ["metadata"],
  summary: "Update a player",
  description: "Only the fields sent change (e.g. a transfer: teamId). Scope: admin.",
  request: {
    params: playerIdParams,
    body: { content: { "application/json": { schema: updatePlayerBody } }, required: true },
  },
  responses: {
    200: okJson(playerSchema, "The player as stored"),
    ...errors(404, 415),
  },
});

const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

app.openapi(listPlayersRoute, async (c) => {
  const q = c.req.valid("query");
  const after = decodeCursor(q.cursor, z.object({ id: entityId }));
  const rows = await withMetadata(c.env, (db) =>
    listPlayers(db, c.get("client").tenantId, { teamId: q.teamId, afterId: after?.id ?? null, limit: q.limit }),
  );
  const { data, nextCursor } = page(rows.map(playerView), q.limit, (p) => ({ id: p.id }));
  return c.json({ data, nextCursor }, 200);
});

app.openapi(createPlayerRoute, async (c) => {
  const body = c.req.valid("json");
  const { tenantId } = c.get("client");
  const player = await withMetadata(
    c.env,
    async (db) => {
      await assertTeamExists(db, tenantId, body.teamId);
      return insertPlayer(db, {
        tenantId,
        id: body.id,
        teamId: body.teamId ?? null,
        name: body.name,
        position: body.position ?? null,
      });
    },
    `player '${body.id}'`,
  );
  if (!player) throw new ApiError("internal", "the new player was not stored");
  return c.json(playerView(player), 201);
});

app.openapi(updatePlayerRoute, async (c) => {
  const { playerId } = c.req.valid("param");
  const body = c.req.valid("json");
  const { tenantId } = c.get("client");
  const player = await withMetadata(c.env, async (db) => {
    await assertTeamExists(db, tenantId, body.teamId);
    return updatePlayer(db, tenantId, playerId, body);
  });
  if (!player) throw new ApiError("not_found", `no player '${playerId}'`);
  return c.json(playerView(player), 200);
});

export const playersRoutes = app;

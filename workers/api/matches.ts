// Matches: metadata from Postgres joined with what is live (the room's state, the analytics store's
// activity), the live state and WebSocket stream of one match, and the admin's create and update. A key
// lists, creates and changes its own tenant's matches; it reads those and the matches shared with its tenant
// (matchOwner), and another tenant's match id is 404.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { every } from "hono/combine";
import { matchStateViewSchema, serverFrameSchema } from "../../shared/contract/live-protocol";
import { predictionSchema } from "../../shared/contract/prediction";
import { sportNames } from "../../shared/sports";
import { type MatchActivity, matchActivity, NO_ACTIVITY } from "../analytics/match-activity";
import { withClickHouse } from "../clients/clickhouse";
import type { Database } from "../clients/postgres";
import type { Env } from "../env";
import { errorMessage, log } from "../observability/log";
import { metrics } from "../observability/metrics";
import { forwardMatchSocket } from "../relay/route";
import {
  findMatch,
  insertMatchWithinQuota,
  listMatches,
  type MatchView,
  matchPositionSchema,
  matchSchema,
  matchStatuses,
  positionOf,
  teamsNotFitting,
  updateMatch,
} from "../stores/postgres/matches";
import { forgetMatchOwners, matchOwner } from "../tenants/match-owner";
import { quotaExceeded } from "../tenants/quota-error";
import { roomName } from "../tenants/tenant";
import { liveAccess } from "./access";
import type { AppEnv } from "./app-env";
import { ApiError, validationHook } from "./errors";
import { withMetadata } from "./metadata-store";
import { adminRoute, bearerAuth, errors, liveRoute, matchReadRoute, okJson, readRoute } from "./openapi";
import { cursorQuery, decodeCursor, limitQuery, nextCursorSchema, page } from "./pagination";
import {
  changesSomething,
  entityId,
  instantQuery,
  matchIdParams,
  NOTHING_TO_CHANGE,
  socketMatchId,
  storableInstant,
  storableText,
} from "./params";

const sportSchema = z.enum(sportNames as [string, ...string[]]);

const liveStateSchema = matchStateViewSchema
  .extend({ prediction: z.union([predictionSchema, z.null()]) })
  .meta({ id: "LiveState", description: "The room's live state of a match and its current prediction." });

const activitySchema = z
  .object({
    lastEventAt: z.string().nullable().describe("Source timestamp of the latest logged event."),
    prediction: z.union([
      z.object({
        seq: z.int(),
        at: z.string(),
        pTeam1: z.number(),
        pDraw: z.number().optional(),
        pTeam2: z.number(),
        modelVersion: z.string(),
      }),
      z.null(),
    ]),
  })
  .meta({
    id: "MatchActivity",
    description: "What the analytics store holds for a match; null while it is unreachable.",
  });

const matchWithActivitySchema = matchSchema
  .extend({ activity: z.union([activitySchema, z.null()]) })
  .meta({ id: "MatchListItem" });
const matchDetailSchema = matchWithActivitySchema
  .extend({ live: z.union([liveStateSchema, z.null()]).describe("The room's state; null before the first event.") })
  .meta({ id: "MatchDetail" });

const matchBody = z.object({
  sport: sportSchema,
  team1Id: entityId.nullable().optional(),
  team2Id: entityId.nullable().optional(),
  startsAt: storableInstant.nullable().optional(),
  venue: storableText(1, 200).nullable().optional(),
  neutral: z.boolean().optional(),
  knockout: z.boolean().optional(),
  tournament: storableText(1, 200).nullable().optional(),
  bestOf: z
    .union([z.literal(1), z.literal(3), z.literal(5)])
    .nullable()
    .optional(),
  status: z.enum(matchStatuses).optional(),
});
const createMatchBody = matchBody.extend({ id: entityId }).strict().meta({ id: "CreateMatch" });
const updateMatchBody = matchBody
  .omit({ sport: true })
  .strict()
  .refine(changesSomething, { error: NOTHING_TO_CHANGE })
  .meta({ id: "UpdateMatch" });

/** Activity for a page of one tenant's matches; an unreachable analytics store degrades to `activity: null`. */
async function activityOf(env: Env, tenantId: string, ids: string[]): Promise<Map<string, MatchActivity> | null> {
  try {
    return await withClickHouse(env, (client) => matchActivity(client, tenantId, ids), {
      requestTimeoutMs: 5_000,
      timed: (seconds) => metrics.clickhouseQuery.observe(seconds, { query: "match_activity" }),
    });
  } catch (err) {
    metrics.dependencyErrors.inc({ dependency: "clickhouse" });
    log("warn", "match activity unavailable", { error: errorMessage(err) });
    return null;
  }
}

const withActivity = (m: MatchView, activity: Map<string, MatchActivity> | null) => ({
  ...m,
  activity: activity ? (activity.get(m.id) ?? NO_ACTIVITY) : null,
});

/** The tenant's room of the match (a match id is unique per tenant only). */
function room(env: Env, tenantId: string, matchId: string) {
  return env.MATCH_ROOM.get(env.MATCH_ROOM.idFromName(roomName(tenantId, matchId)));
}

export const listMatchesRoute = readRoute({
  method: "get",
  path: "/v1/matches",
  tags: ["metadata"],
  summary: "List matches with their activity",
  description:
    "Filter by status, sport and start time; ordered by start time (unscheduled last), then id. Scope: read or admin.",
  request: {
    query: z.object({
      status: z
        .enum(matchStatuses)
        .optional()
        .openapi({ param: { name: "status", in: "query" } }),
      sport: sportSchema.optional().openapi({ param: { name: "sport", in: "query" } }),
      from: instantQuery("from", "Matches starting at or after this time."),
      to: instantQuery("to", "Matches starting before this time."),
      limit: limitQuery(50, 200),
      cursor: cursorQuery,
    }),
  },
  responses: {
    200: okJson(
      z.object({ data: z.array(matchWithActivitySchema), nextCursor: nextCursorSchema }),
      "A page of matches",
    ),
  },
});

export const getMatchRoute = matchReadRoute({
  method: "get",
  path: "/v1/matches/{matchId}",
  tags: ["metadata"],
  summary: "One match: metadata, activity and live state",
  description: "Scope: read or admin, or a viewer token for this match.",
  request: { params: matchIdParams },
  responses: {
    200: okJson(matchDetailSchema, "The match"),
    ...errors(404),
  },
});

export const createMatchRoute = adminRoute({
  method: "post",
  path: "/v1/matches",
  tags: ["metadata"],
  summary: "Register a match",
  description:
    "Register it (and its teams) before its first event: the predictor reads the teams' ratings then. Scope: admin.",
  request: { body: { content: { "application/json": { schema: createMatchBody } }, required: true } },
  responses: {
    201: okJson(matchSchema, "The match as stored"),
    ...errors(409, 415),
  },
});

export const updateMatchRoute = adminRoute({
  method: "patch",
  path: "/v1/matches/{matchId}",
  tags: ["metadata"],
  summary: "Update a match",
  description: "Only the fields sent change; null clears a field. The sport cannot change. Scope: admin.",
  request: {
    params: matchIdParams,
    body: { content: { "application/json": { schema: updateMatchBody } }, required: true },
  },
  responses: {
    200: okJson(matchSchema, "The match as stored"),
    ...errors(404, 415),
  },
});

export const matchStateRoute = liveRoute({
  method: "get",
  path: "/v1/matches/{matchId}/state",
  tags: ["live"],
  summary: "Live state and current prediction",
  description:
    "From the match's room. 404 before any event reached it. Scope: read (also as ?token=), or a viewer token " +
    "for this match as ?access_token=.",
  request: {
    params: matchIdParams,
    query: z.object({
      access_token: z
        .string()
        .optional()
        .openapi({ param: { name: "access_token", in: "query" }, description: "A viewer token for this match." }),
    }),
  },
  responses: {
    200: okJson(liveStateSchema, "The live state"),
    ...errors(404),
  },
});

export const liveStreamRoute = createRoute({
  method: "get",
  path: "/v1/matches/{matchId}/live",
  tags: ["live"],
  summary: "WebSocket stream of a match",
  description:
    "Upgrade to a WebSocket (a browser sends `?access_token=<viewer token>`; a server its key). The first frame is a snapshot, then one " +
    "`update` frame per change (coalesced under bursts). Reconnect with `?since=<last seq>` to receive what you missed. " +
    "Send `ping` for `pong`. Close codes: 4001 key (or the viewer token's issuer) revoked, 4008 too slow (resume with ?since=); 429 `rate_limited` when the key has too many sockets open on the match, 429 `quota_exceeded` (quota `liveSockets`) when its tenant has all its live sockets open. Scope: read.",
  security: bearerAuth,
  request: {
    params: matchIdParams,
    query: z.object({
      since: z.coerce
        .number()
        .int()
        .min(0)
        .optional()
        .openapi({ param: { name: "since", in: "query" }, description: "The last seq you received." }),
      token: z
        .string()
        .optional()
        .openapi({ param: { name: "token", in: "query" }, description: "An API key (servers; never in a page)." }),
      access_token: z
        .string()
        .optional()
        .openapi({
          param: { name: "access_token", in: "query" },
          description: "A viewer token for this match (POST /v1/viewer-tokens): what a browser sends.",
        }),
    }),
  },
  responses: {
    101: {
      description: "Switching protocols: the socket then carries LiveFrame JSON messages.",
      content: { "application/json": { schema: serverFrameSchema } },
    },
    ...errors(400, 401, 403, 404, 426, 429, 503),
  },
});
const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

app.openapi(listMatchesRoute, async (c) => {
  const q = c.req.valid("query");
  const after = decodeCursor(q.cursor, matchPositionSchema);
  const rows = await withMetadata(c.env, (db) =>
    listMatches(
      db,
      c.get("client").tenantId,
      { status: q.status, sport: q.sport, fromMs: q.from, toMs: q.to },
      after,
      q.limit,
    ),
  );
  const { data, nextCursor } = page(rows, q.limit, positionOf);
  const activity = await activityOf(
    c.env,
    c.get("client").tenantId,
    data.map((m) => m.id),
  );
  return c.json({ data: data.map((m) => withActivity(m, activity)), nextCursor }, 200);
});

app.openapi(getMatchRoute, async (c) => {
  const { matchId } = c.req.valid("param");
  const owner = await matchOwner(c, matchId, "read");
  const [match, activity, live] = await Promise.all([
    withMetadata(c.env, (db) => findMatch(db, owner, matchId)),
    activityOf(c.env, owner, [matchId]),
    room(c.env, owner, matchId).getState(),
  ]);
  if (!match) throw new ApiError("not_found", `no match '${matchId}' is registered`);
  const state = live ? ({ ...live.state, prediction: live.prediction } as z.infer<typeof liveStateSchema>) : null;
  return c.json({ ...withActivity(match, activity), live: state }, 200);
});

/** Teams a match names must exist and play the match's sport. */
async function assertTeamsFit(
  db: Database,
  tenantId: string,
  sport: string,
  body: { team1Id?: string | null; team2Id?: string | null },
) {
  const issues = await teamsNotFitting(db, tenantId, sport, [
    { field: "team1Id", id: body.team1Id },
    { field: "team2Id", id: body.team2Id },
  ]);
  if (issues.length > 0) throw new ApiError("invalid_request", issues.map((i) => i.message).join("; "), { issues });
}

app.openapi(createMatchRoute, async (c) => {
  const body = c.req.valid("json");
  const { tenantId } = c.get("client");
  const created = await withMetadata(
    c.env,
    async (db) => {
      await assertTeamsFit(db, tenantId, body.sport, body);
      const stored = await insertMatchWithinQuota(db, {
        tenantId,
        id: body.id,
        sport: body.sport,
        team1Id: body.team1Id ?? null,
        team2Id: body.team2Id ?? null,
        startsAt: body.startsAt ? new Date(body.startsAt) : null,
        venue: body.venue ?? null,
        neutral: body.neutral ?? false,
        knockout: body.knockout ?? false,
        tournament: body.tournament ?? null,
        bestOf: body.bestOf ?? null,
        status: body.status ?? "scheduled",
      });
      if (!stored) {
        throw quotaExceeded(
          "storedMatches",
          "this tenant stores as many matches as its storedMatches quota allows; ask the operator to raise it",
        );
      }
      return findMatch(db, tenantId, body.id);
    },
    `match '${body.id}'`,
  );
  if (!created) throw new ApiError("internal", "the new match was not stored");
  // The tenant's own match now comes before one of the same id shared with it.
  forgetMatchOwners(body.id);
  return c.json(created, 201);
});

app.openapi(updateMatchRoute, async (c) => {
  const { matchId } = c.req.valid("param");
  const body = c.req.valid("json");
  const owner = await matchOwner(c, matchId, "write");
  const updated = await withMetadata(c.env, async (db) => {
    const current = await findMatch(db, owner, matchId);
    if (!current) throw new ApiError("not_found", `no match '${matchId}' is registered`);
    await assertTeamsFit(db, owner, current.sport, body);
    const { startsAt, ...rest } = body;
    await updateMatch(db, owner, matchId, {
      ...rest,
      ...(startsAt !== undefined ? { startsAt: startsAt === null ? null : new Date(startsAt) } : {}),
    });
    return findMatch(db, owner, matchId);
  });
  if (!updated) throw new ApiError("not_found", `no match '${matchId}' is registered`);
  return c.json(updated, 200);
});

app.openapi(matchStateRoute, async (c) => {
  const { matchId } = c.req.valid("param");
  const owner = await matchOwner(c, matchId, "read");
  const current = await room(c.env, owner, matchId).getState();
  if (!current) throw new ApiError("not_found", `no events have reached match '${matchId}'`);
  return c.json({ ...current.state, prediction: current.prediction } as z.infer<typeof liveStateSchema>, 200);
});

// The socket route is documented above but served as a plain route: its 101 carries no JSON body.
app.openAPIRegistry.registerPath(liveStreamRoute);
app.get("/v1/matches/:matchId/live", every(...liveAccess), async (c) => {
  const matchId = socketMatchId(c.req, "");
  const since = c.req.query("since");
  if (since !== undefined && !/^\d+$/.test(since)) {
    throw new ApiError("invalid_request", "since must be a non-negative integer (the last seq you received)", {
      issues: [{ path: "query.since", message: "not a non-negative integer" }],
    });
  }
  return forwardMatchSocket(c, matchId);
});

export const matchesRoutes = app;

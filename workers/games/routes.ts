// The fan prediction game's HTTP API (mounted by workers/api/app.ts): games (admin), fans' guesses
// (scope `games`: an operator posts on behalf of its fans), the leaderboard and a fan's standing (read,
// from Redis), a match's settlement status, and the operator's final-score correction (admin).
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { Pool } from "@neondatabase/serverless";
import type { Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import {
  DEFAULT_SCORING,
  type Guess,
  type GuessIssue,
  guessPoints,
  guessSchema,
  MAX_GUESS_SCORE,
  MAX_GUESSES_PER_REQUEST,
  parseGuess,
  provisionalPoints,
} from "../../shared/games/scoring";
import { adminAccess, readAccess, readAccessInRoute } from "../api/access";
import type { AppEnv } from "../api/app-env";
import { requireScope } from "../api/auth";
import { ApiError, validationHook } from "../api/errors";
import { bearerAuth, errors, json, rateLimitHeaders } from "../api/openapi";
import { cursorQuery, decodeCursor, encodeCursor, nextCursorSchema } from "../api/pagination";
import { entityId, matchIdParams } from "../api/params";
import { enforceBudget, owedReadBudget } from "../api/rate-limit";
import { describeDbError, inTransaction, withPostgres } from "../clients/postgres";
import type { Env } from "../env";
import { bodyKind, decodeBody } from "../ingest/parse-body";
import { errorMessage, log } from "../observability/log";
import { metrics } from "../observability/metrics";
import {
  addGameMatches,
  countGuesses,
  createGame,
  fanGuesses,
  findGame,
  type GameRow,
  groupGuesses,
  guessKey,
  matchLocks,
  matchSettlement,
  unknownMatches,
  upsertGuesses,
} from "../stores/postgres/games";
import { matchOwner } from "../tenants/match-owner";
import { type BoardRef, enterFans, openLeaderboardRedis, readFan, readPage } from "./leaderboard";
import { liveScore } from "./live-score";
import { requestSettlement } from "./settlement";

/** 10,000 guesses of ~100 bytes each, with room to spare. */
export const MAX_GUESS_BODY_BYTES = 2 * 1_048_576;
const MAX_MATCHES_PER_GAME = 500;

/** Runs `work` on Postgres; a driver failure becomes 503 dependency_unavailable. */
async function withGameStore<T>(env: Env, work: (pool: Pool) => Promise<T>): Promise<T> {
  try {
    return await withPostgres(env, ({ pool }) => work(pool));
  } catch (err) {
    if (err instanceof ApiError) throw err;
    metrics.dependencyErrors.inc({ dependency: "postgres" });
    log("error", "game store call failed", describeDbError(err));
    throw new ApiError("dependency_unavailable", "the game store is unavailable; retry later");
  }
}

async function withBoard<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    metrics.dependencyErrors.inc({ dependency: "redis" });
    log("error", "leaderboard call failed", { error: errorMessage(err) });
    throw new ApiError("dependency_unavailable", "the leaderboard is unavailable; retry later");
  }
}

const scoringSchema = z
  .strictObject({
    exact: z.int().min(0).max(100).describe("Points for the exact final score (default 3)."),
    outcome: z
      .int()
      .min(0)
      .max(100)
      .describe("Points for the right outcome: team 1 win, draw, team 2 win (default 1)."),
  })
  .meta({ id: "GameScoring" });

const gameSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    matchIds: z.array(z.string()),
    scoring: scoringSchema,
    createdAt: z.string(),
  })
  .meta({ id: "Game" });

const matchIdList = z
  .array(entityId)
  .min(1)
  .max(MAX_MATCHES_PER_GAME)
  .describe("Registered matches (football: guess the goals; CS2: guess the maps score of the series).");

const createGameBody = z
  .strictObject({ name: z.string().min(1).max(200), matchIds: matchIdList, scoring: scoringSchema.optional() })
  .meta({ id: "CreateGame" });

const gameIdParams = z.object({
  gameId: z.uuid().openapi({ param: { name: "gameId", in: "path" }, example: "3f0c5a4e-1b2c-4d5e-8f90-1a2b3c4d5e6f" }),
});
const fanParams = gameIdParams.extend({
  fanId: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: "fanId", in: "path" }, example: "fan-42" }),
});

const boardEntrySchema = z
  .object({ rank: z.int(), fanId: z.string(), points: z.int() })
  .meta({ id: "LeaderboardEntry" });

const leaderboardSchema = z
  .object({
    entries: z.array(boardEntrySchema),
    nextCursor: nextCursorSchema,
    fans: z.int().describe("Fans on the leaderboard: every fan with a guess in the game (0 points until one settles)."),
    settledMatches: z.int(),
    updatedAt: z.string().nullable().describe("When the last settlement finished."),
  })
  .meta({ id: "Leaderboard" });

const guessStatus = z.enum(["open", "locked", "settling", "settled"]);

const fanSchema = z
  .object({
    fanId: z.string(),
    rank: z
      .int()
      .nullable()
      .describe(
        "Among every fan with a guess in the game (all share rank 1 at 0 points before a match settles); null for a fan with no guess.",
      ),
    points: z.int(),
    around: z.array(boardEntrySchema).describe("Up to two entries just above and two just below."),
    guesses: z.array(
      z.object({
        matchId: z.string(),
        home: z.int(),
        away: z.int(),
        points: z.int().nullable().describe("Settled points; null until settled."),
        provisionalPoints: z.int().optional().describe("While the match is live: the points at the current score."),
        status: guessStatus,
      }),
    ),
  })
  .meta({ id: "FanStanding" });

const scoreSchema = z.object({ home: z.int(), away: z.int() });

const settlementSchema = z
  .object({
    status: guessStatus.describe(
      "open: taking guesses; locked: started (first live event or scheduled start), not finished; settling; settled.",
    ),
    finalScore: scoreSchema.nullable(),
    guesses: z.int(),
    settledAt: z.string().nullable(),
    durationMs: z.int().nullable().describe("Final score to the last page settled."),
    revision: z.int().describe("1 for the first final score; each correction adds 1."),
    currentScore: scoreSchema.optional().describe("While locked: the live score."),
    provisional: z
      .array(scoreSchema.extend({ guesses: z.int(), points: z.int() }))
      .optional()
      .describe("While locked: points per guessed score at the current score (the 200 most guessed scores)."),
  })
  .meta({ id: "Settlement" });

const guessResultSchema = z
  .object({
    accepted: z.int().min(0),
    rejected: z.array(
      z.object({
        index: z.int().min(0),
        code: z.enum(["invalid_request", "guess_locked"]),
        issues: z.array(z.object({ path: z.string(), message: z.string() })),
      }),
    ),
  })
  .meta({ id: "GuessResult" });

/** Scope read or admin; `budget: "in-command"`: the route spends the read unit in its own Redis command. */
const readers = ({ budget }: { budget: "before" | "in-command" } = { budget: "before" }) =>
  budget === "in-command" ? readAccessInRoute : readAccess;
const admins = () => adminAccess;

export const createGameRoute = createRoute({
  method: "post",
  path: "/v1/games",
  tags: ["games"],
  summary: "Create a prediction game",
  description:
    "A prediction competition over registered matches of the caller's tenant; the game belongs to that tenant " +
    "(every game route answers 404 for another tenant's game). Default scoring: exact 3, outcome 1. Scope: admin.",
  security: bearerAuth,
  middleware: admins(),
  request: { body: { content: { "application/json": { schema: createGameBody } }, required: true } },
  responses: {
    201: { ...json(gameSchema, "The game"), headers: rateLimitHeaders },
    ...errors(400, 401, 403, 415, 429, 503),
  },
});

export const getGameRoute = createRoute({
  method: "get",
  path: "/v1/games/{gameId}",
  tags: ["games"],
  summary: "One prediction game",
  description: "Scope: read or admin. Another tenant's game answers 404, like an unknown one.",
  security: bearerAuth,
  middleware: readers(),
  request: { params: gameIdParams },
  responses: {
    200: { ...json(gameSchema, "The game"), headers: rateLimitHeaders },
    ...errors(400, 401, 403, 404, 429, 503),
  },
});

export const addMatchesRoute = createRoute({
  method: "patch",
  path: "/v1/games/{gameId}",
  tags: ["games"],
  summary: "Add matches to a game",
  description: "Matches already in the game are kept as they are. Scope: admin.",
  security: bearerAuth,
  middleware: admins(),
  request: {
    params: gameIdParams,
    body: {
      content: {
        "application/json": { schema: z.strictObject({ matchIds: matchIdList }).meta({ id: "AddGameMatches" }) },
      },
      required: true,
    },
  },
  responses: {
    200: { ...json(gameSchema, "The game"), headers: rateLimitHeaders },
    ...errors(400, 401, 403, 404, 415, 429, 503),
  },
});

export const postGuessesRoute = createRoute({
  method: "post",
  path: "/v1/games/{gameId}/guesses",
  tags: ["games"],
  summary: "Send fans' guesses",
  description:
    `A JSON array or NDJSON of guesses, at most ${MAX_GUESSES_PER_REQUEST} and 2 MB. A fan's later guess of a match replaces ` +
    "the earlier one until the match starts (its first live event or its scheduled start); after that a guess is " +
    "rejected with `guess_locked`. Valid guesses are stored even when others are rejected; each rejected item " +
    "names its bad fields. 409 guess_locked when every guess hit the lock. The guesses' fans enter the game's " +
    "leaderboard at 0 points (unless on it already) in the same step: 503 when the leaderboard cannot be written, " +
    "and then nothing is stored. Spends one unit of the ingest budget per guess. Scope: games.",
  security: bearerAuth,
  request: {
    params: gameIdParams,
    body: {
      required: true,
      content: {
        "application/json": { schema: z.array(guessSchema).max(MAX_GUESSES_PER_REQUEST) },
        "application/x-ndjson": { schema: z.string().describe("One Guess JSON object per line.") },
      },
    },
  },
  responses: {
    202: {
      ...json(guessResultSchema, "Stored (some items may be rejected: see `rejected`)"),
      headers: rateLimitHeaders,
    },
    ...errors(400, 401, 403, 404, 409, 413, 415, 429, 503),
  },
});

export const leaderboardRoute = createRoute({
  method: "get",
  path: "/v1/games/{gameId}/leaderboard",
  tags: ["games"],
  summary: "A game's leaderboard",
  description:
    "Every fan with a guess in the game, by settled points (a fan enters at 0 with their first guess), descending; " +
    "rank = 1 + the number of fans with strictly more points (ties share a rank); within a tie, fanId ascending " +
    "(byte order). Scope: read or admin.",
  security: bearerAuth,
  middleware: readers({ budget: "in-command" }),
  request: {
    params: gameIdParams,
    query: z.object({
      limit: z.coerce
        .number()
        .int()
        .min(1)
        .max(100)
        .default(50)
        .openapi({ param: { name: "limit", in: "query" }, description: "Page size, 1–100 (default 50)." }),
      cursor: cursorQuery,
    }),
  },
  responses: {
    200: { ...json(leaderboardSchema, "A page of the leaderboard"), headers: rateLimitHeaders },
    ...errors(400, 401, 403, 404, 429, 503),
  },
});

export const fanRoute = createRoute({
  method: "get",
  path: "/v1/games/{gameId}/fans/{fanId}",
  tags: ["games"],
  summary: "A fan's standing and guesses",
  description: "Rank and points (settled), the entries around the fan, and every guess. Scope: read or admin.",
  security: bearerAuth,
  middleware: readers({ budget: "in-command" }),
  request: { params: fanParams },
  responses: {
    200: { ...json(fanSchema, "The fan"), headers: rateLimitHeaders },
    ...errors(400, 401, 403, 404, 429, 503),
  },
});

export const settlementRoute = createRoute({
  method: "get",
  path: "/v1/games/{gameId}/matches/{matchId}/settlement",
  tags: ["games"],
  summary: "A match's settlement in a game",
  description: "Scope: read or admin.",
  security: bearerAuth,
  middleware: readers(),
  request: { params: gameIdParams.extend(matchIdParams.shape) },
  responses: {
    200: { ...json(settlementSchema, "The settlement"), headers: rateLimitHeaders },
    ...errors(400, 401, 403, 404, 429, 503),
  },
});

const goals = z.int().min(0).max(MAX_GUESS_SCORE);

export const finalScoreRoute = createRoute({
  method: "post",
  path: "/v1/matches/{matchId}/final-score",
  tags: ["games"],
  summary: "Correct a match's final score",
  description:
    "Re-settles every game of the caller's tenant holding the match when the score differs from the one settled (revision + 1): each " +
    "fan's points move by exactly the difference. The same score again changes nothing. Normally the match " +
    "room's match_end settles a match; this is for corrections after the whistle. Scope: admin.",
  security: bearerAuth,
  middleware: admins(),
  request: {
    params: matchIdParams,
    body: {
      content: {
        "application/json": {
          schema: z.strictObject({ home: goals, away: goals }).meta({ id: "FinalScore" }),
        },
      },
      required: true,
    },
  },
  responses: {
    202: {
      ...json(z.object({ matchId: z.string(), queued: z.literal(true) }), "Settlement queued"),
      headers: rateLimitHeaders,
    },
    ...errors(400, 401, 403, 415, 429, 503),
  },
});

const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

const gameView = (g: GameRow) => ({
  id: g.id,
  name: g.name,
  matchIds: g.matchIds,
  scoring: g.scoring,
  createdAt: g.createdAt,
});

async function requireKnownMatches(pool: Pool, tenantId: string, matchIds: string[]): Promise<void> {
  const unknown = new Set(await unknownMatches(pool, tenantId, matchIds));
  if (unknown.size === 0) return;
  const issues = matchIds.flatMap((id, i) =>
    unknown.has(id) ? [{ path: `body.matchIds.${i}`, message: `no registered match "${id}" (POST /v1/matches)` }] : [],
  );
  throw new ApiError("invalid_request", `unknown matches: ${[...unknown].join(", ")}`, { issues });
}

app.openapi(createGameRoute, async (c) => {
  const body = c.req.valid("json");
  const matchIds = [...new Set(body.matchIds)];
  const tenantId = tenantOf(c);
  const game = await withGameStore(c.env, async (pool) => {
    await requireKnownMatches(pool, tenantId, matchIds);
    return createGame(pool, tenantId, body.name, body.scoring ?? DEFAULT_SCORING, matchIds);
  });
  return c.json(gameView(game), 201);
});

const notFound = (gameId: string) => new ApiError("not_found", `no game ${gameId}`);

/** Every game route acts within the caller's tenant: another tenant's game answers 404, as an unknown one. */
const tenantOf = (c: Context<AppEnv>): string => c.get("client").tenantId;
const boardOf = (c: Context<AppEnv>, gameId: string): BoardRef => ({ tenantId: tenantOf(c), gameId });

app.openapi(getGameRoute, async (c) => {
  const { gameId } = c.req.valid("param");
  const game = await withGameStore(c.env, (pool) => findGame(pool, tenantOf(c), gameId));
  if (!game) throw notFound(gameId);
  return c.json(gameView(game), 200);
});

app.openapi(addMatchesRoute, async (c) => {
  const { gameId } = c.req.valid("param");
  const matchIds = [...new Set(c.req.valid("json").matchIds)];
  const tenantId = tenantOf(c);
  const game = await withGameStore(c.env, async (pool) => {
    if (!(await findGame(pool, tenantId, gameId))) throw notFound(gameId);
    await requireKnownMatches(pool, tenantId, matchIds);
    await addGameMatches(pool, gameId, matchIds);
    return (await findGame(pool, tenantId, gameId))!;
  });
  return c.json(gameView(game), 200);
});

type Rejection = { index: number; code: "invalid_request" | "guess_locked"; issues: GuessIssue[] };

/** The items of a guesses body: a JSON array (or one object) or NDJSON; a bad line is that item's issue. */
function guessItems(text: string, kind: "json" | "ndjson"): unknown[] {
  let items: unknown[];
  if (kind === "ndjson") {
    items = text
      .split("\n")
      .filter((l) => l.trim() !== "")
      .map((line) => {
        try {
          return JSON.parse(line) as unknown;
        } catch {
          return badLine;
        }
      });
  } else {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw new ApiError("invalid_json", `body is not valid JSON: ${(err as Error).message}`);
    }
    items = Array.isArray(value) ? value : [value];
  }
  if (items.length === 0) throw new ApiError("invalid_json", "the body holds no guesses");
  if (items.length > MAX_GUESSES_PER_REQUEST)
    throw new ApiError(
      "payload_too_large",
      `${items.length} guesses in one request; at most ${MAX_GUESSES_PER_REQUEST} are allowed`,
    );
  return items;
}

const badLine = Symbol("not JSON");

app.openAPIRegistry.registerPath(postGuessesRoute);
// Authenticate before reading the body; bodyLimit refuses an oversized one while it streams.
const limitBody = bodyLimit({
  maxSize: MAX_GUESS_BODY_BYTES,
  onError: () => {
    throw new ApiError("payload_too_large", `request body exceeds ${MAX_GUESS_BODY_BYTES} bytes; split it`);
  },
});

/**
 * Writes the guesses and puts their fans on the game's board (at 0 points unless there already), in
 * one Postgres transaction that commits only once the board has them: an accepted guess's fan is always
 * on the board, and a board that cannot be written leaves nothing stored (503, the request can be sent
 * again). The matches' guess counts move in the same transaction. Returns the keys written (upsertGuesses).
 */
async function storeGuesses(env: Env, pool: Pool, game: GameRow, guesses: Guess[]): Promise<Set<string>> {
  if (guesses.length === 0) return new Set();
  return inTransaction(pool, async (session) => {
    const { written, added } = await upsertGuesses(session, game, guesses);
    const fans = [...new Set(guesses.filter((g) => written.has(guessKey(g))).map((g) => g.fanId))];
    await withBoard(() => enterFans(openLeaderboardRedis(env), { tenantId: game.tenantId, gameId: game.id }, fans));
    await countGuesses(session, game.id, added);
    return written;
  });
}

app.post("/v1/games/:gameId/guesses", requireScope("games"), limitBody, async (c) => {
  const gameId = c.req.param("gameId");
  const kind = bodyKind(c.req.header("content-type") ?? null);
  if (!kind)
    throw new ApiError("unsupported_media_type", "send application/json (an array of guesses) or application/x-ndjson");
  const items = guessItems(decodeBody(await c.req.arrayBuffer()), kind);
  await enforceBudget(c, "ingest", items.length);

  const rejected: Rejection[] = [];
  // A later guess of the same fan and match in one request replaces the earlier one, as across requests.
  const latest = new Map<string, { index: number; guess: Guess }>();
  items.forEach((item, index) => {
    const parsed =
      item === badLine ? { ok: false as const, issues: [{ path: "", message: "not valid JSON" }] } : parseGuess(item);
    if (!parsed.ok) rejected.push({ index, code: "invalid_request", issues: parsed.issues });
    else latest.set(guessKey(parsed.guess), { index, guess: parsed.guess });
  });
  const replaced = items.length - rejected.length - latest.size;

  const stored = await withGameStore(c.env, async (pool) => {
    const game = await findGame(pool, tenantOf(c), gameId);
    if (!game) throw notFound(gameId);
    const candidates = [...latest.values()];
    const locks = await matchLocks(pool, game, [...new Set(candidates.map((x) => x.guess.matchId))]);
    const writable: Guess[] = [];
    for (const { index, guess } of candidates) {
      const open = locks.get(guess.matchId);
      if (open === undefined)
        rejected.push({
          index,
          code: "invalid_request",
          issues: [{ path: "matchId", message: "is not a match of this game" }],
        });
      else if (!open)
        rejected.push({
          index,
          code: "guess_locked",
          issues: [{ path: "matchId", message: "the match has started: guesses are locked" }],
        });
      else writable.push(guess);
    }
    const written = await storeGuesses(c.env, pool, game, writable);
    // A match that kicked off between the check and the write: those guesses were not written.
    for (const { index, guess } of candidates) {
      if (locks.get(guess.matchId) && !written.has(guessKey(guess)))
        rejected.push({
          index,
          code: "guess_locked",
          issues: [{ path: "matchId", message: "the match has started: guesses are locked" }],
        });
    }
    return written.size;
  });
  rejected.sort((a, b) => a.index - b.index);
  metrics.guessesAccepted.inc({ outcome: "accepted" }, stored + replaced);
  metrics.guessesAccepted.inc({ outcome: "rejected" }, rejected.length);
  if (stored === 0) {
    if (rejected.length > 0 && rejected.every((r) => r.code === "guess_locked"))
      throw new ApiError("guess_locked", "every guess is for a match that has started", { rejected });
    throw new ApiError("invalid_request", "no guess in the request is valid", {
      issues: rejected.length === 1 ? rejected[0]!.issues : undefined,
      rejected,
    });
  }
  return c.json({ accepted: stored + replaced, rejected }, 202);
});

app.openapi(leaderboardRoute, async (c) => {
  const { gameId } = c.req.valid("param");
  const { limit, cursor } = c.req.valid("query");
  const after = decodeCursor(cursor, z.object({ fanId: z.string() }));
  // Redis only: one script call that also takes the read budget; the board's keys name the caller's tenant.
  const board = await owedReadBudget(c).spend((budget) =>
    withBoard(() => readPage(openLeaderboardRedis(c.env), boardOf(c, gameId), limit, after?.fanId ?? null, budget)),
  );
  if (!board.cursorKnown)
    throw new ApiError("invalid_request", "cursor does not name a fan on this leaderboard", {
      issues: [{ path: "query.cursor", message: "unknown position" }],
    });
  // Only an empty board costs a Postgres round trip (to tell an unknown game from one not settled yet).
  if (board.fans === 0 && !(await withGameStore(c.env, (pool) => findGame(pool, tenantOf(c), gameId))))
    throw notFound(gameId);
  const last = board.entries.at(-1);
  const more = last !== undefined && board.start + board.entries.length < board.fans;
  return c.json(
    {
      entries: board.entries,
      nextCursor: more ? encodeCursor({ fanId: last.fanId }) : null,
      fans: board.fans,
      settledMatches: board.settledMatches,
      updatedAt: board.updatedAt,
    },
    200,
  );
});

app.openapi(fanRoute, async (c) => {
  const { gameId, fanId } = c.req.valid("param");
  const tenantId = tenantOf(c);
  // A client this isolate knows is over budget gets its 429 here, before Postgres is asked.
  const budget = owedReadBudget(c);
  const standingRead = budget.spend((window) =>
    withBoard(() => readFan(openLeaderboardRedis(c.env), boardOf(c, gameId), fanId, window)),
  );
  const guessesRead = withGameStore(c.env, async (pool) => {
    const found = await fanGuesses(pool, tenantId, gameId, fanId);
    if (!found) throw notFound(gameId);
    return found;
  });
  guessesRead.catch(() => undefined); // awaited below, after the board's answer
  // Side by side, but the board's answer first: over budget is 429 whatever the game store says.
  const standing = await standingRead;
  const { scoring, guesses } = await guessesRead;
  const withProvisional = await Promise.all(
    guesses.map(async (g) => {
      if (g.status !== "locked") return g;
      const score = await liveScore(c.env, tenantId, g.matchId);
      return score ? { ...g, provisionalPoints: guessPoints(g, score, scoring) } : g;
    }),
  );
  return c.json(
    {
      fanId,
      rank: standing?.rank ?? null,
      points: standing?.points ?? 0,
      around: standing?.around ?? [],
      guesses: withProvisional,
    },
    200,
  );
});

app.openapi(settlementRoute, async (c) => {
  const { gameId, matchId } = c.req.valid("param");
  const tenantId = tenantOf(c);
  const result = await withGameStore(c.env, async (pool) => {
    const found = await matchSettlement(pool, tenantId, gameId, matchId);
    if (!found) throw new ApiError("not_found", `no match ${matchId} in game ${gameId}`);
    const { groups: stored, ...s } = found;
    if (s.status !== "locked") return { s };
    // A locked match's guesses no longer change: grouped once (the first read after kick-off), then read
    // with its status. Each grouping reads every guess of the match, a million in the bench.
    const [game, groups] = await Promise.all([
      findGame(pool, tenantId, gameId),
      stored ?? groupGuesses(pool, gameId, matchId),
    ]);
    return { s, game, groups };
  });
  const { s } = result;
  if ("groups" in result && result.game) {
    const current = await liveScore(c.env, tenantId, matchId);
    if (current)
      return c.json(
        { ...s, currentScore: current, provisional: provisionalPoints(result.groups, current, result.game.scoring) },
        200,
      );
  }
  return c.json(s, 200);
});

app.openapi(finalScoreRoute, async (c) => {
  const { matchId } = c.req.valid("param");
  const final = c.req.valid("json");
  try {
    await requestSettlement(c.env, await matchOwner(c, matchId, "write"), matchId, final, "correction");
  } catch (err) {
    log("error", "settlement queue refused a correction", { matchId, error: errorMessage(err) });
    throw new ApiError("queue_unavailable", "the settlement queue is unavailable; retry");
  }
  return c.json({ matchId, queued: true as const }, 202);
});

export const gamesRoutes = app;

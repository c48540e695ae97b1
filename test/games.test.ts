// The fan prediction game end to end against the real Postgres, Redis and local queues: games, guesses
// (array and NDJSON, every bad field named, the kick-off lock), settlement started by a room's
// match_end through the real settlement queue, leaderboards with shared ranks, exactly-once pages under
// redelivery and dependency failures, and re-settlement of a corrected score.
import {
  createExecutionContext,
  createMessageBatch,
  env,
  getQueueResult,
  runDurableObjectAlarm,
  runInDurableObject,
  SELF,
} from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { guessPoints } from "../shared/games/scoring";
import { seededRng } from "../shared/random";
import { app } from "../workers/api/app";
import { withPostgres } from "../workers/clients/postgres";
import { openRedis, redisBreaker, runScriptCalls } from "../workers/clients/redis";
import { consumeEvents } from "../workers/consumer/consume-events";
import { deadLetterOf } from "../workers/consumer/dead-letter-queue";
import type { Env } from "../workers/env";
import { openLeaderboardRedis, readPage, writeTotals } from "../workers/games/leaderboard";
import { consumeSettlement, type SettlementMessage } from "../workers/games/settlement";
import type { EventsMessage } from "../workers/queue/messages";
import { fanTotals, settledPoints } from "../workers/stores/postgres/games";
import {
  awayFromWindowEdge,
  BASE,
  call,
  clientIdOf,
  createApiKey,
  eventually,
  footballEvent,
  postEvents,
  uniqueMatchId,
} from "./fixtures";
import { createTenant, tenantKey } from "./tenant-fixtures";

const DEAD = "http://127.0.0.1:9"; // discard port: nothing listens

let admin: string;
let operator: string;
let reader: string;
let ingest: string;
beforeAll(async () => {
  [admin, operator, reader, ingest] = await Promise.all([
    createApiKey(["admin"]),
    createApiKey(["games"]),
    createApiKey(["read"]),
    createApiKey(["ingest"]),
  ]);
});

async function ok<T>(res: Response, status = 200): Promise<T> {
  const body = await res.text();
  expect(res.status, body).toBe(status);
  return JSON.parse(body) as T;
}

const inAnHour = () => new Date(Date.now() + 3_600_000).toISOString();

async function registerMatch(label: string, startsAt: string | null = inAnHour()): Promise<string> {
  const id = uniqueMatchId(label);
  await ok(await call(admin, "/v1/matches", { body: { id, sport: "football", startsAt } }), 201);
  return id;
}

async function createGame(matchIds: string[], scoring?: { exact: number; outcome: number }): Promise<string> {
  const game = await ok<{ id: string }>(
    await call(admin, "/v1/games", { body: { name: "test game", matchIds, ...(scoring ? { scoring } : {}) } }),
    201,
  );
  return game.id;
}

interface GuessInput {
  fanId: string;
  matchId: string;
  home: number;
  away: number;
}

function postGuesses(gameId: string, body: unknown, contentType = "application/json", key = operator) {
  return SELF.fetch(`${BASE}/v1/games/${gameId}/guesses`, {
    method: "POST",
    headers: { "content-type": contentType, authorization: `Bearer ${key}` },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

interface Board {
  entries: { rank: number; fanId: string; points: number }[];
  nextCursor: string | null;
  fans: number;
  settledMatches: number;
  updatedAt: string | null;
}

interface Settlement {
  status: string;
  finalScore: { home: number; away: number } | null;
  guesses: number;
  revision: number;
  settledAt: string | null;
  durationMs: number | null;
}

const settlement = (gameId: string, matchId: string) =>
  call(reader, `/v1/games/${gameId}/matches/${matchId}/settlement`).then((r) => ok<Settlement>(r));

async function settled(gameId: string, matchId: string, revision = 1): Promise<Settlement> {
  return eventually(async () => {
    const s = await settlement(gameId, matchId);
    return s.status === "settled" && s.revision === revision ? s : null;
  }, 20_000);
}

async function fullBoard(gameId: string, limit = 2): Promise<Board["entries"]> {
  const all: Board["entries"] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 100; pages++) {
    const page: Board = await ok(
      await call(reader, `/v1/games/${gameId}/leaderboard?limit=${limit}${cursor ? `&cursor=${cursor}` : ""}`),
    );
    all.push(...page.entries);
    cursor = page.nextCursor;
    if (!cursor) break;
  }
  return all;
}

/** Points per fan as the leaderboard shows them. */
async function boardPoints(gameId: string): Promise<Record<string, number>> {
  return Object.fromEntries((await fullBoard(gameId, 100)).map((e) => [e.fanId, e.points]));
}

/** Every fan of `expected` at 0: the board before any of their points settle. */
const atZero = (expected: Record<string, number>) => Object.fromEntries(Object.keys(expected).map((f) => [f, 0]));

/** Points per fan as Postgres holds them (the truth). */
async function totals(gameId: string): Promise<Record<string, number>> {
  const rows = await withPostgres(env, ({ pool }) => fanTotals(pool, gameId, "", 100_000));
  return Object.fromEntries(rows.map((r) => [r.fanId, r.points]));
}

/**
 * The fans' settled points as fan_points holds them (what each pass builds on) equal `expected`: a fan
 * without a row has 0 points.
 */
async function expectSettledPoints(gameId: string, expected: Record<string, number>): Promise<void> {
  const rows = await withPostgres(env, ({ pool }) => settledPoints(pool, gameId, "", 100_000));
  const held = Object.fromEntries(rows.map((r) => [r.fanId, r.points]));
  const fans = [...new Set([...Object.keys(expected), ...Object.keys(held)])].sort();
  expect(Object.fromEntries(fans.map((f) => [f, held[f] ?? 0]))).toEqual(
    Object.fromEntries(fans.map((f) => [f, expected[f] ?? 0])),
  );
}

describe("games and guesses", () => {
  it("creates a game over registered matches and refuses unknown ones, naming them", async () => {
    const m1 = await registerMatch("g-create");
    const gameId = await createGame([m1]);
    const game = await ok<{ matchIds: string[]; scoring: unknown }>(await call(reader, `/v1/games/${gameId}`));
    expect(game).toMatchObject({ matchIds: [m1], scoring: { exact: 3, outcome: 1 } });
    const bad = await call(admin, "/v1/games", { body: { name: "x", matchIds: [m1, "nope-never-registered"] } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { issues: { path: string }[] } }).error.issues).toEqual([
      expect.objectContaining({ path: "body.matchIds.1" }),
    ]);
    const m2 = await registerMatch("g-add");
    const added = await ok<{ matchIds: string[] }>(
      await call(admin, `/v1/games/${gameId}`, { method: "PATCH", body: { matchIds: [m2] } }),
    );
    expect(added.matchIds.sort()).toEqual([m1, m2].sort());
    expect((await call(reader, "/v1/games", { body: { name: "x", matchIds: [m1] } })).status).toBe(403);
    expect((await call(reader, `/v1/games/${crypto.randomUUID()}`)).status).toBe(404);
  });

  it("takes an array and NDJSON, replaces a fan's earlier guess, and names every bad field per item", async () => {
    const m = await registerMatch("g-guess");
    const gameId = await createGame([m]);
    const first = await ok<{ accepted: number; rejected: unknown[] }>(
      await postGuesses(gameId, [
        { fanId: "a", matchId: m, home: 1, away: 0 },
        { fanId: "b", matchId: m, home: -1, away: "2", extra: 1 },
        { fanId: "c", matchId: "other-match", home: 0, away: 0 },
        { fanId: "a", matchId: m, home: 2, away: 0 },
      ]),
      202,
    );
    expect(first.accepted).toBe(2);
    expect(first.rejected).toEqual([
      {
        index: 1,
        code: "invalid_request",
        issues: expect.arrayContaining([
          expect.objectContaining({ path: "home" }),
          expect.objectContaining({ path: "away" }),
          expect.objectContaining({ path: "extra" }),
        ]),
      },
      { index: 2, code: "invalid_request", issues: [{ path: "matchId", message: "is not a match of this game" }] },
    ]);
    const nd = [
      JSON.stringify({ fanId: "007", matchId: m, home: 0, away: 0 }),
      "{not json",
      JSON.stringify({ fanId: "a", matchId: m, home: 3, away: 1 }),
    ].join("\n");
    const second = await ok<{ accepted: number; rejected: { index: number }[] }>(
      await postGuesses(gameId, nd, "application/x-ndjson"),
      202,
    );
    expect(second.accepted).toBe(2);
    expect(second.rejected.map((r) => r.index)).toEqual([1]);
    // Two fans' guesses held: a replaced guess is not counted again.
    expect(await settlement(gameId, m)).toMatchObject({ status: "open", guesses: 2 });
    const fan = await ok<{ guesses: { home: number; away: number; status: string; points: null }[] }>(
      await call(reader, `/v1/games/${gameId}/fans/a`),
    );
    expect(fan.guesses).toEqual([{ matchId: m, home: 3, away: 1, points: null, status: "open" }]);
    const none = await postGuesses(gameId, [{ fanId: "" }]);
    expect(none.status).toBe(400);
    expect(
      (await postGuesses(gameId, [{ fanId: "a", matchId: m, home: 1, away: 1 }], "application/json", reader)).status,
    ).toBe(403);
    const tooMany = Array.from({ length: 10_001 }, (_, i) => ({ fanId: `f${i}`, matchId: m, home: 0, away: 0 }));
    expect((await postGuesses(gameId, tooMany)).status).toBe(413);
  });

  it("puts a guessing fan on the leaderboard at 0 points, and stores nothing when the board cannot be written", async () => {
    const m = await registerMatch("g-enter");
    const gameId = await createGame([m]);
    const guess = (fanId: string) => ({ fanId, matchId: m, home: 1, away: 0 });
    const noRedis = { ...env, UPSTASH_REDIS_REST_URL: `${DEAD}/guess-board` } as Env;
    const down = await app.request(
      `${BASE}/v1/games/${gameId}/guesses`,
      {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${operator}` },
        body: JSON.stringify([guess("x")]),
      },
      noRedis,
    );
    expect(down.status).toBe(503);
    expect(await down.json()).toMatchObject({ error: { code: "dependency_unavailable" } });
    expect(await ok(await call(reader, `/v1/games/${gameId}/fans/x`))).toMatchObject({ rank: null, guesses: [] });
    expect(await settlement(gameId, m)).toMatchObject({ status: "open", guesses: 0 });

    await ok(await postGuesses(gameId, [guess("y"), guess("x")]), 202);
    await ok(await postGuesses(gameId, [{ ...guess("x"), home: 2 }]), 202); // a replaced guess: still one entry
    const board = await ok<Board>(await call(reader, `/v1/games/${gameId}/leaderboard`));
    expect(board).toMatchObject({ fans: 2, settledMatches: 0, nextCursor: null });
    expect(board.entries).toEqual([
      { rank: 1, fanId: "x", points: 0 },
      { rank: 1, fanId: "y", points: 0 },
    ]);
    expect(await ok(await call(reader, `/v1/games/${gameId}/fans/y`))).toMatchObject({
      rank: 1,
      points: 0,
      around: [{ rank: 1, fanId: "x", points: 0 }],
    });
  });

  it("rejects guesses after kick-off (scheduled start passed, or first live event) with guess_locked", async () => {
    const started = await registerMatch("g-started", new Date(Date.now() - 60_000).toISOString());
    const later = await registerMatch("g-later");
    const gameId = await createGame([started, later]);
    const locked = await postGuesses(gameId, [{ fanId: "a", matchId: started, home: 1, away: 0 }]);
    expect(locked.status).toBe(409);
    const body = (await locked.json()) as { error: { code: string; rejected: { code: string }[] } };
    expect(body.error.code).toBe("guess_locked");
    expect(body.error.rejected).toEqual([expect.objectContaining({ index: 0, code: "guess_locked" })]);

    // Before its first event the later match takes guesses; its first live event locks it.
    await ok(await postGuesses(gameId, [{ fanId: "a", matchId: later, home: 1, away: 0 }]), 202);
    await ok(await postEvents(ingest, footballEvent(later, "match_start")), 202);
    await eventually(async () => (await settlement(gameId, later)).status === "locked");
    const after = await postGuesses(gameId, [
      { fanId: "b", matchId: later, home: 0, away: 0 },
      { fanId: "b", matchId: started, home: 0, away: 0 },
    ]);
    expect(after.status).toBe(409);
    expect(((await after.json()) as { error: { code: string } }).error.code).toBe("guess_locked");
  });
});

describe("settlement", () => {
  it("settles on the room's match_end through the queue: leaderboard and fan ranks, ties shared", async () => {
    const m = await registerMatch("g-e2e");
    const gameId = await createGame([m]);
    // Final 2-1. Exact: f1, f2 (3). Outcome: f3, f4, f5 (1). Wrong: f6, f7 (0).
    const guesses: GuessInput[] = [
      { fanId: "f1", matchId: m, home: 2, away: 1 },
      { fanId: "f2", matchId: m, home: 2, away: 1 },
      { fanId: "f3", matchId: m, home: 1, away: 0 },
      { fanId: "f4", matchId: m, home: 3, away: 0 },
      { fanId: "f5", matchId: m, home: 4, away: 2 },
      { fanId: "f6", matchId: m, home: 0, away: 0 },
      { fanId: "f7", matchId: m, home: 0, away: 3 },
    ];
    await ok(await postGuesses(gameId, guesses), 202);
    await ok(
      await postEvents(ingest, [
        footballEvent(m, "match_start", { seq: 1 }),
        footballEvent(m, "goal", { seq: 2, teamId: 1, payload: { minute: 10 } }),
        footballEvent(m, "goal", { seq: 3, teamId: 2, payload: { minute: 20 } }),
        footballEvent(m, "goal", { seq: 4, teamId: 1, payload: { minute: 80 } }),
      ]),
      202,
    );
    // While live: provisional points at the current score (2-1 after the third goal).
    const live = await eventually(async () => {
      const s = (await settlement(gameId, m)) as Settlement & {
        currentScore?: { home: number; away: number };
        provisional?: { home: number; away: number; guesses: number; points: number }[];
      };
      return s.status === "locked" && s.currentScore?.home === 2 && s.currentScore.away === 1 ? s : null;
    });
    expect(live.provisional).toContainEqual({ home: 2, away: 1, guesses: 2, points: 3 });
    expect(live.provisional).toContainEqual({ home: 0, away: 0, guesses: 1, points: 0 });
    const provisionalFan = await ok<{ guesses: { provisionalPoints?: number; points: null }[] }>(
      await call(reader, `/v1/games/${gameId}/fans/f3`),
    );
    expect(provisionalFan.guesses[0]).toMatchObject({ provisionalPoints: 1, points: null, status: "locked" });

    await ok(await postEvents(ingest, footballEvent(m, "match_end", { seq: 5 })), 202);
    const done = await settled(gameId, m);
    expect(done).toMatchObject({ finalScore: { home: 2, away: 1 }, guesses: 7, revision: 1 });
    expect(done.durationMs).toBeGreaterThanOrEqual(0);

    const board = await fullBoard(gameId, 2);
    expect(board).toEqual([
      { rank: 1, fanId: "f1", points: 3 },
      { rank: 1, fanId: "f2", points: 3 },
      { rank: 3, fanId: "f3", points: 1 },
      { rank: 3, fanId: "f4", points: 1 },
      { rank: 3, fanId: "f5", points: 1 },
      { rank: 6, fanId: "f6", points: 0 },
      { rank: 6, fanId: "f7", points: 0 },
    ]);
    const top = await ok<Board>(await call(reader, `/v1/games/${gameId}/leaderboard`));
    expect(top).toMatchObject({ fans: 7, settledMatches: 1, nextCursor: null });
    expect(top.updatedAt).not.toBeNull();
    const fan = await ok<{ rank: number; points: number; around: { fanId: string }[]; guesses: unknown[] }>(
      await call(reader, `/v1/games/${gameId}/fans/f4`),
    );
    expect(fan).toMatchObject({ fanId: "f4", rank: 3, points: 1 });
    expect(fan.around.map((e) => e.fanId)).toEqual(["f2", "f3", "f5", "f6"]);
    expect(fan.guesses).toEqual([{ matchId: m, home: 3, away: 0, points: 1, status: "settled" }]);
    // A match_end delivered again (a repeat from the source) changes nothing.
    await ok(await postEvents(ingest, footballEvent(m, "match_end", { seq: 6 })), 202);
    await new Promise((r) => setTimeout(r, 500));
    expect((await settlement(gameId, m)).revision).toBe(1);
    expect(await totals(gameId)).toEqual({ f1: 3, f2: 3, f3: 1, f4: 1, f5: 1, f6: 0, f7: 0 });
  });

  it("groups a live match's guessed scores once, reads them stored, and groups again after a guess write", async () => {
    const m = await registerMatch("g-groups");
    const gameId = await createGame([m]);
    await ok(
      await postGuesses(gameId, [
        { fanId: "a", matchId: m, home: 1, away: 0 },
        { fanId: "b", matchId: m, home: 1, away: 0 },
        { fanId: "c", matchId: m, home: 0, away: 2 },
      ]),
      202,
    );
    await ok(await postEvents(ingest, [footballEvent(m, "match_start", { seq: 1 })]), 202);
    type Live = Settlement & { provisional?: { home: number; away: number; guesses: number }[] };
    const groupsOf = async () => {
      const s = await eventually(async () => {
        const r = (await settlement(gameId, m)) as Live;
        return r.status === "locked" && r.provisional ? r : null;
      });
      return s.provisional!.map(({ home, away, guesses }) => ({ home, away, guesses }));
    };
    expect(await groupsOf()).toEqual([
      { home: 1, away: 0, guesses: 2 },
      { home: 0, away: 2, guesses: 1 },
    ]);
    const stored = () =>
      withPostgres(env, async ({ pool }) => {
        const { rows } = await pool.query(
          "SELECT guess_groups, guess_writes FROM game_matches WHERE game_id = $1 AND match_id = $2",
          [gameId, m],
        );
        return rows[0] as { guess_groups: { at: number; groups: unknown[] }; guess_writes: number };
      });
    const first = await stored();
    expect(first.guess_groups.at).toBe(first.guess_writes);
    // The next read takes the stored groups as they are (a sentinel put there shows), not a new grouping.
    await withPostgres(env, ({ pool }) =>
      pool.query(
        `UPDATE game_matches SET guess_groups = jsonb_build_object('at', guess_writes, 'groups', '[{"home":9,"away":9,"guesses":1}]'::jsonb)
         WHERE game_id = $1 AND match_id = $2`,
        [gameId, m],
      ),
    );
    expect(await groupsOf()).toEqual([{ home: 9, away: 9, guesses: 1 }]);
    // A guess write that passed the open check just before kick-off lands after the grouping (as
    // storeGuesses writes it: the guess, then the match's counts): the next read groups again.
    await withPostgres(env, async ({ pool }) => {
      await pool.query("INSERT INTO guesses (game_id, match_id, fan_id, home, away) VALUES ($1, $2, 'd', 0, 2)", [
        gameId,
        m,
      ]);
      await pool.query(
        "UPDATE game_matches SET guess_count = guess_count + 1, guess_writes = guess_writes + 1 WHERE game_id = $1 AND match_id = $2",
        [gameId, m],
      );
    });
    expect(await groupsOf()).toEqual([
      { home: 0, away: 2, guesses: 2 },
      { home: 1, away: 0, guesses: 2 },
    ]);
  });

  it("re-settles a corrected final score: points move by exactly the difference", async () => {
    const m1 = await registerMatch("g-fix1");
    const m2 = await registerMatch("g-fix2");
    const gameId = await createGame([m1, m2], { exact: 5, outcome: 2 });
    await ok(
      await postGuesses(gameId, [
        { fanId: "x", matchId: m1, home: 1, away: 0 },
        { fanId: "y", matchId: m1, home: 1, away: 1 },
        { fanId: "z", matchId: m1, home: 2, away: 0 },
        { fanId: "x", matchId: m2, home: 0, away: 2 },
        { fanId: "y", matchId: m2, home: 0, away: 1 },
      ]),
      202,
    );
    const correct = (matchId: string, home: number, away: number) =>
      call(admin, `/v1/matches/${matchId}/final-score`, { body: { home, away } });
    await ok(await correct(m2, 0, 2), 202);
    await settled(gameId, m2);
    await ok(await correct(m1, 1, 0), 202);
    await settled(gameId, m1);
    // m1 1-0: x 5, y 0, z 2; m2 0-2: x 5, y 2.
    expect(await totals(gameId)).toEqual({ x: 10, y: 2, z: 2 });
    // The goal is retracted: 0-0. x loses 5 on m1, y gains 2 (the draw), z loses 2.
    await ok(await correct(m1, 0, 0), 202);
    const fixed = await settled(gameId, m1, 2);
    expect(fixed.finalScore).toEqual({ home: 0, away: 0 });
    expect(await totals(gameId)).toEqual({ x: 5, y: 4, z: 0 });
    const board = await eventually(async () => {
      const b = await fullBoard(gameId, 10);
      return b[0]?.points === 5 ? b : null;
    });
    expect(board).toEqual([
      { rank: 1, fanId: "x", points: 5 },
      { rank: 2, fanId: "y", points: 4 },
      { rank: 3, fanId: "z", points: 0 },
    ]);
    // The same score again is not a new revision.
    await ok(await correct(m1, 0, 0), 202);
    await new Promise((r) => setTimeout(r, 500));
    expect((await settlement(gameId, m1)).revision).toBe(2);
    expect(await totals(gameId)).toEqual({ x: 5, y: 4, z: 0 });
    expect((await correct(m1, -1, 0)).status).toBe(400);
  });
});

/** A settlement pass's message, or the test fails. */
function asPass(m: SettlementMessage | undefined): Extract<SettlementMessage, { kind: "pass" }> {
  if (m?.kind !== "pass") throw new Error(`expected a pass message, got ${JSON.stringify(m)}`);
  return m;
}

/** A queue that records what the handler sends instead of delivering it. */
function capturingQueue() {
  const sent: SettlementMessage[] = [];
  const queue = {
    send: async (body: SettlementMessage) => {
      sent.push(body);
    },
    sendBatch: async (items: Iterable<{ body: SettlementMessage }>) => {
      for (const i of items) sent.push(i.body);
    },
  } as unknown as Env["SETTLEMENT_QUEUE"];
  return { sent, queue };
}

async function deliver(messages: SettlementMessage[], over: Partial<Env>): Promise<{ acked: number; retried: number }> {
  const batch = createMessageBatch<SettlementMessage>(
    "matchpulse-settlement",
    messages.map((body, i) => ({ id: `s${i}`, timestamp: new Date(), attempts: 1, body })),
  );
  const ctx = createExecutionContext();
  await consumeSettlement(batch, { ...env, ...over });
  const result = await getQueueResult(batch, ctx);
  return { acked: result.explicitAcks.length, retried: result.retryMessages.length };
}

describe("settlement under redelivery and failures", () => {
  /** A game over one match with `n` fans whose guesses cycle through a few scores. */
  async function scenario(label: string, n: number) {
    const m = await registerMatch(label);
    const gameId = await createGame([m]);
    const scores = [
      [1, 0],
      [2, 1],
      [0, 0],
      [0, 1],
    ] as const;
    const guesses = Array.from({ length: n }, (_, i) => ({
      fanId: `fan-${String(i).padStart(3, "0")}`,
      matchId: m,
      home: scores[i % 4]![0],
      away: scores[i % 4]![1],
    }));
    await ok(await postGuesses(gameId, guesses), 202);
    const final = { home: 1, away: 0 };
    const expected = Object.fromEntries(guesses.map((g) => [g.fanId, guessPoints(g, final)]));
    return { m, gameId, final, expected };
  }

  /** Runs a final score through the handler with a capturing queue: returns the pass's first job (pages of 4). */
  async function firstPage(m: string, final: { home: number; away: number }) {
    const { sent, queue } = capturingQueue();
    expect(
      await deliver([{ v: 1, kind: "final", matchId: m, final, source: "correction" }], { SETTLEMENT_QUEUE: queue }),
    ).toEqual({ acked: 1, retried: 0 });
    expect(sent).toHaveLength(1);
    return { ...asPass(sent[0]), pageSize: 4, maxPages: 1 };
  }

  /** Delivers a pass's messages one after another until it ends; returns what its last message queued. */
  async function runPass(first: SettlementMessage): Promise<{ pages: number; after: SettlementMessage[] }> {
    let job: SettlementMessage | undefined = first;
    let pages = 0;
    let after: SettlementMessage[] = [];
    while (job) {
      const capture = capturingQueue();
      expect(await deliver([job], { SETTLEMENT_QUEUE: capture.queue })).toEqual({ acked: 1, retried: 0 });
      pages++;
      const next = capture.sent.filter((n) => n.kind === "pass" && n.passId === asPass(job).passId);
      expect(next.length).toBeLessThanOrEqual(1);
      after = capture.sent.filter((n) => !next.includes(n));
      job = next[0];
    }
    return { pages, after };
  }

  it("changes nothing twice when every page is delivered twice", async () => {
    const { m, gameId, final, expected } = await scenario("g-twice", 10);
    let job: SettlementMessage | undefined = await firstPage(m, final);
    let pages = 0;
    while (job) {
      const { sent, queue } = capturingQueue();
      // The same message twice in one batch, then once more in another: one effect.
      expect(await deliver([job, job], { SETTLEMENT_QUEUE: queue })).toEqual({ acked: 2, retried: 0 });
      expect(await deliver([job], { SETTLEMENT_QUEUE: queue })).toEqual({ acked: 1, retried: 0 });
      job = sent[0];
      pages++;
      expect(sent.every((s) => JSON.stringify(s) === JSON.stringify(sent[0]))).toBe(true);
    }
    expect(pages).toBe(3); // 4 + 4 + 2
    expect(await totals(gameId)).toEqual(expected);
    expect((await settlement(gameId, m)).status).toBe("settled");
    const board = await fullBoard(gameId, 100);
    expect(Object.fromEntries(board.map((e) => [e.fanId, e.points]))).toEqual(expected);
  });

  it("retries a page while Redis is down, then completes it without doubling points", async () => {
    const { m, gameId, final, expected } = await scenario("g-noredis", 6);
    const job = await firstPage(m, final);
    const { sent, queue } = capturingQueue();
    const down = await deliver([job], { SETTLEMENT_QUEUE: queue, UPSTASH_REDIS_REST_URL: DEAD });
    expect(down).toEqual({ acked: 0, retried: 1 });
    expect(sent).toHaveLength(0); // no next page before this one is on the leaderboard
    expect(await boardPoints(gameId)).toEqual(atZero(expected));
    // Several pages in one message (the next page is scored while a write is in flight): retried too.
    const whole = await deliver([{ ...job, maxPages: undefined }], {
      SETTLEMENT_QUEUE: queue,
      UPSTASH_REDIS_REST_URL: DEAD,
    });
    expect(whole).toEqual({ acked: 0, retried: 1 });
    expect(sent).toHaveLength(0);
    await runPass(job);
    expect(await totals(gameId)).toEqual(expected);
    const board = await fullBoard(gameId, 100);
    expect(Object.fromEntries(board.map((e) => [e.fanId, e.points]))).toEqual(expected);
  });

  it("retries while Postgres is down (final score and pages), then settles exactly once", async () => {
    const { m, gameId, final, expected } = await scenario("g-nopg", 6);
    const noPostgres = { DATABASE_URL: "postgres://u:p@127.0.0.1:9/db", NEON_WS_PROXY: "ws://127.0.0.1:9" };
    const finalMsg: SettlementMessage = { v: 1, kind: "final", matchId: m, final, source: "correction" };
    expect(await deliver([finalMsg], noPostgres)).toEqual({ acked: 0, retried: 1 });
    // The queue refuses the pass's first message after the revision was opened: the pass rolls back,
    // and the retry begins it.
    const refusing = {
      send: async () => Promise.reject(new Error("queue down")),
      sendBatch: async () => Promise.reject(new Error("queue down")),
    } as unknown as Env["SETTLEMENT_QUEUE"];
    expect(await deliver([finalMsg], { SETTLEMENT_QUEUE: refusing })).toEqual({ acked: 0, retried: 1 });
    const job = await firstPage(m, final);
    expect(job.matches).toEqual([{ matchId: m, final }]);
    expect(await settlement(gameId, m)).toMatchObject({ status: "settling", revision: 1 });
    expect(await deliver([job], noPostgres)).toEqual({ acked: 0, retried: 1 });
    expect(await boardPoints(gameId)).toEqual(atZero(expected));
    await runPass(job);
    expect(await totals(gameId)).toEqual(expected);
    expect(await settlement(gameId, m)).toMatchObject({ status: "settled", revision: 1, guesses: 6 });
  });
  it("settles a match in parallel chains over fan ranges: exactly once, settled only when every chain is", async () => {
    const { m, gameId, final, expected } = await scenario("g-chains", 10);
    const { sent, queue } = capturingQueue();
    // 3 guesses per chain asked: capped at SETTLEMENT_CHAINS (2) ranges of 5.
    const open: SettlementMessage = { v: 1, kind: "final", matchId: m, final, source: "correction", chainGuesses: 3 };
    expect(await deliver([open], { SETTLEMENT_QUEUE: queue, SETTLEMENT_CHAINS: "2" })).toEqual({
      acked: 1,
      retried: 0,
    });
    const chains = sent.map((j) => ({ ...asPass(j), pageSize: 2, maxPages: 1 }));
    expect(chains.map((j) => [j.chain, j.upTo])).toEqual([
      [{ index: 0, of: 2 }, "fan-004"],
      [{ index: 1, of: 2 }, null],
    ]);
    /** Runs a chain to its end, each message delivered twice side by side (as a batch of the consumer). */
    const runChain = async (first: SettlementMessage) => {
      let job: SettlementMessage | undefined = first;
      while (job) {
        const capture = capturingQueue();
        expect(await deliver([job, job], { SETTLEMENT_QUEUE: capture.queue })).toEqual({ acked: 2, retried: 0 });
        job = capture.sent[0];
      }
    };
    await runChain(chains[1]!);
    // One chain done: its fans' points are on the board, the other chain's fans still at 0; not settled yet.
    expect(await settlement(gameId, m)).toMatchObject({ status: "settling", revision: 1 });
    expect(await boardPoints(gameId)).toEqual(
      Object.fromEntries(Object.entries(expected).map(([f, p]) => [f, f >= "fan-005" ? p : 0])),
    );
    await runChain(chains[0]!);
    await runChain(chains[0]!); // a redelivered chain: nothing twice
    expect(await totals(gameId)).toEqual(expected);
    expect(await settlement(gameId, m)).toMatchObject({ status: "settled", revision: 1, guesses: 10 });
    const board = await fullBoard(gameId, 100);
    expect(Object.fromEntries(board.map((e) => [e.fanId, e.points]))).toEqual(expected);
  });

  /** A game over `count` matches whose 9 fans guess varied scores (fan-8 only the first match), and its totals at `finals`. */
  async function manyMatches(label: string, finals: { home: number; away: number }[]) {
    const ms: string[] = [];
    for (let i = 0; i < finals.length; i++) ms.push(await registerMatch(`${label}-${i}`));
    const gameId = await createGame(ms);
    const fans = Array.from({ length: 9 }, (_, i) => `fan-${i}`);
    const guesses = fans.flatMap((fanId, i) =>
      ms.flatMap((matchId, k) => (k > 0 && i === 8 ? [] : [{ fanId, matchId, home: (i + k) % 3, away: (i * k) % 2 }])),
    );
    await ok(await postGuesses(gameId, guesses), 202);
    const finalOf = Object.fromEntries(ms.map((m, k) => [m, finals[k]!]));
    const expected = Object.fromEntries(fans.map((f) => [f, 0]));
    for (const g of guesses) expected[g.fanId]! += guessPoints(g, finalOf[g.matchId]!);
    /** A match's final score as its room's match_end sends it. */
    const end = (matchId: string): SettlementMessage => ({
      v: 1,
      kind: "final",
      matchId,
      final: finalOf[matchId]!,
      source: "match_end",
    });
    return { ms, gameId, guesses, expected, end };
  }

  it("settles matches that end together in one pass over the game's fans, not one walk per match", async () => {
    const finals = [
      { home: 2, away: 1 },
      { home: 0, away: 0 },
      { home: 1, away: 2 },
    ];
    const { ms, gameId, guesses, expected, end } = await manyMatches("g-burst", finals);
    const { sent, queue } = capturingQueue();
    // Three match_ends in one batch of the consumer, side by side: the first to open begins the pass.
    const ends = ms.map(end);
    expect(await deliver(ends, { SETTLEMENT_QUEUE: queue })).toEqual({ acked: 3, retried: 0 });
    // One pass, begun by the first match to open; its first message claims every match settling by then.
    const passes = sent.map(asPass);
    expect(passes).toHaveLength(1);
    const run = await runPass({ ...passes[0]!, pageSize: 6, maxPages: 1 });
    expect(run.after).toEqual([]); // no second pass
    // The game's 25 guesses in pages of at most 6 (2 per match), each page ending at a whole fan (two
    // fans of three guesses, then fan-8's one): one walk over the three matches, not one per match.
    expect(guesses).toHaveLength(25);
    expect(run.pages).toBe(5);
    expect(await totals(gameId)).toEqual(expected);
    expect(await boardPoints(gameId)).toEqual(expected);
    for (const m of ms) expect(await settlement(gameId, m)).toMatchObject({ status: "settled", revision: 1 });
    const top = await ok<Board>(await call(reader, `/v1/games/${gameId}/leaderboard`));
    expect(top.settledMatches).toBe(3);
  });

  it("settles a match that ends while the game's pass runs in the next pass: each fan's total counts both", async () => {
    const finals = [
      { home: 2, away: 1 },
      { home: 1, away: 1 },
    ];
    const { ms, gameId, expected, end } = await manyMatches("g-pair", finals);
    const [m1, m2] = ms as [string, string];
    const first = capturingQueue();
    expect(await deliver([end(m1)], { SETTLEMENT_QUEUE: first.queue })).toEqual({ acked: 1, retried: 0 });
    const pass1 = { ...asPass(first.sent[0]), pageSize: 4, maxPages: 1 };
    expect(pass1.matches.map((x) => x.matchId)).toEqual([m1]);
    // One page of the pass, then m2 ends: it opens, but begins no second pass beside this one.
    const step = capturingQueue();
    expect(await deliver([pass1], { SETTLEMENT_QUEUE: step.queue })).toEqual({ acked: 1, retried: 0 });
    const second = capturingQueue();
    expect(await deliver([end(m2)], { SETTLEMENT_QUEUE: second.queue })).toEqual({ acked: 1, retried: 0 });
    expect(second.sent).toEqual([]);
    expect(await settlement(gameId, m2)).toMatchObject({ status: "settling", revision: 1 });
    // The pass ends: m1 settled, and the next pass (m2) begun in the same step.
    const { after } = await runPass(step.sent[0]!);
    expect(await settlement(gameId, m1)).toMatchObject({ status: "settled" });
    expect(await settlement(gameId, m2)).toMatchObject({ status: "settling" });
    expect(after.map((j) => asPass(j).matches.map((x) => x.matchId))).toEqual([[m2]]);
    expect((await runPass({ ...asPass(after[0]), pageSize: 4 })).after).toEqual([]);
    expect(await totals(gameId)).toEqual(expected);
    expect(await boardPoints(gameId)).toEqual(expected);
    for (const m of ms) expect(await settlement(gameId, m)).toMatchObject({ status: "settled", revision: 1 });
  });

  it("settles a match from the fans' settled points, never reading the game's settled matches' guesses", async () => {
    const finals = [
      { home: 0, away: 2 },
      { home: 3, away: 1 },
    ];
    const { ms, gameId, expected, end } = await manyMatches("g-settled-points", finals);
    const [m1, m2] = ms as [string, string];
    const first = capturingQueue();
    expect(await deliver([end(m1)], { SETTLEMENT_QUEUE: first.queue })).toEqual({ acked: 1, retried: 0 });
    await runPass({ ...asPass(first.sent[0]), pageSize: 3 });
    const afterFirst = Object.fromEntries(Object.keys(expected).map((f) => [f, 0]));
    for (const [f, p] of Object.entries(await totals(gameId))) afterFirst[f] = p;
    await expectSettledPoints(gameId, afterFirst);
    // m1's guesses rewritten behind the API's back (a settled match takes no guess): a pass that read them
    // would move its fans' totals by m1's new points; m2's pass reads only m2's guesses and fan_points.
    await withPostgres(env, ({ pool }) =>
      pool.query("UPDATE guesses SET home = home + 5 WHERE game_id = $1 AND match_id = $2", [gameId, m1]),
    );
    const second = capturingQueue();
    expect(await deliver([end(m2)], { SETTLEMENT_QUEUE: second.queue })).toEqual({ acked: 1, retried: 0 });
    await runPass({ ...asPass(second.sent[0]), pageSize: 3 });
    expect(await boardPoints(gameId)).toEqual(expected);
    await expectSettledPoints(gameId, expected);
    for (const m of ms) expect(await settlement(gameId, m)).toMatchObject({ status: "settled", revision: 1 });
  });

  it("replaces a pass begun by the version before fan_points (in flight at the deploy) with one of its own", async () => {
    const { m, gameId, final, expected } = await scenario("g-pre-points", 6);
    const old = await firstPage(m, final);
    // Migration 0013 leaves a pass in progress numbered 0: its pages wrote no fan_points rows.
    await withPostgres(env, ({ pool }) => pool.query("UPDATE games SET pass_seq = 0 WHERE id = $1", [gameId]));
    const replaced = capturingQueue();
    expect(await deliver([old], { SETTLEMENT_QUEUE: replaced.queue })).toEqual({ acked: 1, retried: 0 });
    const next = asPass(replaced.sent[0]);
    expect(replaced.sent).toHaveLength(1);
    expect(next.passId).not.toBe(old.passId);
    expect(next.matches.map((x) => x.matchId)).toEqual([m]);
    expect(await boardPoints(gameId)).toEqual(atZero(expected)); // the old pass's message scored nothing
    await runPass({ ...next, pageSize: 4 });
    expect(await boardPoints(gameId)).toEqual(expected);
    await expectSettledPoints(gameId, expected);
    expect(await settlement(gameId, m)).toMatchObject({ status: "settled", revision: 1 });
  });

  it("takes over a pass whose messages were parked: the next final score begins a new one, the old one stops", async () => {
    const { m, gameId, final, expected } = await scenario("g-takeover", 6);
    const parked = await firstPage(m, final); // its messages never run (parked in the dead-letter queue)
    const again: SettlementMessage = { v: 1, kind: "final", matchId: m, final, source: "correction" };
    const early = capturingQueue();
    expect(await deliver([again], { SETTLEMENT_QUEUE: early.queue })).toEqual({ acked: 1, retried: 0 });
    expect(early.sent).toEqual([]); // the pass is in progress as far as anyone knows
    await withPostgres(env, ({ pool }) =>
      pool.query("UPDATE games SET pass_beat = now() - interval '10 minutes' WHERE id = $1", [gameId]),
    );
    const late = capturingQueue();
    expect(await deliver([again], { SETTLEMENT_QUEUE: late.queue })).toEqual({ acked: 1, retried: 0 });
    const taken = asPass(late.sent[0]);
    expect(taken.passId).not.toBe(parked.passId);
    // The parked pass's message, redriven late: it is no longer the game's pass and writes nothing.
    const stale = capturingQueue();
    expect(await deliver([parked], { SETTLEMENT_QUEUE: stale.queue })).toEqual({ acked: 1, retried: 0 });
    expect(stale.sent).toEqual([]);
    expect(await boardPoints(gameId)).toEqual(atZero(expected));
    await runPass(taken);
    expect(await boardPoints(gameId)).toEqual(expected);
    expect(await settlement(gameId, m)).toMatchObject({ status: "settled", revision: 1 });
  });

  it("begins a game's pass from a page message of the version before passes (in the queue at a deploy)", async () => {
    const { m, gameId, final, expected } = await scenario("g-legacy", 5);
    await withPostgres(env, ({ pool }) =>
      pool.query(
        "UPDATE game_matches SET status = 'settling', revision = 1, final_home = $3, final_away = $4 WHERE game_id = $1 AND match_id = $2",
        [gameId, m, final.home, final.away],
      ),
    );
    const { sent, queue } = capturingQueue();
    const legacy = {
      v: 1,
      kind: "page",
      gameId,
      matchId: m,
      revision: 1,
      final,
      scoring: { exact: 3, outcome: 1 },
      cursor: "",
      done: 0,
    };
    expect(await deliver([legacy as SettlementMessage], { SETTLEMENT_QUEUE: queue })).toEqual({ acked: 1, retried: 0 });
    await runPass(asPass(sent[0]));
    expect(await boardPoints(gameId)).toEqual(expected);
    expect(await settlement(gameId, m)).toMatchObject({ status: "settled", revision: 1 });
  });

  it("settles exactly once while steps fail at random points (seeded): points as computed independently", async () => {
    const rng = seededRng("games-settlement-faults");
    const ms: string[] = [];
    for (let i = 0; i < 3; i++) ms.push(await registerMatch(`g-faults-${i}`));
    const gameId = await createGame(ms);
    const guesses = Array.from({ length: 30 }, (_, i) => `fan-${String(i).padStart(2, "0")}`).flatMap((fanId) =>
      ms.filter(() => rng.chance(0.8)).map((matchId) => ({ fanId, matchId, home: rng.int(0, 3), away: rng.int(0, 3) })),
    );
    await ok(await postGuesses(gameId, guesses), 202);
    const finals: Record<string, { home: number; away: number }> = {};
    const final = (matchId: string, score: { home: number; away: number }): SettlementMessage => {
      finals[matchId] = score;
      return { v: 1, kind: "final", matchId, final: score, source: "match_end" };
    };
    const faults = { postgres: 0, redis: 0, queue: 0, twice: 0, redelivered: 0 };
    const redisUrl = env.UPSTASH_REDIS_REST_URL;
    const realFetch = globalThis.fetch;
    /**
     * The queue, with faults: waiting messages delivered one (or one twice) at a time in a random order
     * until none is left; `later` ones join at random steps (a match ending while others settle).
     */
    const drain = async (pending: SettlementMessage[], later: SettlementMessage[]) => {
      for (let step = 0; pending.length > 0 || later.length > 0; step++) {
        expect(step).toBeLessThan(3_000);
        if (later.length > 0 && (pending.length === 0 || rng.chance(0.15))) pending.push(later.shift()!);
        const [job] = pending.splice(rng.int(0, pending.length - 1), 1) as [SettlementMessage];
        const body = job.kind === "pass" ? { ...job, pageSize: 4, maxPages: rng.int(1, 3) } : job;
        // One fault, or none, for this delivery: Postgres down; Redis failing from its first or second
        // call on (a crash before or between the step's writes); the queue refusing its sends (after the
        // step's work, before its next message); the message delivered twice side by side.
        const fault = rng.pick(["none", "none", "none", "postgres", "redis", "queue", "twice"] as const);
        const redisFailsAt = fault === "redis" ? rng.int(0, 1) : Number.POSITIVE_INFINITY;
        let redisCalls = 0;
        const sent: SettlementMessage[] = [];
        const refuse = fault === "queue";
        const queue = {
          send: async (b: SettlementMessage) => {
            if (refuse) throw new Error("queue down");
            sent.push(b);
          },
          sendBatch: async (items: Iterable<{ body: SettlementMessage }>) => {
            if (refuse) throw new Error("queue down");
            for (const i of items) sent.push(i.body);
          },
        } as unknown as Env["SETTLEMENT_QUEUE"];
        globalThis.fetch = (input: RequestInfo | URL, init?: RequestInit) => {
          const url = input instanceof Request ? input.url : String(input);
          if (url.startsWith(redisUrl) && redisCalls++ >= redisFailsAt)
            return Promise.reject(new TypeError("redis down"));
          return realFetch(input, init);
        };
        const over: Partial<Env> =
          fault === "postgres"
            ? {
                SETTLEMENT_QUEUE: queue,
                DATABASE_URL: "postgres://u:p@127.0.0.1:9/db",
                NEON_WS_PROXY: "ws://127.0.0.1:9",
              }
            : { SETTLEMENT_QUEUE: queue };
        const result = await deliver(fault === "twice" ? [body, body] : [body], over).finally(() => {
          globalThis.fetch = realFetch;
        });
        pending.push(...sent); // the sends that went through stay queued, as a real queue's do
        if (result.retried > 0) {
          if (fault === "none" || fault === "twice")
            throw new Error(`a delivery without a fault failed: ${JSON.stringify(job)}`);
          faults[fault]++;
          pending.push(job);
        } else if (fault === "twice") faults.twice++;
        else if (job.kind === "pass" && rng.chance(0.1)) {
          // A pass's message delivered again later (at-least-once): its pass may have ended meanwhile.
          faults.redelivered++;
          pending.push(job);
        }
      }
    };
    const check = async () => {
      const expected: Record<string, number> = {};
      for (const g of guesses)
        expected[g.fanId] = (expected[g.fanId] ?? 0) + (finals[g.matchId] ? guessPoints(g, finals[g.matchId]!) : 0);
      expect(await totals(gameId)).toEqual(expected);
      expect(await boardPoints(gameId)).toEqual(expected);
      await expectSettledPoints(gameId, expected);
    };
    // Two matches end; the third ends at a random moment while they settle.
    await drain(
      [final(ms[0]!, { home: 2, away: 1 }), final(ms[1]!, { home: 0, away: 0 })],
      [final(ms[2]!, { home: 1, away: 3 })],
    );
    await check();
    for (const m of ms) expect(await settlement(gameId, m)).toMatchObject({ status: "settled", revision: 1 });
    // Goals retracted after the whistle in two matches, the second correction at a random moment.
    await drain([final(ms[0]!, { home: 1, away: 1 })], [final(ms[2]!, { home: 0, away: 3 })]);
    await check();
    expect(await settlement(gameId, ms[0]!)).toMatchObject({
      status: "settled",
      revision: 2,
      finalScore: finals[ms[0]!],
    });
    expect(await settlement(gameId, ms[1]!)).toMatchObject({ status: "settled", revision: 1 });
    expect(await settlement(gameId, ms[2]!)).toMatchObject({
      status: "settled",
      revision: 2,
      finalScore: finals[ms[2]!],
    });
    // Every kind of fault happened.
    for (const [kind, n] of Object.entries(faults)) expect(n, kind).toBeGreaterThan(0);
  });

  it("fails a page while the board holds a newer settlement state than Postgres, and settles once it is cleared", async () => {
    const { m, gameId, expected, final } = await scenario("g-ahead", 6);
    const job = await firstPage(m, final);
    // A board left from another database: its state is ahead of anything this one has computed.
    const redis = openLeaderboardRedis(env);
    await redis.hset(`mp:game:${gameId}:meta`, { state: "99" });
    expect(await deliver([{ ...job, maxPages: undefined }], { SETTLEMENT_QUEUE: capturingQueue().queue })).toEqual({
      acked: 0,
      retried: 1,
    });
    expect(await boardPoints(gameId)).toEqual(atZero(expected));
    await redis.hdel(`mp:game:${gameId}:meta`, "state");
    const capture = capturingQueue();
    expect(await deliver([{ ...job, maxPages: undefined }], { SETTLEMENT_QUEUE: capture.queue })).toEqual({
      acked: 1,
      retried: 0,
    });
    const board = await fullBoard(gameId, 100);
    expect(Object.fromEntries(board.map((e) => [e.fanId, e.points]))).toEqual(expected);
    expect(await settlement(gameId, m)).toMatchObject({ status: "settled" });
  });

  it("holds a corrected score back while the match's previous one settles, then moves points by the difference", async () => {
    const { m, gameId, final, expected } = await scenario("g-wait", 6);
    const first = await firstPage(m, final); // revision 1 is open; none of its pages has run
    const corrected = { home: 0, away: 0 };
    const correction: SettlementMessage = { v: 1, kind: "final", matchId: m, final: corrected, source: "correction" };
    const held = capturingQueue();
    expect(await deliver([correction], { SETTLEMENT_QUEUE: held.queue })).toEqual({ acked: 1, retried: 0 });
    // Sent back to wait: no page of a second revision while the first one adds its points.
    expect(held.sent).toEqual([correction]);
    expect(await settlement(gameId, m)).toMatchObject({ status: "settling", revision: 1, finalScore: final });
    await runPass(first);
    expect(await totals(gameId)).toEqual(expected);
    // Back after the wait: revision 2 opens and every fan moves by exactly the difference.
    await runPass(await firstPage(m, corrected));
    const fixed = Object.fromEntries(Object.keys(expected).map((fanId, i) => [fanId, [0, 0, 3, 0][i % 4]!]));
    expect(await totals(gameId)).toEqual(fixed);
    expect(await settlement(gameId, m)).toMatchObject({ status: "settled", revision: 2, finalScore: corrected });
    const board = await fullBoard(gameId, 100);
    expect(Object.fromEntries(board.map((e) => [e.fanId, e.points]))).toEqual(fixed);
  });
});

describe("the trigger and the leaderboard's write order", () => {
  it("settles a match whose match_end the room's gap alarm released (no events delivery follows it)", async () => {
    const m = await registerMatch("g-alarm");
    const gameId = await createGame([m]);
    await ok(await postGuesses(gameId, [{ fanId: "f1", matchId: m, home: 1, away: 0 }]), 202);
    // seq 2 never comes: the goal (3) and match_end (4) wait behind the gap.
    await ok(
      await postEvents(ingest, [
        footballEvent(m, "match_start", { seq: 1 }),
        footballEvent(m, "goal", { seq: 3, teamId: 1, payload: { minute: 10 } }),
        footballEvent(m, "match_end", { seq: 4 }),
      ]),
      202,
    );
    const room = env.MATCH_ROOM.get(env.MATCH_ROOM.idFromName(m));
    await eventually(async () => ((await room.getState())?.state.eventsApplied === 1 ? true : null), 5_000);
    expect((await settlement(gameId, m)).status).toBe("locked");
    // The hold passes without waiting for it: the held rows backdated, then the alarm run by hand.
    await runInDurableObject(room, (_room, state) => {
      state.storage.sql.exec("UPDATE held SET held_at = held_at - 60000");
    });
    await runDurableObjectAlarm(room);
    expect(await settled(gameId, m)).toMatchObject({ finalScore: { home: 1, away: 0 }, guesses: 1 });
    expect((await fullBoard(gameId)).map((e) => [e.fanId, e.points])).toEqual([["f1", 3]]);
  });

  it("retries the events message when the settlement queue refuses the match's final score", async () => {
    const matchId = uniqueMatchId("g-trigger");
    const events = [footballEvent(matchId, "match_start"), footballEvent(matchId, "match_end")];
    const body: EventsMessage = {
      kind: "events",
      v: 1,
      matchId,
      requestId: "test-trigger",
      acceptedAt: Date.now(),
      events,
    };
    const run = async (queue: Env["SETTLEMENT_QUEUE"]) => {
      const batch = createMessageBatch<EventsMessage>("matchpulse-events", [
        { id: "e1", timestamp: new Date(), attempts: 1, body },
      ]);
      const ctx = createExecutionContext();
      await consumeEvents(batch, { ...env, SETTLEMENT_QUEUE: queue });
      return getQueueResult(batch, ctx);
    };
    const refusing = {
      send: async () => Promise.reject(new Error("queue down")),
    } as unknown as Env["SETTLEMENT_QUEUE"];
    expect((await run(refusing)).retryMessages.map((m) => m.msgId)).toEqual(["e1"]);
    // The redelivery (the room sees duplicates) queues the final score.
    const { sent, queue } = capturingQueue();
    expect((await run(queue)).explicitAcks).toEqual(["e1"]);
    expect(sent).toEqual([{ v: 1, kind: "final", matchId, final: { home: 0, away: 0 }, source: "match_end" }]);
  });

  it("parks a settlement message that exhausted its retries under its own dead-letter source", () => {
    const page: SettlementMessage = {
      v: 1,
      kind: "pass",
      tenantId: "t2",
      gameId: crypto.randomUUID(),
      passId: crypto.randomUUID(),
      matches: [{ matchId: "m-dead", final: { home: 1, away: 0 } }],
      scoring: { exact: 3, outcome: 1 },
      cursor: "",
      done: 0,
    };
    expect(deadLetterOf("matchpulse-settlement-dlq", page, 11)).toMatchObject({
      source: "settlement_dlq",
      target: "matchpulse-settlement-dlq",
      tenantId: "t2",
      matchId: "m-dead",
      error: "failed 11 deliveries",
    });
    expect(deadLetterOf("matchpulse-events-dlq", page, 11).source).toBe("events_dlq");
  });

  it("sends a page's script calls in one round trip, loading the script when Redis does not know it", async () => {
    // A script Redis has never seen (as after a restart): the pipeline's EVALSHA answers NOSCRIPT.
    const script = `-- ${crypto.randomUUID()}\nreturn KEYS[1] .. ':' .. #ARGV`;
    const redis = openLeaderboardRedis(env);
    const calls = [
      { keys: ["a"], args: ["1", "2"] },
      { keys: ["b"], args: ["1"] },
    ];
    expect(await runScriptCalls(redis, script, calls)).toEqual(["a:2", "b:1"]);
    expect(await runScriptCalls(redis, script, calls)).toEqual(["a:2", "b:1"]);
  });

  it("refuses totals computed from an older settlement state than the board's (two matches settling at once)", async () => {
    const board = { tenantId: "default", gameId: crypto.randomUUID() };
    const redis = openLeaderboardRedis(env);
    expect(await writeTotals(redis, board, 2, ["007", "6"])).toEqual({ written: 1 });
    expect(await writeTotals(redis, board, 1, ["007", "3", "008", "3"])).toEqual({ written: 0, staleAgainst: 2 });
    expect(await writeTotals(redis, board, 2, ["008", "3"])).toEqual({ written: 1 });
    const page = await readPage(redis, board, 10, null);
    expect(page.allowed && page.value.entries).toEqual([
      { rank: 1, fanId: "007", points: 6 },
      { rank: 2, fanId: "008", points: 3 },
    ]);
  });
});

describe("the read budget on board reads (taken inside the board's script)", () => {
  const limits = (res: Response) => ({
    limit: res.headers.get("x-ratelimit-limit"),
    remaining: res.headers.get("x-ratelimit-remaining"),
  });

  /** A game whose board holds f1 (5), f2 (3), f3 (1), written straight to Redis. */
  async function boardGame(label: string): Promise<{ gameId: string; matchId: string }> {
    const matchId = await registerMatch(label);
    const gameId = await createGame([matchId]);
    await writeTotals(openLeaderboardRedis(env), { tenantId: "default", gameId }, 1, ["f1", "5", "f2", "3", "f3", "1"]);
    return { gameId, matchId };
  }

  async function expectRateLimited(res: Response, limit: number): Promise<void> {
    const body = await res.text();
    expect(res.status, body).toBe(429);
    // The board's data stays out of a refused read.
    expect(JSON.parse(body)).toEqual({
      error: { code: "rate_limited", message: expect.stringMatching(`^over the read budget of ${limit} per minute`) },
    });
    expect(limits(res)).toEqual({ limit: String(limit), remaining: "0" });
    const retryAfter = Number(res.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    const reset = Number(res.headers.get("x-ratelimit-reset")) * 1000;
    expect(reset).toBeGreaterThan(Date.now());
    expect(reset).toBeLessThanOrEqual(Date.now() + 61_000);
  }

  it("sends X-RateLimit-* on leaderboard and fan reads, one unit each", async () => {
    const { gameId } = await boardGame("g-rl-headers");
    await awayFromWindowEdge();
    const key = await createApiKey(["read"], "board reader", { readPerMinute: 10 });
    const seen = [];
    for (const path of ["leaderboard", "fans/f2", "leaderboard?limit=1", "fans/f1"]) {
      const res = await call(key, `/v1/games/${gameId}/${path}`);
      expect(res.status).toBe(200);
      seen.push(limits(res));
      const reset = Number(res.headers.get("x-ratelimit-reset")) * 1000;
      expect(reset).toBeGreaterThan(Date.now());
      expect(reset).toBeLessThanOrEqual(Date.now() + 61_000);
    }
    expect(seen.map((l) => l.remaining)).toEqual(["9", "8", "7", "6"]);
    expect(new Set(seen.map((l) => l.limit))).toEqual(new Set(["10"]));
  });

  it("answers 429 rate_limited past the budget on the leaderboard and on a fan, and returns no board", async () => {
    const { gameId } = await boardGame("g-rl-refused");
    await awayFromWindowEdge();
    for (const path of [`/v1/games/${gameId}/leaderboard`, `/v1/games/${gameId}/fans/f2`]) {
      const key = await createApiKey(["read"], "small board reader", { readPerMinute: 2 });
      expect(limits(await call(key, path))).toEqual({ limit: "2", remaining: "1" });
      expect(limits(await call(key, path))).toEqual({ limit: "2", remaining: "0" });
      // Refused by Redis (in the board's script), then by the isolate's memory of it: the same answer.
      await expectRateLimited(await call(key, path), 2);
      await expectRateLimited(await call(key, path), 2);
    }
  });

  it("shares one window with the other read routes: @upstash/ratelimit's keys, spent either way", async () => {
    const { gameId, matchId } = await boardGame("g-rl-shared");
    await awayFromWindowEdge();
    // Other reads (through @upstash/ratelimit) first: the board's script sees what they spent.
    const first = await createApiKey(["read"], "other reads first", { readPerMinute: 3 });
    expect(limits(await call(first, `/v1/games/${gameId}`))).toEqual({ limit: "3", remaining: "2" });
    expect(limits(await call(first, `/v1/games/${gameId}/matches/${matchId}/settlement`))).toMatchObject({
      remaining: "1",
    });
    expect(limits(await call(first, `/v1/games/${gameId}/leaderboard`))).toMatchObject({ remaining: "0" });
    await expectRateLimited(await call(first, `/v1/games/${gameId}/fans/f1`), 3);

    // Board reads first: @upstash/ratelimit sees what the script spent, under the same key.
    const second = await createApiKey(["read"], "board reads first", { readPerMinute: 3 });
    expect(limits(await call(second, `/v1/games/${gameId}/leaderboard`))).toMatchObject({ remaining: "2" });
    expect(limits(await call(second, `/v1/games/${gameId}/fans/f3`))).toMatchObject({ remaining: "1" });
    const window = Math.floor(Date.now() / 60_000);
    const counter = await openRedis(env).get<number>(`mp:rl:read:${await clientIdOf(second)}:${window}`);
    expect(Number(counter)).toBe(2);
    expect(limits(await call(second, `/v1/games/${gameId}`))).toMatchObject({ remaining: "0" });
    await expectRateLimited(await call(second, `/v1/teams?limit=1`), 3);
  });

  it("weighs the previous minute in as @upstash/ratelimit does", async () => {
    const { gameId } = await boardGame("g-rl-previous");
    await awayFromWindowEdge();
    const key = await createApiKey(["read"], "busy last minute", { readPerMinute: 100 });
    const window = Math.floor(Date.now() / 60_000);
    await openRedis(env).set(`mp:rl:read:${await clientIdOf(key)}:${window - 1}`, 60, { px: 180_000 });
    /** What is left after `spent` this minute, by the sliding window's arithmetic at either end of a call. */
    const left = (spent: number, from: number, to: number) =>
      [from, to].map((t) => String(100 - Math.floor((1 - (t % 60_000) / 60_000) * 60) - spent));
    for (const [path, spent] of [
      ["leaderboard", 1],
      ["", 2],
      ["fans/f1", 3],
    ] as const) {
      const from = Date.now();
      const res = await call(key, `/v1/games/${gameId}${path ? `/${path}` : ""}`);
      expect(res.status).toBe(200);
      expect(left(spent, from, Date.now())).toContain(res.headers.get("x-ratelimit-remaining"));
    }
  });

  it("spends the unit of a board read refused before its script ran (a bad cursor), and 429 comes first", async () => {
    const { gameId } = await boardGame("g-rl-400");
    await awayFromWindowEdge();
    const key = await createApiKey(["read"], "bad cursors", { readPerMinute: 2 });
    const badCursor = `/v1/games/${gameId}/leaderboard?cursor=not-a-cursor`;
    const bad = await call(key, badCursor);
    expect(bad.status).toBe(400);
    expect(limits(bad)).toEqual({ limit: "2", remaining: "1" });
    const badGame = await call(key, "/v1/games/not-a-uuid/fans/f1");
    expect(badGame.status).toBe(400);
    expect(limits(badGame)).toEqual({ limit: "2", remaining: "0" });
    await expectRateLimited(await call(key, badCursor), 2);
    await expectRateLimited(await call(key, `/v1/games/${gameId}/leaderboard`), 2);
  });

  it("reads unmetered (fail open) but answers 503 while Redis cannot be asked", async () => {
    const { gameId } = await boardGame("g-rl-down");
    const key = await createApiKey(["read"], "during a Redis outage", { readPerMinute: 1 });
    // An endpoint of its own, so that its breaker is closed when the test starts.
    const dead = `${DEAD}/board-reads`;
    const noRedis = { ...env, UPSTASH_REDIS_REST_URL: dead } as Env;
    const failOpen = async () => {
      const text = await (await SELF.fetch(`${BASE}/metrics`)).text();
      return Number(/^matchpulse_rate_limit_fail_open_total\{budget="read"\} (\d+)$/m.exec(text)?.[1] ?? 0);
    };
    const before = await failOpen();
    // The first read finds Redis gone and opens the breaker: the next ones do not ask for a budget.
    expect(redisBreaker.isOpen(dead)).toBe(false);
    for (const path of ["leaderboard", "fans/f1", "leaderboard"]) {
      const res = await app.request(
        `${BASE}/v1/games/${gameId}/${path}`,
        { headers: { authorization: `Bearer ${key}` } },
        noRedis,
      );
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ error: { code: "dependency_unavailable" } });
      expect(res.headers.get("x-ratelimit-limit")).toBeNull();
      expect(redisBreaker.isOpen(dead)).toBe(true);
    }
    expect(await failOpen()).toBeGreaterThanOrEqual(before + 3);
  });
});

describe("tenancy", () => {
  it("keeps two tenants' games apart: ids, matches, guesses, boards and settlement", async () => {
    const other = await createTenant("g12");
    const [otherAdmin, otherOperator, otherReader] = (
      await Promise.all([tenantKey(other, ["admin"]), tenantKey(other, ["games"]), tenantKey(other, ["read"])])
    ).map((k) => k.key) as [string, string, string];
    // The same match id in both tenants: two matches.
    const m = await registerMatch("g-tenant");
    await ok(await call(otherAdmin, "/v1/matches", { body: { id: m, sport: "football", startsAt: inAnHour() } }), 201);
    const onlyHere = await registerMatch("g-tenant-default-only");
    const mine = await createGame([m]);
    const theirs = await ok<{ id: string; matchIds: string[] }>(
      await call(otherAdmin, "/v1/games", { body: { name: "other tenant", matchIds: [m] } }),
      201,
    );
    // A match of another tenant is unknown here.
    const unknown = await call(otherAdmin, "/v1/games", { body: { name: "x", matchIds: [onlyHere] } });
    expect(unknown.status).toBe(400);

    // Another tenant's game answers 404 everywhere, like an unknown one.
    for (const [key, gameId] of [
      [otherReader, mine],
      [reader, theirs.id],
    ] as const) {
      for (const path of [
        `/v1/games/${gameId}`,
        `/v1/games/${gameId}/leaderboard`,
        `/v1/games/${gameId}/fans/f1`,
        `/v1/games/${gameId}/matches/${m}/settlement`,
      ])
        expect((await call(key, path)).status, path).toBe(404);
    }
    expect((await call(otherAdmin, `/v1/games/${mine}`, { method: "PATCH", body: { matchIds: [m] } })).status).toBe(
      404,
    );
    expect(
      (await postGuesses(mine, [{ fanId: "x", matchId: m, home: 1, away: 0 }], undefined, otherOperator)).status,
    ).toBe(404);

    await ok(await postGuesses(mine, [{ fanId: "here", matchId: m, home: 1, away: 0 }]), 202);
    await ok(
      await postGuesses(theirs.id, [{ fanId: "there", matchId: m, home: 1, away: 0 }], undefined, otherOperator),
      202,
    );
    // The other tenant's final score (its admin's final-score route) settles its game only.
    await ok(await call(otherAdmin, `/v1/matches/${m}/final-score`, { body: { home: 1, away: 0 } }), 202);
    const settledThere = await eventually(async () => {
      const s = await ok<Settlement>(await call(otherReader, `/v1/games/${theirs.id}/matches/${m}/settlement`));
      return s.status === "settled" ? s : null;
    }, 20_000);
    expect(settledThere).toMatchObject({ revision: 1, finalScore: { home: 1, away: 0 }, guesses: 1 });
    expect((await settlement(mine, m)).status).toBe("open");
    const board = await ok<Board>(await call(otherReader, `/v1/games/${theirs.id}/leaderboard`));
    expect(board.entries).toEqual([{ rank: 1, fanId: "there", points: 3 }]);
    expect(await totals(mine)).toEqual({});
    // This tenant's own final score then settles its game, with its own board.
    await ok(await call(admin, `/v1/matches/${m}/final-score`, { body: { home: 0, away: 0 } }), 202);
    await settled(mine, m);
    expect((await ok<Board>(await call(reader, `/v1/games/${mine}/leaderboard`))).entries).toEqual([
      { rank: 1, fanId: "here", points: 0 },
    ]);
    expect((await ok<Board>(await call(otherReader, `/v1/games/${theirs.id}/leaderboard`))).entries).toEqual([
      { rank: 1, fanId: "there", points: 3 },
    ]);
  });
});

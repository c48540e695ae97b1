// Migration 0013 (fan_points) on a database holding a game settled by the version before: every fan's
// settled points are filled from the matches' applied scores (a match settling a correction counts at
// the score it settled before; an open one not at all), the pass in progress is left numbered 0 (the new
// version replaces it), and the guesses' primary key carries the guessed score. Runs on a throw-away
// database of the test stack's PostgreSQL.
import type { Pool } from "@neondatabase/serverless";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { guessPoints } from "../shared/games/scoring";
import { type ScratchDatabase, scratchDatabase } from "./scratch-database";

const GAME = "00000000-0000-4000-8000-000000000013";
const PASS = "00000000-0000-4000-8000-0000000000aa";
/** Applied (last settled) scores: m1 settled, m2 settling a correction of its settled 1-1, m3 open. */
const applied: Record<string, { home: number; away: number } | null> = {
  m1: { home: 2, away: 1 },
  m2: { home: 1, away: 1 },
  m3: null,
};
const guesses = [
  { fanId: "ann", matchId: "m1", home: 2, away: 1 },
  { fanId: "ann", matchId: "m2", home: 0, away: 0 },
  { fanId: "ann", matchId: "m3", home: 3, away: 0 },
  { fanId: "bob", matchId: "m1", home: 0, away: 2 },
  { fanId: "bob", matchId: "m2", home: 1, away: 1 },
  { fanId: "cat", matchId: "m3", home: 1, away: 0 },
  { fanId: "dan", matchId: "m1", home: 3, away: 0 },
];

describe("migration 0013: fans' settled points filled from the matches settled before it", () => {
  let db: ScratchDatabase;
  let pool: Pool;

  beforeAll(async () => {
    db = await scratchDatabase("fan_points");
    pool = db.pool;
    await db.apply((f) => f < "0013");
    await pool.query("INSERT INTO games (id, name, pass_id, pass_beat) VALUES ($1, 'cup', $2, now())", [GAME, PASS]);
    await pool.query(
      `INSERT INTO game_matches (game_id, match_id, status, revision, final_home, final_away, applied_home, applied_away, pass_id)
       VALUES ($1, 'm1', 'settled', 1, 2, 1, 2, 1, NULL), ($1, 'm2', 'settling', 2, 0, 0, 1, 1, $2),
              ($1, 'm3', 'open', 0, NULL, NULL, NULL, NULL, NULL)`,
      [GAME, PASS],
    );
    for (const g of guesses)
      await pool.query("INSERT INTO guesses (game_id, match_id, fan_id, home, away) VALUES ($1, $2, $3, $4, $5)", [
        GAME,
        g.matchId,
        g.fanId,
        g.home,
        g.away,
      ]);
    await db.apply((f) => f >= "0013");
  });

  afterAll(async () => {
    await db?.drop();
  });

  it("fills each fan's settled points at the applied scores, settled at once (pass 0)", async () => {
    const expected: Record<string, number> = {};
    for (const g of guesses) {
      const score = applied[g.matchId];
      if (score) expected[g.fanId] = (expected[g.fanId] ?? 0) + guessPoints(g, score, { exact: 3, outcome: 1 });
    }
    expect(expected).toEqual({ ann: 4, bob: 3, dan: 1 }); // cat guessed only the open match
    const { rows } = await pool.query<{ fan_id: string; points: number; pending: number; pending_seq: number }>(
      "SELECT fan_id, points, pending, pending_seq FROM fan_points WHERE game_id = $1 ORDER BY fan_id",
      [GAME],
    );
    expect(rows).toEqual(
      Object.entries(expected).map(([fan_id, p]) => ({ fan_id, points: p, pending: p, pending_seq: 0 })),
    );
  });

  it("leaves the pass in progress numbered 0, for the new version to replace", async () => {
    const { rows } = await pool.query("SELECT pass_id, pass_seq, settled_seq FROM games WHERE id = $1", [GAME]);
    expect(rows).toEqual([{ pass_id: PASS, pass_seq: 0, settled_seq: 0 }]);
  });

  it("keeps one guess per fan and match, with the guessed score in the primary key", async () => {
    const { rows } = await pool.query<{ def: string }>(
      "SELECT pg_get_indexdef('guesses_game_id_match_id_fan_id_pk'::regclass) AS def",
    );
    expect(rows[0]!.def).toContain("(game_id, match_id, fan_id) INCLUDE (home, away)");
    await expect(
      pool.query("INSERT INTO guesses (game_id, match_id, fan_id, home, away) VALUES ($1, 'm1', 'ann', 0, 0)", [GAME]),
    ).rejects.toMatchObject({ code: "23505" });
  });
});

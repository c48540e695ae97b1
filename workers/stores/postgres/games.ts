// Postgres access of the prediction game: games and their matches, fans' guesses, settlement pages and
// fans' totals. Postgres is the truth: a fan's points follow from their guesses and the matches' final
// scores, and the Redis leaderboard (workers/games/leaderboard.ts) holds the totals computed from them.
// Every statement takes bound parameters; a settlement page is one statement.
import type { Pool, PoolClient } from "@neondatabase/serverless";
import { type GameScore, type Guess, guessPoints, type Scoring } from "../../../shared/games/scoring";

export interface GameRow {
  id: string;
  tenantId: string;
  name: string;
  scoring: Scoring;
  createdAt: string;
  matchIds: string[];
}

interface GameDbRow {
  id: string;
  tenant_id: string;
  name: string;
  exact_points: number;
  outcome_points: number;
  created_at: Date;
  match_ids: string[] | null;
}

const toGame = (r: GameDbRow): GameRow => ({
  id: r.id,
  tenantId: r.tenant_id,
  name: r.name,
  scoring: { exact: r.exact_points, outcome: r.outcome_points },
  createdAt: r.created_at.toISOString(),
  matchIds: r.match_ids ?? [],
});

// A game is found only within its tenant: another tenant's game id reads as unknown.
const GAME_SELECT = `SELECT g.id, g.tenant_id, g.name, g.exact_points, g.outcome_points, g.created_at,
  (SELECT array_agg(gm.match_id ORDER BY gm.match_id) FROM game_matches gm WHERE gm.game_id = g.id) AS match_ids
  FROM games g WHERE g.id = $1 AND g.tenant_id = $2`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isGameId = (id: string): boolean => UUID.test(id);

/** The ids among `matchIds` that are not registered matches of the tenant. */
export async function unknownMatches(pool: Pool, tenantId: string, matchIds: string[]): Promise<string[]> {
  const { rows } = await pool.query<{ id: string }>(
    "SELECT id FROM matches WHERE tenant_id = $1 AND id = ANY($2::text[])",
    [tenantId, matchIds],
  );
  const known = new Set(rows.map((r) => r.id));
  return matchIds.filter((id) => !known.has(id));
}

export async function createGame(
  pool: Pool,
  tenantId: string,
  name: string,
  scoring: Scoring,
  matchIds: string[],
): Promise<GameRow> {
  const { rows } = await pool.query<{ id: string }>(
    `WITH g AS (INSERT INTO games (tenant_id, name, exact_points, outcome_points) VALUES ($1, $2, $3, $4) RETURNING id),
     m AS (INSERT INTO game_matches (game_id, match_id) SELECT g.id, u FROM g, unnest($5::text[]) u)
     SELECT id FROM g`,
    [tenantId, name, scoring.exact, scoring.outcome, matchIds],
  );
  return (await findGame(pool, tenantId, rows[0]!.id))!;
}

/** The tenant's game, or null (unknown, or another tenant's). */
export async function findGame(pool: Pool, tenantId: string, gameId: string): Promise<GameRow | null> {
  if (!isGameId(gameId)) return null;
  const { rows } = await pool.query<GameDbRow>(GAME_SELECT, [gameId, tenantId]);
  return rows[0] ? toGame(rows[0]) : null;
}

export async function addGameMatches(pool: Pool, gameId: string, matchIds: string[]): Promise<void> {
  await pool.query(
    `INSERT INTO game_matches (game_id, match_id) SELECT $1, u FROM unnest($2::text[]) u
     ON CONFLICT (game_id, match_id) DO NOTHING`,
    [gameId, matchIds],
  );
}

/**
 * When a match stops taking guesses: at its first live event (matches.status leaves 'scheduled'), at its
 * scheduled start, or once its settlement began, whichever comes first. As SQL over game_matches gm and
 * matches m (joined in the game's tenant: matchJoin), so the insert below checks it in the same
 * statement that writes.
 */
const OPEN_SQL = `gm.status = 'open' AND coalesce(m.status, 'scheduled') = 'scheduled'
  AND (m.starts_at IS NULL OR m.starts_at > now())`;

export type SettlementStatus = "open" | "locked" | "settling" | "settled";

/** A game match's status as the API names it: neither settling nor settled, it is open until it starts (OPEN_SQL). */
const settlementStatus = (status: string, open: boolean): SettlementStatus =>
  status === "settling" || status === "settled" ? status : open ? "open" : "locked";

/** A game's match row: the match of that id in the game's tenant (`$tenant`: the parameter holding it). */
const matchJoin = (matchId: string, tenant: string) =>
  `LEFT JOIN matches m ON m.tenant_id = ${tenant} AND m.id = ${matchId}`;

/** Which of `matchIds` belong to the game, and whether each still takes guesses. */
export async function matchLocks(pool: Pool, game: GameRow, matchIds: string[]): Promise<Map<string, boolean>> {
  const { rows } = await pool.query<{ match_id: string; open: boolean }>(
    `SELECT gm.match_id, (${OPEN_SQL}) AS open FROM game_matches gm ${matchJoin("gm.match_id", "$3")}
     WHERE gm.game_id = $1 AND gm.match_id = ANY($2::text[])`,
    [game.id, matchIds, game.tenantId],
  );
  return new Map(rows.map((r) => [r.match_id, r.open]));
}

/** A guess's key within its game: one guess per fan and match. */
export const guessKey = (g: { matchId: string; fanId: string }): string => `${g.matchId}\u0000${g.fanId}`;

/**
 * Writes guesses (a later guess of the same fan and match replaces the earlier one) for matches still
 * open, in one statement. Returns the keys (guessKey) written, a guess missing from it hit
 * the lock between the caller's check and this write, and per match written the guesses that are new
 * (not a replacement), for countGuesses.
 */
export async function upsertGuesses(
  pool: Pool | PoolClient,
  game: GameRow,
  items: Guess[],
): Promise<{ written: Set<string>; added: Map<string, number> }> {
  if (items.length === 0) return { written: new Set(), added: new Map() };
  const { rows } = await pool.query<{ match_id: string; fan_id: string; added: boolean }>(
    `INSERT INTO guesses (game_id, match_id, fan_id, home, away, updated_at)
     SELECT $1, u.match_id, u.fan_id, u.home, u.away, now()
     FROM unnest($2::text[], $3::text[], $4::smallint[], $5::smallint[]) AS u(match_id, fan_id, home, away)
     JOIN game_matches gm ON gm.game_id = $1 AND gm.match_id = u.match_id
     ${matchJoin("u.match_id", "$6")}
     WHERE ${OPEN_SQL}
     ON CONFLICT (game_id, match_id, fan_id)
       DO UPDATE SET home = excluded.home, away = excluded.away, updated_at = excluded.updated_at
     -- xmax is 0 on a row this statement inserted, and set on one it updated (a replaced guess).
     RETURNING match_id, fan_id, xmax = 0 AS added`,
    [
      game.id,
      items.map((g) => g.matchId),
      items.map((g) => g.fanId),
      items.map((g) => g.home),
      items.map((g) => g.away),
      game.tenantId,
    ],
  );
  const added = new Map<string, number>();
  for (const r of rows) added.set(r.match_id, (added.get(r.match_id) ?? 0) + (r.added ? 1 : 0));
  return { written: new Set(rows.map((r) => guessKey({ matchId: r.match_id, fanId: r.fan_id }))), added };
}

/**
 * Adds new guesses to their game matches' counts (upsertGuesses' `added`) and counts the write (which
 * makes a match's stored guess groups stale), in the guesses' transaction just before it commits: the
 * rows stay locked for a moment, not for the whole write, and in match order, so two writers never wait
 * on each other in a cycle.
 */
export async function countGuesses(session: PoolClient, gameId: string, added: Map<string, number>): Promise<void> {
  if (added.size === 0) return;
  const matches = [...added.keys()].sort();
  await session.query(
    `UPDATE game_matches gm SET guess_count = gm.guess_count + u.n, guess_writes = gm.guess_writes + 1
     FROM (SELECT * FROM unnest($2::text[], $3::int[]) AS u(match_id, n) ORDER BY match_id) u
     WHERE gm.game_id = $1 AND gm.match_id = u.match_id`,
    [gameId, matches, matches.map((m) => added.get(m)!)],
  );
}

/** A match whose final score opened a settlement revision (openSettlements), per game of its tenant. */
export interface OpenedSettlement {
  gameId: string;
  revision: number;
}

/**
 * Refreshes the planner's statistics of `guesses` when they lag its contents (never taken, or a tenth of
 * its rows written since): guesses arrive in bursts before kick-off, faster than autovacuum's analyze,
 * and a page's plan on missing statistics sorted every guess after its cursor (232 ms a page at 1M
 * guesses against 26 ms). One sampled ANALYZE, about 0.1 s at a million rows, once per final score.
 */
export async function analyzeGuessesWhenStale(pool: Pool): Promise<boolean> {
  const { rows } = await pool.query<{ stale: boolean }>(
    `SELECT c.reltuples < 0 OR s.n_mod_since_analyze > 0.1 * c.reltuples + 1000 AS stale
     FROM pg_class c JOIN pg_stat_user_tables s ON s.relid = c.oid WHERE c.oid = 'guesses'::regclass`,
  );
  if (!rows[0]?.stale) return false;
  await pool.query("ANALYZE guesses");
  return true;
}

/**
 * A match's final score arrived (match_end or a correction): every game of the match's tenant holding
 * it settles. A new score is the next revision; the same score again re-opens only games not yet
 * settled (a retried trigger whose pass may not have begun), so a repeat never starts a second
 * revision. A new score for a game still settling another waits (`busy`, nothing opened): a pass writes
 * only the fans a score moves from the last settled one, so a revision starts only once the one before
 * it has written all of its fans. The row's own condition keeps two final scores racing from both opening.
 */
export async function openSettlements(
  pool: Pool,
  tenantId: string,
  matchId: string,
  final: GameScore,
): Promise<{ busy: boolean; opened: OpenedSettlement[] }> {
  const differs = "(gm.final_home IS DISTINCT FROM $2::smallint OR gm.final_away IS DISTINCT FROM $3::smallint)";
  const { rows } = await pool.query<{ game_id: string | null; revision: number; busy: boolean }>(
    `WITH busy AS (
       SELECT 1 FROM game_matches gm JOIN games g ON g.id = gm.game_id
       WHERE gm.match_id = $1 AND g.tenant_id = $4 AND gm.status = 'settling' AND ${differs} LIMIT 1
     ),
     opened AS (
       UPDATE game_matches gm SET
         revision = CASE WHEN ${differs} THEN gm.revision + 1 ELSE gm.revision END,
         settling_since = CASE WHEN ${differs} THEN now() ELSE gm.settling_since END,
         status = 'settling', final_home = $2::smallint, final_away = $3::smallint,
         guesses_scored = gm.guess_count
       FROM games g
       WHERE gm.match_id = $1 AND g.id = gm.game_id AND g.tenant_id = $4
         AND (${differs} OR gm.status <> 'settled')
         AND NOT (gm.status = 'settling' AND ${differs})
         AND NOT EXISTS (SELECT 1 FROM busy)
       RETURNING gm.game_id, gm.revision
     )
     SELECT *, false AS busy FROM opened
     UNION ALL SELECT NULL, 0, true FROM busy`,
    [matchId, final.home, final.away, tenantId],
  );
  const opened = rows.flatMap((r) => (r.game_id === null ? [] : [{ gameId: r.game_id, revision: r.revision }]));
  return { busy: rows.some((r) => r.busy), opened };
}

/** A game's settlement pass: one walk of its fans over the matches that were settling when it began. */
export interface SettlementPass {
  tenantId: string;
  gameId: string;
  passId: string;
  scoring: Scoring;
  /** The matches it settles, with their final scores (for logs and a dead letter's replay). */
  matches: { matchId: string; final: GameScore }[];
  /** The game's guesses when it began (what its chains split). */
  guesses: number;
}

/**
 * How long a pass may go without a message (each one beats: claimPass) before the next final score of
 * the game takes it over: far above a message's time budget and its retries' backoff, so only a pass
 * whose messages were parked in the dead-letter queue is taken over.
 */
export const PASS_STALE_SECONDS = 120;

/**
 * Begins the game's next settlement pass, inside `session`'s open transaction: the caller queues the
 * pass's messages and then commits, so a pass exists only once its messages are queued (a failed send
 * rolls it back, and the retry begins it again). `after` null (a final score opened a revision): only
 * when no pass is in progress, or the one in progress has gone PASS_STALE_SECONDS without a beat (it
 * was parked). `after` a pass id (that pass ends): only while it is still the game's current pass, and
 * clears it when no match is left settling. Null when no pass begins. Which matches the pass settles is
 * decided when its first message runs (claimPass), not here.
 */
export async function beginPass(
  session: PoolClient,
  tenantId: string,
  gameId: string,
  after: string | null,
): Promise<SettlementPass | null> {
  const { rows } = await session.query<{
    pass_id: string | null;
    exact_points: number;
    outcome_points: number;
    guesses: number;
    matches: { matchId: string; home: number; away: number }[] | null;
  }>(
    `WITH settling AS (
       SELECT json_agg(json_build_object('matchId', match_id, 'home', final_home, 'away', final_away)
         ORDER BY match_id) AS matches
       FROM game_matches WHERE game_id = $1 AND status = 'settling'
     ),
     taken AS (
       UPDATE games SET pass_id = CASE WHEN (SELECT matches FROM settling) IS NOT NULL THEN gen_random_uuid() END,
         pass_seq = CASE WHEN (SELECT matches FROM settling) IS NOT NULL THEN pass_seq + 1 ELSE pass_seq END,
         pass_beat = now()
       WHERE id = $1 AND tenant_id = $2 AND CASE WHEN $3::uuid IS NULL
           THEN (SELECT matches FROM settling) IS NOT NULL
             AND (pass_id IS NULL OR pass_beat < now() - make_interval(secs => $4))
           ELSE pass_id = $3::uuid END
       RETURNING pass_id, exact_points, outcome_points
     )
     SELECT t.*, (SELECT coalesce(sum(guess_count), 0)::int FROM game_matches WHERE game_id = $1) AS guesses,
       (SELECT matches FROM settling) AS matches
     FROM taken t`,
    [gameId, tenantId, after, PASS_STALE_SECONDS],
  );
  const r = rows[0];
  if (!r?.pass_id) return null;
  return {
    tenantId,
    gameId,
    passId: r.pass_id,
    scoring: { exact: r.exact_points, outcome: r.outcome_points },
    matches: (r.matches ?? []).map((m) => ({ matchId: m.matchId, final: { home: m.home, away: m.away } })),
    guesses: r.guesses,
  };
}

/**
 * A pass's message begins, in `session`'s open transaction: tells whether the pass is still the game's
 * current one (null: it ended, or was taken over, and the message stops) and its number (fan_points'
 * pending_seq; 0: a pass begun by the version before fan_points, which the caller replaces), records that
 * it is alive, and on its first message claims the matches it settles: every match settling now. Its
 * pages all run after that (a later chain's first message claims nothing more), so each of them sums
 * every claimed match; a match that opens later is left to the next pass. Locking the game's row first
 * waits for a transaction beginning a pass to commit, so its messages never read the game from before it.
 */
export async function claimPass(session: PoolClient, gameId: string, passId: string): Promise<{ seq: number } | null> {
  const { rows } = await session.query<{ current: boolean; seq: number }>(
    "SELECT pass_id IS NOT DISTINCT FROM $2::uuid AS current, pass_seq AS seq FROM games WHERE id = $1 FOR UPDATE",
    [gameId, passId],
  );
  if (!rows[0]?.current) return null;
  await session.query("UPDATE games SET pass_beat = now() WHERE id = $1", [gameId]);
  await session.query(
    `UPDATE game_matches SET pass_id = $2 WHERE game_id = $1 AND status = 'settling'
       AND NOT EXISTS (SELECT 1 FROM game_matches WHERE game_id = $1 AND pass_id = $2)`,
    [gameId, passId],
  );
  return { seq: rows[0].seq };
}

/**
 * Splits a game's fans into at most `maxChains` fan-id ranges of about `perChain` guesses each, for
 * settlement chains that run side by side. Returns the ranges' inclusive upper bounds, the last one
 * open (null): [null] is one range over everything. One walk along the game's fan index per bound, once
 * per pass; the chains themselves page by keyset. A fan's guesses are all in one range.
 */
export async function chainBounds(
  pool: Pool | PoolClient,
  target: { gameId: string; guesses: number },
  perChain: number,
  maxChains: number,
): Promise<(string | null)[]> {
  const { gameId, guesses } = target;
  const chains = Math.min(maxChains, Math.max(1, Math.ceil(guesses / perChain)));
  if (chains === 1) return [null];
  const step = Math.ceil(guesses / chains);
  // Each bound skips along the index (no sort, no window over every guess); the same fan twice is one bound.
  const { rows } = await pool.query<{ fan_id: string }>(
    `SELECT DISTINCT b.fan_id FROM generate_series(1, $3::int) i CROSS JOIN LATERAL (
       SELECT fan_id FROM guesses WHERE game_id = $1 ORDER BY fan_id OFFSET i * $2::int - 1 LIMIT 1
     ) b ORDER BY b.fan_id`,
    [gameId, step, chains - 1],
  );
  return [...rows.map((r) => r.fan_id), null];
}

/**
 * Fans' totals as the leaderboard's write script takes them: flat (fanId, points) pairs of strings.
 * Postgres writes them as JSON text and the Worker passes them on as they are: one JSON.parse, where
 * Postgres arrays cost a fifth of the Worker's CPU to parse during settlement.
 */
export type FanTotals = readonly string[];

export interface PageResult {
  /** Guesses of the settling matches in the page. */
  size: number;
  /** Whether the chain's range goes on after this page. */
  more: boolean;
  /** The page's last fanId: the next page's cursor. */
  lastFanId: string | null;
  /** Fans whose totals the page returns. */
  scored: number;
  /**
   * The game's settlement state the totals were computed from: the sum of its settling and settled
   * matches' revisions. Opening a revision raises it, so a total computed later never has a lower one.
   */
  state: number;
  /** The page's moved fans' totals: settled points (fan_points) and what the settling matches change. */
  totals: FanTotals;
}

/**
 * A guess's points under a final score, as SQL: `guess` prefixes its home and away columns ("g." or
 * ""), the rest are SQL expressions. A NULL final (none yet) gives 0. shared/games/scoring.ts guessPoints
 * is the same rule for one guess in the Worker.
 */
const pointsSql = (guess: string, final: { home: string; away: string }, exact: string, outcome: string) =>
  `CASE WHEN ${guess}home = ${final.home} AND ${guess}away = ${final.away} THEN ${exact}
        WHEN sign(${guess}home - ${guess}away) = sign(${final.home} - ${final.away}) THEN ${outcome} ELSE 0 END`;

/** A fan_points row's settled points as SQL (`f`: the row's alias, `settled`: the game's settled_seq). */
const settledPointsSql = (f: string, settled: string) =>
  `CASE WHEN ${f}.pending_seq <= ${settled} THEN ${f}.pending ELSE ${f}.points END`;

/**
 * One keyset page of a pass (`passId`, numbered `seq`) over the matches it settles: their guesses with
 * fan_id in (cursor, last], where `last` keeps the page at `limit` guesses or fewer (each of the k
 * settling matches gives at most limit/k: its own walk of the primary key in fan order), whole fans at a
 * time. In one statement, for each fan a settling match's score moves (from its last settled score, or
 * from 0 before the first, since every fan is on the board at 0 from their first guess: routes.ts
 * storeGuesses): the fan's total, their settled points (fan_points) plus what the settling matches
 * change, with the state it was computed from; and the fan's fan_points row, written for this pass
 * (points before it, pending after it). The other matches' guesses are never read, so a page costs the
 * same in the game's last match as in its first. A total is a function of the guesses, the finals and
 * the settled points, which no pass changes before it ends: a redelivered, retried or repeated page
 * computes the same totals again and writes no row twice (a row already of this pass, or of a later
 * one, is left alone).
 */
export async function scorePage(
  pool: Pool | PoolClient,
  pass: { gameId: string; passId: string; scoring: Scoring; seq: number },
  cursor: string,
  limit: number,
  upTo: string | null = null,
): Promise<PageResult> {
  const points = (final: { home: string; away: string }) => pointsSql("", final, "$5::int", "$6::int");
  // The aggregates' rows of the pass's matches ($8: the pass).
  const ofPass = "FILTER (WHERE status = 'settling' AND pass_id = $8::uuid)";
  const { rows } = await pool.query<{
    size: number;
    more: boolean;
    last_fan: string | null;
    scored: number;
    state: number;
    totals: string | null;
  }>(
    `WITH
     -- The pass's matches with their final scores and the scores they move from (applied: null before the
     -- first; a match that began settling after the pass claimed its own is the next pass's), the state the
     -- totals come from, and the number of the game's last ended pass (whose fan_points rows are settled).
     state AS (
       SELECT coalesce(sum(revision), 0)::int AS version,
              array_agg(match_id) ${ofPass} AS ids,
              array_agg(final_home::int) ${ofPass} AS homes,
              array_agg(final_away::int) ${ofPass} AS aways,
              array_agg(applied_home::int) ${ofPass} AS from_homes,
              array_agg(applied_away::int) ${ofPass} AS from_aways,
              greatest(1, $3::int / greatest(1, count(*) ${ofPass}))::int AS per_match,
              (SELECT settled_seq FROM games WHERE id = $1) AS settled
       FROM game_matches WHERE game_id = $1 AND status IN ('settling', 'settled')
     ),
     -- Per match of the pass, the fan of its per_match-th guess after the cursor (none: fewer are left)
     -- and its last fan in the range: two short walks of its key (guesses' primary key).
     ends AS MATERIALIZED (
       SELECT (SELECT fan_id FROM guesses WHERE game_id = $1 AND match_id = s.id AND fan_id > $2
                 AND ($4::text IS NULL OR fan_id <= $4::text)
               ORDER BY fan_id OFFSET (SELECT per_match FROM state) - 1 LIMIT 1) AS bound,
              (SELECT fan_id FROM guesses WHERE game_id = $1 AND match_id = s.id AND fan_id > $2
                 AND ($4::text IS NULL OR fan_id <= $4::text)
               ORDER BY fan_id DESC LIMIT 1) AS tail
       FROM unnest((SELECT ids FROM state)) s(id)
     ),
     -- The page ends at the first bound (a match with per_match guesses in it), else it is the range's
     -- last: whole fans, every match's guesses of them.
     page AS (SELECT coalesce(min(bound), max(tail)) AS last, count(bound) > 0 AS more FROM ends),
     -- Each match's guesses in the page with its final score and the score it moves from: a range of the
     -- primary key per match (it holds the guessed score: no table visit), never another match's guesses
     -- (the OFFSET 0 keeps the planner from making it one scan of the fan index, which holds every match's
     -- guesses of those fans).
     found AS (
       SELECT g.fan_id, g.home, g.away, s.fh, s.fa, s.ah, s.aa
       FROM unnest((SELECT ids FROM state), (SELECT homes FROM state), (SELECT aways FROM state),
                   (SELECT from_homes FROM state), (SELECT from_aways FROM state)) AS s(id, fh, fa, ah, aa)
       CROSS JOIN LATERAL (
         SELECT fan_id, home, away FROM guesses
         WHERE game_id = $1 AND match_id = s.id AND fan_id > $2 AND fan_id <= (SELECT last FROM page) OFFSET 0
       ) g
     ),
     -- Per fan of the page: their guesses in it, and how much and whether the pass's scores move them.
     fans AS (
       SELECT fan_id, count(*)::int AS guesses, sum(now - was)::int AS change, bool_or(now <> was) AS moved
       FROM (
         SELECT fan_id, ${points({ home: "fh", away: "fa" })} AS now, ${points({ home: "ah", away: "aa" })} AS was
         FROM found
       ) s
       GROUP BY fan_id
     ),
     -- Each moved fan's row for this pass: their settled points (pending once its pass has ended, else
     -- points; no row: 0) and those plus the change. The same pass writing it again (a retry) finds its
     -- own row, whose points are still the settled ones, and writes the same values; an older pass (its
     -- messages ran late) writes nothing. The total is what the row holds after it.
     kept AS (
       INSERT INTO fan_points AS f (game_id, fan_id, points, pending, pending_seq)
       SELECT $1, fan_id, 0, change, $7 FROM fans WHERE moved
       ON CONFLICT (game_id, fan_id) DO UPDATE
         SET points = ${settledPointsSql("f", "(SELECT settled FROM state)")},
             pending = ${settledPointsSql("f", "(SELECT settled FROM state)")} + excluded.pending,
             pending_seq = excluded.pending_seq
         WHERE f.pending_seq <= excluded.pending_seq
       RETURNING fan_id, pending AS points
     )
     SELECT (SELECT coalesce(sum(guesses), 0) FROM fans)::int AS size, (SELECT more FROM page) AS more,
            (SELECT last FROM page) AS last_fan, (SELECT count(*) FROM kept)::int AS scored,
            (SELECT version FROM state) AS state,
            (SELECT string_agg(to_json(fan_id)::text || ',"' || points || '"', ',') FROM kept) AS totals`,
    [pass.gameId, cursor, limit, upTo, pass.scoring.exact, pass.scoring.outcome, pass.seq, pass.passId],
  );
  const r = rows[0]!;
  const totals: FanTotals = r.totals === null ? [] : JSON.parse(`[${r.totals}]`);
  return { size: r.size, more: r.more, lastFanId: r.last_fan, scored: r.scored, state: r.state, totals };
}

/**
 * Fans' settled points as fan_points holds them (what settlement passes build on), in a keyset page of
 * fans after `after`: for tests and the bench, which compare them with points computed from the guesses.
 */
export async function settledPoints(
  pool: Pool,
  gameId: string,
  after: string,
  limit: number,
): Promise<{ fanId: string; points: number }[]> {
  const { rows } = await pool.query<{ fan_id: string; points: number }>(
    `SELECT f.fan_id, ${settledPointsSql("f", "ga.settled_seq")} AS points
     FROM fan_points f JOIN games ga ON ga.id = f.game_id
     WHERE f.game_id = $1 AND f.fan_id > $2 ORDER BY f.fan_id LIMIT $3`,
    [gameId, after, limit],
  );
  return rows.map((r) => ({ fanId: r.fan_id, points: r.points }));
}

/**
 * Fans' points in a game as Postgres holds them (the truth the board mirrors): each fan's guesses of the
 * game's settling and settled matches at their final scores. A keyset page of fans after `after`.
 */
export async function fanTotals(
  pool: Pool,
  gameId: string,
  after: string,
  limit: number,
): Promise<{ fanId: string; points: number }[]> {
  const { rows } = await pool.query<{ fan_id: string; points: number }>(
    `SELECT g.fan_id, sum(CASE WHEN gm.status IN ('settling', 'settled')
         THEN ${pointsSql("g.", { home: "gm.final_home", away: "gm.final_away" }, "ga.exact_points", "ga.outcome_points")}
         ELSE 0 END)::int AS points
     FROM guesses g JOIN game_matches gm ON gm.game_id = g.game_id AND gm.match_id = g.match_id
     JOIN games ga ON ga.id = g.game_id
     WHERE g.game_id = $1 AND g.fan_id > $2
     GROUP BY g.fan_id HAVING bool_or(gm.status IN ('settling', 'settled'))
     ORDER BY g.fan_id LIMIT $3`,
    [gameId, after, limit],
  );
  return rows.map((r) => ({ fanId: r.fan_id, points: r.points }));
}

/**
 * Marks the matches a pass settles settled, in the caller's transaction (once: a repeat changes
 * nothing): each final score becomes the applied one, from which the next revision tells the fans it
 * moves, and the fan_points rows the pass wrote become the fans' settled points (the game's settled_seq
 * becomes the pass's number), both in the same statement. Returns the matches it marked, with their
 * settlement's duration.
 */
export async function finishPass(
  session: PoolClient,
  gameId: string,
  passId: string,
): Promise<{ matchId: string; revision: number; durationMs: number }[]> {
  const { rows } = await session.query<{ match_id: string; revision: number; duration_ms: number }>(
    `WITH ended AS (UPDATE games SET settled_seq = pass_seq WHERE id = $1 AND pass_id = $2)
     UPDATE game_matches SET status = 'settled', settled_at = now(),
       applied_home = final_home, applied_away = final_away,
       duration_ms = greatest(0, round(extract(epoch FROM now() - settling_since) * 1000))::int
     WHERE game_id = $1 AND pass_id = $2 AND status = 'settling'
     RETURNING match_id, revision, duration_ms`,
    [gameId, passId],
  );
  return rows.map((r) => ({ matchId: r.match_id, revision: r.revision, durationMs: r.duration_ms }));
}

/** Matches of the game settled, counting those `passId` settles (the pass finishing now) as settled. */
export async function settledMatches(pool: Pool | PoolClient, gameId: string, passId: string): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM game_matches
     WHERE game_id = $1 AND (status = 'settled' OR (status = 'settling' AND pass_id = $2))`,
    [gameId, passId],
  );
  return rows[0]!.n;
}

export interface MatchSettlementRow {
  status: SettlementStatus;
  finalScore: GameScore | null;
  revision: number;
  settledAt: string | null;
  durationMs: number | null;
  guesses: number;
}

/** A guessed score and how many guesses of the match name it. */
export type GuessGroup = GameScore & { guesses: number };

/** The stored groups (game_matches.guess_groups) as SQL: null once a guess write followed them. */
const VALID_GROUPS_SQL = `CASE WHEN (gm.guess_groups->>'at')::int = gm.guess_writes THEN gm.guess_groups->'groups' END`;

/** A match's settlement in the tenant's game; null when the game (in that tenant) does not hold the match. */
export async function matchSettlement(
  pool: Pool,
  tenantId: string,
  gameId: string,
  matchId: string,
): Promise<(MatchSettlementRow & { groups: GuessGroup[] | null }) | null> {
  const { rows } = await pool.query<{
    status: string;
    open: boolean;
    final_home: number | null;
    final_away: number | null;
    revision: number;
    settled_at: Date | null;
    duration_ms: number | null;
    guesses: number;
    groups: GuessGroup[] | null;
  }>(
    `SELECT gm.status, (${OPEN_SQL}) AS open, ${VALID_GROUPS_SQL} AS groups, gm.final_home, gm.final_away, gm.revision, gm.settled_at, gm.duration_ms,
       -- Kept by the writes, never counted here: a client polling a million-guess match's status made each
       -- poll a scan of its guesses (the bench's polls saturated Postgres as settlement opened).
       CASE WHEN gm.status IN ('settling', 'settled') THEN gm.guesses_scored ELSE gm.guess_count END AS guesses
     FROM game_matches gm JOIN games ga ON ga.id = gm.game_id AND ga.tenant_id = $3 ${matchJoin("gm.match_id", "$3")}
     WHERE gm.game_id = $1 AND gm.match_id = $2`,
    [gameId, matchId, tenantId],
  );
  const r = rows[0];
  if (!r) return null;
  return {
    status: settlementStatus(r.status, r.open),
    finalScore: r.final_home === null || r.final_away === null ? null : { home: r.final_home, away: r.final_away },
    revision: r.revision,
    settledAt: r.settled_at?.toISOString() ?? null,
    durationMs: r.duration_ms,
    guesses: r.guesses,
    groups: r.groups,
  };
}

/**
 * A locked match's guessed scores with their counts (the 200 most guessed): what provisional points are
 * computed from. Grouped once and stored on the game match with the guess-write count it saw; a read
 * finds it there (matchSettlement's `groups`) until a guess write makes it stale. The count comes from
 * the statement's snapshot, as the groups do, so groups that a concurrent write overtook are stale too.
 */
export async function groupGuesses(pool: Pool, gameId: string, matchId: string): Promise<GuessGroup[]> {
  const { rows } = await pool.query<{ groups: GuessGroup[] | null }>(
    `WITH seen AS (SELECT guess_writes FROM game_matches WHERE game_id = $1 AND match_id = $2),
     groups AS (
       SELECT coalesce(jsonb_agg(jsonb_build_object('home', home, 'away', away, 'guesses', guesses)
                ORDER BY guesses DESC, home, away), '[]') AS list
       FROM (SELECT home, away, count(*)::int AS guesses FROM guesses WHERE game_id = $1 AND match_id = $2
             GROUP BY home, away ORDER BY count(*) DESC, home, away LIMIT 200) t
     ),
     stored AS (
       UPDATE game_matches SET guess_groups = jsonb_build_object('at', (SELECT guess_writes FROM seen), 'groups', (SELECT list FROM groups))
       WHERE game_id = $1 AND match_id = $2
     )
     SELECT (SELECT list FROM groups) AS groups`,
    [gameId, matchId],
  );
  return rows[0]?.groups ?? [];
}

export interface FanGuessRow {
  matchId: string;
  home: number;
  away: number;
  points: number | null;
  status: SettlementStatus;
}

/** A fan's guesses in the tenant's game and the game's scoring: one statement, null for an unknown game. */
export async function fanGuesses(
  pool: Pool,
  tenantId: string,
  gameId: string,
  fanId: string,
): Promise<{ scoring: Scoring; guesses: FanGuessRow[] } | null> {
  if (!isGameId(gameId)) return null;
  const { rows } = await pool.query<{
    exact_points: number;
    outcome_points: number;
    match_id: string | null;
    home: number;
    away: number;
    applied_home: number | null;
    applied_away: number | null;
    status: string;
    open: boolean;
  }>(
    `SELECT ga.exact_points, ga.outcome_points, f.* FROM games ga
     LEFT JOIN LATERAL (
       SELECT g.match_id, g.home, g.away, gm.applied_home, gm.applied_away, gm.status, (${OPEN_SQL}) AS open
       FROM guesses g JOIN game_matches gm ON gm.game_id = g.game_id AND gm.match_id = g.match_id
       ${matchJoin("g.match_id", "$3")}
       WHERE g.game_id = ga.id AND g.fan_id = $2 ORDER BY g.match_id LIMIT 1000
     ) f ON true
     WHERE ga.id = $1 AND ga.tenant_id = $3`,
    [gameId, fanId, tenantId],
  );
  if (rows.length === 0) return null;
  const scoring = { exact: rows[0]!.exact_points, outcome: rows[0]!.outcome_points };
  const guesses = rows.flatMap((r) =>
    r.match_id === null
      ? []
      : [
          {
            matchId: r.match_id,
            home: r.home,
            away: r.away,
            // The last settled score's points (a revision settling shows the one before it until it ends).
            points:
              r.applied_home === null || r.applied_away === null
                ? null
                : guessPoints(r, { home: r.applied_home, away: r.applied_away }, scoring),
            status: settlementStatus(r.status, r.open),
          },
        ],
  );
  return { scoring, guesses };
}

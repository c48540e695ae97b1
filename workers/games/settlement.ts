// Settlement of the prediction game on the `matchpulse-settlement` queue. A match's final score (its
// room's match_end, or an operator's correction) becomes one `final` message; its handler opens the
// next revision for every game of the match's tenant holding the match (or, while a game still settles
// the previous score, sends the message back to wait) and begins the game's settlement pass unless one
// is in progress. A pass is one walk, in fan order, of the guesses of the matches settling when its first
// message runs (split into up to SETTLEMENT_CHAINS fan ranges of CHAIN_GUESSES): ten matches ending
// together are one walk, not ten. A `pass` message reads the next PAGE_SIZE guesses of its range in one
// SQL statement that computes the moved fans' totals (their settled points in fan_points, plus what the
// pass's matches change) with the settlement state they come from, and records them in the fans'
// fan_points rows for the pass; it writes those totals to the Redis leaderboard, which refuses totals
// older than its own (they are computed again), then goes on with the next page (the next message once
// its time budget is spent). The chain that marks itself done last (in Redis, after its last leaderboard
// write) marks the pass's matches settled and its fan_points rows settled points (in one statement), and
// in the same transaction begins the next pass if a match began settling meanwhile. Nothing is ever
// added twice: a total is a function of the guesses, the final scores and settled points no pass
// changes before it ends, so a page redelivered or retried computes and writes the same totals again,
// and the queue's at-least-once retries are exactly-once in effect; a chain mark is a hash field. The
// game's other matches' guesses are never read, so its last match settles as fast as its first. Memory
// per message is two pages whatever the number of guesses. A failure retries the message with backoff
// and, after max_retries, parks it in the dead-letter queue: the events pipeline never waits for any of it.

import type { Pool, PoolClient } from "@neondatabase/serverless";
import { z } from "zod";
import type { GameScore } from "../../shared/games/scoring";
import type { MatchEvent } from "../../shared/sports/sport";
import { inTransaction, withPostgres, withSession } from "../clients/postgres";
import { numberVar } from "../config";
import type { Env } from "../env";
import type { MatchRoom } from "../match-room/match-room";
import { errorMessage, log } from "../observability/log";
import { metrics } from "../observability/metrics";
import {
  analyzeGuessesWhenStale,
  beginPass,
  chainBounds,
  claimPass,
  finishPass,
  openSettlements,
  type SettlementPass,
  scorePage,
  settledMatches,
} from "../stores/postgres/games";
import { DEFAULT_TENANT, parseRoomName, roomName } from "../tenants/tenant";
import { type BoardRef, markChainDone, openLeaderboardRedis, writeMeta, writeTotals } from "./leaderboard";

/**
 * Guesses per page: at most this many of the pass's matches' guesses, whole fans at a time. 10,000 rather
 * than 5,000 halved the pages' round trips, statements and board writes: 1M fans × 10 matches settled in
 * 26 s against 32 s.
 */
export const PAGE_SIZE = 10_000;
/**
 * A message scores pages until this much time has passed, then hands the cursor to the next message.
 * Each hand-off costs a queue delivery and a new Postgres session (5 s cost a fifth of a 1M settlement);
 * a retry redoes at most this much. Far inside a consumer's wall-clock limit, and its CPU is a few
 * seconds at most.
 */
export const MESSAGE_BUDGET_MS = 20_000;
/**
 * Chains per pass when SETTLEMENT_CHAINS is unset. They run side by side only when the consumer does
 * (max_concurrency in wrangler.toml, 1 here), so the two are set together; with four side by side on
 * two cores the backends queued on each other.
 */
export const DEFAULT_CHAINS = 1;
/**
 * After each page a chain pauses for this fraction of the page's time (SETTLEMENT_PAUSE_RATIO in
 * wrangler.toml), leaving the database, Redis and the Worker to the reads it shares them with.
 */
export const DEFAULT_PAUSE_RATIO = 0.3;
/** How long a final score waits before it tries again while the match's previous revision settles. */
export const BUSY_RETRY_SECONDS = 5;
/** Guesses per chain below which a game's pass is not split further. */
export const CHAIN_GUESSES = 100_000;

const score = z.object({ home: z.int().min(0), away: z.int().min(0) });

const finalSchema = z.object({
  v: z.literal(1),
  kind: z.literal("final"),
  /** Absent in messages queued before tenants: the default tenant. */
  tenantId: z.string().optional(),
  matchId: z.string(),
  final: score,
  source: z.enum(["match_end", "correction"]),
  /** Tests and benches: guesses per chain (CHAIN_GUESSES). */
  chainGuesses: z.int().min(1).optional(),
});

const passSchema = z.object({
  v: z.literal(1),
  kind: z.literal("pass"),
  tenantId: z.string().optional(),
  gameId: z.string(),
  passId: z.string(),
  scoring: z.object({ exact: z.int(), outcome: z.int() }),
  /** The matches the pass settles, with their final scores: for logs and a dead letter's replay. */
  matches: z.array(z.object({ matchId: z.string(), final: score })),
  /** This chain's range of fans: (range start, upTo]; null upTo: to the last fan. */
  upTo: z.string().nullable().optional(),
  /** Which of the pass's chains this is (absent: the only one). */
  chain: z
    .object({ index: z.int().min(0), of: z.int().min(1) })
    .refine((c) => c.index < c.of)
    .optional(),
  /** Last fanId of the previous page ("" before the first). */
  cursor: z.string(),
  /** Guesses in the chain's pages before this one. */
  done: z.int().min(0),
  /** Tests and benches: guesses per page (PAGE_SIZE) and pages per message (until MESSAGE_BUDGET_MS). */
  pageSize: z.int().min(1).optional(),
  maxPages: z.int().min(1).optional(),
});

/**
 * A page job of the version before passes (one match's chain), still in the queue at a deploy: it
 * begins its game's pass, which settles the match with the others.
 */
const legacyPageSchema = z.object({
  v: z.literal(1),
  kind: z.literal("page"),
  tenantId: z.string().optional(),
  gameId: z.string(),
  matchId: z.string(),
  final: score,
});

const settlementMessageSchema = z.discriminatedUnion("kind", [finalSchema, passSchema, legacyPageSchema]);

export type SettlementMessage = z.infer<typeof settlementMessageSchema>;
type PassJob = z.infer<typeof passSchema>;

/** A queue body read by kind and version, never cast: anything else is left to retry into the DLQ. */
export function readSettlementMessage(body: unknown): SettlementMessage | null {
  const r = settlementMessageSchema.safeParse(body);
  return r.success ? r.data : null;
}

/** The final scores a settlement message carries: what replaying its dead letter sends again. */
export function finalScoresOf(m: SettlementMessage): { matchId: string; final: GameScore }[] {
  return m.kind === "pass" ? m.matches : [{ matchId: m.matchId, final: m.final }];
}

const boardOf = (job: { tenantId?: string; gameId: string }): BoardRef => ({
  tenantId: job.tenantId ?? DEFAULT_TENANT,
  gameId: job.gameId,
});

const retryDelaySeconds = (attempts: number): number => Math.min(2 ** attempts, 60);

/** The settlement queue is the one whose name ends in "-settlement" (wrangler.toml). */
export const isSettlementQueue = (name: string): boolean => name.endsWith("-settlement");

/** Queues the settlement of a tenant's match's final score (also the entry point of corrections). */
export async function requestSettlement(
  env: Pick<Env, "SETTLEMENT_QUEUE">,
  tenantId: string,
  matchId: string,
  final: GameScore,
  source: "match_end" | "correction",
): Promise<void> {
  const message: SettlementMessage = { v: 1, kind: "final", matchId, final, source };
  if (tenantId !== DEFAULT_TENANT) message.tenantId = tenantId;
  await env.SETTLEMENT_QUEUE.send(message);
  metrics.settlementJobs.inc({ kind: "final", outcome: "queued" });
}

/**
 * Called by the events consumer after its room calls: for each room of the batch (a tenant's match; no
 * tenantId: the default tenant) that received a match_end and now reports it finished, queue its final
 * score. Returns the room names (workers/tenants/tenant.ts roomName) whose request failed, so the
 * consumer retries their messages (a repeat of the same score changes nothing).
 */
export async function settleFinishedMatches(
  env: Env,
  events: readonly MatchEvent[],
  rooms: readonly { tenantId?: string; matchId: string; room: DurableObjectStub<MatchRoom> }[],
): Promise<Set<string>> {
  const ended = new Set(events.filter((e) => e.type === "match_end").map((e) => e.matchId));
  const failed = new Set<string>();
  await Promise.all(
    rooms
      .filter((r) => ended.has(r.matchId))
      .map(async ({ tenantId = DEFAULT_TENANT, matchId, room }) => {
        try {
          const view = await room.getState();
          if (view?.state.status !== "finished") return; // held behind a gap: a later delivery ends it
          const [home = 0, away = 0] = view.state.score;
          await requestSettlement(env, tenantId, matchId, { home, away }, "match_end");
        } catch (err) {
          failed.add(roomName(tenantId, matchId));
          metrics.dependencyErrors.inc({ dependency: "settlement_queue" });
          log("error", "could not queue a match's settlement; its events message will be retried", {
            tenantId,
            matchId,
            error: errorMessage(err),
          });
        }
      }),
  );
  return failed;
}

/**
 * The room's gap alarm released a held match_end (no events delivery follows it for the consumer to
 * see): queue the final score as the consumer would have. `room` is the room's name (roomName). A
 * refused queue is logged and counted; the operator's final-score route settles the match then.
 */
export async function settleReleasedEnd(
  env: Pick<Env, "SETTLEMENT_QUEUE">,
  room: string,
  state: { status: string; score: readonly number[] },
): Promise<void> {
  if (state.status !== "finished") return;
  const { tenantId, matchId } = parseRoomName(room);
  const [home = 0, away = 0] = state.score;
  try {
    await requestSettlement(env, tenantId, matchId, { home, away }, "match_end");
  } catch (err) {
    metrics.dependencyErrors.inc({ dependency: "settlement_queue" });
    log("error", "could not queue the settlement of a match_end released by the gap alarm", {
      tenantId,
      matchId,
      error: errorMessage(err),
    });
  }
}

export async function consumeSettlement(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  // The batch's messages side by side (a pass's chains, several games' passes, final scores): one
  // Postgres connection each, so max_batch_size (wrangler.toml) bounds the connections whatever the burst.
  await Promise.all(batch.messages.map((msg) => consumeOne(msg, env)));
}

async function consumeOne(msg: Message<unknown>, env: Env): Promise<void> {
  {
    const started = performance.now();
    const body = readSettlementMessage(msg.body);
    if (!body) {
      // From another deploy or corrupt: retried until the DLQ parks it, never misread.
      msg.retry({ delaySeconds: retryDelaySeconds(msg.attempts) });
      metrics.settlementJobs.inc({ kind: "unreadable", outcome: "retried" });
      log("error", "unreadable settlement message", { messageId: msg.id, attempts: msg.attempts });
      return;
    }
    const kind = body.kind;
    try {
      await handle(body, env);
      msg.ack();
      metrics.settlementJobs.inc({ kind, outcome: "acked" });
    } catch (err) {
      msg.retry({ delaySeconds: retryDelaySeconds(msg.attempts) });
      metrics.settlementJobs.inc({ kind, outcome: "retried" });
      log("error", "settlement step failed; it will be retried", {
        kind,
        tenantId: body.tenantId ?? DEFAULT_TENANT,
        ...(body.kind === "pass" ? { gameId: body.gameId, passId: body.passId } : { matchId: body.matchId }),
        attempts: msg.attempts,
        error: errorMessage(err),
      });
    }
    metrics.settlementStepDuration.observe((performance.now() - started) / 1000, { kind });
  }
}

async function handle(body: SettlementMessage, env: Env): Promise<void> {
  if (body.kind === "pass") return settleRange(body, env);
  const tenantId = body.tenantId ?? DEFAULT_TENANT;
  if (body.kind === "page") {
    await withPostgres(env, ({ pool }) => startPass(env, pool, tenantId, body.gameId, null));
    return;
  }
  const opened = await withPostgres(env, async ({ pool }) => {
    const { busy, opened } = await timed("postgres", async () => {
      await analyzeGuessesWhenStale(pool);
      return openSettlements(pool, tenantId, body.matchId, body.final);
    });
    if (busy) return { busy, opened, passes: [] };
    const passes = [];
    for (const { gameId } of opened) passes.push(await startPass(env, pool, tenantId, gameId, null, body.chainGuesses));
    return { busy, opened, passes };
  });
  if (opened.busy) {
    // A game still settles the match's previous score: this one starts after it (a pass writes only
    // the fans a score moves from the last settled one), so it comes back once that revision has had
    // time to end.
    await env.SETTLEMENT_QUEUE.send(body, { delaySeconds: BUSY_RETRY_SECONDS });
    log("info", "settlement waits for the match's previous revision", {
      tenantId,
      matchId: body.matchId,
      final: body.final,
    });
    return;
  }
  log("info", "settlement opened", {
    tenantId,
    matchId: body.matchId,
    source: body.source,
    final: body.final,
    games: opened.opened,
    // A game with a pass in progress begins none: that pass's end begins the next one.
    passes: opened.passes.flatMap((p) =>
      p ? [{ gameId: p.gameId, passId: p.passId, matches: p.matches.length }] : [],
    ),
  });
}

/**
 * Begins a game's pass (beginPass: none in progress, or `after` ends) and queues its chains' first
 * messages, inside `session`'s transaction, which commits only once they are queued: a pass always has
 * its messages, and a failure leaves none, for the retry to begin.
 */
async function queuePass(
  env: Env,
  session: PoolClient,
  tenantId: string,
  gameId: string,
  after: string | null,
  chainGuesses = CHAIN_GUESSES,
): Promise<SettlementPass | null> {
  const maxChains = Math.max(1, Math.floor(numberVar(env.SETTLEMENT_CHAINS, DEFAULT_CHAINS)));
  const pass = await beginPass(session, tenantId, gameId, after);
  if (!pass) return null;
  const bounds = await chainBounds(session, pass, chainGuesses, maxChains);
  // Chain i walks (bound i-1, bound i]: its cursor starts where the previous range ends.
  const jobs = bounds.map((upTo, index) =>
    firstPage(pass, bounds[index - 1] ?? "", upTo, { index, of: bounds.length }),
  );
  try {
    // sendBatch takes at most 100 messages.
    for (let i = 0; i < jobs.length; i += 100)
      await env.SETTLEMENT_QUEUE.sendBatch(jobs.slice(i, i + 100).map((j) => ({ body: j })));
  } catch (err) {
    metrics.dependencyErrors.inc({ dependency: "settlement_queue" });
    throw err;
  }
  return pass;
}

/** queuePass in a transaction of its own. */
const startPass = (
  env: Env,
  pool: Pool,
  tenantId: string,
  gameId: string,
  after: string | null,
  chainGuesses?: number,
) => inTransaction(pool, (session) => queuePass(env, session, tenantId, gameId, after, chainGuesses));

function firstPage(
  pass: SettlementPass,
  after: string,
  upTo: string | null,
  chain: { index: number; of: number },
): PassJob {
  return {
    v: 1,
    kind: "pass",
    ...(pass.tenantId === DEFAULT_TENANT ? {} : { tenantId: pass.tenantId }),
    gameId: pass.gameId,
    passId: pass.passId,
    scoring: pass.scoring,
    matches: pass.matches,
    upTo,
    chain,
    cursor: after,
    done: 0,
  };
}

/**
 * Scores a chain's pages one after another (each its own statement, then its Redis write while the next
 * page is scored) until the range is done or the message's time budget is spent, then queues the rest
 * as a new message from the cursor. A crash anywhere retries the message from its cursor: its pages
 * compute the same totals again, and Redis takes them again.
 */
async function settleRange(job: PassJob, env: Env): Promise<void> {
  const limit = job.pageSize ?? PAGE_SIZE;
  const pauseRatio = Math.max(0, numberVar(env.SETTLEMENT_PAUSE_RATIO, DEFAULT_PAUSE_RATIO));
  const started = performance.now();
  const redis = openLeaderboardRedis(env);
  const board = boardOf(job);
  let { cursor, done } = job;
  let pages = 0;
  // One leaderboard write in flight while the next page is scored (at most two pages in memory). It
  // settles to null, to the page to compute again (the board took totals from a newer state meanwhile),
  // or to its error, which fails the message (the retry starts from the message's cursor again).
  type Redo = { cursor: string; done: number; staleAgainst: number };
  let redisWrite: Promise<Redo | { error: unknown } | null> = Promise.resolve(null);
  const writeDone = async (): Promise<Redo | null> => {
    const outcome = await redisWrite;
    redisWrite = Promise.resolve(null);
    if (outcome && "error" in outcome) throw outcome.error;
    return outcome;
  };
  let redo: Redo | null = null;
  // Back to a page whose totals the board refused: the next statement computes it from the newer state.
  const rewindTo = (rejected: Redo) => {
    ({ cursor, done } = rejected);
    redo = rejected;
  };
  const scorePages = async (session: PoolClient, pass: { seq: number }): Promise<"more" | "last"> => {
    for (;;) {
      const pageStarted = performance.now();
      const from = { cursor, done };
      const page = await timed("postgres", () =>
        scorePage(session, { ...job, seq: pass.seq }, cursor, limit, job.upTo ?? null),
      );
      if (redo && page.state < redo.staleAgainst)
        // The board holds totals of a state Postgres has never reached (a board left from another database):
        // computing again cannot help. The message fails and, after its retries, is parked.
        throw new Error(`leaderboard is at settlement state ${redo.staleAgainst}, Postgres at ${page.state}`);
      redo = null;
      const rejected = await writeDone();
      if (rejected) {
        // Another match's settlement wrote a newer state since: this page is computed again too.
        rewindTo(rejected);
        continue;
      }
      if (page.totals.length > 0)
        redisWrite = timed("redis", () => writeTotals(redis, board, page.state, page.totals)).then(
          (w) => (w.staleAgainst === undefined ? null : { ...from, staleAgainst: w.staleAgainst }),
          (error: unknown) => ({ error }),
        );
      metrics.guessesScored.inc({}, page.scored);
      metrics.settlementPages.inc();
      done += page.size;
      pages++;
      const last = !page.more;
      if (!last) cursor = page.lastFanId!;
      if (
        last ||
        pages >= (job.maxPages ?? Number.POSITIVE_INFINITY) ||
        performance.now() - started > MESSAGE_BUDGET_MS
      ) {
        const rejectedLast = await writeDone();
        if (!rejectedLast) return last ? "last" : "more";
        rewindTo(rejectedLast);
        continue;
      }
      // The next page waits a share of this one's time (its Redis write runs meanwhile), which leaves the
      // database, Redis and the Worker to the reads that share them.
      if (pauseRatio > 0) await new Promise((r) => setTimeout(r, (performance.now() - pageStarted) * pauseRatio));
    }
  };
  // The message's end: the rest of the range queued as the next message, or, after the range's last
  // page is on the leaderboard, the chain marked done. The last chain to mark publishes the count of
  // settled matches (the pass's included), then marks the pass's matches settled, so a settled status
  // means the leaderboard shows it, and begins the next pass if a match began settling after this one
  // did. All of it again on a retry: harmless.
  const endRange = async (session: PoolClient, outcome: "more" | "last"): Promise<void> => {
    if (outcome === "more") {
      await env.SETTLEMENT_QUEUE.send({ ...job, cursor, done });
      return;
    }
    const chain = job.chain ?? { index: 0, of: 1 };
    const guesses = await timed("redis", () => markChainDone(redis, board, job.passId, chain, done));
    if (guesses === null) return;
    const settled = await timed("postgres", () => settledMatches(session, job.gameId, job.passId));
    await timed("redis", () => writeMeta(redis, board, settled));
    const finished = await inTransaction(session, async (tx) => ({
      matches: await timed("postgres", () => finishPass(tx, job.gameId, job.passId)),
      next: await queuePass(env, tx, board.tenantId, job.gameId, job.passId),
    }));
    for (const m of finished.matches) metrics.settlementDuration.observe(m.durationMs / 1000);
    log("info", "settlement pass done", {
      tenantId: board.tenantId,
      gameId: job.gameId,
      passId: job.passId,
      chains: chain.of,
      guesses,
      settled: finished.matches,
      nextPass: finished.next?.passId ?? null,
    });
  };
  // One session for the whole message (its claim, its pages, the pass's end): each page's statement and
  // its totals go over the wire protocol, not as one HTTP request each (the one-shot path, which
  // the proxy has to translate), and the message pays for one connection.
  await withPostgres(env, ({ pool }) =>
    withSession(pool, async (session) => {
      // A page's row estimates are those of a whole match (its walk's length is a parameter): past the
      // JIT's cost threshold, compiling took 50 ms of a 10 ms page.
      await session.query("SET jit = off");
      // A pass that ended or was taken over (its messages were parked for long) goes no further.
      const pass = await timed("postgres", () => inTransaction(session, (tx) => claimPass(tx, job.gameId, job.passId)));
      if (!pass) {
        log("info", "settlement message of a pass that is no longer the game's: nothing to do", {
          gameId: job.gameId,
          passId: job.passId,
        });
        return;
      }
      if (pass.seq === 0) {
        // Begun by the version before fan_points (migration 0013), whose pages wrote no fan_points rows:
        // a pass of this version replaces it and settles its matches from the start.
        const next = await inTransaction(session, (tx) => queuePass(env, tx, board.tenantId, job.gameId, job.passId));
        log("info", "settlement pass of the version before replaced", {
          gameId: job.gameId,
          passId: job.passId,
          nextPass: next?.passId ?? null,
        });
        return;
      }
      await endRange(session, await scorePages(session, pass));
    }),
  );
}

async function timed<T>(store: "postgres" | "redis", work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await work();
  } catch (err) {
    metrics.dependencyErrors.inc({ dependency: store });
    throw err;
  } finally {
    metrics.settlementWrite.observe((performance.now() - started) / 1000, { store });
  }
}

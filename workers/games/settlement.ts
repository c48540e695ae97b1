// Settlement of the prediction game on the `matchpulse-settlement` queue. A match's final score (its
// room's match_end, or an operator's correction) becomes one `final` message; its handler opens the
// next revision for every game of the match's tenant holding the match (or, while a game still settles
// the previous score, sends the message back to wait), splits each game's guesses into fan-id ranges
// (up to SETTLEMENT_CHAINS of CHAIN_GUESSES) and queues one `page` job per range. A page job reads the next
// PAGE_SIZE guesses of its range (keyset on fanId) in one read-only SQL statement that computes the
// page's fans' totals over every settling or settled match of the game, with the settlement state they
// come from; it writes those to the Redis leaderboard, which refuses totals older than its own (they
// are computed again), then goes on with the next page (the next message once its time budget is
// spent). The chain that marks itself done last (in Redis, after its last leaderboard write) finishes
// the revision. Nothing is ever added: a total is a function of the guesses and the final scores, so a
// page redelivered or retried computes and writes the same totals again, and the queue's at-least-once
// retries are exactly-once in effect; a chain mark is a hash field. Memory per message is two pages
// whatever the number of guesses. A failure retries the message with backoff and, after max_retries,
// parks it in the dead-letter queue: the events pipeline never waits for any of it.

import type { PoolClient } from "@neondatabase/serverless";
import { z } from "zod";
import type { GameScore, Scoring } from "../../shared/games/scoring";
import type { MatchEvent } from "../../shared/sports/sport";
import { withPostgres } from "../clients/postgres";
import { numberVar } from "../config";
import type { Env } from "../env";
import type { MatchRoom } from "../match-room/match-room";
import { errorMessage, log } from "../observability/log";
import { metrics } from "../observability/metrics";
import {
  analyzeGuessesWhenStale,
  chainBounds,
  finishSettlement,
  openSettlements,
  type SettlementTarget,
  scorePage,
  settledMatches,
} from "../stores/postgres/games";
import { DEFAULT_TENANT, parseRoomName, roomName } from "../tenants/tenant";
import { type BoardRef, markChainDone, openLeaderboardRedis, writeMeta, writeTotals } from "./leaderboard";

export const PAGE_SIZE = 5_000;
/**
 * A message scores pages until this much time has passed, then hands the cursor to the next message.
 * Each hand-off costs a queue delivery and a new Postgres session (5 s cost a fifth of a 1M settlement);
 * a retry redoes at most this much. Far inside a consumer's wall-clock limit, and its CPU is a few
 * seconds at most.
 */
export const MESSAGE_BUDGET_MS = 20_000;
/**
 * Chains per game and match when SETTLEMENT_CHAINS is unset. They run side by side only when the
 * consumer does (max_concurrency in wrangler.toml, 1 here), so the two are set together; with four side
 * by side on two cores the backends queued on each other.
 */
export const DEFAULT_CHAINS = 1;
/**
 * After each page a chain pauses for this fraction of the page's time (SETTLEMENT_PAUSE_RATIO in
 * wrangler.toml), leaving the database, Redis and the Worker to the reads it shares them with.
 */
export const DEFAULT_PAUSE_RATIO = 0.3;
/** How long a final score waits before it tries again while the match's previous revision settles. */
export const BUSY_RETRY_SECONDS = 5;
/** Guesses per chain below which a match is not split further. */
export const CHAIN_GUESSES = 100_000;

export type SettlementMessage =
  | {
      v: 1;
      kind: "final";
      /** Absent in messages queued before tenants: the default tenant. */
      tenantId?: string;
      matchId: string;
      final: GameScore;
      source: "match_end" | "correction";
      /** Tests and benches: guesses per chain (CHAIN_GUESSES). */
      chainGuesses?: number;
    }
  | {
      v: 1;
      kind: "page";
      tenantId?: string;
      gameId: string;
      matchId: string;
      revision: number;
      final: GameScore;
      scoring: Scoring;
      /** This job's range of fans: (range start, upTo]; null upTo: to the last fan. */
      upTo?: string | null;
      /** Which of the revision's chains this is (absent: the only one). */
      chain?: { index: number; of: number };
      /** Last fanId of the previous page ("" before the first). */
      cursor: string;
      /** Guesses in the chain's pages before this one. */
      done: number;
      /** Tests and benches: guesses per page (PAGE_SIZE) and pages per message (until MESSAGE_BUDGET_MS). */
      pageSize?: number;
      maxPages?: number;
    };

type PageJob = Extract<SettlementMessage, { kind: "page" }>;

const score = z.object({ home: z.int().min(0), away: z.int().min(0) });
const settlementMessageSchema = z.discriminatedUnion("kind", [
  z.object({
    v: z.literal(1),
    kind: z.literal("final"),
    tenantId: z.string().optional(),
    matchId: z.string(),
    final: score,
    source: z.enum(["match_end", "correction"]),
    chainGuesses: z.int().min(1).optional(),
  }),
  z.object({
    v: z.literal(1),
    kind: z.literal("page"),
    tenantId: z.string().optional(),
    gameId: z.string(),
    matchId: z.string(),
    revision: z.int().min(1),
    final: score,
    scoring: z.object({ exact: z.int(), outcome: z.int() }),
    upTo: z.string().nullable().optional(),
    chain: z
      .object({ index: z.int().min(0), of: z.int().min(1) })
      .refine((c) => c.index < c.of)
      .optional(),
    cursor: z.string(),
    done: z.int().min(0),
    pageSize: z.int().min(1).optional(),
    maxPages: z.int().min(1).optional(),
  }),
]);

/** A queue body read by kind and version, never cast: anything else is left to retry into the DLQ. */
export function readSettlementMessage(body: unknown): SettlementMessage | null {
  const r = settlementMessageSchema.safeParse(body);
  return r.success ? r.data : null;
}

const targetOf = (job: PageJob): SettlementTarget => ({ ...job, tenantId: job.tenantId ?? DEFAULT_TENANT });
const boardOf = (job: PageJob): BoardRef => ({ tenantId: job.tenantId ?? DEFAULT_TENANT, gameId: job.gameId });

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
  // The batch's messages side by side (chains of one match, or several matches): one Postgres connection
  // each, so max_batch_size (wrangler.toml) bounds the connections whatever the burst.
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
        matchId: body.matchId,
        attempts: msg.attempts,
        error: errorMessage(err),
      });
    }
    metrics.settlementStepDuration.observe((performance.now() - started) / 1000, { kind });
  }
}

async function handle(body: SettlementMessage, env: Env): Promise<void> {
  if (body.kind === "page") return settleRange(body, env);
  const tenantId = body.tenantId ?? DEFAULT_TENANT;
  const maxChains = Math.max(1, Math.floor(numberVar(env.SETTLEMENT_CHAINS, DEFAULT_CHAINS)));
  const opened = await timed("postgres", () =>
    withPostgres(env, async ({ pool }) => {
      await analyzeGuessesWhenStale(pool);
      const { busy, targets } = await openSettlements(pool, tenantId, body.matchId, body.final);
      const all: PageJob[] = [];
      for (const t of targets) {
        const bounds = await chainBounds(pool, t, body.chainGuesses ?? CHAIN_GUESSES, maxChains);
        // Chain i walks (bound i-1, bound i]: its cursor starts where the previous range ends.
        all.push(
          ...bounds.map((upTo, index) => firstPage(t, bounds[index - 1] ?? "", upTo, { index, of: bounds.length })),
        );
      }
      return { busy, jobs: all };
    }),
  );
  if (opened.busy) {
    // A game still settles the match's previous score: this one starts after it (its pages write only
    // the fans it moves from the last settled score), so it comes back once that revision has had time to end.
    await env.SETTLEMENT_QUEUE.send(body, { delaySeconds: BUSY_RETRY_SECONDS });
    log("info", "settlement waits for the match's previous revision", {
      tenantId,
      matchId: body.matchId,
      final: body.final,
    });
    return;
  }
  const { jobs } = opened;
  // sendBatch takes at most 100 messages.
  for (let i = 0; i < jobs.length; i += 100)
    await env.SETTLEMENT_QUEUE.sendBatch(jobs.slice(i, i + 100).map((j) => ({ body: j })));
  log("info", "settlement opened", {
    tenantId,
    matchId: body.matchId,
    source: body.source,
    final: body.final,
    games: jobs
      .filter((j) => j.chain?.index === 0)
      .map((j) => ({ gameId: j.gameId, revision: j.revision, chains: j.chain?.of })),
  });
}

function firstPage(
  t: SettlementTarget & { guesses?: number },
  after: string,
  upTo: string | null,
  chain: { index: number; of: number },
): PageJob {
  const { tenantId, guesses: _, ...rest } = t;
  return {
    v: 1,
    kind: "page",
    ...(tenantId === DEFAULT_TENANT ? {} : { tenantId }),
    ...rest,
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
async function settleRange(job: PageJob, env: Env): Promise<void> {
  const limit = job.pageSize ?? PAGE_SIZE;
  const pauseRatio = Math.max(0, numberVar(env.SETTLEMENT_PAUSE_RATIO, DEFAULT_PAUSE_RATIO));
  const started = performance.now();
  const redis = openLeaderboardRedis(env);
  const board = boardOf(job);
  const target = targetOf(job);
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
  const scorePages = async (session: PoolClient): Promise<"stale" | "more" | "last"> => {
    for (;;) {
      const pageStarted = performance.now();
      const from = { cursor, done };
      const page = await timed("postgres", () => scorePage(session, target, cursor, limit, job.upTo ?? null));
      if (redo && page.state < redo.staleAgainst)
        // The board holds totals of a state Postgres has never reached (a board left from another database):
        // computing again cannot help. The message fails and, after its retries, is parked.
        throw new Error(`leaderboard is at settlement state ${redo.staleAgainst}, Postgres at ${page.state}`);
      redo = null;
      if (!page.current) {
        await redisWrite; // an earlier revision's: its outcome no longer matters
        return "stale";
      }
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
      const last = page.size < limit;
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
  // One session for the message's pages: each page's statement and its 5,000 totals go over the wire
  // protocol, not as one HTTP request each (the one-shot path, which the proxy has to translate).
  const outcome = await withPostgres(env, async ({ pool }) => {
    const session = await pool.connect();
    try {
      return await scorePages(session);
    } finally {
      session.release();
    }
  });
  if (outcome === "stale") {
    log("info", "settlement page of an earlier revision: nothing to do", {
      gameId: job.gameId,
      matchId: job.matchId,
      revision: job.revision,
    });
    return;
  }
  if (outcome === "more") {
    await env.SETTLEMENT_QUEUE.send({ ...job, cursor, done });
    return;
  }
  // The chain's last page is on the leaderboard: mark the chain done. The last chain to mark publishes
  // the count of settled matches (this one included), then marks the revision settled, so a settled
  // status means the leaderboard shows it. All of it again on a retry: harmless.
  const guesses = await timed("redis", () => markChainDone(redis, board, job, job.chain ?? { index: 0, of: 1 }, done));
  if (guesses === null) return;
  const settled = await timed("postgres", () =>
    withPostgres(env, ({ pool }) => settledMatches(pool, job.gameId, job.matchId)),
  );
  await timed("redis", () => writeMeta(redis, board, settled));
  const finished = await timed("postgres", () =>
    withPostgres(env, ({ pool }) => finishSettlement(pool, target, guesses)),
  );
  if (finished) {
    metrics.settlementDuration.observe(finished.durationMs / 1000);
    log("info", "settlement done", {
      tenantId: board.tenantId,
      gameId: job.gameId,
      matchId: job.matchId,
      revision: job.revision,
      chains: job.chain?.of ?? 1,
      guesses,
      durationMs: finished.durationMs,
    });
  }
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

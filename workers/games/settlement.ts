// Settlement of the prediction game on the `matchpulse-settlement` queue. A match's final score (its
// room's match_end, or an operator's correction) becomes one `final` message; its handler opens the
// next revision for every game holding the match and queues one `page` job each. A page job scores the
// next PAGE_SIZE guesses (keyset on fanId) in one SQL statement that also adds each fan's difference to
// fan_totals, writes those fans' absolute totals to the Redis leaderboard, then queues the next page.
// Every step is idempotent (a page retried at the same revision changes nothing; Redis takes a total
// only when newer), so the queue's at-least-once retries make it exactly-once in effect; memory per
// message is one page whatever the number of guesses. A failure retries the message with backoff and,
// after max_retries, parks it in the dead-letter queue: the events pipeline never waits for any of it.
import { z } from "zod";
import type { GameScore, Scoring } from "../../shared/games/scoring";
import type { MatchEvent } from "../../shared/sports/sport";
import { withPostgres } from "../clients/postgres";
import type { Env } from "../env";
import type { MatchRoom } from "../match-room/match-room";
import { errorMessage, log } from "../observability/log";
import { metrics } from "../observability/metrics";
import {
  finishSettlement,
  openSettlements,
  pageTotals,
  type SettlementTarget,
  scorePage,
  settledMatches,
} from "../stores/postgres/games";
import { openLeaderboardRedis, writeMeta, writeTotals } from "./leaderboard";

export const PAGE_SIZE = 5_000;
/** A message scores pages until this much time has passed, then hands the cursor to the next message. */
export const MESSAGE_BUDGET_MS = 5_000;

export type SettlementMessage =
  | { v: 1; kind: "final"; matchId: string; final: GameScore; source: "match_end" | "correction" }
  | {
      v: 1;
      kind: "page";
      gameId: string;
      matchId: string;
      revision: number;
      final: GameScore;
      scoring: Scoring;
      /** Last fanId of the previous page ("" before the first). */
      cursor: string;
      /** Guesses in the pages before this one. */
      done: number;
      /** Tests and benches: guesses per page (PAGE_SIZE) and pages per message (until MESSAGE_BUDGET_MS). */
      pageSize?: number;
      maxPages?: number;
    };

const score = z.object({ home: z.int().min(0), away: z.int().min(0) });
const settlementMessageSchema = z.discriminatedUnion("kind", [
  z.object({
    v: z.literal(1),
    kind: z.literal("final"),
    matchId: z.string(),
    final: score,
    source: z.enum(["match_end", "correction"]),
  }),
  z.object({
    v: z.literal(1),
    kind: z.literal("page"),
    gameId: z.string(),
    matchId: z.string(),
    revision: z.int().min(1),
    final: score,
    scoring: z.object({ exact: z.int(), outcome: z.int() }),
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

const retryDelaySeconds = (attempts: number): number => Math.min(2 ** attempts, 60);

/** The settlement queue is the one whose name ends in "-settlement" (wrangler.toml). */
export const isSettlementQueue = (name: string): boolean => name.endsWith("-settlement");

/** Queues the settlement of a match's final score (also the entry point of corrections). */
export async function requestSettlement(
  env: Pick<Env, "SETTLEMENT_QUEUE">,
  matchId: string,
  final: GameScore,
  source: "match_end" | "correction",
): Promise<void> {
  await env.SETTLEMENT_QUEUE.send({ v: 1, kind: "final", matchId, final, source });
  metrics.settlementJobs.inc({ kind: "final", outcome: "queued" });
}

/**
 * Called by the events consumer after its room calls: for each match of the batch with a match_end whose
 * room now reports it finished, queue its final score. Returns the matches whose request failed, so
 * the consumer retries their messages (a repeat of the same score changes nothing).
 */
export async function settleFinishedMatches(
  env: Env,
  events: readonly MatchEvent[],
  rooms: readonly { matchId: string; room: DurableObjectStub<MatchRoom> }[],
): Promise<Set<string>> {
  const ended = new Set(events.filter((e) => e.type === "match_end").map((e) => e.matchId));
  const failed = new Set<string>();
  await Promise.all(
    rooms
      .filter((r) => ended.has(r.matchId))
      .map(async ({ matchId, room }) => {
        try {
          const view = await room.getState();
          if (view?.state.status !== "finished") return; // held behind a gap: a later delivery ends it
          const [home = 0, away = 0] = view.state.score;
          await requestSettlement(env, matchId, { home, away }, "match_end");
        } catch (err) {
          failed.add(matchId);
          metrics.dependencyErrors.inc({ dependency: "settlement_queue" });
          log("error", "could not queue a match's settlement; its events message will be retried", {
            matchId,
            error: errorMessage(err),
          });
        }
      }),
  );
  return failed;
}

export async function consumeSettlement(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  // One message at a time per batch: a settlement holds one Postgres connection, whatever the burst.
  for (const msg of batch.messages) {
    const started = performance.now();
    const body = readSettlementMessage(msg.body);
    if (!body) {
      // From another deploy or corrupt: retried until the DLQ parks it, never misread.
      msg.retry({ delaySeconds: retryDelaySeconds(msg.attempts) });
      metrics.settlementJobs.inc({ kind: "unreadable", outcome: "retried" });
      log("error", "unreadable settlement message", { messageId: msg.id, attempts: msg.attempts });
      continue;
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
        matchId: body.matchId,
        attempts: msg.attempts,
        error: errorMessage(err),
      });
    }
    metrics.settlementStepDuration.observe((performance.now() - started) / 1000, { kind });
  }
}

async function handle(body: SettlementMessage, env: Env): Promise<void> {
  if (body.kind === "final") {
    const targets = await timed("postgres", () =>
      withPostgres(env, ({ pool }) => openSettlements(pool, body.matchId, body.final)),
    );
    if (targets.length > 0) await env.SETTLEMENT_QUEUE.sendBatch(targets.map((t) => ({ body: firstPage(t) })));
    log("info", "settlement opened", {
      matchId: body.matchId,
      source: body.source,
      final: body.final,
      games: targets.map((t) => ({ gameId: t.gameId, revision: t.revision })),
    });
    return;
  }
  await settlePage(body, env);
}

const firstPage = (t: SettlementTarget): SettlementMessage => ({ v: 1, kind: "page", ...t, cursor: "", done: 0 });

/**
 * Scores pages one after another (each its own transaction, then its Redis write) until the match is
 * done or the message's time budget is spent, then queues the rest as a new message from the cursor.
 * A crash anywhere retries the message from its cursor: scored pages skip, Redis takes the same totals.
 */
async function settlePage(job: Extract<SettlementMessage, { kind: "page" }>, env: Env): Promise<void> {
  const limit = job.pageSize ?? PAGE_SIZE;
  const started = performance.now();
  const redis = openLeaderboardRedis(env);
  let { cursor, done } = job;
  let pages = 0;
  // One leaderboard write in flight while the next page is scored (at most two pages in memory). A
  // failed write fails the message after the loop: the retry starts from the message's cursor again.
  let redisWrite: Promise<unknown> = Promise.resolve(null);
  const redisDone = async () => {
    const err = await redisWrite;
    if (err) throw err;
  };
  const outcome = await withPostgres(env, async ({ pool }): Promise<"superseded" | "more" | "last"> => {
    for (;;) {
      const page = await timed("postgres", () => scorePage(pool, job, cursor, limit));
      if (!page.current) return "superseded";
      if (page.lastFanId !== null) {
        const from = cursor;
        const to = page.lastFanId;
        const totals = await timed("postgres", () => pageTotals(pool, job.gameId, job.matchId, from, to));
        await redisDone();
        redisWrite = timed("redis", () => writeTotals(redis, job.gameId, totals)).then(
          () => null,
          (err: unknown) => err,
        );
      }
      metrics.guessesScored.inc({}, page.scored);
      metrics.settlementPages.inc();
      done += page.size;
      pages++;
      if (page.size < limit) return "last";
      cursor = page.lastFanId!;
      if (pages >= (job.maxPages ?? Number.POSITIVE_INFINITY) || performance.now() - started > MESSAGE_BUDGET_MS)
        return "more";
    }
  });
  await redisDone();
  if (outcome === "superseded") {
    log("info", "settlement superseded by a newer revision", { gameId: job.gameId, matchId: job.matchId });
    return;
  }
  if (outcome === "more") {
    await env.SETTLEMENT_QUEUE.send({ ...job, cursor, done });
    return;
  }
  // The last page: publish the count of settled matches (this one included), then mark the revision
  // settled, so a settled status means the leaderboard shows it. Both again on a retry: harmless.
  const settled = await timed("postgres", () =>
    withPostgres(env, ({ pool }) => settledMatches(pool, job.gameId, job.matchId)),
  );
  await timed("redis", () => writeMeta(redis, job.gameId, settled));
  const finished = await timed("postgres", () => withPostgres(env, ({ pool }) => finishSettlement(pool, job, done)));
  if (finished) {
    metrics.settlementDuration.observe(finished.durationMs / 1000);
    log("info", "settlement done", {
      gameId: job.gameId,
      matchId: job.matchId,
      revision: job.revision,
      guesses: done,
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

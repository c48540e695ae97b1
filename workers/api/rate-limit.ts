// Per-client rate limits: a sliding one-minute window per client and budget. Reads go through
// @upstash/ratelimit (one command per request); ingest takes its budget inside the edge admission script
// (workers/ingest/dedup.ts), and the game's board reads inside their board script (readAccessInRoute,
// owedReadBudget), with the same keys and arithmetic (workers/clients/sliding-window.ts), so each of those
// requests costs one Redis command in all.
// Ingest spends one unit per event (a batch of 500 costs 500), reads one per request; each client's
// budgets come from api_clients (ingest_per_minute, read_per_minute). A batch is taken whole or refused
// whole, and a refused batch is refunded, so a smaller one that fits still goes through. When Redis
// cannot be asked within RATE_LIMIT_TIMEOUT_MS the request goes through: limits protect the service,
// they must not take it down. After such a failure (here or in the edge dedup) the isolate stops asking
// Redis for REDIS_BREAKER_MS (clients/redis.ts), so an outage costs one slow request per isolate.
import { Ratelimit } from "@upstash/ratelimit";
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { openRedis, REDIS_BREAKER_MS, redisBreaker } from "../clients/redis";
import type { Metered, RateBudget, WindowState } from "../clients/sliding-window";
import type { Env } from "../env";
import { errorMessage, log } from "../observability/log";
import { metrics } from "../observability/metrics";
import type { ApiClient, AppEnv } from "./app-env";
import { ApiError } from "./errors";

export type Budget = "ingest" | "read";

export const RATE_LIMIT_WINDOW_MS = 60_000;
export const RATE_LIMIT_TIMEOUT_MS = 1_000;

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Epoch ms when the current window ends. */
  resetMs: number;
  /** Redis could not be asked: the request was let through unmetered. */
  failedOpen: boolean;
}

/** The window's key prefix: the same whatever the limit, so changing a client's limit keeps what it spent. */
const prefixOf = (budget: Budget) => `mp:rl:${budget}`;

interface Limiter {
  ratelimit: Ratelimit;
  /**
   * Its ephemeral cache, as @upstash/ratelimit keeps it: `{prefix}:{client id}` → blocked until (epoch ms).
   * The budget taken inside a script reads and fills it too, so both ways refuse alike without Redis.
   */
  blocked: Map<string, number>;
}

// Limiters live as long as the isolate so their ephemeral cache can refuse a client that is over its
// budget without a Redis round trip. One per budget and limit: clients with the same limit share one.
const limiters = new Map<string, Limiter>();
const MAX_LIMITERS = 1_000;

function limiterFor(
  env: Pick<Env, "UPSTASH_REDIS_REST_URL" | "UPSTASH_REDIS_REST_TOKEN">,
  budget: Budget,
  perMinute: number,
): Limiter {
  const key = `${budget}:${perMinute}:${env.UPSTASH_REDIS_REST_URL}`;
  let limiter = limiters.get(key);
  if (!limiter) {
    if (limiters.size >= MAX_LIMITERS) limiters.clear();
    const blocked = new Map<string, number>();
    const ratelimit = new Ratelimit({
      redis: openRedis(env, RATE_LIMIT_TIMEOUT_MS),
      limiter: Ratelimit.slidingWindow(perMinute, `${RATE_LIMIT_WINDOW_MS / 1000} s`),
      prefix: prefixOf(budget),
      timeout: RATE_LIMIT_TIMEOUT_MS,
      analytics: false,
      ephemeralCache: blocked,
    });
    limiter = { ratelimit, blocked };
    limiters.set(key, limiter);
  }
  return limiter;
}

/** Until when (epoch ms) the cache blocks the key, or null: the cache's own reading (an expired block goes). */
function blockedUntil(blocked: Map<string, number>, key: string, now = Date.now()): number | null {
  const until = blocked.get(key);
  if (until === undefined) return null;
  if (until < now) {
    blocked.delete(key);
    return null;
  }
  return until;
}

export function budgetOf(client: ApiClient, budget: Budget): number {
  return budget === "ingest" ? client.ingestPerMinute : client.readPerMinute;
}

/** The client's window of `budget`, for a script that takes `cost` of it (the keys @upstash/ratelimit uses). */
export function rateBudgetOf(client: ApiClient, budget: Budget, cost: number): RateBudget {
  return {
    prefix: prefixOf(budget),
    identifier: client.id,
    limit: budgetOf(client, budget),
    cost: Math.max(1, cost),
    windowMs: RATE_LIMIT_WINDOW_MS,
  };
}

/** The decision when Redis was not asked: let through, unmetered (no headers), and counted. */
function unmetered(budget: Budget, limit: number): RateDecision {
  metrics.rateLimitFailOpen.inc({ budget });
  return { allowed: true, limit, remaining: limit, resetMs: Date.now() + RATE_LIMIT_WINDOW_MS, failedOpen: true };
}

/** Redis could not be asked: no Redis call from this isolate for a while (the breaker), logged once here. */
function stopAskingRedis(env: Env, clientId: string, budget: Budget, why: string, requestId?: string, error?: string) {
  redisBreaker.trip(env.UPSTASH_REDIS_REST_URL);
  log("warn", "rate limiter unavailable: letting requests through unmetered", {
    requestId,
    clientId,
    budget,
    why,
    error,
    forMs: REDIS_BREAKER_MS,
  });
}

export async function takeBudget(
  env: Env,
  client: ApiClient,
  budget: Budget,
  cost: number,
  requestId?: string,
): Promise<RateDecision> {
  const limit = budgetOf(client, budget);
  const open = (why: string, error?: string): RateDecision => {
    metrics.dependencyErrors.inc({ dependency: "redis" });
    stopAskingRedis(env, client.id, budget, why, requestId, error);
    return unmetered(budget, limit);
  };
  if (redisBreaker.isOpen(env.UPSTASH_REDIS_REST_URL)) return unmetered(budget, limit);
  try {
    const limiter = limiterFor(env, budget, limit).ratelimit;
    const r = await limiter.limit(client.id, { rate: Math.max(1, cost) });
    if (r.reason === "timeout") return open("timeout");
    let remaining = r.remaining;
    if (!r.success && cost > 1 && r.reason === undefined) {
      // The limiter counted the refused batch; give it back (a negative rate also lifts the local block).
      remaining = await limiter
        .limit(client.id, { rate: -cost })
        .then((refund) => refund.remaining)
        .catch(() => 0);
    }
    return { allowed: r.success, limit: r.limit, remaining, resetMs: r.reset, failedOpen: false };
  } catch (err) {
    return open("error", errorMessage(err));
  }
}

export function rateLimitHeaders(d: RateDecision, now = Date.now()): Record<string, string> {
  if (d.failedOpen) return {};
  const headers: Record<string, string> = {
    "x-ratelimit-limit": String(d.limit),
    "x-ratelimit-remaining": String(d.remaining),
    "x-ratelimit-reset": String(Math.ceil(d.resetMs / 1000)),
  };
  if (!d.allowed) headers["retry-after"] = String(Math.max(1, Math.ceil((d.resetMs - now) / 1000)));
  return headers;
}

/** The 429 for a refused decision, with its headers. */
export function rateLimitedError(decision: RateDecision, budget: Budget, cost: number): ApiError {
  const headers = rateLimitHeaders(decision);
  const message =
    cost > decision.limit
      ? `${cost} events exceed the whole ${budget} budget of ${decision.limit} per minute; send smaller batches`
      : `over the ${budget} budget of ${decision.limit} per minute; retry in ${headers["retry-after"]} s`;
  return new ApiError("rate_limited", message, {}, headers);
}

/** A refused decision: its headers, counted, and the 429 thrown. */
function refuse(c: Context<AppEnv>, decision: RateDecision, budget: Budget, cost: number): never {
  for (const [name, value] of Object.entries(rateLimitHeaders(decision))) c.header(name, value);
  metrics.rateLimited.inc({ budget });
  throw rateLimitedError(decision, budget, cost);
}

/** Answers a decision: sets the X-RateLimit-* headers, or throws 429 with Retry-After. */
function answerDecision(c: Context<AppEnv>, decision: RateDecision, budget: Budget, cost: number): void {
  if (!decision.allowed) refuse(c, decision, budget, cost);
  for (const [name, value] of Object.entries(rateLimitHeaders(decision))) c.header(name, value);
}

const readRefused = (limit: number, rate: WindowState): RateDecision => ({
  allowed: false,
  limit,
  ...rate,
  failedOpen: false,
});

/** Spends `cost` of the client's budget; sets the X-RateLimit-* headers, or throws 429 with Retry-After. */
export async function enforceBudget(c: Context<AppEnv>, budget: Budget, cost = 1): Promise<void> {
  const decision = await takeBudget(c.env, c.get("client"), budget, cost, c.get("requestId"));
  answerDecision(c, decision, budget, cost);
}

/**
 * Requests whose cost their parent already spent: a GraphQL operation charges its fields up front, then
 * reads each through its REST route (workers/graphql). In memory only, so no client can claim it.
 */
export const prepaidRequests = new WeakSet<Request>();

/** Middleware for read and admin routes: one unit of the read budget per request. Runs after auth. */
export const requestBudget = createMiddleware<AppEnv>(async (c, next) => {
  if (!prepaidRequests.has(c.req.raw)) await enforceBudget(c, "read");
  await next();
});

/**
 * requestBudget for a route that takes its unit inside its own Redis command (owedReadBudget): one round
 * trip instead of two. A request that ends before its route spent the unit (its parameters refused, 400)
 * spends it here afterwards, as requestBudget would have before: every request still costs exactly one
 * unit, and one over budget still answers 429 rather than 400.
 */
export const requestBudgetInRoute = createMiddleware<AppEnv>(async (c, next) => {
  if (prepaidRequests.has(c.req.raw)) return next();
  c.set("readBudgetOwed", true);
  await next();
  if (!c.get("readBudgetOwed")) return;
  c.set("readBudgetOwed", false);
  await enforceBudget(c, "read");
});

/** Spends the unit a route owes inside the route's command: `command` takes the window, or null (unmetered). */
export interface OwedReadBudget {
  spend<T>(command: (budget: RateBudget | null) => Promise<Metered<T>>): Promise<T>;
}

const unmeteredCommand: OwedReadBudget = {
  async spend(command) {
    const read = await command(null);
    if (!read.allowed) throw new Error("an unmetered command was refused");
    return read.value;
  },
};

/**
 * The unit of the read budget a requestBudgetInRoute route owes, with all that enforceBudget does around
 * it: the X-RateLimit-* headers, 429 rate_limited (the command's reply dropped: a refused read returns
 * nothing), the metrics, the limiter's ephemeral cache, the breaker, and failing open (the command's own
 * failure then stands: for a board read, 503). Throws 429 at once, before anything is asked, when this
 * isolate already knows the client is over budget. Nothing is owed (the command unmetered) for a request
 * its parent paid for, or when called a second time.
 */
export function owedReadBudget(c: Context<AppEnv>): OwedReadBudget {
  if (!c.get("readBudgetOwed")) return unmeteredCommand;
  c.set("readBudgetOwed", false);
  const client = c.get("client");
  const budget = rateBudgetOf(client, "read", 1);
  if (redisBreaker.isOpen(c.env.UPSTASH_REDIS_REST_URL)) {
    unmetered("read", budget.limit);
    return unmeteredCommand;
  }
  const { blocked } = limiterFor(c.env, "read", budget.limit);
  const key = `${budget.prefix}:${budget.identifier}`;
  const until = blockedUntil(blocked, key);
  if (until !== null) refuse(c, readRefused(budget.limit, { remaining: 0, resetMs: until }), "read", 1);
  return {
    async spend(command) {
      let read: Awaited<ReturnType<typeof command>>;
      try {
        read = await command(budget);
      } catch (err) {
        metrics.rateLimitFailOpen.inc({ budget: "read" });
        stopAskingRedis(c.env, client.id, "read", "error", c.get("requestId"), errorMessage(err));
        throw err;
      }
      if (!read.allowed) {
        blocked.set(key, read.rate.resetMs);
        refuse(c, readRefused(budget.limit, read.rate), "read", 1);
      }
      if (!read.rate) throw new Error("the command did not take the read budget it was given");
      answerDecision(c, { allowed: true, limit: budget.limit, ...read.rate, failedOpen: false }, "read", 1);
      return read.value;
    },
  };
}

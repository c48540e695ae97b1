// Per-client rate limits: a sliding one-minute window per client and budget. Reads go through
// @upstash/ratelimit (one command per request); ingest takes its budget inside the edge admission script
// (workers/ingest/dedup.ts, same keys and arithmetic), so an ingest request costs one Redis command in all.
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

// Limiters live as long as the isolate so their ephemeral cache can refuse a client that is over its
// budget without a Redis round trip. One per budget and limit: clients with the same limit share one.
const limiters = new Map<string, Ratelimit>();
const MAX_LIMITERS = 1_000;

function limiterFor(
  env: Pick<Env, "UPSTASH_REDIS_REST_URL" | "UPSTASH_REDIS_REST_TOKEN">,
  budget: Budget,
  perMinute: number,
): Ratelimit {
  const key = `${budget}:${perMinute}:${env.UPSTASH_REDIS_REST_URL}`;
  let limiter = limiters.get(key);
  if (!limiter) {
    if (limiters.size >= MAX_LIMITERS) limiters.clear();
    limiter = new Ratelimit({
      redis: openRedis(env, RATE_LIMIT_TIMEOUT_MS),
      limiter: Ratelimit.slidingWindow(perMinute, `${RATE_LIMIT_WINDOW_MS / 1000} s`),
      // Same keys whatever the limit, so changing a client's limit keeps what it already spent.
      prefix: `mp:rl:${budget}`,
      timeout: RATE_LIMIT_TIMEOUT_MS,
      analytics: false,
      ephemeralCache: new Map(),
    });
    limiters.set(key, limiter);
  }
  return limiter;
}

export function budgetOf(client: ApiClient, budget: Budget): number {
  return budget === "ingest" ? client.ingestPerMinute : client.readPerMinute;
}

export async function takeBudget(
  env: Env,
  client: ApiClient,
  budget: Budget,
  cost: number,
  requestId?: string,
): Promise<RateDecision> {
  const limit = budgetOf(client, budget);
  const unmetered = (): RateDecision => {
    metrics.rateLimitFailOpen.inc({ budget });
    return { allowed: true, limit, remaining: limit, resetMs: Date.now() + RATE_LIMIT_WINDOW_MS, failedOpen: true };
  };
  const open = (why: string, error?: string): RateDecision => {
    metrics.dependencyErrors.inc({ dependency: "redis" });
    redisBreaker.trip(env.UPSTASH_REDIS_REST_URL);
    log("warn", "rate limiter unavailable: letting requests through unmetered", {
      requestId,
      clientId: client.id,
      budget,
      why,
      error,
      forMs: REDIS_BREAKER_MS,
    });
    return unmetered();
  };
  if (redisBreaker.isOpen(env.UPSTASH_REDIS_REST_URL)) return unmetered();
  try {
    const limiter = limiterFor(env, budget, limit);
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

/** Spends `cost` of the client's budget; sets the X-RateLimit-* headers, or throws 429 with Retry-After. */
export async function enforceBudget(c: Context<AppEnv>, budget: Budget, cost = 1): Promise<void> {
  const client = c.get("client");
  const decision = await takeBudget(c.env, client, budget, cost, c.get("requestId"));
  for (const [name, value] of Object.entries(rateLimitHeaders(decision))) c.header(name, value);
  if (!decision.allowed) {
    metrics.rateLimited.inc({ budget });
    throw rateLimitedError(decision, budget, cost);
  }
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

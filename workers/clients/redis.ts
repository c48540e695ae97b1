// Upstash Redis over REST. Short timeout and a single retry: every Redis use at the edge (dedup claims,
// rate limits) is an optimisation and fails open, so a slow Redis must not slow ingest. One breaker for
// all of them: once a call fails, no Redis call is made from this isolate for REDIS_BREAKER_MS.
import { Redis } from "@upstash/redis/cloudflare";
import type { Env } from "../env";
import { Breaker } from "./breaker";

export const REDIS_BREAKER_MS = 5_000;
export const redisBreaker = new Breaker("redis", REDIS_BREAKER_MS);

export function openRedis(
  env: Pick<Env, "UPSTASH_REDIS_REST_URL" | "UPSTASH_REDIS_REST_TOKEN">,
  timeoutMs = 1_000,
): Redis {
  return new Redis({
    url: env.UPSTASH_REDIS_REST_URL,
    token: env.UPSTASH_REDIS_REST_TOKEN,
    retry: { retries: 1, backoff: () => 20 },
    signal: () => AbortSignal.timeout(timeoutMs),
    enableTelemetry: false,
  });
}

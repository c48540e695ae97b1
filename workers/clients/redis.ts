// Upstash Redis over REST. Short timeout and a single retry: the edge cache is an optimisation and
// callers fail open, so a slow Redis must not slow ingest.
import { Redis } from "@upstash/redis/cloudflare";
import type { Env } from "../env";

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

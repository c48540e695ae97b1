// Upstash Redis over REST. Short timeout and a single retry: every Redis use at the edge (dedup claims,
// rate limits) is an optimisation and fails open, so a slow Redis must not slow ingest. One breaker for
// all of them: once a call fails, no Redis call is made from this isolate for REDIS_BREAKER_MS.
import { Redis } from "@upstash/redis/cloudflare";
import { digestHex } from "../../shared/digest";
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

const scriptShas = new Map<string, Promise<string>>();

/**
 * Runs a Lua script by its SHA-1 (one short command on the wire), loading it with EVAL when Redis does not
 * know it yet (NOSCRIPT: a fresh or restarted Redis).
 */
export async function runScript(redis: Redis, script: string, keys: string[], args: string[]): Promise<unknown> {
  let sha = scriptShas.get(script);
  if (!sha) {
    sha = digestHex("SHA-1", script);
    scriptShas.set(script, sha);
  }
  try {
    return await redis.evalsha(await sha, keys, args);
  } catch (err) {
    if (!(err instanceof Error && err.message.toLowerCase().includes("noscript"))) throw err;
    return await redis.eval(script, keys, args);
  }
}

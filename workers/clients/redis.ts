// Upstash Redis over REST. Short timeout and a single retry: every Redis use at the edge (dedup claims,
// rate limits) is an optimisation and fails open, so a slow Redis must not slow ingest. One breaker for
// all of them: once a call fails, no Redis call is made from this isolate for REDIS_BREAKER_MS.
import { Redis } from "@upstash/redis/cloudflare";
import { digestHex } from "../../shared/digest";
import type { Env } from "../env";
import { rememberNewest } from "../isolate-cache";
import { Breaker } from "./breaker";

export const REDIS_BREAKER_MS = 5_000;
export const redisBreaker = new Breaker("redis", REDIS_BREAKER_MS);

export function openRedis(
  env: Pick<Env, "UPSTASH_REDIS_REST_URL" | "UPSTASH_REDIS_REST_TOKEN">,
  timeoutMs = 1_000,
): Redis {
  return upstashRedis(env, { timeoutMs, automaticDeserialization: true });
}

const clients = new Map<string, Redis>();

/**
 * The isolate's client for one Upstash database and configuration. Building a client makes a few hundred
 * command closures, which profiled at as much CPU as the board read it served, so an isolate keeps one
 * per configuration (bounded). A client holds no I/O of its own (each command is its own fetch, with
 * its own timeout signal), so requests can share it. No auto-pipelining: it would build a pipeline
 * object per batch and mix concurrent requests' commands into one fetch; no base64 replies: every value
 * here is text, and decoding each string cost more CPU than the read.
 */
export function upstashRedis(
  env: Pick<Env, "UPSTASH_REDIS_REST_URL" | "UPSTASH_REDIS_REST_TOKEN">,
  opts: { timeoutMs: number; automaticDeserialization: boolean },
): Redis {
  const key = `${env.UPSTASH_REDIS_REST_URL}\n${env.UPSTASH_REDIS_REST_TOKEN}\n${opts.timeoutMs}\n${opts.automaticDeserialization}`;
  const held = clients.get(key);
  if (held) return held;
  const redis = new Redis({
    url: env.UPSTASH_REDIS_REST_URL,
    token: env.UPSTASH_REDIS_REST_TOKEN,
    retry: { retries: 1, backoff: () => 20 },
    signal: () => AbortSignal.timeout(opts.timeoutMs),
    enableTelemetry: false,
    enableAutoPipelining: false,
    responseEncoding: false,
    automaticDeserialization: opts.automaticDeserialization,
  });
  rememberNewest(clients, key, redis, 16);
  return redis;
}

const scriptShas = new Map<string, Promise<string>>();

function scriptSha(script: string): Promise<string> {
  let sha = scriptShas.get(script);
  if (!sha) {
    sha = digestHex("SHA-1", script);
    scriptShas.set(script, sha);
  }
  return sha;
}

const isNoScript = (err: unknown) => err instanceof Error && err.message.toLowerCase().includes("noscript");

/**
 * Runs a Lua script by its SHA-1 (one short command on the wire), loading it with EVAL when Redis does not
 * know it yet (NOSCRIPT: a fresh or restarted Redis).
 */
export async function runScript(redis: Redis, script: string, keys: string[], args: string[]): Promise<unknown> {
  const sha = await scriptSha(script);
  try {
    return await redis.evalsha(sha, keys, args);
  } catch (err) {
    if (!isNoScript(err)) throw err;
    return await redis.eval(script, keys, args);
  }
}

/**
 * Runs one script over several argument lists in one round trip (a pipeline: each call still runs alone
 * in Redis, in order), loading the script first when Redis does not know it. Each fetch costs the Worker
 * more CPU than the call's own work, so a caller with several calls at hand sends them together.
 */
export async function runScriptCalls(
  redis: Redis,
  script: string,
  calls: readonly { keys: string[]; args: string[] }[],
): Promise<unknown[]> {
  const sha = await scriptSha(script);
  const send = () => {
    const pipeline = redis.pipeline();
    for (const { keys, args } of calls) pipeline.evalsha(sha, keys, args);
    return pipeline.exec<unknown[]>();
  };
  try {
    return await send();
  } catch (err) {
    if (!isNoScript(err)) throw err;
    await redis.scriptLoad(script);
    return await send();
  }
}

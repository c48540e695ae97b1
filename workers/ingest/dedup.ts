// Edge deduplication in two steps, so that an id is never remembered for an event the queue did not take:
// 1. claim: `SET key p NX EX PENDING_TTL` per id (one script call for the request). An id already
//    confirmed ("1") is a duplicate; one pending ("p": another request is enqueuing it, or crashed before
//    it could) is accepted and sent again, the match room deduplicates authoritatively.
// 2. confirm, after the queue accepted the events: `SET key 1 EX ttl`. After a refused send, `release`
//    drops our pending claims; a crash in between leaves a pending claim that only expires.
import type { Redis } from "@upstash/redis/cloudflare";
import { digestHex } from "../../shared/digest";

const keyOf = (eventId: string) => `mp:event:${eventId}`;

/** How long a claim stays pending at most (the time one request takes to enqueue, with margin). */
export const PENDING_TTL_SECONDS = 60;

export type Claim = "claimed" | "pending" | "duplicate";

// Scripts instead of pipelines: Redis runs the loop, the REST layer carries one command and a list back.
export const CLAIM_SCRIPT = `local out = {}
for i, key in ipairs(KEYS) do
  if redis.call('SET', key, 'p', 'NX', 'EX', ARGV[1]) then out[i] = 1
  elseif redis.call('GET', key) == '1' then out[i] = 0
  else out[i] = 2 end
end
return out`;

export const CONFIRM_SCRIPT = `for i, key in ipairs(KEYS) do redis.call('SET', key, '1', 'EX', ARGV[1]) end
return #KEYS`;

export const RELEASE_SCRIPT = `local n = 0
for i, key in ipairs(KEYS) do
  if redis.call('GET', key) == 'p' then redis.call('DEL', key); n = n + 1 end
end
return n`;

const shas = new Map<string, Promise<string>>();

/** Runs a script by its hash, loading it with EVAL when Redis does not know it yet. */
async function runScript(redis: Redis, script: string, keys: string[], args: string[]): Promise<unknown> {
  let sha = shas.get(script);
  if (!sha) {
    sha = digestHex("SHA-1", script);
    shas.set(script, sha);
  }
  try {
    return await redis.evalsha(await sha, keys, args);
  } catch (err) {
    if (!(err instanceof Error && err.message.toLowerCase().includes("noscript"))) throw err;
    return await redis.eval(script, keys, args);
  }
}

/** Claims the ids (pending) and says, per id, whether it is new, pending elsewhere, or a confirmed duplicate. */
export async function claimEventIds(redis: Redis, ids: string[]): Promise<Map<string, Claim>> {
  const claims = new Map<string, Claim>();
  if (ids.length === 0) return claims;
  const replies = await runScript(redis, CLAIM_SCRIPT, ids.map(keyOf), [String(PENDING_TTL_SECONDS)]);
  if (!Array.isArray(replies) || replies.length !== ids.length)
    throw new Error(`unexpected reply to the edge dedup script (${typeof replies})`);
  ids.forEach((id, i) => {
    const reply = Number(replies[i]);
    claims.set(id, reply === 1 ? "claimed" : reply === 0 ? "duplicate" : "pending");
  });
  return claims;
}

/** Remembers ids the queue accepted, for `ttlSeconds`: their repeats are duplicates from now on. */
export async function confirmEventIds(redis: Redis, ids: string[], ttlSeconds: number): Promise<void> {
  if (ids.length === 0) return;
  await runScript(redis, CONFIRM_SCRIPT, ids.map(keyOf), [String(ttlSeconds)]);
}

/**
 * Forgets the ids whatever their state, pending or confirmed: for operator tools (`npm run redrive`, the
 * fault suite) that re-send events the pipeline lost after accepting them. The room still deduplicates.
 */
export async function forgetEventIds(redis: Redis, ids: string[]): Promise<void> {
  for (let i = 0; i < ids.length; i += 500) await redis.del(...ids.slice(i, i + 500).map(keyOf));
}

/** Drops pending claims (after the queue refused the events), so the client's retry is accepted at once. */
export async function releaseEventIds(redis: Redis, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await runScript(redis, RELEASE_SCRIPT, ids.map(keyOf), []);
}

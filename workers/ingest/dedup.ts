// Edge deduplication: `SET key 1 NX EX ttl` for every event id of a request, in one round trip and one
// Redis command (a script looping over the keys), which answers which ids were new. It only spares the
// queue and the rooms repeated work; each match room deduplicates authoritatively, so when Redis is
// unreachable the caller accepts everything and says so in logs and metrics.
import type { Redis } from "@upstash/redis/cloudflare";
import { digestHex } from "../../shared/digest";

const keyOf = (eventId: string) => `mp:event:${eventId}`;

// One command instead of a pipeline of one SET per id: Redis runs the loop, the REST layer carries one
// command and a list of integers back (a pipeline's per-command replies cost the client and the REST
// endpoint per id).
export const CLAIM_SCRIPT = `local fresh = {}
for i, key in ipairs(KEYS) do
  if redis.call('SET', key, '1', 'NX', 'EX', ARGV[1]) then fresh[i] = 1 else fresh[i] = 0 end
end
return fresh`;

let claimSha: Promise<string> | undefined;

/** Runs the claim script by its hash, loading it with EVAL when Redis does not know it yet. */
async function runClaim(redis: Redis, keys: string[], ttlSeconds: number): Promise<unknown> {
  claimSha ??= digestHex("SHA-1", CLAIM_SCRIPT);
  const args = [String(ttlSeconds)];
  try {
    return await redis.evalsha(await claimSha, keys, args);
  } catch (err) {
    if (!(err instanceof Error && err.message.toLowerCase().includes("noscript"))) throw err;
    return await redis.eval(CLAIM_SCRIPT, keys, args);
  }
}

/** Returns the subset of ids seen for the first time, or null when Redis could not be asked. */
export async function claimEventIds(redis: Redis, ids: string[], ttlSeconds: number): Promise<Set<string> | null> {
  if (ids.length === 0) return new Set();
  const replies = await runClaim(redis, ids.map(keyOf), ttlSeconds);
  if (!Array.isArray(replies) || replies.length !== ids.length)
    throw new Error(`unexpected reply to the edge dedup script (${typeof replies})`);
  const fresh = new Set<string>();
  replies.forEach((reply, i) => {
    if (Number(reply) === 1) fresh.add(ids[i]!);
  });
  return fresh;
}

/** Forgets claimed ids (after the queue refused them), so the client's retry is not taken for a duplicate. */
export async function releaseEventIds(redis: Redis, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await redis.del(...ids.map(keyOf));
}

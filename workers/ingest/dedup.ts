// Edge deduplication: one pipelined `SET key 1 NX EX ttl` per event id, one round trip per request.
// It only spares the queue and the rooms repeated work; each match room deduplicates authoritatively,
// so when Redis is unreachable the caller accepts everything and says so in logs and metrics.
import type { Redis } from "@upstash/redis/cloudflare";

const keyOf = (eventId: string) => `mp:event:${eventId}`;

/** Returns the subset of ids seen for the first time, or null when Redis could not be asked. */
export async function claimEventIds(redis: Redis, ids: string[], ttlSeconds: number): Promise<Set<string> | null> {
  if (ids.length === 0) return new Set();
  const pipeline = redis.pipeline();
  for (const id of ids) pipeline.set(keyOf(id), 1, { nx: true, ex: ttlSeconds });
  const replies = await pipeline.exec<("OK" | null)[]>();
  const fresh = new Set<string>();
  replies.forEach((reply, i) => {
    if (reply === "OK") fresh.add(ids[i]!);
  });
  return fresh;
}

/** Forgets claimed ids (after the queue refused them), so the client's retry is not taken for a duplicate. */
export async function releaseEventIds(redis: Redis, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await redis.del(...ids.map(keyOf));
}

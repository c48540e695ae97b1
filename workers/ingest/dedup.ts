// Edge admission of an ingest request in ONE Redis command (Upstash bills per command): a Lua script that
// (1) confirms the ids this isolate's earlier requests enqueued, (2) takes the client's ingest budget
// (a sliding one-minute window, the same keys and arithmetic as @upstash/ratelimit's slidingWindow), and
// (3) claims this request's ids as pending.
//
// Dedup is two-phase, so that an id is never remembered for an event the queue did not take:
// - claim: `SET key p NX EX PENDING_TTL` per id. An id already confirmed ("1") is a duplicate; one pending
//   ("p": another request is enqueuing it, or crashed, or has enqueued it and not confirmed yet) is
//   accepted and sent again: the match room deduplicates authoritatively.
// - confirm: `SET key 1 EX ttl`, only for ids the queue accepted, carried by the NEXT admission script of
//   the same isolate instead of a command of its own, and only while the claim is still pending: an
//   expired claim, or an id an operator tool forgot (forgetEventIds) to re-send it, is not brought back. Until then a repeat finds the id pending and is
//   accepted again (the room drops it); a quiet isolate's last ids stay pending and expire after
//   PENDING_TTL_SECONDS, which only means a later repeat reaches the room. After a refused send,
//   `releaseEventIds` drops our pending claims (a command only on that failure path).
import type { Redis } from "@upstash/redis/cloudflare";
import { runScript } from "../clients/redis";

const keyOf = (eventId: string) => `mp:event:${eventId}`;

/** How long a claim stays pending at most (the time one request takes to enqueue, with margin). */
export const PENDING_TTL_SECONDS = 60;

export type Claim = "claimed" | "pending" | "duplicate";

// KEYS: [rate key of this window, of the previous one]? then the ids to confirm, then the ids to claim.
// ARGV: pending ttl, confirmed ttl, how many to confirm, metered (1/0), limit, now ms, window ms, cost.
// Reply: {allowed 1/0, remaining, claim per id (1 claimed, 0 duplicate, 2 pending)…}; a refused request
// claims nothing. Refused whole, so a smaller batch that fits still goes through.
export const ADMIT_SCRIPT = `local nConfirm = tonumber(ARGV[3])
local metered = ARGV[4] == '1'
local first = 1
if metered then first = 3 end
for i = first, first + nConfirm - 1 do
  if redis.call('GET', KEYS[i]) == 'p' then redis.call('SET', KEYS[i], '1', 'EX', ARGV[2]) end
end
local out = {1, 0}
if metered then
  local limit, now, window, cost = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
  local current = tonumber(redis.call('GET', KEYS[1]) or '0')
  local previous = tonumber(redis.call('GET', KEYS[2]) or '0')
  local used = math.floor((1 - (now % window) / window) * previous) + current
  if used + cost > limit then return {0, math.max(0, limit - used)} end
  if redis.call('INCRBY', KEYS[1], cost) == cost then redis.call('PEXPIRE', KEYS[1], window * 2 + 1000) end
  out[2] = math.max(0, limit - used - cost)
end
for i = first + nConfirm, #KEYS do
  if redis.call('SET', KEYS[i], 'p', 'NX', 'EX', ARGV[1]) then out[#out + 1] = 1
  elseif redis.call('GET', KEYS[i]) == '1' then out[#out + 1] = 0
  else out[#out + 1] = 2 end
end
return out`;

export const RELEASE_SCRIPT = `local n = 0
for i, key in ipairs(KEYS) do
  if redis.call('GET', key) == 'p' then redis.call('DEL', key); n = n + 1 end
end
return n`;

/** Ids the queue took that Redis does not know as confirmed yet, per Redis endpoint (bounded). */
const unconfirmed = new Map<string, string[]>();
/** At most this many ids wait; beyond, the oldest stay pending (and expire), which costs only a room dedup. */
export const MAX_UNCONFIRMED = 10_000;
/** At most this many confirmations ride in one script. */
const CONFIRMS_PER_SCRIPT = 2_000;

/** After the queue took these ids: the next admission script of this isolate confirms them. */
export function confirmLater(endpoint: string, ids: string[], ttlSeconds: number): void {
  if (ids.length === 0) return;
  if (!unconfirmed.has(endpoint) && unconfirmed.size >= 16) unconfirmed.clear();
  const list = unconfirmed.get(endpoint) ?? [];
  list.push(...ids);
  if (list.length > MAX_UNCONFIRMED) list.splice(0, list.length - MAX_UNCONFIRMED);
  unconfirmed.set(endpoint, list);
  confirmTtl.set(endpoint, ttlSeconds);
}
const confirmTtl = new Map<string, number>();

/** How many confirmations wait for the next script (tests). */
export function unconfirmedCount(endpoint: string): number {
  return unconfirmed.get(endpoint)?.length ?? 0;
}

export interface RateBudget {
  /** The sliding window's counter key prefix and client, e.g. mp:rl:ingest + client id. */
  prefix: string;
  identifier: string;
  limit: number;
  cost: number;
  windowMs: number;
}

export interface Admission {
  /** Null when the request was not metered. */
  rate: { allowed: boolean; remaining: number; resetMs: number } | null;
  claims: Map<string, Claim>;
}

/** One command: confirm what waits, take the budget (if any), claim the ids. */
export async function admit(
  redis: Redis,
  endpoint: string,
  ids: string[],
  budget: RateBudget | null,
  now = Date.now(),
): Promise<Admission> {
  const waiting = unconfirmed.get(endpoint) ?? [];
  const confirms = waiting.splice(0, CONFIRMS_PER_SCRIPT);
  const keys: string[] = [];
  let resetMs = 0;
  if (budget) {
    const window = Math.floor(now / budget.windowMs);
    keys.push(`${budget.prefix}:${budget.identifier}:${window}`, `${budget.prefix}:${budget.identifier}:${window - 1}`);
    resetMs = (window + 1) * budget.windowMs;
  }
  keys.push(...confirms.map(keyOf), ...ids.map(keyOf));
  const args = [
    String(PENDING_TTL_SECONDS),
    String(confirmTtl.get(endpoint) ?? 86_400),
    String(confirms.length),
    budget ? "1" : "0",
    String(budget?.limit ?? 0),
    String(now),
    String(budget?.windowMs ?? 0),
    String(budget?.cost ?? 0),
  ];
  const replies = await runScript(redis, ADMIT_SCRIPT, keys, args);
  if (!Array.isArray(replies) || replies.length < 2)
    throw new Error(`unexpected reply to the edge admission script (${typeof replies})`);
  const allowed = Number(replies[0]) === 1;
  const claims = new Map<string, Claim>();
  if (allowed) {
    if (replies.length !== ids.length + 2) throw new Error("the edge admission script answered for other ids");
    ids.forEach((id, i) => {
      const reply = Number(replies[i + 2]);
      claims.set(id, reply === 1 ? "claimed" : reply === 0 ? "duplicate" : "pending");
    });
  }
  return { rate: budget ? { allowed, remaining: Number(replies[1]), resetMs } : null, claims };
}

/** Claims the ids (pending) and says, per id, whether it is new, pending elsewhere, or a confirmed duplicate. */
export async function claimEventIds(redis: Redis, ids: string[], endpoint = ""): Promise<Map<string, Claim>> {
  if (ids.length === 0) return new Map();
  return (await admit(redis, endpoint, ids, null)).claims;
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

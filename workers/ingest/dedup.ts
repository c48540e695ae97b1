// Edge admission of an ingest request in ONE Redis command (Upstash bills per command): a Lua script that
// (1) confirms the ids this isolate's earlier requests enqueued, (2) takes the client's ingest budget
// (a sliding one-minute window, the same keys and arithmetic as @upstash/ratelimit's slidingWindow:
// workers/clients/sliding-window.ts),
// (3) takes the tenant's events of the UTC day (its eventsPerDay quota: the request's new ids, those not
// confirmed duplicates), and (4) claims this request's ids as pending. Ids are remembered per tenant:
// another tenant sending the same eventId neither hides an event nor learns that it was sent.
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
import { type RateBudget, SLIDING_WINDOW_LUA, windowAt } from "../clients/sliding-window";
import { DEFAULT_TENANT } from "../tenants/tenant";

/** The dedup key of an event id in its tenant (the default tenant keeps the keys it had before tenants). */
const keyOf = (tenantId: string, eventId: string) =>
  tenantId === DEFAULT_TENANT ? `mp:event:${eventId}` : `mp:event:${tenantId}:${eventId}`;

/** The counter of a tenant's accepted events on one UTC day, kept two days. */
export const dayQuotaKey = (tenantId: string, now: number): string =>
  `mp:quota:events:${tenantId}:${new Date(now).toISOString().slice(0, 10)}`;
const DAY_QUOTA_TTL_SECONDS = 2 * 86_400;

/** How long a claim stays pending at most (the time one request takes to enqueue, with margin). */
export const PENDING_TTL_SECONDS = 60;

export type Claim = "claimed" | "pending" | "duplicate";

// KEYS: [rate key of this window, of the previous one]? [day quota key]? then the ids to confirm, then the
// ids to claim.
// ARGV: pending ttl, confirmed ttl, how many to confirm, metered (1/0), limit, now ms, window ms, cost,
// day quota (1/0), its limit, its key's ttl.
// Reply: {1, rate budget remaining, claim per id (1 claimed, 0 duplicate, 2 pending)…}, or refused:
// {0, rate budget remaining} or {2 (the day quota), quota remaining, rate budget remaining}; a refused
// request claims and spends nothing. Refused whole, so a smaller batch that fits still goes through.
export const ADMIT_SCRIPT = `${SLIDING_WINDOW_LUA}local nConfirm = tonumber(ARGV[3])
local metered = ARGV[4] == '1'
local quota = ARGV[9] == '1'
local first = 1
if metered then first = 3 end
local quotaKey = first
if quota then first = first + 1 end
for i = first, first + nConfirm - 1 do
  if redis.call('GET', KEYS[i]) == 'p' then redis.call('SET', KEYS[i], '1', 'EX', ARGV[2]) end
end
local out = {1, 0}
local cost, used
local rateLeft = 0
if metered then
  local limit, now, window = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
  cost = tonumber(ARGV[8])
  used = windowUsed(KEYS[1], KEYS[2], now, window)
  if used + cost > limit then return {0, math.max(0, limit - used)} end
  out[2] = math.max(0, limit - used - cost)
  rateLeft = math.max(0, limit - used)
end
if quota then
  local fresh = 0
  for i = first + nConfirm, #KEYS do
    if redis.call('GET', KEYS[i]) ~= '1' then fresh = fresh + 1 end
  end
  local limit = tonumber(ARGV[10])
  local spent = tonumber(redis.call('GET', KEYS[quotaKey]) or '0')
  if spent + fresh > limit then return {2, math.max(0, limit - spent), rateLeft} end
  if fresh > 0 and redis.call('INCRBY', KEYS[quotaKey], fresh) == fresh then
    redis.call('EXPIRE', KEYS[quotaKey], ARGV[11])
  end
end
if metered then
  windowSpend(KEYS[1], cost, tonumber(ARGV[7]))
end
for i = first + nConfirm, #KEYS do
  if redis.call('SET', KEYS[i], 'p', 'NX', 'EX', ARGV[1]) then out[#out + 1] = 1
  elseif redis.call('GET', KEYS[i]) == '1' then out[#out + 1] = 0
  else out[#out + 1] = 2 end
end
return out`;

// KEYS: the day quota key, then the claims to drop. ARGV: the events to give back to the day quota.
export const RELEASE_SCRIPT = `local n = 0
for i = 2, #KEYS do
  if redis.call('GET', KEYS[i]) == 'p' then redis.call('DEL', KEYS[i]); n = n + 1 end
end
local refund = tonumber(ARGV[1])
if refund > 0 and redis.call('EXISTS', KEYS[1]) == 1 then redis.call('DECRBY', KEYS[1], refund) end
return n`;

// KEYS: the day quota key. ARGV: events, limit, key ttl. Reply: {1, remaining} taken, {0, remaining} refused.
export const CHARGE_SCRIPT = `local spent = tonumber(redis.call('GET', KEYS[1]) or '0')
local n, limit = tonumber(ARGV[1]), tonumber(ARGV[2])
if spent + n > limit then return {0, math.max(0, limit - spent)} end
if n > 0 and redis.call('INCRBY', KEYS[1], n) == n then redis.call('EXPIRE', KEYS[1], ARGV[3]) end
return {1, limit - spent - n}`;

/**
 * Takes `events` of the tenant's events of the UTC day outside the admission script (a source's batch,
 * which has no dedup claims): false, with nothing taken, when they do not fit.
 */
export async function chargeDayQuota(
  redis: Redis,
  tenantId: string,
  events: number,
  limit: number,
  now = Date.now(),
): Promise<{ ok: boolean; remaining: number; resetMs: number }> {
  const reply = await runScript(
    redis,
    CHARGE_SCRIPT,
    [dayQuotaKey(tenantId, now)],
    [String(events), String(limit), String(DAY_QUOTA_TTL_SECONDS)],
  );
  if (!Array.isArray(reply)) throw new Error("unexpected reply to the day quota script");
  return { ok: Number(reply[0]) === 1, remaining: Number(reply[1]), resetMs: nextUtcDay(now) };
}

/** When the UTC day of `now` ends (epoch ms): a day quota's reset. */
export const nextUtcDay = (now: number): number => (Math.floor(now / 86_400_000) + 1) * 86_400_000;

/** Dedup keys of ids the queue took that Redis does not know as confirmed yet, per Redis endpoint (bounded). */
const unconfirmed = new Map<string, string[]>();
/** At most this many ids wait; beyond, the oldest stay pending (and expire), which costs only a room dedup. */
export const MAX_UNCONFIRMED = 10_000;
/** At most this many confirmations ride in one script. */
const CONFIRMS_PER_SCRIPT = 2_000;

/** After the queue took these ids of the tenant: the next admission script of this isolate confirms them. */
export function confirmLater(endpoint: string, tenantId: string, ids: string[], ttlSeconds: number): void {
  if (ids.length === 0) return;
  if (!unconfirmed.has(endpoint) && unconfirmed.size >= 16) unconfirmed.clear();
  const list = unconfirmed.get(endpoint) ?? [];
  for (const id of ids) list.push(keyOf(tenantId, id));
  if (list.length > MAX_UNCONFIRMED) list.splice(0, list.length - MAX_UNCONFIRMED);
  unconfirmed.set(endpoint, list);
  confirmTtl.set(endpoint, ttlSeconds);
}
const confirmTtl = new Map<string, number>();

/** How many confirmations wait for the next script (tests). */
export function unconfirmedCount(endpoint: string): number {
  return unconfirmed.get(endpoint)?.length ?? 0;
}

/** The tenant whose ids are claimed, and its events-per-day quota (null: unlimited). */
export interface AdmissionScope {
  tenantId: string;
  eventsPerDay: number | null;
}

const DEFAULT_SCOPE: AdmissionScope = { tenantId: DEFAULT_TENANT, eventsPerDay: null };

export interface Admission {
  /** Null when the request was not metered. */
  rate: { allowed: boolean; remaining: number; resetMs: number } | null;
  /** Set when the tenant's events of the day would pass its quota: nothing was claimed or spent. */
  overQuota: { limit: number; remaining: number; resetMs: number } | null;
  claims: Map<string, Claim>;
  /** Events counted against the day quota (to give back should the queue refuse them). */
  charged: number;
}

/** One command: confirm what waits, take the budget (if any) and the day quota (if any), claim the ids. */
export async function admit(
  redis: Redis,
  endpoint: string,
  ids: string[],
  budget: RateBudget | null,
  now = Date.now(),
  scope: AdmissionScope = DEFAULT_SCOPE,
): Promise<Admission> {
  const waiting = unconfirmed.get(endpoint) ?? [];
  const confirms = waiting.splice(0, CONFIRMS_PER_SCRIPT);
  const keys: string[] = [];
  let resetMs = 0;
  if (budget) {
    const window = windowAt(budget, now);
    keys.push(...window.keys);
    resetMs = window.resetMs;
  }
  const quota = scope.eventsPerDay;
  if (quota !== null) keys.push(dayQuotaKey(scope.tenantId, now));
  keys.push(...confirms, ...ids.map((id) => keyOf(scope.tenantId, id)));
  const args = [
    String(PENDING_TTL_SECONDS),
    String(confirmTtl.get(endpoint) ?? 86_400),
    String(confirms.length),
    budget ? "1" : "0",
    String(budget?.limit ?? 0),
    String(now),
    String(budget?.windowMs ?? 0),
    String(budget?.cost ?? 0),
    quota !== null ? "1" : "0",
    String(quota ?? 0),
    String(DAY_QUOTA_TTL_SECONDS),
  ];
  const replies = await runScript(redis, ADMIT_SCRIPT, keys, args);
  if (!Array.isArray(replies) || replies.length < 2)
    throw new Error(`unexpected reply to the edge admission script (${typeof replies})`);
  const verdict = Number(replies[0]);
  const claims = new Map<string, Claim>();
  if (verdict === 1) {
    if (replies.length !== ids.length + 2) throw new Error("the edge admission script answered for other ids");
    ids.forEach((id, i) => {
      const reply = Number(replies[i + 2]);
      claims.set(id, reply === 1 ? "claimed" : reply === 0 ? "duplicate" : "pending");
    });
  }
  const overQuota =
    verdict === 2 && quota !== null ? { limit: quota, remaining: Number(replies[1]), resetMs: nextUtcDay(now) } : null;
  return {
    // Refused by the quota, the rate budget was not spent: it reads as allowed with nothing taken.
    rate: budget
      ? verdict === 0
        ? { allowed: false, remaining: Number(replies[1]), resetMs }
        : { allowed: true, remaining: Number(verdict === 1 ? replies[1] : replies[2]), resetMs }
      : null,
    overQuota,
    claims,
    charged: quota === null ? 0 : [...claims.values()].filter((c) => c !== "duplicate").length,
  };
}

/** Claims the ids (pending) and says, per id, whether it is new, pending elsewhere, or a confirmed duplicate. */
export async function claimEventIds(
  redis: Redis,
  ids: string[],
  endpoint = "",
  tenantId = DEFAULT_TENANT,
): Promise<Map<string, Claim>> {
  if (ids.length === 0) return new Map();
  return (await admit(redis, endpoint, ids, null, Date.now(), { tenantId, eventsPerDay: null })).claims;
}

/**
 * Forgets the ids whatever their state, pending or confirmed: for operator tools (`npm run redrive`, the
 * fault suite) that re-send events the pipeline lost after accepting them. The room still deduplicates.
 */
export async function forgetEventIds(redis: Redis, ids: string[], tenantId = DEFAULT_TENANT): Promise<void> {
  for (let i = 0; i < ids.length; i += 500) await redis.del(...ids.slice(i, i + 500).map((id) => keyOf(tenantId, id)));
}

/**
 * Drops pending claims (after the queue refused the events), so the client's retry is accepted at once,
 * and gives the day quota back what the refused request was charged.
 */
export async function releaseEventIds(
  redis: Redis,
  ids: string[],
  scope: { tenantId: string; charged: number; now: number } = { tenantId: DEFAULT_TENANT, charged: 0, now: 0 },
): Promise<void> {
  if (ids.length === 0 && scope.charged === 0) return;
  await runScript(
    redis,
    RELEASE_SCRIPT,
    [dayQuotaKey(scope.tenantId, scope.now), ...ids.map((id) => keyOf(scope.tenantId, id))],
    [String(scope.charged)],
  );
}

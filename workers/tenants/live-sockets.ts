// A tenant's live-sockets quota, across all its rooms and relays: one Redis sorted set of socket leases
// per tenant (member: a lease id, score: when it expires). The Worker takes a lease at the upgrade, before
// any room or relay is asked, in one script that first drops expired leases, so the set never holds more
// than the quota. The object that accepts the socket keeps the lease in the socket's attachment, renews
// its sockets' leases from its alarm (one command per tenant every LEASE_RENEW_MS) and returns a lease
// when its socket closes. A room or relay that crashes, or a close that is never reported, stops renewing:
// its leases expire within LEASE_MS, so a crash costs the tenant at most that long of its quota.
// An upgrade the object refuses (404, per-key cap) gives its lease back at once. When Redis cannot be
// asked the upgrade goes through without a lease (fail open, as the rate limits do).
import type { Context } from "hono";
import type { AppEnv } from "../api/app-env";
import { openRedis, redisBreaker, runScript } from "../clients/redis";
import type { Env } from "../env";
import { errorMessage, log } from "../observability/log";
import { metrics } from "../observability/metrics";
import { quotaExceeded } from "./quota-error";

/** The Worker puts the socket's lease on the upgrade it forwards: `{tenantId} {leaseId}`. */
export const LEASE_HEADER = "x-matchpulse-socket-lease";
/** A lease not renewed for this long is gone (the bound on what a crashed room costs its tenant). */
export const LEASE_MS = 60_000;
/** Objects renew their sockets' leases this often (a third of LEASE_MS: two renewals may fail). */
export const LEASE_RENEW_MS = 20_000;

export interface SocketLease {
  tenantId: string;
  id: string;
}

/** The tenant's set of socket leases. */
export const liveSocketsKey = (tenantId: string) => `mp:live:${tenantId}`;
const keyOf = liveSocketsKey;

// KEYS: the tenant's set. ARGV: now ms, lease ms, limit, lease id. Reply: {1, open} taken, {0, open} refused.
export const TAKE_SCRIPT = `local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local open = redis.call('ZCARD', KEYS[1])
if open >= tonumber(ARGV[3]) then return {0, open} end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[4])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) * 2)
return {1, open + 1}`;

// KEYS: the tenant's set. ARGV: the new expiry, the key's ttl ms, then the lease ids. Only leases still
// in the set are renewed (XX): one that expired stays gone, its slot may be someone else's by now.
export const RENEW_SCRIPT = `for i = 3, #ARGV do redis.call('ZADD', KEYS[1], 'XX', ARGV[1], ARGV[i]) end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`;

export type LeaseDecision = { ok: true; lease: SocketLease | null } | { ok: false; open: number; limit: number };

/** At the upgrade: a lease within the tenant's quota (null quota: no lease needed), or the refusal. */
export async function takeSocketLease(
  env: Env,
  tenantId: string,
  limit: number | null,
  now = Date.now(),
): Promise<LeaseDecision> {
  if (limit === null) return { ok: true, lease: null };
  if (redisBreaker.isOpen(env.UPSTASH_REDIS_REST_URL)) return failOpen();
  const id = crypto.randomUUID();
  try {
    const reply = await runScript(
      openRedis(env),
      TAKE_SCRIPT,
      [keyOf(tenantId)],
      [String(now), String(LEASE_MS), String(limit), id],
    );
    if (!Array.isArray(reply)) throw new Error("unexpected reply to the socket lease script");
    const open = Number(reply[1]);
    return Number(reply[0]) === 1 ? { ok: true, lease: { tenantId, id } } : { ok: false, open, limit };
  } catch (err) {
    redisBreaker.trip(env.UPSTASH_REDIS_REST_URL);
    metrics.dependencyErrors.inc({ dependency: "redis" });
    log("warn", "live sockets quota unavailable: the socket opens without a lease", {
      tenantId,
      error: errorMessage(err),
    });
    return failOpen();
  }
}

function failOpen(): LeaseDecision {
  metrics.rateLimitFailOpen.inc({ budget: "live_sockets" });
  return { ok: true, lease: null };
}

/**
 * Opens a live socket within the key's tenant's quota: takes a lease (429 quota_exceeded when none is
 * left), puts it on the upgrade `headers`, and gives it back when `forward` opened no socket.
 */
export async function withSocketLease(
  c: Context<AppEnv>,
  headers: Headers,
  forward: () => Promise<Response>,
): Promise<Response> {
  const client = c.get("client");
  const decision = await takeSocketLease(c.env, client.tenantId, client.quotas.liveSockets);
  if (!decision.ok) {
    metrics.quotaExceeded.inc({ quota: "liveSockets" });
    throw quotaExceeded(
      "liveSockets",
      `the tenant has ${decision.open} of its ${decision.limit} live sockets open; close one first`,
    );
  }
  const lease = decision.lease;
  if (!lease) return forward();
  headers.set(LEASE_HEADER, leaseHeaderValue(lease));
  const giveBack = () => c.executionCtx.waitUntil(releaseSocketLeases(c.env, [lease]));
  try {
    const response = await forward();
    // No socket opened (no events yet, the key's cap on the match): the lease goes back at once.
    if (response.status !== 101) giveBack();
    return response;
  } catch (err) {
    giveBack();
    throw err;
  }
}

/** Gives leases back (a socket closed, or its upgrade was refused). Never throws: an unreturned lease expires. */
export async function releaseSocketLeases(env: Env, leases: readonly SocketLease[]): Promise<void> {
  for (const [tenantId, ids] of byTenant(leases)) {
    try {
      await openRedis(env).zrem(keyOf(tenantId), ...ids);
    } catch (err) {
      log("warn", "socket lease not returned; it expires on its own", { tenantId, error: errorMessage(err) });
    }
  }
}

/** Renews the leases of an object's open sockets (from its alarm). Never throws. */
/** A closed socket's lease goes back to its tenant's quota, in the background (rooms and relays). */
export function returnSocketLease(ctx: DurableObjectState, env: Env, lease: SocketLease | undefined): void {
  if (lease) ctx.waitUntil(releaseSocketLeases(env, [lease]));
}

export async function renewSocketLeases(env: Env, leases: readonly SocketLease[], now = Date.now()): Promise<void> {
  for (const [tenantId, ids] of byTenant(leases)) {
    try {
      await runScript(
        openRedis(env),
        RENEW_SCRIPT,
        [keyOf(tenantId)],
        [String(now + LEASE_MS), String(LEASE_MS * 2), ...ids],
      );
    } catch (err) {
      log("warn", "socket leases not renewed; retried at the next renewal", { tenantId, error: errorMessage(err) });
    }
  }
}

function byTenant(leases: readonly SocketLease[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const { tenantId, id } of leases) {
    const list = out.get(tenantId);
    if (list) list.push(id);
    else out.set(tenantId, [id]);
  }
  return out;
}

/** The lease header's value, and back (null when absent or malformed). */
export const leaseHeaderValue = (lease: SocketLease): string => `${lease.tenantId} ${lease.id}`;
export function leaseFromHeader(value: string | null): SocketLease | null {
  const m = value === null ? null : /^([a-z0-9][a-z0-9-]{0,31}) ([0-9a-f-]{36})$/.exec(value);
  return m ? { tenantId: m[1]!, id: m[2]! } : null;
}

/**
 * An object's renewal clock: renews its sockets' leases at most every LEASE_RENEW_MS (the object calls
 * it from its alarm, which runs every few seconds while sockets are open).
 */
export class LeaseRenewal {
  private renewedAt = 0;

  due(now = Date.now()): boolean {
    return now - this.renewedAt >= LEASE_RENEW_MS;
  }

  async renew(env: Env, leases: readonly SocketLease[], now = Date.now()): Promise<void> {
    this.renewedAt = now;
    if (leases.length > 0) await renewSocketLeases(env, leases, now);
  }
}

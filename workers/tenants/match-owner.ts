// Which tenant's match a request addresses. One function for every route that names a match (REST,
// GraphQL, live sockets), so the tenant check cannot be forgotten per route.
import type { Context } from "hono";
import type { AppEnv } from "../api/app-env";
import { KEY_CACHE_TTL_MS, KEY_STALE_IF_ERROR_MS } from "../api/auth";
import { describeDbError, postgresBreaker, withPostgres } from "../clients/postgres";
import type { Env } from "../env";
import { rememberNewest } from "../isolate-cache";
import { log } from "../observability/log";
import { metrics } from "../observability/metrics";
import { readableMatchOwner } from "../stores/postgres/tenants";

export type MatchUse = "read" | "write";

/** A grant (or its revocation) shows within the key-cache bound, like a key's revocation. */
export const MATCH_OWNER_TTL_MS = KEY_CACHE_TTL_MS;
const MAX_CACHED_OWNERS = 10_000;

const cache = new Map<string, { owner: string; fetchedAt: number }>();
// Neither tenant ids nor match ids contain "/", so the key is unambiguous.
const cacheKey = (tenantId: string, matchId: string) => `${tenantId}/${matchId}`;

const remember = (key: string, owner: string, now: number) =>
  rememberNewest(cache, key, { owner, fetchedAt: now }, MAX_CACHED_OWNERS);

/**
 * The tenant owning the match `matchId` as the caller sees it: its own tenant's match. Reads may also
 * reach a match another tenant shared with the caller's tenant (grants). The caller answers 404 itself
 * when the resource does not exist in the returned tenant, so another tenant's ids leak nothing.
 */
export async function matchOwner(c: Context<AppEnv>, matchId: string, use: MatchUse): Promise<string> {
  const tenantId = c.get("client").tenantId;
  return use === "write" ? tenantId : readableOwner(c.env, tenantId, matchId);
}

/**
 * For a read by `tenantId`: the tenant itself when it registered `matchId` (or nobody shared one of that
 * id with it), else the tenant that shared it. Cached per isolate for MATCH_OWNER_TTL_MS. When Postgres
 * cannot answer: the last answer (for KEY_STALE_IF_ERROR_MS), else the caller's own tenant, which can
 * only show the caller its own data (never another tenant's), so the live path stays up in an outage.
 */
export async function readableOwner(env: Env, tenantId: string, matchId: string, now = Date.now()): Promise<string> {
  const key = cacheKey(tenantId, matchId);
  const hit = cache.get(key);
  if (hit && now - hit.fetchedAt < MATCH_OWNER_TTL_MS) return hit.owner;
  if (!postgresBreaker.isOpen(env.DATABASE_URL, now)) {
    try {
      const { own, grantor } = await withPostgres(env, ({ db }) => readableMatchOwner(db, tenantId, matchId));
      const owner = own ? tenantId : (grantor ?? tenantId);
      remember(key, owner, now);
      return owner;
    } catch (err) {
      postgresBreaker.trip(env.DATABASE_URL, now);
      metrics.dependencyErrors.inc({ dependency: "postgres" });
      log("warn", "match owner lookup failed; reading the caller's own tenant", describeDbError(err));
    }
  }
  return hit && now - hit.fetchedAt < KEY_STALE_IF_ERROR_MS ? hit.owner : tenantId;
}

/** Drops this isolate's cached owners of a match id (after a grant, a revocation or a new match). */
export function forgetMatchOwners(matchId: string): void {
  const suffix = `/${matchId}`;
  for (const key of cache.keys()) if (key.endsWith(suffix)) cache.delete(key);
}

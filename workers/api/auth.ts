// Bearer-key authentication with scopes. Keys are looked up in Postgres by their HMAC (api-keys.ts) and
// cached in the isolate: Postgres sees one query per key per isolate per KEY_CACHE_TTL_MS, and a revoked
// key stops working everywhere within that time (at once in the isolate that revoked it).
// When Postgres cannot be asked, a key this isolate verified within KEY_STALE_IF_ERROR_MS keeps working
// from that answer, so a metadata outage does not take the API down; unknown keys get 503 with
// Retry-After. During an outage a revocation can thus take up to KEY_STALE_IF_ERROR_MS to apply.
import { createMiddleware } from "hono/factory";
import { type ViewerGrant, ViewerKeysError, verifyViewerToken, viewerKeySet } from "../auth/viewer-token";
import { type Database, describeDbError, postgresBreaker, withPostgres } from "../clients/postgres";
import type { Env } from "../env";
import { rememberNewest } from "../isolate-cache";
import { log } from "../observability/log";
import { metrics } from "../observability/metrics";
import { activeClientById, activeClientByKeyHash, activeClientsAmong } from "../stores/postgres/api-clients";
import { hashApiKey, MissingPepperError } from "./api-keys";
import type { ApiClient, AppEnv, Scope } from "./app-env";
import { ApiError } from "./errors";

export const KEY_CACHE_TTL_MS = 5_000;
export const KEY_STALE_IF_ERROR_MS = 5 * 60_000;
const NEGATIVE_TTL_MS = 2_000;
const MAX_CACHED_KEYS = 10_000;
const RETRY_AFTER_S = "5";

const cache = new Map<string, { client: ApiClient | null; fetchedAt: number }>();

// The keys in use stay, with their stale-if-error fallback.
const remember = (keyHash: string, client: ApiClient | null, now: number) =>
  rememberNewest(cache, keyHash, { client, fetchedAt: now }, MAX_CACHED_KEYS);

/** The active client of a key hash: cached, from Postgres, or during an outage from the last good answer. */
export function findClient(env: Env, keyHash: string, now = Date.now()): Promise<ApiClient | null> {
  return cachedClient(env, keyHash, (db) => activeClientByKeyHash(db, keyHash), now);
}

/**
 * The active client with this id, through the same cache and bounds as keys: a viewer token of a revoked
 * client stops working within KEY_CACHE_TTL_MS. Cached under "id:<id>" (key hashes are hex, never colliding).
 */
export function findClientById(env: Env, clientId: string, now = Date.now()): Promise<ApiClient | null> {
  return cachedClient(env, `id:${clientId}`, (db) => activeClientById(db, clientId), now);
}

async function cachedClient(
  env: Env,
  cacheKey: string,
  query: (db: Database) => Promise<ApiClient | null>,
  now: number,
): Promise<ApiClient | null> {
  const hit = cache.get(cacheKey);
  if (hit && now - hit.fetchedAt < (hit.client ? KEY_CACHE_TTL_MS : NEGATIVE_TTL_MS)) return hit.client;
  let failure: unknown = new Error("postgres breaker open");
  if (!postgresBreaker.isOpen(env.DATABASE_URL, now)) {
    try {
      const client = await withPostgres(env, ({ db }) => query(db));
      remember(cacheKey, client, now);
      return client;
    } catch (err) {
      failure = err;
      postgresBreaker.trip(env.DATABASE_URL, now);
      metrics.dependencyErrors.inc({ dependency: "postgres" });
    }
  }
  if (hit?.client && now - hit.fetchedAt < KEY_STALE_IF_ERROR_MS) {
    metrics.staleKeyAnswers.inc();
    return hit.client;
  }
  // Never the key or its hash: only what the driver said.
  log("error", "api key lookup failed", describeDbError(failure));
  throw new ApiError(
    "dependency_unavailable",
    "cannot verify the API key right now (metadata store unreachable); retry later",
    {},
    { "retry-after": RETRY_AFTER_S },
  );
}

/** Drops a client's cached keys in this isolate (after a revocation or a change of scopes or limits). */
export function forgetClient(clientId: string): void {
  for (const [hash, entry] of cache) if (entry.client?.id === clientId) cache.delete(hash);
}

/** Drops the cached keys of a tenant's clients in this isolate (after a change of the tenant's quotas). */
export function forgetTenant(tenantId: string): void {
  for (const [hash, entry] of cache) if (entry.client?.tenantId === tenantId) cache.delete(hash);
}

function presentedKey(req: Request, allowQueryToken: boolean): string | null {
  const header = req.headers.get("authorization");
  if (header) {
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    return m?.[1] ?? null;
  }
  // Browsers cannot set headers on a WebSocket upgrade, so read endpoints also take ?token=.
  if (allowQueryToken) return new URL(req.url).searchParams.get("token");
  return null;
}

/** The query parameter a viewer token travels in (OAuth 2.0 bearer tokens' URI form, RFC 6750 §2.3). */
export const VIEWER_TOKEN_PARAM = "access_token";

/** The request without its ?token= or ?access_token= (for forwarding: a runtime may log the URL it was given). */
export function withoutQueryToken(req: Request): Request {
  const url = new URL(req.url);
  if (!url.searchParams.has("token") && !url.searchParams.has(VIEWER_TOKEN_PARAM)) return req;
  url.searchParams.delete("token");
  url.searchParams.delete(VIEWER_TOKEN_PARAM);
  return new Request(url, req);
}

/**
 * Checks a viewer token for the route's match: signature and expiry (no I/O), the match among the token's,
 * then the issuing client still active with the read scope (the per-isolate cache). Any failure is 401,
 * thrown before the route runs, so no Durable Object is touched for a refused token.
 */
export async function checkViewerToken(
  env: Env,
  token: string,
  matchId: string | undefined,
): Promise<ViewerGrant & { client: ApiClient }> {
  const grant = await verifiedViewer(env, token);
  if (matchId === undefined || !grant.matchIds.includes(matchId)) {
    throw new ApiError("unauthorized", "this viewer token is not valid for this match");
  }
  return grant;
}

/**
 * A viewer token's grant, whatever match it is used for: signature and expiry, then the issuing client
 * still active with the read scope. Any failure is 401. (GraphQL checks the match per field, through the
 * REST route each field reads.)
 */
export async function verifiedViewer(env: Env, token: string): Promise<ViewerGrant & { client: ApiClient }> {
  let keys: ReturnType<typeof viewerKeySet>;
  try {
    keys = viewerKeySet(env.VIEWER_TOKEN_KEYS);
  } catch (err) {
    if (!(err instanceof ViewerKeysError)) throw err;
    log("error", err.message);
    throw new ApiError("internal", "the server cannot check viewer tokens (misconfigured)");
  }
  const grant = await verifyViewerToken(keys, token);
  if (!grant) throw new ApiError("unauthorized", "invalid or expired viewer token");
  const client = await findClientById(env, grant.clientId);
  if (!client?.scopes.includes("read")) throw new ApiError("unauthorized", "the viewer token's issuer was revoked");
  return { ...grant, client };
}

/** Lets the request through when its key holds one of `scopes` (e.g. ["read", "admin"]). */
export function requireScope(scopes: Scope | Scope[], options: { allowQueryToken?: boolean } = {}) {
  const accepted = Array.isArray(scopes) ? scopes : [scopes];
  return createMiddleware<AppEnv>(async (c, next) => {
    const key = presentedKey(c.req.raw, options.allowQueryToken ?? false);
    if (!key) throw new ApiError("unauthorized", "missing API key: send Authorization: Bearer <key>");
    let keyHash: string;
    try {
      keyHash = await hashApiKey(key, c.env.API_KEY_PEPPER);
    } catch (err) {
      if (!(err instanceof MissingPepperError)) throw err;
      log("error", err.message);
      throw new ApiError("internal", "the server cannot check API keys (misconfigured)");
    }
    const client = await findClient(c.env, keyHash);
    if (!client) throw new ApiError("unauthorized", "invalid or revoked API key");
    if (!accepted.some((s) => client.scopes.includes(s))) {
      throw new ApiError("forbidden", `this API key lacks the '${accepted.join("' or '")}' scope`);
    }
    c.set("client", client);
    await next();
  });
}

/**
 * Which of these API clients still exist unrevoked with one of `scopes`, asked of Postgres directly (no
 * cache: match rooms ask at most every few seconds for the clients of their open sockets). Null when the
 * metadata store cannot answer.
 */
export async function activeClients(env: Env, clientIds: string[], scopes: Scope[]): Promise<Set<string> | null> {
  if (clientIds.length === 0) return new Set();
  try {
    const rows = await withPostgres(env, ({ db }) => activeClientsAmong(db, clientIds));
    return new Set(rows.filter((r) => scopes.some((s) => r.scopes.includes(s))).map((r) => r.id));
  } catch (err) {
    metrics.dependencyErrors.inc({ dependency: "postgres" });
    log("warn", "api client check failed", describeDbError(err));
    return null;
  }
}

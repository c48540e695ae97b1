// Bearer-key authentication with scopes. Keys are looked up in Postgres by hash and cached in the
// isolate for a few seconds, so Postgres sees one query per key per isolate per TTL, and a revoked key
// stops working everywhere within KEY_CACHE_TTL_MS (at once in the isolate that revoked it).
import { and, eq, inArray, isNull } from "drizzle-orm";
import { createMiddleware } from "hono/factory";
import { withPostgres } from "../clients/postgres";
import { apiClients } from "../clients/postgres-schema";
import type { Env } from "../env";
import { errorMessage, log } from "../observability/log";
import { metrics } from "../observability/metrics";
import { hashApiKey } from "./api-keys";
import type { ApiClient, AppEnv, Scope } from "./app-env";
import { ApiError } from "./errors";

export const KEY_CACHE_TTL_MS = 5_000;
const NEGATIVE_TTL_MS = 2_000;
const MAX_CACHED_KEYS = 10_000;

const cache = new Map<string, { client: ApiClient | null; expires: number }>();

async function findClient(env: Env, keyHash: string): Promise<ApiClient | null> {
  const hit = cache.get(keyHash);
  if (hit && hit.expires > Date.now()) return hit.client;
  let client: ApiClient | null;
  try {
    const rows = await withPostgres(env, ({ db }) =>
      db
        .select({
          id: apiClients.id,
          name: apiClients.name,
          scopes: apiClients.scopes,
          ingestPerMinute: apiClients.ingestPerMinute,
          readPerMinute: apiClients.readPerMinute,
        })
        .from(apiClients)
        .where(and(eq(apiClients.keyHash, keyHash), isNull(apiClients.revokedAt)))
        .limit(1),
    );
    client = rows[0] ?? null;
  } catch (err) {
    metrics.dependencyErrors.inc({ dependency: "postgres" });
    log("error", "api key lookup failed", { error: errorMessage(err) });
    throw new ApiError(
      503,
      "dependency_unavailable",
      "cannot verify the API key right now (metadata store unreachable)",
    );
  }
  if (cache.size >= MAX_CACHED_KEYS) cache.clear();
  cache.set(keyHash, { client, expires: Date.now() + (client ? KEY_CACHE_TTL_MS : NEGATIVE_TTL_MS) });
  return client;
}

/** Drops a client's cached keys in this isolate (after a revocation or a change of scopes or limits). */
export function forgetClient(clientId: string): void {
  for (const [hash, entry] of cache) if (entry.client?.id === clientId) cache.delete(hash);
}

function presentedKey(req: Request, allowQueryToken: boolean): string | null {
  const header = req.headers.get("authorization");
  if (header) {
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    return m ? m[1]! : null;
  }
  // Browsers cannot set headers on a WebSocket upgrade, so read endpoints also take ?token=.
  if (allowQueryToken) return new URL(req.url).searchParams.get("token");
  return null;
}

/** Lets the request through when its key holds one of `scopes` (e.g. ["read", "admin"]). */
export function requireScope(scopes: Scope | Scope[], options: { allowQueryToken?: boolean } = {}) {
  const accepted = Array.isArray(scopes) ? scopes : [scopes];
  return createMiddleware<AppEnv>(async (c, next) => {
    const key = presentedKey(c.req.raw, options.allowQueryToken ?? false);
    if (!key) throw new ApiError(401, "unauthorized", "missing API key: send Authorization: Bearer <key>");
    const client = await findClient(c.env, await hashApiKey(key));
    if (!client) throw new ApiError(401, "unauthorized", "invalid or revoked API key");
    if (!accepted.some((s) => client.scopes.includes(s))) {
      throw new ApiError(403, "forbidden", `this API key lacks the '${accepted.join("' or '")}' scope`);
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
    const rows = await withPostgres(env, ({ db }) =>
      db
        .select({ id: apiClients.id, scopes: apiClients.scopes })
        .from(apiClients)
        .where(and(inArray(apiClients.id, clientIds), isNull(apiClients.revokedAt))),
    );
    return new Set(rows.filter((r) => scopes.some((s) => r.scopes.includes(s))).map((r) => r.id));
  } catch (err) {
    metrics.dependencyErrors.inc({ dependency: "postgres" });
    log("warn", "api client check failed", { error: errorMessage(err) });
    return null;
  }
}

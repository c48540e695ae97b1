// Which tenant's match a request addresses. One function for every route that names a match (REST,
// GraphQL, live sockets), so the tenant check cannot be forgotten per route.
import type { Context } from "hono";
import type { AppEnv } from "../api/app-env";

export type MatchUse = "read" | "write";

/**
 * The tenant owning the match `matchId` as the caller sees it: its own tenant's match. Reads may also
 * reach a match another tenant shared with the caller's tenant (grants). The caller answers 404 itself
 * when the resource does not exist in the returned tenant, so another tenant's ids leak nothing.
 */
export async function matchOwner(c: Context<AppEnv>, _matchId: string, _use: MatchUse): Promise<string> {
  return c.get("client").tenantId;
}

// Who may call what: one place for the access middleware of every route. Each list authenticates the key
// (auth.ts), checks the scope, then spends the client's request budget (rate-limit.ts).
import type { MiddlewareHandler } from "hono";
import { every } from "hono/combine";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "./app-env";
import { checkViewerToken, requireScope, VIEWER_TOKEN_PARAM } from "./auth";
import { requestBudget, requestBudgetInRoute } from "./rate-limit";

/** Reads of metadata and analytics: scope read or admin, one unit of the request budget. */
export const readAccess: MiddlewareHandler<AppEnv>[] = [requireScope(["read", "admin"]), requestBudget];
/**
 * readAccess for reads that spend their unit inside their own Redis command (owedReadBudget: the game's
 * board reads), so that the budget costs no round trip of its own.
 */
export const readAccessInRoute: MiddlewareHandler<AppEnv>[] = [requireScope(["read", "admin"]), requestBudgetInRoute];

const keyLiveAccess = every(requireScope("read", { allowQueryToken: true }), requestBudget);

/** A compact JWS (three base64url parts): a viewer token. API keys (`mp_…`) never look like one. */
export const JWS = /^[\w-]+\.[\w-]+\.[\w-]+$/;

/**
 * A viewer token for the route's match (`?access_token=`, or `Authorization: Bearer <token>` as RFC 6750
 * allows), else the key access given. A viewer's requests do not spend the issuing client's read budget:
 * one operator's audience would exhaust it.
 */
function viewerOr(keyAccess: MiddlewareHandler<AppEnv>): MiddlewareHandler<AppEnv>[] {
  return [
    createMiddleware<AppEnv>(async (c, next) => {
      const bearer = /^Bearer (.+)$/i.exec(c.req.header("authorization") ?? "")?.[1];
      const token =
        bearer !== undefined && JWS.test(bearer) ? bearer : bearer ? undefined : c.req.query(VIEWER_TOKEN_PARAM);
      if (token === undefined) return keyAccess(c, next);
      const grant = await checkViewerToken(c.env, token, c.req.param("matchId"));
      c.set("client", grant.client);
      c.set("viewer", true);
      return next();
    }),
  ];
}

/**
 * The live state and stream of one match: a viewer token (for browsers) or an API key with scope read
 * (header, or `?token=` since browsers cannot set headers on a WebSocket).
 */
export const liveAccess: MiddlewareHandler<AppEnv>[] = viewerOr(keyLiveAccess);

/** Other reads of one match (its metadata, its prediction series): a viewer token for it, or readAccess. */
export const matchReadAccess: MiddlewareHandler<AppEnv>[] = viewerOr(every(...readAccess));
/** Writes of metadata and API clients: scope admin, one unit of the request budget. */
export const adminAccess: MiddlewareHandler<AppEnv>[] = [requireScope("admin"), requestBudget];
/** Tenants and their quotas, a tenant's first client: scope operator (the deployment's own admin). */
export const operatorAccess: MiddlewareHandler<AppEnv>[] = [requireScope("operator"), requestBudget];
/** POST /v1/events: scope ingest; the ingest budget is spent per event once the body is parsed. */
export const ingestAccess: MiddlewareHandler<AppEnv> = requireScope("ingest");

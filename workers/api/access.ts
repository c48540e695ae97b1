// Who may call what: one place for the access middleware of every route. Each list authenticates the key
// (auth.ts), checks the scope, then spends the client's request budget (rate-limit.ts).
import type { MiddlewareHandler } from "hono";
import { every } from "hono/combine";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "./app-env";
import { checkViewerToken, requireScope, VIEWER_TOKEN_PARAM } from "./auth";
import { requestBudget } from "./rate-limit";

/** Reads of metadata and analytics: scope read or admin, one unit of the request budget. */
export const readAccess: MiddlewareHandler<AppEnv>[] = [requireScope(["read", "admin"]), requestBudget];

const keyLiveAccess = every(requireScope("read", { allowQueryToken: true }), requestBudget);

/**
 * The live state and stream of one match: a viewer token (`?access_token=`, for browsers) or an API key
 * with scope read (header, or `?token=` since browsers cannot set headers on a WebSocket). A viewer's
 * requests do not spend the issuing client's read budget: one operator's audience would exhaust it.
 */
export const liveAccess: MiddlewareHandler<AppEnv>[] = [
  createMiddleware<AppEnv>(async (c, next) => {
    const token = c.req.query(VIEWER_TOKEN_PARAM);
    if (token === undefined || c.req.header("authorization")) return keyLiveAccess(c, next);
    const grant = await checkViewerToken(c.env, token, c.req.param("matchId"));
    c.set("client", grant.client);
    c.set("viewer", true);
    return next();
  }),
];
/** Writes of metadata and API clients: scope admin, one unit of the request budget. */
export const adminAccess: MiddlewareHandler<AppEnv>[] = [requireScope("admin"), requestBudget];
/** POST /v1/events: scope ingest; the ingest budget is spent per event once the body is parsed. */
export const ingestAccess: MiddlewareHandler<AppEnv> = requireScope("ingest");

// Who may call what: one place for the access middleware of every route. Each list authenticates the key
// (auth.ts), checks the scope, then spends the client's request budget (rate-limit.ts).
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "./app-env";
import { requireScope } from "./auth";
import { requestBudget } from "./rate-limit";

/** Reads of metadata and analytics: scope read or admin, one unit of the request budget. */
export const readAccess: MiddlewareHandler<AppEnv>[] = [requireScope(["read", "admin"]), requestBudget];
/** The live state and stream: scope read, also as ?token= (browsers cannot set headers on a WebSocket). */
export const liveAccess: MiddlewareHandler<AppEnv>[] = [requireScope("read", { allowQueryToken: true }), requestBudget];
/** Writes of metadata and API clients: scope admin, one unit of the request budget. */
export const adminAccess: MiddlewareHandler<AppEnv>[] = [requireScope("admin"), requestBudget];
/** POST /v1/events: scope ingest; the ingest budget is spent per event once the body is parsed. */
export const ingestAccess: MiddlewareHandler<AppEnv> = requireScope("ingest");

// The OpenAPI 3.1 document at /v1/openapi.json and the pieces every route declaration shares: JSON
// bodies, the error responses, the bearer scheme and the rate-limit headers.
import { createRoute, type OpenAPIHono, type RouteConfig, z } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { adminAccess, liveAccess, matchReadAccess, operatorAccess, readAccess } from "./access";
import type { AppEnv } from "./app-env";
import { apiErrorBodySchema } from "./errors";

export const bearerAuth = [{ bearerAuth: [] }];

export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  content: { "application/json": { schema } },
  description,
});

const errorDescriptions = {
  400: "Invalid request (`invalid_request`, `invalid_json`, `invalid_event`): `issues` name the fields",
  401: "Missing, unknown or revoked API key (`unauthorized`)",
  403: "The key lacks the route's scope (`forbidden`)",
  404: "No such resource (`not_found`)",
  409: "The resource already exists (`conflict`), or a guess for a match that has started (`guess_locked`)",
  413: "Body over 1 MB or over 1,000 events (`payload_too_large`)",
  415: "Unsupported content type (`unsupported_media_type`)",
  426: "WebSocket endpoint called without `Upgrade: websocket` (`upgrade_required`)",
  429: "Over the client's rate limit (`rate_limited`; see `Retry-After`), or over a tenant quota (`quota_exceeded`, `quota` names it)",
  503: "A dependency is unavailable (`dependency_unavailable`, `queue_unavailable`): retry later",
} as const;

export type ErrorStatus = keyof typeof errorDescriptions;

export function errors<S extends ErrorStatus>(...statuses: S[]) {
  return Object.fromEntries(
    statuses.map((s) => [
      s,
      { ...json(apiErrorBodySchema, errorDescriptions[s]), ...(s === 429 ? { headers: retryHeaders } : {}) },
    ]),
  ) as { [K in S]: ReturnType<typeof json<typeof apiErrorBodySchema>> };
}

const integerHeader = (description: string) => ({ schema: { type: "integer" as const }, description });

/** Sent on every response of a rate-limited route (absent while the limiter is unreachable). */
export const rateLimitHeaders = {
  "X-RateLimit-Limit": integerHeader(
    "The client's budget per minute for this kind of request (ingest: events, read: requests).",
  ),
  "X-RateLimit-Remaining": integerHeader("What is left of it in the current window."),
  "X-RateLimit-Reset": integerHeader("Unix time (seconds) when the current window ends."),
};

/** A JSON success response of a rate-limited route. */
export const okJson = <T extends z.ZodType>(schema: T, description: string) => ({
  ...json(schema, description),
  headers: rateLimitHeaders,
});

type RouteSpec<P extends string> = Omit<RouteConfig, "path" | "security" | "middleware"> & { path: P };

/**
 * Declares routes that share one access list: bearer security, that middleware, and the errors every such
 * route can answer (routes with a body add 415 themselves).
 */
function routesWith(middleware: MiddlewareHandler<AppEnv>[]) {
  return <P extends string, R extends RouteSpec<P>>(route: R) =>
    createRoute({
      ...route,
      security: bearerAuth,
      middleware,
      responses: { ...route.responses, ...errors(400, 401, 403, 429, 503) },
    });
}

/** A read route (scope read or admin). */
export const readRoute = routesWith(readAccess);
/** A live route (scope read, also as ?token=, or a viewer token for the match). */
export const liveRoute = routesWith(liveAccess);
/** A read of one match's data that a viewer token for that match may also make. */
export const matchReadRoute = routesWith(matchReadAccess);
/** An admin route (scope admin: the tenant's metadata, sources, grants and clients). */
export const adminRoute = routesWith(adminAccess);
/** An operator route (scope operator: tenants, their quotas, their first clients). */
export const operatorRoute = routesWith(operatorAccess);

const retryHeaders = { ...rateLimitHeaders, "Retry-After": integerHeader("Seconds to wait before retrying.") };

export function serveDocument(app: OpenAPIHono<AppEnv>): void {
  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    description:
      "An API key (`mp_…`) with the route's scope: `ingest`, `read`, `admin`, `games` or `operator`. Read routes also take " +
      "`?token=<key>`; the live routes take a viewer token (POST /v1/viewer-tokens) as `?access_token=`.",
  });
  app.openAPIRegistry.registerPath({
    method: "get",
    path: "/v1/openapi.json",
    tags: ["operations"],
    summary: "This document (OpenAPI 3.1)",
    responses: { 200: json(z.record(z.string(), z.unknown()), "The OpenAPI 3.1 document of every route") },
  });
  app.doc31("/v1/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "Matchpulse API",
      version: "1.0.0",
      description:
        "Live match data: ingest events, read live state and predictions, exact match analytics, and manage " +
        'teams, players, matches and API clients. Errors are always `{"error":{"code","message","issues"?}}`.',
    },
    tags: [
      { name: "ingest", description: "Sending events" },
      { name: "live", description: "Live state and the WebSocket stream" },
      { name: "analytics", description: "Match metrics, timelines and prediction series (ClickHouse)" },
      { name: "metadata", description: "Teams, players and matches" },
      { name: "admin", description: "API clients, sources, match grants" },
      { name: "tenants", description: "Tenants and their quotas (scope operator)" },
      { name: "games", description: "The fan prediction game: games, guesses, leaderboards, settlement" },
      { name: "operations", description: "Health, readiness, metrics" },
    ],
  });
}

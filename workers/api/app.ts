// The Hono app: request ids (Hono's requestId: an incoming X-Request-ID is kept only when it is short and
// plain, else replaced), access logs and metrics around every route, one error shape, one file per
// resource. Every route is declared with its zod schemas; /v1/openapi.json is generated from them.
import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { requestId } from "hono/request-id";
import { gamesRoutes } from "../games/routes";
import { mountGraphql } from "../graphql/server";
import { errorMessage, log, setLogLevel } from "../observability/log";
import { httpMethodLabel, metrics } from "../observability/metrics";
import { analyticsRoutes } from "./analytics";
import { apiClientsRoutes } from "./api-clients";
import type { AppEnv } from "./app-env";
import { ApiError } from "./errors";
import { eventsRoutes } from "./events";
import { healthRoutes } from "./health";
import { matchesRoutes } from "./matches";
import { serveDocument } from "./openapi";
import { playersRoutes } from "./players";
import { sourcesRoutes } from "./sources";
import { teamsRoutes } from "./teams";
import { tenantsRoutes } from "./tenants";
import { viewerTokensRoutes } from "./viewer-tokens";

/** Longest X-Request-ID kept (it is copied into queue messages and every ClickHouse row of the request). */
export const MAX_REQUEST_ID_LENGTH = 128;

export const app = new OpenAPIHono<AppEnv>();

app.use(requestId({ limitLength: MAX_REQUEST_ID_LENGTH }));
app.use(async (c, next) => {
  setLogLevel(c.env.LOG_LEVEL);
  const started = performance.now();
  await next();
  // routePath is the matched pattern ("/v1/matches/:matchId/state"), never the URL: no ids, no ?token=.
  const route = c.req.routePath || "unmatched";
  const method = httpMethodLabel(c.req.method);
  const status = c.res.status;
  const seconds = (performance.now() - started) / 1000;
  metrics.httpRequests.inc({ method, route, status });
  metrics.httpDuration.observe(seconds, { method, route });
  log(status >= 500 ? "warn" : status >= 400 ? "info" : "debug", "request", {
    requestId: c.get("requestId"),
    method,
    route,
    status,
    durationMs: Math.round(seconds * 10_000) / 10,
    clientId: c.get("client")?.id,
  });
});

app.route("/", healthRoutes);
app.route("/", eventsRoutes);
app.route("/", matchesRoutes);
app.route("/", analyticsRoutes);
app.route("/", teamsRoutes);
app.route("/", playersRoutes);
app.route("/", apiClientsRoutes);
app.route("/", viewerTokensRoutes);
app.route("/", sourcesRoutes);
app.route("/", gamesRoutes);
app.route("/", tenantsRoutes);
mountGraphql(app);
serveDocument(app);

// Through c.newResponse (as Hono's default handler does) so headers set earlier, like X-Request-ID, stay.
const answer = (c: Context<AppEnv>, err: ApiError) => {
  const res = err.getResponse();
  return c.newResponse(res.body, res);
};

app.notFound((c) => answer(c, new ApiError("not_found", `no route for ${c.req.method} ${c.req.path}`)));

app.onError((err, c) => {
  if (err instanceof ApiError) return answer(c, err);
  // What the framework raises itself: a JSON body that does not parse, a body of another media type.
  if (err instanceof HTTPException && err.status === 400) return answer(c, new ApiError("invalid_json", err.message));
  if (err instanceof HTTPException && err.status === 415)
    return answer(c, new ApiError("unsupported_media_type", err.message));
  log("error", "unhandled error", {
    requestId: c.get("requestId"),
    error: errorMessage(err),
    stack: err instanceof Error ? err.stack : undefined,
  });
  return answer(c, new ApiError("internal", "internal error"));
});

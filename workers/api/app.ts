// The Hono app: request ids, access logs and metrics around every route, one error shape, one file per
// resource. Every route is declared with its zod schemas; /v1/openapi.json is generated from them.
import { OpenAPIHono } from "@hono/zod-openapi";
import { HTTPException } from "hono/http-exception";
import { gamesRoutes } from "../games/routes";
import { errorMessage, log, setLogLevel } from "../observability/log";
import { metrics } from "../observability/metrics";
import { analyticsRoutes } from "./analytics";
import { apiClientsRoutes } from "./api-clients";
import type { AppEnv } from "./app-env";
import { ApiError, type ApiErrorCode } from "./errors";
import { eventsRoutes } from "./events";
import { healthRoutes } from "./health";
import { matchesRoutes } from "./matches";
import { serveDocument } from "./openapi";
import { playersRoutes } from "./players";
import { teamsRoutes } from "./teams";

export const app = new OpenAPIHono<AppEnv>();

app.use(async (c, next) => {
  setLogLevel(c.env.LOG_LEVEL);
  const requestId = c.req.header("x-request-id") ?? crypto.randomUUID();
  c.set("requestId", requestId);
  const started = performance.now();
  await next();
  c.header("x-request-id", requestId);
  const route = c.req.routePath || "unmatched";
  const status = c.res.status;
  const seconds = (performance.now() - started) / 1000;
  metrics.httpRequests.inc({ method: c.req.method, route, status });
  metrics.httpDuration.observe(seconds, { method: c.req.method, route });
  log(status >= 500 ? "warn" : status >= 400 ? "info" : "debug", "request", {
    requestId,
    method: c.req.method,
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
app.route("/", gamesRoutes);
serveDocument(app);

app.notFound((c) => c.json(new ApiError(404, "not_found", `no route for ${c.req.method} ${c.req.path}`).toBody(), 404));

// Errors the framework raises itself (a JSON body that does not parse, a body of another media type).
const frameworkCodes: Partial<Record<number, ApiErrorCode>> = { 400: "invalid_json", 415: "unsupported_media_type" };

app.onError((err, c) => {
  if (err instanceof ApiError) return c.json(err.toBody(), err.status, err.headers);
  if (err instanceof HTTPException && frameworkCodes[err.status]) {
    const code = frameworkCodes[err.status]!;
    return c.json(new ApiError(err.status as 400 | 415, code, err.message || code).toBody(), err.status as 400 | 415);
  }
  log("error", "unhandled error", {
    requestId: c.get("requestId"),
    error: errorMessage(err),
    stack: (err as Error).stack,
  });
  return c.json({ error: { code: "internal", message: "internal error" } }, 500);
});

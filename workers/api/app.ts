// The Hono app: request ids and metrics around every route, one error shape, one file per resource.
import { Hono } from "hono";
import { errorMessage, log, setLogLevel } from "../observability/log";
import { metrics } from "../observability/metrics";
import type { AppEnv } from "./app-env";
import { ApiError } from "./errors";
import { eventsRoutes } from "./events";
import { healthRoutes } from "./health";
import { matchesRoutes } from "./matches";

export const app = new Hono<AppEnv>();

app.use(async (c, next) => {
  setLogLevel(c.env.LOG_LEVEL);
  const requestId = c.req.header("x-request-id") ?? crypto.randomUUID();
  c.set("requestId", requestId);
  const started = performance.now();
  await next();
  c.header("x-request-id", requestId);
  const route = c.req.routePath || "unmatched";
  metrics.httpRequests.inc({ method: c.req.method, route, status: c.res.status });
  metrics.httpDuration.observe((performance.now() - started) / 1000, { method: c.req.method, route });
});

app.route("/", healthRoutes);
app.route("/", eventsRoutes);
app.route("/", matchesRoutes);

app.notFound((c) => c.json(new ApiError(404, "not_found", `no route for ${c.req.method} ${c.req.path}`).toBody(), 404));

app.onError((err, c) => {
  if (err instanceof ApiError) return c.json(err.toBody(), err.status, err.headers);
  log("error", "unhandled error", { requestId: c.get("requestId"), error: errorMessage(err), stack: (err as Error).stack });
  return c.json({ error: { code: "internal", message: "internal error" } }, 500);
});

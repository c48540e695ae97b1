// Routes reach Postgres through here: one Neon Pool per request (workerd forbids sharing I/O between
// requests), and driver failures turned into the API's errors — a unique violation is 409 conflict, a
// missing referenced row 400, anything else 503 so clients know to retry.
import { type Database, withPostgres } from "../clients/postgres";
import type { Env } from "../env";
import { errorMessage, log } from "../observability/log";
import { metrics } from "../observability/metrics";
import { ApiError } from "./errors";

/** The Postgres error code (SQLSTATE) behind a driver or drizzle error, if any. */
export function sqlState(err: unknown): string | undefined {
  for (let e: unknown = err; e && typeof e === "object"; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

export async function withMetadata<T>(
  env: Env,
  work: (db: Database) => Promise<T>,
  what = "the metadata store",
): Promise<T> {
  try {
    return await withPostgres(env, ({ db }) => work(db));
  } catch (err) {
    if (err instanceof ApiError) throw err;
    const state = sqlState(err);
    if (state === "23505") throw new ApiError("conflict", `${what}: a record with this id already exists`);
    if (state === "23503") throw new ApiError("invalid_request", `${what}: a referenced record does not exist`);
    metrics.dependencyErrors.inc({ dependency: "postgres" });
    log("error", "metadata store call failed", { error: errorMessage(err), sqlState: state });
    throw new ApiError("dependency_unavailable", "the metadata store is unavailable; retry later");
  }
}

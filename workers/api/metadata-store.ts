// Routes reach Postgres through here: one Neon Pool per request (workerd forbids sharing I/O between
// requests), and driver failures turned into the API's errors. Input is validated before it gets here;
// should a value still be refused by the database (a data exception, SQLSTATE class 22, or a constraint),
// that is the request's fault: 400, never "retry later". Only the rest is 503.
import { type Database, describeDbError, withPostgres } from "../clients/postgres";
import type { Env } from "../env";
import { log } from "../observability/log";
import { metrics } from "../observability/metrics";
import { ApiError } from "./errors";

/** SQLSTATEs caused by the values a request sent. */
const inputFault = (state: string): boolean => state.startsWith("22") || state === "23502" || state === "23514";

export async function withMetadata<T>(
  env: Env,
  work: (db: Database) => Promise<T>,
  what = "the metadata store",
): Promise<T> {
  try {
    return await withPostgres(env, ({ db }) => work(db));
  } catch (err) {
    if (err instanceof ApiError) throw err;
    const { error, sqlState } = describeDbError(err);
    if (sqlState === "23505") throw new ApiError("conflict", `${what}: a record with this id already exists`);
    if (sqlState === "23503") throw new ApiError("invalid_request", `${what}: a referenced record does not exist`);
    if (sqlState && inputFault(sqlState)) {
      log("info", "metadata store refused a value", { error, sqlState });
      throw new ApiError("invalid_request", `${what} cannot keep a value of this request (${error})`, {
        issues: [{ path: "", message: error }],
      });
    }
    metrics.dependencyErrors.inc({ dependency: "postgres" });
    log("error", "metadata store call failed", { error, sqlState });
    throw new ApiError(
      "dependency_unavailable",
      "the metadata store is unavailable; retry later",
      {},
      { "retry-after": "5" },
    );
  }
}

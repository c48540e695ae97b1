// Dev-only: Neon's SQL-over-HTTP endpoint (what `neon()` and a Pool with `poolQueryViaFetch` send one-shot
// queries to) in front of a local PostgreSQL. POST /sql?address=127.0.0.1:PORT with the headers the driver
// sets (Neon-Connection-String, Neon-Array-Mode, Neon-Raw-Text-Output) and a body of {query, params} or,
// for a transaction, {queries: [...]}. Answers as Neon's proxy does: fields, raw text rows, command and
// rowCount; a Postgres error is 400 with its fields (code, constraint…), anything else 5xx text. Like
// Neon's proxy, it keeps a small pool of server connections per database, so a query costs one HTTP round
// trip instead of a WebSocket, a startup and an authentication. Never imported by workers/.
import type { IncomingMessage, ServerResponse } from "node:http";
import pg from "pg";

/** Neon's own limit on an HTTP query's request and response. */
const MAX_BODY_BYTES = 64 * 1_048_576;
/** Server connections per database; more queries wait their turn (never an unbounded number of sessions). */
const CONNECTIONS_PER_DATABASE = 16;
const MAX_DATABASES = 16;
const CONNECT_TIMEOUT_MS = 5_000;
export const HTTP_SESSION_NAME = "neon-http-sql";

// Every column as the text Postgres sent: the driver parses it by type oid, as over the wire protocol.
const rawText = { getTypeParser: () => (value: string) => value };
const ERROR_FIELDS = [
  "severity",
  "code",
  "detail",
  "hint",
  "position",
  "internalPosition",
  "internalQuery",
  "where",
  "schema",
  "table",
  "column",
  "dataType",
  "constraint",
  "file",
  "line",
  "routine",
] as const;

interface SqlQuery {
  query: string;
  params?: unknown[];
}

export interface NeonHttpSql {
  handle(req: IncomingMessage, res: ServerResponse, target: { host: string; port: number }): void;
  close(): Promise<void>;
}

export function neonHttpSql(): NeonHttpSql {
  const pools = new Map<string, pg.Pool>();

  const poolFor = (target: { host: string; port: number }, connectionString: string): pg.Pool => {
    const url = new URL(connectionString);
    const user = decodeURIComponent(url.username);
    const database = decodeURIComponent(url.pathname.slice(1));
    const key = `${target.host}:${target.port}/${database}/${user}`;
    let pool = pools.get(key);
    if (!pool) {
      if (pools.size >= MAX_DATABASES) throw new Error(`more than ${MAX_DATABASES} databases behind one bridge`);
      pool = new pg.Pool({
        host: target.host,
        port: target.port,
        user,
        password: decodeURIComponent(url.password),
        database,
        max: CONNECTIONS_PER_DATABASE,
        connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
        idleTimeoutMillis: 30_000,
        // Tells these sessions apart in pg_stat_activity (and the tests that a query came over HTTP).
        application_name: HTTP_SESSION_NAME,
      });
      // A pooled connection the server drops (a restart) is replaced on the next query.
      pool.on("error", () => {});
      pools.set(key, pool);
    }
    return pool;
  };

  const run = (client: pg.PoolClient | pg.Pool, q: SqlQuery) =>
    client.query({ text: q.query, values: q.params ?? [], rowMode: "array", types: rawText }).then((r) => ({
      fields: r.fields,
      rows: r.rows,
      command: r.command,
      rowCount: r.rowCount,
      rowAsArray: true,
    }));

  const execute = async (
    pool: pg.Pool,
    body: SqlQuery | { queries: SqlQuery[] },
    headers: IncomingMessage["headers"],
  ) => {
    if (!("queries" in body)) return run(pool, body);
    const client = await pool.connect();
    try {
      const isolation = String(headers["neon-batch-isolation-level"] ?? "")
        .replace(/([a-z])([A-Z])/g, "$1 $2")
        .toUpperCase();
      const mode = [
        /^(READ UNCOMMITTED|READ COMMITTED|REPEATABLE READ|SERIALIZABLE)$/.test(isolation)
          ? `ISOLATION LEVEL ${isolation}`
          : "",
        headers["neon-batch-read-only"] === "true" ? "READ ONLY" : "",
        headers["neon-batch-deferrable"] === "true" ? "DEFERRABLE" : "",
      ].filter(Boolean);
      await client.query(`BEGIN ${mode.join(" ")}`);
      const results = [];
      for (const q of body.queries) results.push(await run(client, q));
      await client.query("COMMIT");
      return { results };
    } catch (err) {
      await client.query("ROLLBACK").catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  };

  const reply = (res: ServerResponse, status: number, body: unknown) => {
    const text = typeof body === "string" ? body : JSON.stringify(body);
    res.writeHead(status, { "content-type": typeof body === "string" ? "text/plain" : "application/json" }).end(text);
  };

  return {
    handle(req, res, target) {
      const connectionString = req.headers["neon-connection-string"];
      if (req.method !== "POST" || typeof connectionString !== "string") {
        reply(res, 400, { message: "POST /sql with a Neon-Connection-String header" });
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      req.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) {
          reply(res, 413, `request body over ${MAX_BODY_BYTES} bytes`);
          req.destroy();
        } else chunks.push(chunk);
      });
      req.on("end", () => {
        let body: SqlQuery | { queries: SqlQuery[] };
        let pool: pg.Pool;
        try {
          body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
          pool = poolFor(target, connectionString);
        } catch (err) {
          reply(res, 400, { message: err instanceof Error ? err.message : String(err) });
          return;
        }
        execute(pool, body, req.headers).then(
          (result) => reply(res, 200, result),
          (err: unknown) => {
            // A Postgres error (it has a SQLSTATE) goes back with its fields, as Neon's proxy sends it.
            if (err instanceof pg.DatabaseError) {
              const fields = Object.fromEntries(ERROR_FIELDS.map((f) => [f, err[f]]));
              reply(res, 400, { message: err.message, ...fields });
            } else reply(res, 503, `postgres unreachable: ${err instanceof Error ? err.message : String(err)}`);
          },
        );
      });
    },
    async close() {
      await Promise.all([...pools.values()].map((p) => p.end().catch(() => {})));
      pools.clear();
    },
  };
}

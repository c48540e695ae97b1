// Dev-only: a ClickHouse-HTTP-compatible front over chdb (ClickHouse in-process), enough for the
// unmodified @clickhouse/client-web. Never imported by workers/.
//
// What it honours, as a ClickHouse server would: the query in `query=` and/or the body (joined by a
// newline, so `INSERT … FORMAT JSONEachRow` in the URL takes its rows from the body), `param_*`
// query parameters bound server-side to `{name:Type}` placeholders, `database=`, `default_format`,
// any other URL parameter as a setting, multipart bodies (`use_multipart_params`), gzip/deflate
// request bodies, /ping, and errors as HTTP 500 with "Code: N. DB::Exception: … (TYPE)" text and the
// X-ClickHouse-Exception-Code header. Authentication is accepted as given (any user/password).
import { randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { brotliDecompressSync, gunzipSync, inflateSync } from "node:zlib";
import { Session } from "chdb";
import { listenLocal } from "./listen";

export interface ClickHouseHttpOptions {
  port: number;
  host?: string;
  /** chdb's data directory; tables persist there between runs. */
  dataDir: string;
}

export interface RunningBridge {
  url: string;
  close(): Promise<void>;
}

/** URL parameters that steer the HTTP layer; every other one is a setting for the query. */
const HTTP_PARAMETERS = new Set([
  "query",
  "database",
  "default_format",
  "query_id",
  "session_id",
  "session_timeout",
  "session_check",
  "user",
  "password",
  "quota_key",
  "role",
  "compress",
  "decompress",
  "buffer_size",
  "wait_end_of_query",
  "enable_http_compression",
  "http_zlib_compression_level",
  "send_progress_in_http_headers",
  "http_headers_progress_interval_ms",
  "http_response_buffer_size",
  "stacktrace",
  "http_native_compression_disable_checksumming_on_decompress",
  "http_response_compression_method",
]);
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

class RequestError extends Error {}

export async function startClickHouseHttp(opts: ClickHouseHttpOptions): Promise<RunningBridge> {
  mkdirSync(opts.dataDir, { recursive: true });
  // Held for the life of the process: libchdb binds one data directory per process, and this keeps
  // it bound. Each request then gets its own connection at the same path (under 1 ms), so settings,
  // query parameters and the current database set for one request never leak into the next.
  const engine = new Session(opts.dataDir);
  const version = (await engine.queryAsync("SELECT version()", { format: "TabSeparated" })).text().trim();

  // Queries run one at a time: chdb documents that parameterized queries running at once on different
  // connections can clobber each other and abort the engine. For a dev server that costs nothing.
  let queue: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(work: () => Promise<T>): Promise<T> => {
    const run = queue.then(work, work);
    queue = run.catch(() => undefined);
    return run;
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => sendError(res, err, version));
  });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", "http://clickhouse");
    if (url.pathname === "/ping" || (url.pathname === "/" && !url.searchParams.has("query") && req.method !== "POST")) {
      res.writeHead(200, { "content-type": "text/plain; charset=UTF-8" }).end("Ok.\n");
      return;
    }
    if (url.pathname !== "/") throw new RequestError(`There is no handler for ${url.pathname}`);

    const params = new Map(url.searchParams);
    let body = decodeBody(await readBody(req), req.headers["content-encoding"]);
    const contentType = req.headers["content-type"] ?? "";
    if (contentType.startsWith("multipart/form-data")) {
      // clickhouse-js sends long query parameters (and then the query) as form fields.
      const form = await new Response(body, { headers: { "content-type": contentType } }).formData();
      for (const [name, value] of form) {
        if (typeof value !== "string") throw new RequestError("External data tables are not supported here");
        params.set(name, value);
      }
      body = Buffer.alloc(0);
    }

    const sqlFromUrl = params.get("query") ?? "";
    const bodyText = body.toString("utf8");
    const sql = sqlFromUrl && bodyText ? `${sqlFromUrl}\n${bodyText}` : sqlFromUrl || bodyText;
    if (!sql.trim()) throw new RequestError("Empty query");

    const prelude: string[] = [];
    const database = params.get("database");
    if (database) prelude.push(`USE ${quoteIdentifier(database)}`);
    for (const [name, value] of params) {
      const parameter = /^param_(.+)$/.exec(name)?.[1];
      if (parameter === undefined && HTTP_PARAMETERS.has(name)) continue;
      const key = parameter === undefined ? name : `param_${parameter}`;
      if (!IDENTIFIER.test(parameter ?? name))
        throw new RequestError(`Invalid parameter or setting name ${JSON.stringify(name)}`);
      // Passing the value through SET keeps it byte-for-byte what the client formatted (chdb's
      // queryBind would escape the client's already-escaped text a second time).
      prelude.push(`SET ${key} = ${quoteString(value)}`);
    }

    const defaultFormat = params.get("default_format") || "TabSeparated";
    const queryId = params.get("query_id") || randomUUID();
    const started = process.hrtime.bigint();
    const result = await exclusive(async () => {
      const connection = new Session(opts.dataDir);
      try {
        return await connection.queryAsync([...prelude, sql].join(";\n"), { format: defaultFormat });
      } finally {
        connection.close();
      }
    });
    const output = Buffer.from(result.bytes());
    const format = outputFormat(sql) ?? defaultFormat;
    const writtenRows = insertedRowCount(sqlFromUrl, bodyText);
    res.writeHead(200, {
      "content-type": contentTypeOf(format),
      "content-length": output.length,
      "x-clickhouse-query-id": queryId,
      "x-clickhouse-format": format,
      "x-clickhouse-timezone": "UTC",
      "x-clickhouse-server-display-name": "chdb",
      "x-clickhouse-summary": JSON.stringify({
        read_rows: String(result.rowsRead),
        read_bytes: String(result.bytesRead),
        written_rows: String(writtenRows),
        written_bytes: String(writtenRows > 0 ? body.length : 0),
        total_rows_to_read: "0",
        result_rows: String(writtenRows > 0 ? 0 : result.rowsRead),
        result_bytes: String(output.length),
        elapsed_ns: String(process.hrtime.bigint() - started),
      }),
    });
    res.end(output);
  };

  return listenLocal(server, { port: opts.port, host: opts.host }, async () => exclusive(async () => engine.close()));
}

function sendError(res: ServerResponse, err: unknown, version: string): void {
  const raw = err instanceof Error ? err.message : String(err);
  const clickhouse = /^Code: (\d+)\. /.exec(raw);
  const code = clickhouse?.[1] ?? "36";
  const text = clickhouse ? raw : `Code: 36. DB::Exception: ${raw}. (BAD_ARGUMENTS)`;
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const payload = `${text} (version ${version})\n`;
  res.writeHead(500, {
    "content-type": "text/plain; charset=UTF-8",
    "x-clickhouse-exception-code": code,
    "content-length": Buffer.byteLength(payload),
  });
  res.end(payload);
}

/** The FORMAT clause ending a SELECT-like query (an INSERT's FORMAT describes its input instead). */
function outputFormat(sql: string): string | null {
  const last = sql.trim().replace(/;\s*$/, "");
  if (/^\s*INSERT\b/i.test(last)) return null;
  return /\bFORMAT\s+([A-Za-z0-9_]+)\s*$/i.exec(last)?.[1] ?? null;
}

/** Rows sent in the body of `INSERT … FORMAT <line format>`, for the summary header. */
function insertedRowCount(sqlFromUrl: string, body: string): number {
  const format = /^\s*INSERT\b[\s\S]*\bFORMAT\s+([A-Za-z0-9_]+)\s*$/i.exec(sqlFromUrl)?.[1];
  if (!format || !body || !/^(JSONEachRow|JSONCompactEachRow|JSONStringsEachRow|TabSeparated|TSV|CSV)$/i.test(format))
    return 0;
  return body.split("\n").filter((line) => line.trim() !== "").length;
}

function contentTypeOf(format: string): string {
  if (/^JSON/i.test(format)) return "application/json; charset=UTF-8";
  if (/^(TabSeparated|TSV)/i.test(format)) return "text/tab-separated-values; charset=UTF-8";
  if (/^CSV/i.test(format)) return "text/csv; charset=UTF-8";
  return "text/plain; charset=UTF-8";
}

function quoteString(value: string): string {
  return `'${value.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

function quoteIdentifier(name: string): string {
  return `\`${name.replace(/\\/g, "\\\\").replace(/`/g, "\\`")}\``;
}

function decodeBody(body: Buffer, encoding: string | undefined): Buffer {
  switch ((encoding ?? "").toLowerCase()) {
    case "gzip":
      return gunzipSync(body);
    case "deflate":
      return inflateSync(body);
    case "br":
      return brotliDecompressSync(body);
    case "":
    case "identity":
      return body;
    default:
      throw new RequestError(`Unsupported Content-Encoding ${encoding}`);
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

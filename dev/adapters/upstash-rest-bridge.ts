// Dev-only: the Upstash Redis REST protocol in front of a local redis-server, so the unmodified
// @upstash/redis and @upstash/ratelimit clients run against it. Never imported by workers/.
//
// Protocol as the client uses it: POST / (one command as a JSON array), POST /pipeline and
// POST /multi-exec (arrays of commands), GET|POST /cmd/arg/... (path form), Bearer token (or
// ?_token=), replies {result} | {error}; with `Upstash-Encoding: base64` every string in a result,
// nested ones too, is base64 while numbers and null stay as they are.
//
// Counting: Upstash bills per command (each command of a pipeline or transaction counts), so the bridge
// counts every command it forwards, by name; `GET /__matchpulse/commands` (same token) answers
// {"total": n, "byName": {...}} since the bridge started. With `?marker=X` it also answers "marked": how
// many commands since X was first asked about had an argument containing X (e.g. one API client's id),
// so a test can count its own commands while others run. The bench and test/cost.test.ts read it.
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { Command, Redis } from "ioredis";
import { listenLocal } from "./listen";

/** Redis connections the bridge spreads requests over (see startUpstashRestBridge). */
const CONNECTIONS = 4;

export interface UpstashRestBridgeOptions {
  port: number;
  host?: string;
  /** e.g. redis://127.0.0.1:6379 */
  redisUrl: string;
  token: string;
}

export interface RunningBridge {
  url: string;
  close(): Promise<void>;
}

type RedisReply = Buffer | string | number | null | Error | RedisReply[];
type JsonReply = string | number | null | JsonReply[];
type CommandReply = { result: RedisReply } | { error: string };

// Script flags Redis 7 knows. Upstash's own ones (ratelimit's `allow-key-locking`) make stock Redis
// reject the script ("Unexpected flag in script shebang"), so they are dropped before Redis sees it.
const REDIS_SCRIPT_FLAGS = new Set(["no-writes", "allow-oom", "allow-stale", "no-cluster", "allow-cross-slot-keys"]);

export async function startUpstashRestBridge(opts: UpstashRestBridgeOptions): Promise<RunningBridge> {
  // Protocol 2 and a raw Command (no reply transformer, buffers kept): ioredis defaults to RESP3 and
  // reshapes some replies (HGETALL into an object), which the Upstash client does not expect. A few
  // connections, each request on the least busy one: on a single connection every command waits for
  // all those sent before it (Redis answers a connection in order), so a small read queued behind a
  // settlement's large script calls waited for all of them; Redis itself still runs one command at a
  // time. One request's commands (a pipeline, a transaction) share one connection, in order.
  const connections = await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      const redis = new Redis(opts.redisUrl, {
        protocol: 2,
        lazyConnect: true,
        enableAutoPipelining: false,
        maxRetriesPerRequest: 2,
      });
      redis.on("error", (err: Error) => console.error(`[upstash-rest-bridge] redis: ${err.message}`));
      await redis.connect();
      return { redis, inFlight: 0 };
    }),
  );
  const leastBusy = () => connections.reduce((a, b) => (b.inFlight < a.inFlight ? b : a));

  // The client's script SHA (of the script it knows) → the SHA of the script Redis actually holds.
  const scriptShas = new Map<string, string>();

  const send = (conn: (typeof connections)[number], args: string[]): Promise<RedisReply> => {
    const [name, ...rest] = rewriteScriptCommand(args, scriptShas);
    const command = new Command(name ?? "", rest, { replyEncoding: null });
    // The reply as parsed (buffers, numbers, nested arrays), without ioredis's reshaping.
    (command as unknown as { transformReply: (reply: unknown) => unknown }).transformReply = (reply) => reply;
    conn.inFlight++;
    conn.redis.sendCommand(command);
    const reply = command.promise as Promise<RedisReply>;
    reply.then(
      () => conn.inFlight--,
      () => conn.inFlight--,
    );
    return reply;
  };

  const counted = { total: 0, byName: new Map<string, number>(), marked: new Map<string, number>() };
  const count = (args: string[]) => {
    const name = (args[0] ?? "").toUpperCase();
    counted.total++;
    for (const [marker, n] of counted.marked) {
      if (args.some((a) => a.includes(marker))) counted.marked.set(marker, n + 1);
    }
    if (counted.byName.has(name) || counted.byName.size < 100)
      counted.byName.set(name, (counted.byName.get(name) ?? 0) + 1);
  };

  const run = async (args: string[], conn = leastBusy()): Promise<CommandReply> => {
    count(args);
    try {
      const reply = await send(conn, args);
      return { result: restoreClientSha(args, reply) };
    } catch (err) {
      return { error: errorText(err) };
    }
  };

  const runTransaction = async (commands: string[][]): Promise<CommandReply[] | { error: string }> => {
    for (const c of commands) count(c);
    // All written in one tick on one connection, so no other request's command can land between MULTI
    // and EXEC on it.
    const conn = leastBusy();
    const multi = send(conn, ["MULTI"]);
    const queued = commands.map((c) => send(conn, c));
    const exec = send(conn, ["EXEC"]);
    const settled = await Promise.allSettled([multi, ...queued, exec]);
    const execResult = settled[settled.length - 1];
    if (!execResult || execResult.status === "rejected") {
      const queueError = settled.find((s) => s.status === "rejected") as PromiseRejectedResult | undefined;
      return { error: errorText(queueError?.reason ?? execResult) };
    }
    const replies = execResult.value;
    if (!Array.isArray(replies)) return { error: "EXECABORT Transaction discarded" };
    return replies.map(
      (reply, i): CommandReply =>
        reply instanceof Error ? { error: errorText(reply) } : { result: restoreClientSha(commands[i] ?? [], reply) },
    );
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => reply(res, 500, { error: errorText(err) }));
  });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", "http://bridge");
    const token = bearerToken(req.headers.authorization) ?? url.searchParams.get("_token");
    const syncToken = req.headers["upstash-sync-token"];
    if (typeof syncToken === "string" && syncToken) res.setHeader("upstash-sync-token", syncToken);
    if (token !== opts.token) return reply(res, 401, { error: "Unauthorized" });

    if (url.pathname === "/__matchpulse/commands" && req.method === "GET") {
      const marker = url.searchParams.get("marker");
      if (marker && !counted.marked.has(marker)) {
        if (counted.marked.size >= 100) counted.marked.clear();
        counted.marked.set(marker, 0);
      }
      return reply(res, 200, {
        total: counted.total,
        byName: Object.fromEntries(counted.byName),
        ...(marker ? { marked: counted.marked.get(marker) ?? 0 } : {}),
      });
    }
    const base64 = String(req.headers["upstash-encoding"] ?? "").toLowerCase() === "base64";
    const encode = (r: CommandReply): unknown => ("result" in r ? { result: toJson(r.result, base64) } : r);
    const body = await readBody(req);
    const path = url.pathname.replace(/\/+$/, "");

    if (path === "/pipeline" || path === "/multi-exec") {
      const commands = parseCommands(body, true);
      if (typeof commands === "string") return reply(res, 400, { error: commands });
      if (path === "/pipeline") {
        const conn = leastBusy();
        const results = await Promise.all(commands.map((c) => run(c, conn)));
        return reply(res, 200, results.map(encode));
      }
      const results = await runTransaction(commands);
      return Array.isArray(results) ? reply(res, 200, results.map(encode)) : reply(res, 400, results);
    }

    let command: string[] | string;
    if (path === "") {
      if (req.method === "GET") return reply(res, 200, { result: "Welcome to the Matchpulse Upstash REST bridge" });
      command = parseCommands(body, false);
    } else {
      // Path form: /set/key/value, with a POST body (if any) as the last argument.
      command = path.slice(1).split("/").map(decodeURIComponent);
      if (body.length > 0) command.push(body.toString("utf8"));
    }
    if (typeof command === "string") return reply(res, 400, { error: command });
    const result = await run(command);
    reply(res, "error" in result ? 400 : 200, encode(result));
  };

  return listenLocal(server, { port: opts.port, host: opts.host }, async () => {
    await Promise.all(connections.map(({ redis }) => redis.quit().catch(() => redis.disconnect())));
  });
}

function rewriteScriptCommand(args: string[], scriptShas: Map<string, string>): string[] {
  const name = (args[0] ?? "").toUpperCase();
  if ((name === "EVAL" || name === "EVAL_RO") && args[1] !== undefined) {
    return [args[0]!, rememberScript(args[1], scriptShas), ...args.slice(2)];
  }
  if ((name === "EVALSHA" || name === "EVALSHA_RO") && args[1] !== undefined) {
    return [args[0]!, scriptShas.get(args[1].toLowerCase()) ?? args[1], ...args.slice(2)];
  }
  if (name === "SCRIPT" && args[2] !== undefined) {
    const sub = (args[1] ?? "").toUpperCase();
    if (sub === "LOAD") return [args[0]!, args[1]!, rememberScript(args[2], scriptShas)];
    if (sub === "EXISTS")
      return [...args.slice(0, 2), ...args.slice(2).map((s) => scriptShas.get(s.toLowerCase()) ?? s)];
  }
  return args;
}

// SCRIPT LOAD answers with the SHA of what Redis stored; the client expects the SHA of its own script.
function restoreClientSha(args: string[], reply: RedisReply): RedisReply {
  const isLoad = (args[0] ?? "").toUpperCase() === "SCRIPT" && (args[1] ?? "").toUpperCase() === "LOAD";
  return isLoad && args[2] !== undefined ? sha1(args[2]) : reply;
}

function rememberScript(script: string, scriptShas: Map<string, string>): string {
  const supported = withSupportedShebang(script);
  if (supported !== script) scriptShas.set(sha1(script), sha1(supported));
  return supported;
}

function withSupportedShebang(script: string): string {
  const shebang = /^#!lua([^\n]*)/.exec(script);
  if (!shebang) return script;
  const flags = (/flags=(\S*)/.exec(shebang[1] ?? "")?.[1] ?? "").split(",").filter((f) => REDIS_SCRIPT_FLAGS.has(f));
  return `#!lua${flags.length > 0 ? ` flags=${flags.join(",")}` : ""}${script.slice(shebang[0].length)}`;
}

function sha1(text: string): string {
  return createHash("sha1").update(text).digest("hex");
}

function toJson(value: RedisReply, base64: boolean): JsonReply {
  if (value === null || typeof value === "number") return value;
  if (Buffer.isBuffer(value)) return value.toString(base64 ? "base64" : "utf8");
  if (typeof value === "string") return base64 ? Buffer.from(value).toString("base64") : value;
  if (value instanceof Error) return toJson(errorText(value), base64);
  return (value as RedisReply[]).map((v) => toJson(v, base64));
}

function parseCommands(body: Buffer, many: true): string[][] | string;
function parseCommands(body: Buffer, many: false): string[] | string;
function parseCommands(body: Buffer, many: boolean): string[][] | string[] | string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString("utf8"));
  } catch {
    return "ERR the request body must be JSON";
  }
  const asCommand = (c: unknown): string[] | null =>
    Array.isArray(c) && c.length > 0 ? c.map((a) => (typeof a === "string" ? a : JSON.stringify(a))) : null;
  if (!many) return asCommand(parsed) ?? "ERR the body must be a non-empty array: [command, ...args]";
  if (!Array.isArray(parsed) || parsed.length === 0) return "ERR the body must be a non-empty array of commands";
  const commands = parsed.map(asCommand);
  return commands.every((c): c is string[] => c !== null) ? commands : "ERR every command must be a non-empty array";
}

function bearerToken(header: string | undefined): string | null {
  const match = /^Bearer\s+(.+)$/i.exec(header ?? "");
  return match?.[1]?.trim() ?? null;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

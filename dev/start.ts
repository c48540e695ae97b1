// `npm start`: the whole platform on this machine — PostgreSQL, Redis, embedded ClickHouse, the three
// local adapters, migrations, a developer API key, `wrangler dev` — and, unless MATCHPULSE_DEMO=0, a demo
// feed. Ctrl-C (or SIGTERM) stops everything it started. Data persists in .local/ (`npm run reset`).
import { existsSync, openSync, readSync, statSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { migrate } from "./migrate";
import { DEFAULT_DEV_API_KEY, seedDevClient } from "./seed";
import { DEV_DATA_DIR, DEV_PORT_BASE, PROJECT_ROOT, portsFrom, startStack, type Stack } from "./stack";
import { assertPortFree, startService, type RunningService } from "./stack/service-process";

const root = PROJECT_ROOT;
const dataDir = resolve(process.env.MATCHPULSE_DATA_DIR ?? DEV_DATA_DIR);
const port = Number(process.env.PORT ?? 8787);
const apiKey = process.env.MATCHPULSE_DEV_API_KEY || DEFAULT_DEV_API_KEY;
const say = (msg: string) => console.log(`[matchpulse] ${msg}`);

/** `wrangler dev` as a supervised service, with the local stack's URLs as Worker variables. */
export async function startWorker(stackEnv: Record<string, string>, opts: { port: number; dataDir: string }): Promise<RunningService> {
  await assertPortFree(opts.port, "wrangler dev (set PORT to use another)");
  const vars = Object.entries(stackEnv).flatMap(([k, v]) => ["--var", `${k}:${v}`]);
  return startService(
    { runDir: join(opts.dataDir, "run"), logDir: join(opts.dataDir, "logs") },
    {
      name: "wrangler",
      command: process.execPath,
      args: [
        join(root, "node_modules/wrangler/bin/wrangler.js"),
        "dev",
        "--port", String(opts.port),
        "--ip", "127.0.0.1",
        "--persist-to", join(opts.dataDir, "wrangler"),
        "--show-interactive-dev-session=false",
        ...vars,
      ],
      cwd: root,
      env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" },
      isReady: async () => (await fetch(`http://127.0.0.1:${opts.port}/health`)).ok,
      readyTimeoutMs: 90_000,
    },
  );
}

/** Streams a log file's new lines to stdout (wrangler writes to its log; the terminal shows it too). */
function follow(file: string): () => void {
  let offset = existsSync(file) ? statSync(file).size : 0;
  const timer = setInterval(() => {
    if (!existsSync(file)) return;
    const size = statSync(file).size;
    if (size <= offset) return;
    const fd = openSync(file, "r");
    const buf = Buffer.alloc(size - offset);
    readSync(fd, buf, 0, buf.length, offset);
    offset = size;
    process.stdout.write(buf);
  }, 250);
  return () => clearInterval(timer);
}

async function main(): Promise<void> {
  const started = performance.now();
  await mkdir(dataDir, { recursive: true });
  const ports = portsFrom(Number(process.env.MATCHPULSE_PORT_BASE ?? DEV_PORT_BASE));
  let stack: Stack | undefined;
  let worker: RunningService | undefined;
  let stopFollowing = () => {};
  let stopping = false;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    say("stopping…");
    stopFollowing();
    await worker?.stop().catch(() => {});
    await stack?.stop().catch(() => {});
    say("stopped");
    process.exit(code);
  };
  process.on("SIGINT", () => void shutdown(0));
  process.on("SIGTERM", () => void shutdown(0));

  try {
    stack = await startStack({ dataDir, ports, upstashToken: process.env.UPSTASH_REDIS_REST_TOKEN || "matchpulse-local-token", log: say });
    await migrate(stack.env, say);
    await seedDevClient(stack.env, apiKey);
    say("starting wrangler dev…");
    worker = await startWorker(stack.env, { port, dataDir });
  } catch (err) {
    console.error(`[matchpulse] start failed: ${err instanceof Error ? err.message : String(err)}`);
    await shutdown(1);
    return;
  }
  const base = `http://127.0.0.1:${port}`;
  say(`ready in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  console.log(`
  API        ${base}            (health: ${base}/health, readiness: ${base}/ready, metrics: ${base}/metrics)
  API key    ${apiKey}   (scopes ingest, read, admin; set MATCHPULSE_DEV_API_KEY to change)
  Post       curl -X POST ${base}/v1/events -H 'authorization: Bearer ${apiKey}' -H 'content-type: application/json' -d @event.json
  Watch      ${base.replace("http", "ws")}/v1/matches/<matchId>/live?token=${apiKey}
  Data       ${dataDir}  (npm run reset to wipe)   Logs: ${join(dataDir, "logs")}
  Stop       Ctrl-C
`);
  stopFollowing = follow(worker.logFile);
}

await main();

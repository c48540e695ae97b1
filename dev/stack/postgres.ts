// A private PostgreSQL cluster in <dataDir>/postgres, on its own port, never the system one.
//
// PostgreSQL refuses to run as root, so as root initdb and postgres run as the `postgres` user via
// setpriv (it execs in place, so the PID we record is the postmaster's own). That user must be able
// to reach the cluster directory; when a parent of dataDir is closed to other users (a clone under
// /root, say), the cluster lives in /var/tmp instead, with <dataDir>/postgres a symlink to it.
import { execFile, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
} from "node:fs";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { type ServiceSpec, viaSetpriv } from "./service-process";

const run = promisify(execFile);
// Our server has no TLS; a developer's PGSSLMODE=require must not make the client tools refuse it.
const clientEnv = { ...process.env, PGSSLMODE: "disable", PGCONNECT_TIMEOUT: "5" };

export interface PostgresCluster {
  pgData: string;
  /** setpriv options that run a PostgreSQL program as the `postgres` user ([] when we are not root). */
  asPostgres: string[];
  /** Directory for the Unix socket, or "" (TCP only) when the path would be too long for a socket. */
  socketDir: string;
}

export function preparePostgresCluster(bin: string, dataDir: string, log: (msg: string) => void): PostgresCluster {
  const isRoot = process.getuid?.() === 0;
  let owner: { uid: number; gid: number } | null = null;
  let asPostgres: string[] = [];
  if (isRoot) {
    owner = postgresUser();
    asPostgres = [`--reuid=${owner.uid}`, `--regid=${owner.gid}`, "--clear-groups"];
    chmodSync(dataDir, 0o755);
  }

  const link = join(dataDir, "postgres");
  let pgData = link;
  if (isSymlink(link)) {
    pgData = resolve(dataDir, readlinkSync(link));
  } else if (isRoot && !existsSync(link) && !canReach(asPostgres, dataDir)) {
    pgData = `/var/tmp/matchpulse-postgres-${createHash("sha1").update(dataDir).digest("hex").slice(0, 12)}`;
    symlinkSync(pgData, link);
    log(
      `the postgres user cannot reach ${dataDir} (a parent directory is closed to other users); the cluster lives in ${pgData}`,
    );
  }

  if (!existsSync(join(pgData, "PG_VERSION"))) {
    // A half-made cluster (initdb interrupted) is ours to replace; initdb wants an empty directory.
    if (existsSync(pgData) && readdirSync(pgData).length > 0) rmSync(pgData, { recursive: true, force: true });
    mkdirSync(pgData, { recursive: true, mode: 0o700 });
    if (owner) chownSync(pgData, owner.uid, owner.gid);
    log(`initdb ${pgData}`);
    const initdb = viaSetpriv(asPostgres, "TERM", join(bin, "initdb"), [
      "-D",
      pgData,
      "-U",
      "postgres",
      "-A",
      "trust",
      "-E",
      "UTF8",
      "--no-locale",
      "--no-sync",
    ]);
    const result = spawnSync(initdb.command, initdb.args, { cwd: "/", encoding: "utf8" });
    if (result.status !== 0) {
      throw new Error(
        `initdb failed for ${pgData} (${result.error?.message ?? `exit ${result.status}`}):\n${result.stderr || result.stdout}`,
      );
    }
  } else {
    const clusterVersion = readFileSync(join(pgData, "PG_VERSION"), "utf8").trim();
    const serverVersion = /postgresql\/(\d+)\//.exec(bin)?.[1];
    if (serverVersion && clusterVersion !== serverVersion) {
      throw new Error(
        `${pgData} holds a PostgreSQL ${clusterVersion} cluster but the server found is ${serverVersion}; run \`npm run reset\` to start over`,
      );
    }
  }

  // Unix socket paths are limited to 107 bytes; beyond that we listen on TCP only.
  const socketDir = join(pgData, ".s.PGSQL.65535").length < 100 ? pgData : "";
  return { pgData, asPostgres, socketDir };
}

export function postgresService(bin: string, cluster: PostgresCluster, port: number): ServiceSpec {
  // SIGINT is PostgreSQL's "fast" shutdown, also when we die without stopping it.
  const { command, args } = viaSetpriv(cluster.asPostgres, "INT", join(bin, "postgres"), [
    "-D",
    cluster.pgData,
    "-p",
    String(port),
    "-k",
    cluster.socketDir,
    "-c",
    "listen_addresses=127.0.0.1",
    // Loses at most the last few hundred ms of commits on a machine crash, never consistency.
    "-c",
    "synchronous_commit=off",
    // Every Worker request and new match room opens its own connection (Neon's pooler absorbs that in
    // production); bursts of new matches need more than the default 100 here.
    "-c",
    "max_connections=400",
    // The default 128 MB holds less than a million-guess game's table and indexes: settlement's first
    // passes evicted and re-read pages (kernel time that starved the Worker's reads). Neon sizes its own.
    "-c",
    "shared_buffers=1GB",
  ]);
  return {
    name: "postgres",
    command,
    args,
    cwd: "/",
    stopSignal: "SIGINT",
    isReady: async () => {
      await run(join(bin, "pg_isready"), ["-q", "-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "-t", "1"], {
        env: clientEnv,
      });
      return true;
    },
  };
}

export async function createDatabase(bin: string, port: number, name: string): Promise<void> {
  const psql = (sql: string) =>
    run(
      join(bin, "psql"),
      ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-tAc", sql],
      { env: clientEnv },
    );
  const { stdout } = await psql(`SELECT 1 FROM pg_database WHERE datname = '${name}'`);
  if (stdout.trim() !== "1") await psql(`CREATE DATABASE "${name}"`);
}

function postgresUser(): { uid: number; gid: number } {
  const line = readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .find((l) => l.startsWith("postgres:"));
  const [, , uid, gid] = line?.split(":") ?? [];
  if (uid === undefined || gid === undefined) {
    throw new Error(
      "running as root, but there is no `postgres` user to run PostgreSQL as (the Debian package `postgresql` creates it)",
    );
  }
  return { uid: Number(uid), gid: Number(gid) };
}

function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

function canReach(asPostgres: string[], dir: string): boolean {
  const { command, args } = viaSetpriv(asPostgres, "TERM", "test", ["-x", dir]);
  return spawnSync(command, args).status === 0;
}

// Finds the PostgreSQL and Redis server binaries (Debian packages `postgresql`, `redis-server`) and, for
// the browser test, Chromium (`chromium`); installs them with apt-get when they are missing and we may
// (root on Debian/Ubuntu).
import { spawn } from "node:child_process";
import { accessSync, closeSync, constants, existsSync, openSync, readdirSync, readFileSync } from "node:fs";
import { delimiter, join } from "node:path";

export interface SystemBinaries {
  /** e.g. /usr/lib/postgresql/15/bin (initdb, postgres, pg_isready, psql) */
  postgresBin: string;
  redisServer: string;
}

const PACKAGES = { postgres: "postgresql", redis: "redis-server" } as const;

export async function findOrInstallBinaries(logDir: string, log: (msg: string) => void): Promise<SystemBinaries> {
  let found = findBinaries();
  const missing = missingPackages(found);
  if (missing.length === 0) return found as SystemBinaries;

  const command = `apt-get update && apt-get install -y ${missing.join(" ")}`;
  const isRoot = process.getuid?.() === 0;
  if (!isRoot || !existsSync("/etc/debian_version") || !onPath("apt-get")) {
    throw new Error(
      `${missing.join(" and ")} ${missing.length > 1 ? "are" : "is"} not installed (looked for /usr/lib/postgresql/*/bin/postgres and redis-server on PATH). ` +
        `Install with: ${isRoot ? command : `sudo sh -c '${command}'`}`,
    );
  }
  const logFile = join(logDir, "apt-get.log");
  log(`installing ${missing.join(" ")} with apt-get (they are missing; output in ${logFile})`);
  await runLogged("apt-get", ["update"], logFile);
  await runLogged("apt-get", ["install", "-y", "--no-install-recommends", ...missing], logFile);
  found = findBinaries();
  const stillMissing = missingPackages(found);
  if (stillMissing.length > 0) {
    throw new Error(`apt-get finished but ${stillMissing.join(" and ")} still cannot be found; see ${logFile}`);
  }
  return found as SystemBinaries;
}

/** Debian's Chromium, which the browser test drives through playwright-core. */
export const CHROMIUM = "/usr/bin/chromium";

/**
 * The Chromium binary; installed with apt-get when missing (as root on Debian/Ubuntu), else an error that
 * names the command. `at` and `asRoot` exist for the test of that error.
 */
export async function findOrInstallChromium(
  logDir: string,
  log: (msg: string) => void,
  { at = CHROMIUM, asRoot = process.getuid?.() === 0 }: { at?: string; asRoot?: boolean } = {},
): Promise<string> {
  if (isExecutable(at)) return at;
  const command = "apt-get update && apt-get install -y chromium";
  if (!asRoot || !existsSync("/etc/debian_version") || !onPath("apt-get")) {
    throw new Error(
      `chromium is not installed (looked for ${at}); the browser test needs it. ` +
        `Install with: ${asRoot ? command : `sudo sh -c '${command}'`}`,
    );
  }
  const logFile = join(logDir, "apt-get.log");
  log(`installing chromium with apt-get (it is missing; output in ${logFile})`);
  await runLogged("apt-get", ["update"], logFile);
  await runLogged("apt-get", ["install", "-y", "--no-install-recommends", "chromium"], logFile);
  if (!isExecutable(at)) throw new Error(`apt-get finished but ${at} still cannot be found; see ${logFile}`);
  return at;
}

function findBinaries(): Partial<SystemBinaries> {
  return { postgresBin: findPostgresBin(), redisServer: findOnPath("redis-server") };
}

function missingPackages(found: Partial<SystemBinaries>): string[] {
  return [...(found.postgresBin ? [] : [PACKAGES.postgres]), ...(found.redisServer ? [] : [PACKAGES.redis])];
}

/** The newest /usr/lib/postgresql/<major>/bin that has the server. */
function findPostgresBin(): string | undefined {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return undefined;
  return readdirSync(root)
    .filter((v) => /^\d+$/.test(v))
    .sort((a, b) => Number(b) - Number(a))
    .map((v) => join(root, v, "bin"))
    .find((bin) => ["postgres", "initdb", "pg_isready", "psql"].every((tool) => isExecutable(join(bin, tool))));
}

function findOnPath(name: string): string | undefined {
  const dirs = [
    ...(process.env.PATH ?? "").split(delimiter),
    "/usr/bin",
    "/usr/sbin",
    "/usr/local/bin",
    "/bin",
    "/sbin",
  ];
  return dirs
    .filter(Boolean)
    .map((d) => join(d, name))
    .find(isExecutable);
}

function onPath(name: string): boolean {
  return findOnPath(name) !== undefined;
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function runLogged(command: string, args: string[], logFile: string): Promise<void> {
  const fd = openSync(logFile, "a");
  const child = spawn(command, args, {
    stdio: ["ignore", fd, fd],
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
  });
  closeSync(fd);
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => {
      if (code === 0) return resolve();
      const tail = readFileSync(logFile, "utf8").trimEnd().split("\n").slice(-15).join("\n");
      reject(new Error(`${command} ${args.join(" ")} failed (exit ${code}); see ${logFile}:\n${tail}`));
    });
  });
}

// One local service as a child process: its log file, its PID file, its readiness wait, and its stop.
//
// Children are spawned detached (each leads its own process group): a Ctrl-C in the terminal then
// reaches only our process, which stops them in order, and signalling the group also reaches
// PostgreSQL's backends. A PID file records "pid starttime" (the start time from /proc) so that a
// leftover from a crashed run is recognised even after its PID was reused by something else.
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { connect, createServer } from "node:net";
import { delimiter, join } from "node:path";

export interface ServiceSpec {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** PostgreSQL wants SIGINT ("fast" shutdown); SIGTERM would wait for every client to disconnect. */
  stopSignal?: NodeJS.Signals;
  /** One readiness probe; resolves true once the service answers. */
  isReady: () => Promise<boolean>;
  readyTimeoutMs?: number;
}

export interface RunningService {
  name: string;
  pid: number;
  logFile: string;
  stop(): Promise<void>;
}

export interface ServiceDirs {
  runDir: string;
  logDir: string;
}

const STOP_GRACE_MS = 10_000;

export async function startService(dirs: ServiceDirs, spec: ServiceSpec): Promise<RunningService> {
  const logFile = join(dirs.logDir, `${spec.name}.log`);
  const pidFile = join(dirs.runDir, `${spec.name}.pid`);
  const logFd = openSync(logFile, "a");
  writeSync(logFd, `\n--- ${new Date().toISOString()} starting: ${spec.command} ${spec.args.join(" ")}\n`);
  let child: ChildProcess;
  try {
    child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: spec.env ?? process.env,
      detached: true,
      stdio: ["ignore", logFd, logFd],
    });
  } finally {
    closeSync(logFd);
  }

  let exitCode: number | string | null = null;
  const exited = new Promise<void>((resolve) => {
    child.once("exit", (code, signal) => {
      exitCode = code ?? signal ?? "unknown";
      resolve();
    });
    child.once("error", (err) => {
      exitCode = `failed to start (${err.message})`;
      resolve();
    });
  });
  if (child.pid !== undefined) writePidFile(pidFile, child.pid);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      if (exitCode === null && child.pid !== undefined) {
        signalGroup(child.pid, spec.stopSignal ?? "SIGTERM");
        let timer: NodeJS.Timeout | undefined;
        const graceful = await Promise.race([
          exited.then(() => true),
          new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), STOP_GRACE_MS))),
        ]);
        clearTimeout(timer);
        if (!graceful) {
          signalGroup(child.pid, "SIGKILL");
          await exited;
        }
      }
      // Stragglers of the group (children the leader did not take down) go too.
      if (child.pid !== undefined) await killGroupMembers(child.pid);
      rmSync(pidFile, { force: true });
    })());

  if (child.pid === undefined) {
    await exited;
    throw new Error(`${spec.name} could not be started: ${spec.command} ${exitCode ?? ""}`);
  }
  const service: RunningService = { name: spec.name, pid: child.pid, logFile, stop };
  const timeoutMs = spec.readyTimeoutMs ?? 20_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exitCode !== null) {
      await stop();
      throw new Error(`${spec.name} exited during start-up (${exitCode}); see ${logFile}:\n${logTail(logFile)}`);
    }
    if (await spec.isReady().catch(() => false)) return service;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${spec.name} was not ready after ${timeoutMs / 1000} s; see ${logFile}:\n${logTail(logFile)}`);
    }
    await Promise.race([sleep(100), exited]);
  }
}

/**
 * The command run through setpriv (util-linux): `options` (e.g. credentials) plus a parent-death
 * signal, so the server also stops if the process that started it dies without cleaning up.
 * Without setpriv the command runs as is (only possible when no options are needed).
 */
export function viaSetpriv(
  options: string[],
  parentDeathSignal: "INT" | "TERM",
  command: string,
  args: string[],
): { command: string; args: string[] } {
  const setpriv = [...(process.env.PATH ?? "").split(delimiter), "/usr/bin", "/bin"]
    .filter(Boolean)
    .map((dir) => join(dir, "setpriv"))
    .find((file) => existsSync(file));
  if (!setpriv) {
    if (options.length > 0)
      throw new Error("setpriv (Debian package util-linux) is needed to run PostgreSQL as the postgres user");
    return { command, args };
  }
  return { command: setpriv, args: [...options, "--pdeathsig", parentDeathSignal, "--", command, ...args] };
}

/** Fails with a message naming the service when something already listens on its port. */
export async function assertPortFree(port: number, service: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once("error", (err: NodeJS.ErrnoException) => {
      reject(
        new Error(
          err.code === "EADDRINUSE"
            ? `port ${port} for ${service} is already in use by another program`
            : `port ${port} for ${service} cannot be used: ${err.message}`,
        ),
      );
    });
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolve()));
  });
}

export function tcpAccepts(port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

export interface RecordedProcess {
  name: string;
  pid: number;
  pidFile: string;
}

/** Processes named by PID files in runDir that are still the very processes that wrote them. */
export function liveRecordedProcesses(runDir: string): RecordedProcess[] {
  if (!existsSync(runDir)) return [];
  const live: RecordedProcess[] = [];
  for (const file of readdirSync(runDir)) {
    if (!file.endsWith(".pid")) continue;
    const pidFile = join(runDir, file);
    const recorded = readPidFile(pidFile);
    if (recorded && isSameProcess(recorded.pid, recorded.startTime)) {
      live.push({ name: file.slice(0, -".pid".length), pid: recorded.pid, pidFile });
    } else {
      rmSync(pidFile, { force: true });
    }
  }
  return live;
}

/** Stops the processes the PID files in runDir name (leftovers of a run that crashed). */
export async function stopRecordedProcesses(runDir: string, log: (msg: string) => void): Promise<void> {
  await Promise.all(
    liveRecordedProcesses(runDir).map(async ({ name, pid, pidFile }) => {
      log(`stopping ${name} (pid ${pid}) left over from a previous run`);
      signalGroup(pid, name === "postgres" ? "SIGINT" : "SIGTERM");
      const deadline = Date.now() + STOP_GRACE_MS;
      while (isAlive(pid) && Date.now() < deadline) await sleep(100);
      await killGroupMembers(pid);
      rmSync(pidFile, { force: true });
    }),
  );
}

export function readPidFile(pidFile: string): { pid: number; startTime: string | null } | null {
  if (!existsSync(pidFile)) return null;
  const [pid, startTime] = readFileSync(pidFile, "utf8").trim().split(/\s+/);
  const n = Number(pid);
  return Number.isInteger(n) && n > 0 ? { pid: n, startTime: startTime || null } : null;
}

export function writePidFile(pidFile: string, pid: number): void {
  writeFileSync(pidFile, `${pid} ${processStartTime(pid) ?? ""}\n`);
}

export function isSameProcess(pid: number, startTime: string | null): boolean {
  if (!isAlive(pid)) return false;
  const now = processStartTime(pid);
  return startTime === null || now === null || now === startTime;
}

/** Field 22 of /proc/<pid>/stat: when the process started, in clock ticks since boot (Linux only). */
function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may contain spaces; the fields after its closing parenthesis do not.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? null;
  } catch {
    return null;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
  // A zombie has exited; only its parent has not collected it yet.
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, "utf8"));
  } catch {
    return true;
  }
}

/** SIGKILLs what is left of process group `pgid` and waits (up to 2 s) until none of it runs. */
async function killGroupMembers(pgid: number): Promise<void> {
  signalGroup(pgid, "SIGKILL");
  const deadline = Date.now() + 2_000;
  while (groupHasLiveMembers(pgid) && Date.now() < deadline) await sleep(20);
}

function groupHasLiveMembers(pgid: number): boolean {
  let entries: string[];
  try {
    entries = readdirSync("/proc").filter((e) => /^\d+$/.test(e));
  } catch {
    return false;
  }
  return entries.some((pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      // After the command name: state, ppid, pgrp, …
      const [state, , group] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      return Number(group) === pgid && state !== "Z" && state !== "X";
    } catch {
      return false;
    }
  });
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, signal);
      return;
    } catch {
      // No such group (the leader was not detached) or already gone: try the process, then give up.
    }
  }
}

function logTail(file: string, lines = 20): string {
  try {
    return readFileSync(file, "utf8")
      .trimEnd()
      .split("\n")
      .slice(-lines)
      .map((l) => `  | ${l}`)
      .join("\n");
  } catch {
    return "  (no log)";
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

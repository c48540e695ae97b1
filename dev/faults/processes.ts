// Kill and restart one service of a running local stack, for the fault suite. The stack (dev/stack)
// records each service's PID in <dataDir>/run/<name>.pid; the process's own command line, working
// directory, environment and user (from /proc) are enough to start it again the same way, so this
// needs nothing from the stack's internals. Processes restarted here are this suite's to stop.
import { type ChildProcess, spawn } from "node:child_process";
import { openSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { liveRecordedProcesses, tcpAccepts } from "../stack/service-process";

export interface ProcessImage {
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  uid: number;
  gid: number;
}

function imageOf(pid: number, port: number): ProcessImage {
  let argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
  // redis-server rewrites its process title ("redis-server 127.0.0.1:port"): its arguments are the stack's.
  if (argv.length === 1 && argv[0]!.includes("redis-server")) {
    // The title's first word, not /proc/pid/exe: redis-server is a link that dispatches on its argv[0].
    argv = [argv[0]!.split(" ")[0]!, "--port", String(port), "--bind", "127.0.0.1", "--save", ""];
    argv.push("--appendonly", "no", "--daemonize", "no");
  }
  const env = Object.fromEntries(
    readFileSync(`/proc/${pid}/environ`, "utf8")
      .split("\0")
      .filter(Boolean)
      .map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
  );
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const id = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)`, "m").exec(status)?.[1] ?? process.getuid?.());
  return { argv, cwd: readlinkSync(`/proc/${pid}/cwd`), env, uid: id("Uid"), gid: id("Gid") };
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class ServiceKiller {
  private readonly restarted: ChildProcess[] = [];
  constructor(private readonly dataDir: string) {}

  /** SIGKILLs the service's process group (no clean shutdown) and returns how to start it again. */
  async kill(name: string, port: number): Promise<ProcessImage> {
    const service = liveRecordedProcesses(join(this.dataDir, "run")).find((p) => p.name === name);
    const pid = service?.pid ?? this.restarted.find((c) => c.spawnargs.join(" ").includes(name))?.pid;
    if (pid === undefined) throw new Error(`no running ${name} in ${this.dataDir}`);
    const image = imageOf(pid, port);
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      process.kill(pid, "SIGKILL");
    }
    const deadline = Date.now() + 10_000;
    while (alive(pid) && Date.now() < deadline) await sleep(50);
    return image;
  }

  /** Starts a killed service again from its image and waits until its port accepts connections. */
  async restart(name: string, image: ProcessImage, port: number): Promise<void> {
    const log = openSync(join(this.dataDir, "logs", `${name}.restarted.log`), "a");
    const child = spawn(image.argv[0]!, image.argv.slice(1), {
      cwd: image.cwd,
      env: image.env,
      uid: image.uid,
      gid: image.gid,
      detached: true,
      stdio: ["ignore", log, log],
    });
    child.on("error", () => {});
    this.restarted.push(child);
    const deadline = Date.now() + 60_000;
    while (!(await tcpAccepts(port))) {
      if (Date.now() > deadline) throw new Error(`${name} did not come back on port ${port}`);
      await sleep(100);
    }
  }

  /** Stops what this suite restarted (the stack stops the services it started itself). */
  async stopRestarted(): Promise<void> {
    for (const child of this.restarted) {
      if (child.pid === undefined || !alive(child.pid)) continue;
      try {
        process.kill(-child.pid, child.spawnargs.some((a) => a.includes("postgres")) ? "SIGINT" : "SIGTERM");
      } catch {}
    }
    const deadline = Date.now() + 10_000;
    while (this.restarted.some((c) => c.pid !== undefined && alive(c.pid)) && Date.now() < deadline) await sleep(100);
    for (const child of this.restarted) {
      if (child.pid !== undefined && alive(child.pid)) process.kill(-child.pid, "SIGKILL");
    }
  }
}

import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { portsFrom } from "./index";
import {
  assertPortFree,
  liveRecordedProcesses,
  type ServiceDirs,
  startService,
  stopRecordedProcesses,
  writePidFile,
} from "./service-process";

const dirsToRemove: string[] = [];
function freshDirs(): ServiceDirs {
  const root = mkdtempSync(join(tmpdir(), "matchpulse-service-test-"));
  dirsToRemove.push(root);
  return { runDir: root, logDir: root };
}
afterEach(() => {
  for (const dir of dirsToRemove.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const isRunning = (pid: number) => {
  try {
    process.kill(pid, 0);
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, "utf8"));
  } catch {
    return false;
  }
};

describe("startService", () => {
  it("starts, records a PID file, logs, and stops (twice is fine)", async () => {
    const dirs = freshDirs();
    const service = await startService(dirs, {
      name: "sleeper",
      command: "sh",
      args: ["-c", "echo hello; exec sleep 60"],
      isReady: async () => true,
    });
    const pidFile = join(dirs.runDir, "sleeper.pid");
    expect(readFileSync(pidFile, "utf8").split(" ")[0]).toBe(String(service.pid));
    expect(isRunning(service.pid)).toBe(true);
    await service.stop();
    await service.stop();
    expect(isRunning(service.pid)).toBe(false);
    expect(existsSync(pidFile)).toBe(false);
    expect(readFileSync(service.logFile, "utf8")).toContain("hello");
  });

  it("stops the whole process group, children included", async () => {
    const dirs = freshDirs();
    const service = await startService(dirs, {
      name: "parent",
      command: "sh",
      args: ["-c", "sleep 60 & echo child=$!; wait"],
      isReady: async () => /child=\d+/.test(readFileSync(join(dirs.logDir, "parent.log"), "utf8")),
    });
    const child = Number(/child=(\d+)/.exec(readFileSync(service.logFile, "utf8"))?.[1]);
    expect(isRunning(child)).toBe(true);
    await service.stop();
    expect(isRunning(service.pid)).toBe(false);
    expect(isRunning(child)).toBe(false);
  });

  it("fails with the service's name and log when it never becomes ready, and stops it", async () => {
    const dirs = freshDirs();
    const failure = startService(dirs, {
      name: "silent",
      command: "sleep",
      args: ["60"],
      isReady: async () => false,
      readyTimeoutMs: 300,
    });
    await expect(failure).rejects.toThrow(/silent was not ready after 0.3 s; see .*silent\.log/);
    expect(existsSync(join(dirs.runDir, "silent.pid"))).toBe(false);
  });

  it("fails at once, with the log's tail, when the service exits during start-up", async () => {
    const dirs = freshDirs();
    const failure = startService(dirs, {
      name: "crasher",
      command: "sh",
      args: ["-c", "echo cannot bind >&2; exit 3"],
      isReady: async () => false,
    });
    await expect(failure).rejects.toThrow(/crasher exited during start-up \(3\)[\s\S]*cannot bind/);
  });

  it("fails clearly when the program does not exist", async () => {
    const failure = startService(freshDirs(), {
      name: "ghost",
      command: "/nonexistent/ghost",
      args: [],
      isReady: async () => true,
    });
    await expect(failure).rejects.toThrow(/ghost could not be started: .*ENOENT/);
  });
});

describe("leftover processes", () => {
  it("stops the processes a crashed run recorded, and only those", async () => {
    const dirs = freshDirs();
    const leftover = spawn("sleep", ["60"], { detached: true, stdio: "ignore" });
    leftover.unref();
    writePidFile(join(dirs.runDir, "leftover.pid"), leftover.pid!);
    // A recorded PID that now belongs to another process (start time differs) must be left alone.
    writeFileSync(join(dirs.runDir, "reused.pid"), `${process.pid} 1\n`);
    writeFileSync(join(dirs.runDir, "gone.pid"), "999999999 1\n");

    expect(liveRecordedProcesses(dirs.runDir).map((p) => p.name)).toEqual(["leftover"]);
    await stopRecordedProcesses(dirs.runDir, () => {});
    expect(isRunning(leftover.pid!)).toBe(false);
    expect(existsSync(join(dirs.runDir, "leftover.pid"))).toBe(false);
    expect(isRunning(process.pid)).toBe(true);
  });
});

describe("ports", () => {
  it("names the service and port that is taken", async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", () => resolve()));
    const { port } = holder.address() as { port: number };
    try {
      await expect(assertPortFree(port, "postgres")).rejects.toThrow(
        `port ${port} for postgres is already in use by another program`,
      );
    } finally {
      holder.close();
    }
    await expect(assertPortFree(port, "postgres")).resolves.toBeUndefined();
  });

  it("derives five distinct ports from a base", () => {
    expect(portsFrom(15400)).toEqual({
      postgres: 15432,
      redis: 15400,
      upstash: 15401,
      neonProxy: 15402,
      clickhouse: 15403,
    });
    const test = Object.values(portsFrom(25400));
    expect(new Set([...Object.values(portsFrom(15400)), ...test]).size).toBe(10);
    expect(() => portsFrom(80)).toThrow(/out of range/);
  });
});

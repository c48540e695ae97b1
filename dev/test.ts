// `npm test`: a throwaway local stack on the test ports (MATCHPULSE_TEST_PORT_BASE, default 25400,
// away from the dev stack's 15400…), migrated, then `vitest run` with the stack's variables in its
// environment. Arguments pass through: `npm test -- --project unit dev/`. Exits with vitest's code.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildPage } from "../web/build";
import { migrate } from "./migrate";
import {
  deleteDataDir,
  PROJECT_ROOT,
  portsFrom,
  randomToken,
  type Stack,
  stackOwner,
  startStack,
  stopLeftoverServices,
  TEST_PORT_BASE,
} from "./stack";
import { viaSetpriv } from "./stack/service-process";

const say = (msg: string) => console.log(`[test] ${msg}`);
const TEMP_PREFIX = "matchpulse-test-";

async function main(): Promise<number> {
  await removeAbandonedTestDirs();
  const base = Number(process.env.MATCHPULSE_TEST_PORT_BASE ?? TEST_PORT_BASE);
  const dataDir = mkdtempSync(join(tmpdir(), TEMP_PREFIX));
  let stack: Stack | undefined;
  let vitest: ChildProcess | undefined;
  let interrupted: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = signal;
    say(`${signal}: stopping…`);
    // vitest shares our terminal and usually has the signal already; make sure it has.
    vitest?.kill(signal);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  try {
    const started = performance.now();
    stack = await startStack({ dataDir, ports: portsFrom(base), upstashToken: randomToken(), log: (m) => say(m) });
    say(
      `stack started in ${((performance.now() - started) / 1000).toFixed(1)} s (ports from ${base}, data in ${dataDir})`,
    );
    if (interrupted) return 130;
    await migrate(stack.env, (m) => say(m));
    if (interrupted) return 130;
    // wrangler.toml serves web/dist as the Worker's assets: the workers and browser projects need it built.
    await buildPage();

    const vitestBin = join(PROJECT_ROOT, "node_modules", ".bin", "vitest");
    // vitest's script runs on our own Node (22), not whatever `node` comes first on PATH, and gets
    // SIGTERM should we die without cleaning up.
    const { command, args } = viaSetpriv([], "TERM", process.execPath, [vitestBin, "run", ...process.argv.slice(2)]);
    vitest = spawn(command, args, {
      cwd: PROJECT_ROOT,
      stdio: "inherit",
      env: { ...process.env, ...stack.env, CLOUDFLARE_CF_FETCH_ENABLED: "false" },
    });
    const child = vitest;
    const code = await new Promise<number>((resolve) => {
      child.once("error", (err) => {
        console.error(`[test] could not start vitest: ${err.message}`);
        resolve(1);
      });
      child.once("exit", (exitCode, signal) => resolve(exitCode ?? (signal ? 128 + signalNumber(signal) : 1)));
    });
    return interrupted ? Math.max(code, 130) : code;
  } catch (err) {
    console.error(`[test] ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  } finally {
    await stack?.stop().catch((err: unknown) => console.error(`[test] stopping the stack: ${String(err)}`));
    deleteDataDir(dataDir);
  }
}

/** Test stacks whose `npm test` was killed outright (no chance to clean up): stop and remove them. */
async function removeAbandonedTestDirs(): Promise<void> {
  for (const entry of readdirSync(tmpdir())) {
    if (!entry.startsWith(TEMP_PREFIX)) continue;
    const dir = join(tmpdir(), entry);
    if (!existsSync(join(dir, "run", "stack.owner")) || stackOwner(dir) !== null) continue;
    await stopLeftoverServices(dir, say);
    deleteDataDir(dir);
  }
}

function signalNumber(signal: NodeJS.Signals): number {
  return ({ SIGINT: 2, SIGTERM: 15, SIGKILL: 9 } as Record<string, number>)[signal] ?? 1;
}

process.exit(await main());

// The real local runtime for the browser test: `wrangler dev` (dev/stack/worker.ts, which builds the page) on a
// port derived from MATCHPULSE_TEST_PORT_BASE against the stack that `npm test` started (its variables are
// in the environment), a fresh API key, and Debian's Chromium through playwright-core.
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, chromium } from "playwright-core";
import { seedDevClient } from "../../dev/seed";
import { TEST_PORT_BASE } from "../../dev/stack";
import type { RunningService } from "../../dev/stack/service-process";
import { findOrInstallChromium } from "../../dev/stack/system-binaries";
import { startWorker } from "../../dev/stack/worker";

/** The variables `startStack` describes the stack with (dev/stack/index.ts), which `npm test` passes on. */
const STACK_VARS = [
  "DATABASE_URL",
  "NEON_WS_PROXY",
  "UPSTASH_REDIS_REST_URL",
  "UPSTASH_REDIS_REST_TOKEN",
  "CLICKHOUSE_URL",
  "CLICKHOUSE_USER",
  "CLICKHOUSE_PASSWORD",
  "CLICKHOUSE_DATABASE",
  "API_KEY_PEPPER",
  // Through the Worker's env file as `npm start` passes it (a JSON value: the quoting must survive).
  "VIEWER_TOKEN_KEYS",
] as const;

/** Flags that work on these machines (../shared/PLATFORM_NOTES.md): no sandbox, GPU or background traffic. */
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface BrowserRuntime {
  baseUrl: string;
  apiKey: string;
  browser: Browser;
  stop(): Promise<void>;
}

export async function startBrowserRuntime(log: (msg: string) => void): Promise<BrowserRuntime> {
  const missing = STACK_VARS.filter((v) => process.env[v] === undefined);
  if (missing.length > 0) throw new Error(`run the browser test through \`npm test\` (missing ${missing.join(", ")})`);
  const env = Object.fromEntries(STACK_VARS.map((v) => [v, process.env[v] ?? ""]));
  const dataDir = mkdtempSync(join(tmpdir(), "matchpulse-browser-"));
  for (const dir of ["logs", "run"]) mkdirSync(join(dataDir, dir));
  let worker: RunningService | undefined;
  let browser: Browser | undefined;
  const stop = async () => {
    await browser?.close().catch(() => {});
    await worker?.stop().catch(() => {});
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    // Fails with the apt-get command to run when Chromium is missing and cannot be installed here.
    const executablePath = await findOrInstallChromium(dataDir, log);
    const apiKey = `mp_test_browser_${randomBytes(12).toString("hex")}`;
    await seedDevClient(env, apiKey);
    const port = Number(process.env.MATCHPULSE_TEST_PORT_BASE ?? TEST_PORT_BASE) + 60;
    worker = await startWorker(env, { port, dataDir, vars: { LOG_LEVEL: "warn" } });
    browser = await chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS });
    return { baseUrl: `http://127.0.0.1:${port}`, apiKey, browser, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

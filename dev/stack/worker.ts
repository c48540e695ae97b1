// `wrangler dev` as a supervised service, with the local stack's URLs passed as Worker variables: the
// Worker code is the production code, only its configuration points at the local stack. The variables
// (tokens and the key pepper among them) go through an env file (mode 600) in the stack's run directory,
// never on the command line: the service log records the command, and `ps` shows it to every user.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildPage } from "../../web/build";
import { PROJECT_ROOT } from "./index";
import { assertPortFree, type RunningService, startService } from "./service-process";

export interface WorkerOptions {
  port: number;
  dataDir: string;
  vars?: Record<string, string>;
  /** A prebuilt bundle (wrangler deploy --dry-run --outdir) to serve as is, untouched by source edits. */
  script?: string;
  /** Extra environment for the wrangler process itself. */
  env?: Record<string, string>;
}

export async function startWorker(stackEnv: Record<string, string>, opts: WorkerOptions): Promise<RunningService> {
  await assertPortFree(opts.port, "wrangler dev (set PORT to use another)");
  // wrangler.toml serves web/dist as the Worker's static assets (the live match page): wrangler needs it.
  await buildPage();
  const runDir = join(opts.dataDir, "run");
  const envFile = join(runDir, "worker.env");
  const vars = { ...stackEnv, ...opts.vars };
  const lines = Object.entries(vars).map(([k, v]) => `${k}=${envFileValue(v)}`);
  // The env file is the Worker's one source of these: wrangler also reads its own environment, where a
  // caller's copy (a test runner's) would hide a value the file garbled.
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !(k in vars)));
  writeFileSync(envFile, `${lines.join("\n")}\n`, { mode: 0o600 });
  return startService(
    { runDir, logDir: join(opts.dataDir, "logs") },
    {
      name: "wrangler",
      command: process.execPath,
      args: [
        join(PROJECT_ROOT, "node_modules/wrangler/bin/wrangler.js"),
        "dev",
        // With a script argument wrangler looks for its config beside the script: name ours explicitly.
        ...(opts.script ? [opts.script, "--no-bundle", "--config", join(PROJECT_ROOT, "wrangler.toml")] : []),
        "--port",
        String(opts.port),
        "--ip",
        "127.0.0.1",
        "--persist-to",
        join(opts.dataDir, "wrangler"),
        "--show-interactive-dev-session=false",
        "--env-file",
        envFile,
      ],
      cwd: PROJECT_ROOT,
      env: {
        ...inherited,
        CLOUDFLARE_CF_FETCH_ENABLED: "false",
        WRANGLER_SEND_METRICS: "false",
        NO_COLOR: "1",
        ...opts.env,
      },
      isReady: async () => (await fetch(`http://127.0.0.1:${opts.port}/health`)).ok,
      readyTimeoutMs: 90_000,
    },
  );
}

/**
 * A value as wrangler's env-file (dotenv) reads it back unchanged: single-quoted values are literal, while
 * double-quoted ones keep a JSON escape such as \" as two characters (a JSON key set would not parse).
 */
export function envFileValue(value: string): string {
  return /['\n\r]/.test(value) ? JSON.stringify(value) : `'${value}'`;
}

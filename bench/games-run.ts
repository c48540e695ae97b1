// `npm run bench:games [-- --fans=10000,1000000 --burst=10x100000 --tournament=20x100000 | --quick]`: the prediction-game bench on
// its own stack and Worker (ports from MATCHPULSE_BENCH_PORT_BASE, default 35400), printing each figure
// and writing bench/results/games.json. Without arguments it makes the runs of `npm run bench` (which
// includes the same runs: `npm run bench -- --only=games`).
import { execSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { migrate } from "../dev/migrate";
import { DEFAULT_DEV_API_KEY, seedDevClient } from "../dev/seed";
import { PROJECT_ROOT, portsFrom, startStack } from "../dev/stack";
import { startWorker } from "../dev/stack/worker";
import { buildPage } from "../web/build";
import { benchGames, type GamesFigure, gamesRuns } from "./games";

const arg = (name: string, fallback: string) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;

async function main(): Promise<void> {
  const fanRuns = arg("fans", "").split(",").filter(Boolean).map(Number);
  const matchesByFans = (name: string) =>
    arg(name, "")
      .split(",")
      .filter(Boolean)
      .map((s) => s.split("x").map(Number) as [number, number]);
  type Run = { matches: number; fans: number; settledFirst?: number };
  const asked: Run[] = [
    ...fanRuns.map((fans) => ({ matches: 1, fans })),
    ...matchesByFans("burst").map(([matches, fans]) => ({ matches, fans })),
    // The last match of a tournament whose other matches settled before it.
    ...matchesByFans("tournament").map(([matches, fans]) => ({ matches, fans, settledFirst: matches - 1 })),
  ];
  const runs = asked.length > 0 ? asked : gamesRuns(process.argv.includes("--quick"));
  const dataDir = mkdtempSync(join(tmpdir(), "matchpulse-bench-games-"));
  const ports = portsFrom(Number(process.env.MATCHPULSE_BENCH_PORT_BASE ?? 35400));
  const port = Number(process.env.MATCHPULSE_BENCH_PORT ?? 8797);
  const stack = await startStack({
    dataDir,
    ports,
    upstashToken: "bench-token",
    log: (m) => console.log(`[bench] ${m}`),
  });
  let worker: Awaited<ReturnType<typeof startWorker>> | undefined;
  const figures: GamesFigure[] = [];
  try {
    await migrate(stack.env);
    await seedDevClient(stack.env, DEFAULT_DEV_API_KEY);
    await buildPage(); // wrangler.toml's [assets] directory must exist for the bundle (a fresh clone has none)
    const bundleDir = join(dataDir, "bundle");
    execSync(`"${process.execPath}" node_modules/wrangler/bin/wrangler.js deploy --dry-run --outdir "${bundleDir}"`, {
      cwd: PROJECT_ROOT,
      stdio: "ignore",
    });
    worker = await startWorker(stack.env, {
      port,
      dataDir,
      vars: { LOG_LEVEL: "warn" },
      script: join(bundleDir, "index.js"),
      env: { X_LOCAL_OBSERVABILITY: "false" },
    });
    const t = { baseUrl: `http://127.0.0.1:${port}`, apiKey: DEFAULT_DEV_API_KEY, env: stack.env };
    for (const run of runs) {
      for (const f of await benchGames(t, worker.pid, { ...run, redisPort: ports.redis })) {
        figures.push(f);
        console.log(
          `[bench] ${f.name}: ${f.value} ${f.unit}${f.target ? ` (target ${f.target})` : ""}${f.note ? ` — ${f.note}` : ""}`,
        );
      }
    }
    mkdirSync(join(PROJECT_ROOT, "bench", "results"), { recursive: true });
    writeFileSync(
      join(PROJECT_ROOT, "bench", "results", "games.json"),
      `${JSON.stringify({ date: new Date().toISOString(), figures }, null, 2)}\n`,
    );
  } finally {
    await worker?.stop().catch(() => {});
    await stack.stop().catch(() => {});
    if (process.env.MATCHPULSE_BENCH_KEEP === "1") console.log(`[bench] kept ${dataDir} (logs in logs/)`);
    else rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

// `npm start`: the whole platform on this machine — PostgreSQL, Redis, embedded ClickHouse, the three
// local adapters, migrations, a developer API key, `wrangler dev` — and, unless MATCHPULSE_DEMO=0, a demo
// feed. Ctrl-C (or SIGTERM) stops everything it started. Data persists in .local/ (`npm run reset`).
import { existsSync, openSync, readSync, statSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { WYSCOUT_CREDIT } from "../shared/sources/wyscout/parse";
import { scopes } from "../workers/api/app-env";
import { migrate } from "./migrate";
import { DEFAULT_DEV_API_KEY, seedDevClient } from "./seed";
import { type DemoFeed, runDemoFeed } from "./simulator/feed";
import { replayWyscoutFile } from "./simulator/replay-wyscout";
import { WYSCOUT_DATA_DIR } from "./simulator/wyscout-data";
import { DEV_DATA_DIR, DEV_PORT_BASE, portsFrom, type Stack, startStack } from "./stack";
import type { RunningService } from "./stack/service-process";
import { startWorker } from "./stack/worker";

const dataDir = resolve(process.env.MATCHPULSE_DATA_DIR ?? DEV_DATA_DIR);
const port = Number(process.env.PORT ?? 8787);
const apiKey = process.env.MATCHPULSE_DEV_API_KEY || DEFAULT_DEV_API_KEY;
const say = (msg: string) => console.log(`[matchpulse] ${msg}`);

/** Streams a log file's new lines to stdout (wrangler writes to its log; the terminal shows it too). */
function follow(file: string): () => void {
  let offset = existsSync(file) ? statSync(file).size : 0;
  const timer = setInterval(() => {
    if (!existsSync(file)) return;
    const size = statSync(file).size;
    if (size <= offset) return;
    const fd = openSync(file, "r");
    const buf = Buffer.alloc(size - offset);
    readSync(fd, buf, 0, buf.length, offset);
    offset = size;
    process.stdout.write(buf);
  }, 250);
  return () => clearInterval(timer);
}

async function main(): Promise<void> {
  const started = performance.now();
  await mkdir(dataDir, { recursive: true });
  const ports = portsFrom(Number(process.env.MATCHPULSE_PORT_BASE ?? DEV_PORT_BASE));
  let stack: Stack | undefined;
  let worker: RunningService | undefined;
  let demo: DemoFeed | undefined;
  let stopFollowing = () => {};
  let stopping = false;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    say("stopping…");
    stopFollowing();
    await demo?.stop().catch(() => {});
    await worker?.stop().catch(() => {});
    await stack?.stop().catch(() => {});
    say("stopped");
    process.exit(code);
  };
  process.on("SIGINT", () => void shutdown(0));
  process.on("SIGTERM", () => void shutdown(0));

  try {
    stack = await startStack({
      dataDir,
      ports,
      upstashToken: process.env.UPSTASH_REDIS_REST_TOKEN || "matchpulse-local-token",
      log: say,
    });
    await migrate(stack.env, say);
    await seedDevClient(stack.env, apiKey);
    say("starting wrangler dev…");
    worker = await startWorker(stack.env, { port, dataDir });
  } catch (err) {
    console.error(`[matchpulse] start failed: ${err instanceof Error ? err.message : String(err)}`);
    await shutdown(1);
    return;
  }
  const base = `http://127.0.0.1:${port}`;
  say(`ready in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  // The key rides in the fragment, which the browser never sends: it stays out of server logs. The page
  // will take a viewer token here instead once those exist (web/src/location.ts, TOKEN_PARAM).
  const pageUrl = (path = "") => `${base}/#${path}${path ? "?" : ""}token=${apiKey}`;
  console.log(`
  Page       ${pageUrl()}   (every match, as the operator: your API key)
  API        ${base}            (health: ${base}/health, readiness: ${base}/ready, metrics: ${base}/metrics)
  API key    ${apiKey}   (every scope: ${scopes.join(", ")}; set MATCHPULSE_DEV_API_KEY to change)
  Post       curl -X POST ${base}/v1/events -H 'authorization: Bearer ${apiKey}' -H 'content-type: application/json' -d @event.json
  Watch      npm run watch -- <matchId>   (or ${base.replace("http", "ws")}/v1/matches/<matchId>/live?token=${apiKey})
  GraphQL    ${base}/v1/graphql   (GraphiQL in a browser, with header authorization: Bearer <key>; subscriptions: graphql-ws at ${base.replace("http", "ws")}/v1/matches/<matchId>/graphql)
  Data       ${dataDir}  (npm run reset to wipe)   Logs: ${join(dataDir, "logs")}
  Stop       Ctrl-C
`);
  if (process.env.MATCHPULSE_DEMO !== "0") {
    const realFootball = process.env.MATCHPULSE_DEMO === "wyscout" ? await wyscoutDemoMatch() : undefined;
    if (realFootball)
      say(`demo: the first football match is a real one, replayed: ${realFootball.label} (${WYSCOUT_CREDIT})`);
    demo = await runDemoFeed({ baseUrl: base, apiKey, log: (m) => say(`demo: ${m}`), realFootball });
    const wsBase = base.replace("http", "ws");
    console.log("  Demo feed (MATCHPULSE_DEMO=0 turns it off):");
    for (const m of demo.matches) {
      console.log(`    ${m.sport.padEnd(8)} ${pageUrl(`/match/${m.matchId}`)}`);
      console.log(`             ${base}/v1/matches/${m.matchId}/state?token=${apiKey}`);
      console.log(
        `             ${wsBase}/v1/matches/${m.matchId}/live?token=${apiKey}   npm run watch -- ${m.matchId}`,
      );
    }
    // What a fan's browser gets: a viewer token for these matches (never the key), minted as an operator's
    // server would. An hour at most: reload from a fresh `npm start` line, or mint another.
    const viewer = await mintViewerToken(
      base,
      apiKey,
      demo.matches.map((m) => m.matchId),
    ).catch((err: unknown) => say(`no viewer token: ${err instanceof Error ? err.message : String(err)}`));
    if (viewer)
      console.log(
        `  Fan view   ${base}/#access_token=${viewer.token}\n             (a viewer token for the demo matches, valid until ${viewer.expiresAt})`,
      );
    console.log("");
  }
  stopFollowing = follow(worker.logFile);
}

/**
 * MATCHPULSE_DEMO=wyscout: the 2018 World Cup final (France–Croatia, Wyscout match 2058017) from
 * ../shared/data/wyscout, kicked off now, as the first football demo match.
 */
async function wyscoutDemoMatch() {
  const FINAL = 2058017;
  const replay = await replayWyscoutFile(
    join(WYSCOUT_DATA_DIR, "matches", `${FINAL}.json.gz`),
    `demo-wyscout-${Date.now().toString(36)}`,
    [join(WYSCOUT_DATA_DIR, "matches_World_Cup.json")],
    new Date(),
  );
  const label = replay.meta?.label ?? `Wyscout match ${FINAL}`;
  const [home, away] = label.split(",")[0]!.split(" - ");
  return {
    matchId: replay.events[0]!.matchId,
    events: replay.events,
    teamNames: [home ?? "Team 1", away ?? "Team 2"] as [string, string],
    knockout: true,
    label,
  };
}

/** POST /v1/viewer-tokens for the given matches, for an hour (the longest a token lives). */
async function mintViewerToken(base: string, apiKey: string, matchIds: string[]) {
  const res = await fetch(`${base}/v1/viewer-tokens`, {
    method: "POST",
    headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
    body: JSON.stringify({ matchIds, ttlSeconds: 3600 }),
  });
  if (res.status !== 201) throw new Error(`POST /v1/viewer-tokens: ${res.status} ${await res.text()}`);
  return (await res.json()) as { token: string; expiresAt: string };
}

await main();

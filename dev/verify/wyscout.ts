// npm run verify:wyscout [-- --limit N]: every real Wyscout match (../shared/data/wyscout) through the whole
// local pipeline — a private stack and wrangler dev as the bench starts them, ingest over HTTP with the dev
// key — then, per match, the room's score, shoot-out and cards against the metadata and the ClickHouse
// counts per type (GET /metrics) against the events sent. Prints a table and the mismatches with reasons.
// Source data: Wyscout public match event data (Pappalardo et al., 2019), CC BY 4.0.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WYSCOUT_CREDIT, wyscoutEvents, wyscoutOfficial } from "../../shared/sources/wyscout/parse";
import type { MatchEvent } from "../../shared/sports/sport";
import { migrate } from "../migrate";
import { DEFAULT_DEV_API_KEY, seedDevClient } from "../seed";
import { streamEvents } from "../simulator/feed";
import { readWyscoutMatch, readWyscoutMeta, wyIdOf, wyscoutMatchFiles } from "../simulator/wyscout-data";
import { portsFrom, startStack } from "../stack";
import { startWorker } from "../stack/worker";

const limitArg = process.argv.find((a) => a.startsWith("--limit="))?.slice(8);
const limit = limitArg === undefined ? Infinity : Number(limitArg);

async function poll<T>(probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function main(): Promise<number> {
  const dataDir = mkdtempSync(join(tmpdir(), "matchpulse-verify-"));
  const ports = portsFrom(Number(process.env.MATCHPULSE_VERIFY_PORT_BASE ?? 36400));
  const port = Number(process.env.MATCHPULSE_VERIFY_PORT ?? 8798);
  const log = (m: string) => console.log(`[verify] ${m}`);
  const stack = await startStack({ dataDir, ports, upstashToken: "verify-token", log });
  let worker: Awaited<ReturnType<typeof startWorker>> | undefined;
  try {
    await migrate(stack.env);
    await seedDevClient(stack.env, DEFAULT_DEV_API_KEY);
    worker = await startWorker(stack.env, { port, dataDir, vars: { LOG_LEVEL: "warn" } });
    const baseUrl = `http://127.0.0.1:${port}`;
    const get = async (path: string) => {
      const res = await fetch(`${baseUrl}${path}`, { headers: { authorization: `Bearer ${DEFAULT_DEV_API_KEY}` } });
      return res.status === 200 ? ((await res.json()) as Record<string, unknown>) : undefined;
    };
    const meta = await readWyscoutMeta();
    const files = (await wyscoutMatchFiles()).slice(0, limit);
    log(`${files.length} matches · source: ${WYSCOUT_CREDIT}`);
    let events = 0;
    const mismatches: string[] = [];
    let scoreMismatches = 0;
    let cardMismatches = 0;
    let countMismatches = 0;
    const sent: Record<string, number> = {};
    const stored: Record<string, number> = {};
    // Recent kick-offs: the event log keeps 2 years by event time.
    const kickoff = new Date(Date.now() - 6 * 3600_000);
    for (const path of files) {
      const file = await readWyscoutMatch(path);
      const wyId = wyIdOf(file)!;
      const m = meta.get(wyId)!;
      const matchId = `wy-${wyId}-${Date.now().toString(36)}`;
      const replay = wyscoutEvents(file, { matchId, meta: m, kickoff });
      const stats = await streamEvents({
        baseUrl,
        apiKey: DEFAULT_DEV_API_KEY,
        events: replay.events,
        batchSize: 1000,
      });
      if (stats.accepted !== replay.events.length)
        mismatches.push(`${wyId}: ${stats.accepted}/${replay.events.length} accepted`);
      events += replay.events.length;
      const expected: Record<string, number> = {};
      for (const e of replay.events as MatchEvent[]) expected[e.type] = (expected[e.type] ?? 0) + 1;
      const state = await poll(async () => {
        const s = await get(`/v1/matches/${matchId}/state`);
        return s?.status === "finished" ? s : undefined;
      }, 60_000);
      const official = wyscoutOfficial(m, replay.teams);
      const pair = (v: unknown) => (Array.isArray(v) ? v.join(":") : "?");
      if (
        pair(state?.score) !== pair(official.score) ||
        pair(state?.penaltyShootout) !== pair(official.penaltyShootout)
      ) {
        scoreMismatches++;
        mismatches.push(
          `${wyId} ${m.label}: room ${pair(state?.score)} (${pair(state?.penaltyShootout)}), official ${pair(official.score)} (${pair(official.penaltyShootout)})`,
        );
      }
      if (
        pair(state?.yellowCards) !== pair(official.yellowCards) ||
        pair(state?.redCards) !== pair(official.redCards)
      ) {
        cardMismatches++;
        mismatches.push(
          `${wyId} ${m.label}: cards ${pair(state?.yellowCards)}/${pair(state?.redCards)}, official ${pair(official.yellowCards)}/${pair(official.redCards)}`,
        );
      }
      const metrics = await poll(async () => {
        const x = await get(`/v1/matches/${matchId}/metrics`);
        return x?.totalEvents === replay.events.length ? x : undefined;
      }, 60_000);
      const byType = (metrics?.eventsByType ?? {}) as Record<string, number>;
      for (const [type, n] of Object.entries(expected)) {
        sent[type] = (sent[type] ?? 0) + n;
        stored[type] = (stored[type] ?? 0) + (byType[type] ?? 0);
        if ((byType[type] ?? 0) !== n) {
          countMismatches++;
          mismatches.push(`${wyId}: ClickHouse ${type} ${byType[type] ?? 0}, sent ${n}`);
        }
      }
      log(`${wyId} ${m.label}: ${replay.events.length} events, room ${pair(state?.score)}`);
    }
    console.log(`\n| matches | events | score mismatches | card mismatches | ClickHouse count mismatches |`);
    console.log(`| ---: | ---: | ---: | ---: | ---: |`);
    console.log(`| ${files.length} | ${events} | ${scoreMismatches} | ${cardMismatches} | ${countMismatches} |\n`);
    console.log(`| type | sent | in ClickHouse |\n| --- | ---: | ---: |`);
    for (const type of Object.keys(sent).sort()) console.log(`| ${type} | ${sent[type]} | ${stored[type]} |`);
    if (mismatches.length > 0) console.log(`\nmismatches:\n${mismatches.join("\n")}`);
    return mismatches.length === 0 ? 0 : 1;
  } finally {
    await worker?.stop().catch(() => {});
    await stack.stop().catch(() => {});
    rmSync(dataDir, { recursive: true, force: true });
  }
}

process.exitCode = await main();

// Probe: where does a settlement page's time go? (not committed)
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "@upstash/redis";
import { migrate, neonPool } from "../dev/migrate";
import { portsFrom, startStack } from "../dev/stack";
import { scorePage, pageTotals, openSettlements } from "../workers/stores/postgres/games";
import { writeTotals } from "../workers/games/leaderboard";

const N = Number(process.argv[2] ?? 200000);
const PAGE = Number(process.argv[3] ?? 5000);
const dataDir = mkdtempSync(join(tmpdir(), "probe-"));
const ports = portsFrom(29100);
const stack = await startStack({ dataDir, ports, upstashToken: "t", log: () => {} });
try {
  await migrate(stack.env, () => {});
  const pool = neonPool(stack.env);
  await pool.query("INSERT INTO matches (id, sport) VALUES ('m1','football')").catch(async (e) => { console.log(String(e)); const {rows}=await pool.query("select column_name from information_schema.columns where table_name='matches'"); console.log(rows.map(r=>r.column_name).join(",")); throw e; });
  const { rows: g } = await pool.query("INSERT INTO games (name) VALUES ('p') RETURNING id");
  const gameId = g[0].id;
  await pool.query("INSERT INTO game_matches (game_id, match_id) VALUES ($1,'m1')", [gameId]);
  let t = performance.now();
  await pool.query(`INSERT INTO guesses (game_id, match_id, fan_id, home, away)
    SELECT $1, 'm1', 'fan-' || lpad(i::text, 7, '0'), (random()*3)::int, (random()*3)::int FROM generate_series(0, $2 - 1) i`, [gameId, N]);
  await pool.query("ANALYZE guesses");
  console.log(`load ${N}: ${(performance.now() - t).toFixed(0)} ms`);
  const [job] = await openSettlements(pool, "m1", { home: 2, away: 1 });
  const redis = new Redis({ url: stack.env.UPSTASH_REDIS_REST_URL, token: stack.env.UPSTASH_REDIS_REST_TOKEN, automaticDeserialization: false, enableTelemetry: false });
  let cursor = "";
  const acc = { score: 0, totals: 0, redis: 0 };
  const all = performance.now();
  for (;;) {
    t = performance.now();
    const page = await scorePage(pool, job!, cursor, PAGE);
    acc.score += performance.now() - t;
    if (!page.lastFanId) break;
    t = performance.now();
    const totals = await pageTotals(pool, gameId, "m1", cursor, page.lastFanId);
    acc.totals += performance.now() - t;
    t = performance.now();
    await writeTotals(redis as never, gameId, totals);
    acc.redis += performance.now() - t;
    cursor = page.lastFanId;
    if (page.size < PAGE) break;
  }
  console.log(`total ${(performance.now() - all).toFixed(0)} ms`, Object.fromEntries(Object.entries(acc).map(([k, v]) => [k, Math.round(v)])));
  await pool.end();
} finally {
  await stack.stop();
  rmSync(dataDir, { recursive: true, force: true });
}

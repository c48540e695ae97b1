import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { migrate, neonPool } from "../dev/migrate";
import { portsFrom, startStack } from "../dev/stack";
import { openSettlements } from "../workers/stores/postgres/games";

const N = 200000;
const dataDir = mkdtempSync(join(tmpdir(), "probe-"));
const stack = await startStack({ dataDir, ports: portsFrom(29100), upstashToken: "t", log: () => {} });
try {
  await migrate(stack.env, () => {});
  const pool = neonPool(stack.env);
  await pool.query("INSERT INTO matches (id, sport) VALUES ('m1','football')");
  const { rows: g } = await pool.query("INSERT INTO games (name) VALUES ('p') RETURNING id");
  const gameId = g[0].id;
  await pool.query("INSERT INTO game_matches (game_id, match_id) VALUES ($1,'m1')", [gameId]);
  await pool.query(`INSERT INTO guesses (game_id, match_id, fan_id, home, away)
    SELECT $1, 'm1', 'fan-' || lpad(i::text, 7, '0'), (random()*3)::int, (random()*3)::int FROM generate_series(0, $2 - 1) i`, [gameId, N]);
  await pool.query("ANALYZE guesses");
  await openSettlements(pool, "m1", { home: 2, away: 1 });
  const q = async (label: string, sql: string, params: unknown[]) => {
    const t = performance.now();
    const { rows } = await pool.query("EXPLAIN (ANALYZE, BUFFERS, FORMAT TEXT) " + sql, params);
    console.log(`== ${label} ${(performance.now() - t).toFixed(0)} ms`);
    console.log(rows.map((r: any) => r["QUERY PLAN"]).filter((l: string) => /Update|Insert|Execution|Planning|Scan|Conflict|Tuples/.test(l)).join("\n"));
  };
  await q("update 5000", `UPDATE guesses g SET prev_points = g.points, points = 1, scored_revision = 1 WHERE game_id = $1 AND match_id = 'm1' AND fan_id > 'fan-0000000' AND fan_id <= 'fan-0005000'`, [gameId]);
  await q("insert totals 5000", `INSERT INTO fan_totals AS t (game_id, fan_id, points, version) SELECT $1, 'fan-' || lpad(i::text, 7, '0'), 1, 1 FROM generate_series(10000, 14999) i ON CONFLICT (game_id, fan_id) DO UPDATE SET points = t.points + excluded.points, version = t.version + 1`, [gameId]);
  await q("upsert totals existing 5000", `INSERT INTO fan_totals AS t (game_id, fan_id, points, version) SELECT $1, 'fan-' || lpad(i::text, 7, '0'), 1, 1 FROM generate_series(10000, 14999) i ON CONFLICT (game_id, fan_id) DO UPDATE SET points = t.points + excluded.points, version = t.version + 1`, [gameId]);
  await pool.query("ALTER TABLE guesses SET (fillfactor = 70)");
  await q("update 5000 again (prior versions)", `UPDATE guesses g SET prev_points = g.points, points = 1, scored_revision = 2 WHERE game_id = $1 AND match_id = 'm1' AND fan_id > 'fan-0000000' AND fan_id <= 'fan-0005000'`, [gameId]);
  await q("update 5000 fresh", `UPDATE guesses g SET prev_points = g.points, points = 1, scored_revision = 1 WHERE game_id = $1 AND match_id = 'm1' AND fan_id > 'fan-0050000' AND fan_id <= 'fan-0055000'`, [gameId]);
  await pool.end();
} finally {
  await stack.stop();
  rmSync(dataDir, { recursive: true, force: true });
}

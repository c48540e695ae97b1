// Migration 0005 (tenants) on a database holding rows written before tenants: every row stays and falls to
// the default tenant, and ids become unique per tenant (a second tenant may reuse them; a match may name
// only its own tenant's teams). Runs on a throw-away database of the test stack's PostgreSQL.
import type { Pool } from "@neondatabase/serverless";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ScratchDatabase, scratchDatabase } from "./scratch-database";

describe("migration 0005: today's rows move into the default tenant", () => {
  let db: ScratchDatabase;
  let pool: Pool;

  beforeAll(async () => {
    db = await scratchDatabase("tenants");
    pool = db.pool;
    await db.apply((f) => f < "0005");
    await pool.query(
      `INSERT INTO teams (id, sport, name) VALUES ('ars', 'football', 'Arsenal'), ('che', 'football', 'Chelsea')`,
    );
    await pool.query(`INSERT INTO players (id, team_id, name) VALUES ('saka', 'ars', 'Saka')`);
    await pool.query(
      `INSERT INTO matches (id, sport, team1_id, team2_id) VALUES ('final-1', 'football', 'ars', 'che'), ('m2', 'cs2', NULL, NULL)`,
    );
    await pool.query(
      `INSERT INTO api_clients (name, key_hash, key_prefix, scopes) VALUES ('k', 'h', 'mp_', '{admin}')`,
    );
    await pool.query(
      `INSERT INTO sources (kind, match_id, token_hash, token_prefix) VALUES ('cs2-log', 'm2', 'h', 'mps_')`,
    );
    await pool.query(`INSERT INTO games (name) VALUES ('cup')`);
    await db.apply((f) => f >= "0005");
  });

  afterAll(async () => {
    await db?.drop();
  });

  it("keeps every row, each in the default tenant", async () => {
    const { rows } = await pool.query<{ t: string; n: number; tenants: string[] }>(`
      SELECT t, count(*)::int AS n, array_agg(DISTINCT tenant_id) AS tenants FROM (
        SELECT 'teams' AS t, tenant_id FROM teams UNION ALL SELECT 'players', tenant_id FROM players
        UNION ALL SELECT 'matches', tenant_id FROM matches UNION ALL SELECT 'api_clients', tenant_id FROM api_clients
        UNION ALL SELECT 'sources', tenant_id FROM sources UNION ALL SELECT 'games', tenant_id FROM games
      ) x GROUP BY t ORDER BY t`);
    expect(rows).toEqual([
      { t: "api_clients", n: 1, tenants: ["default"] },
      { t: "games", n: 1, tenants: ["default"] },
      { t: "matches", n: 2, tenants: ["default"] },
      { t: "players", n: 1, tenants: ["default"] },
      { t: "sources", n: 1, tenants: ["default"] },
      { t: "teams", n: 2, tenants: ["default"] },
    ]);
    const match = await pool.query(`SELECT team1_id, team2_id FROM matches WHERE id = 'final-1'`);
    expect(match.rows).toEqual([{ team1_id: "ars", team2_id: "che" }]);
  });

  it("lets another tenant reuse the ids, and a match name only its own tenant's teams", async () => {
    await pool.query(`INSERT INTO tenants (id, name) VALUES ('media', 'Media')`);
    await pool.query(`INSERT INTO teams (tenant_id, id, sport, name) VALUES ('media', 'ars', 'football', 'Other')`);
    await pool.query(
      `INSERT INTO matches (tenant_id, id, sport, team1_id) VALUES ('media', 'final-1', 'football', 'ars')`,
    );
    await expect(
      pool.query(`INSERT INTO matches (tenant_id, id, sport, team1_id) VALUES ('media', 'm3', 'football', 'che')`),
    ).rejects.toMatchObject({ code: "23503" });
    await expect(pool.query(`INSERT INTO matches (id, sport) VALUES ('final-1', 'football')`)).rejects.toMatchObject({
      code: "23505",
    });
  });
});

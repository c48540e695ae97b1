// Migration 0005 (tenants) on a database holding rows written before tenants: every row stays and falls to
// the default tenant, and ids become unique per tenant (a second tenant may reuse them; a match may name
// only its own tenant's teams). Runs on a throw-away database of the test stack's PostgreSQL.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Pool } from "@neondatabase/serverless";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { neonPool } from "./migrate";

const FOLDER = "migrations/postgres";
const files = readdirSync(FOLDER)
  .filter((f) => f.endsWith(".sql"))
  .sort();
const statements = (file: string) =>
  readFileSync(join(FOLDER, file), "utf8")
    .split("--> statement-breakpoint")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);

async function apply(pool: Pool, upTo: (file: string) => boolean): Promise<void> {
  for (const file of files.filter(upTo)) for (const statement of statements(file)) await pool.query(statement);
}

describe("migration 0005: today's rows move into the default tenant", () => {
  const database = `mp_tenants_${crypto.randomUUID().slice(0, 8)}`;
  let admin: Pool;
  let pool: Pool;

  beforeAll(async () => {
    if (!process.env.DATABASE_URL) throw new Error("DATABASE_URL is not set: run through `npm test` (dev/test.ts)");
    admin = neonPool(process.env);
    await admin.query(`CREATE DATABASE ${database}`);
    const url = new URL(process.env.DATABASE_URL);
    url.pathname = `/${database}`;
    pool = neonPool({ ...process.env, DATABASE_URL: url.toString() });
    await apply(pool, (f) => f < "0005");
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
    await apply(pool, (f) => f >= "0005");
  });

  afterAll(async () => {
    await pool?.end();
    await admin?.query(`DROP DATABASE IF EXISTS ${database}`);
    await admin?.end();
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

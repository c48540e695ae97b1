// Contract: the unmodified @neondatabase/serverless Pool (and drizzle over it) against the bridge and
// a real PostgreSQL, as `npm test` starts them (the URLs come from its environment).
import { randomUUID } from "node:crypto";
import { eq, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/neon-serverless";
import { integer, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { afterAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { neonPool } from "../migrate";

const proxy = process.env.NEON_WS_PROXY;
if (!proxy || !process.env.DATABASE_URL)
  throw new Error("NEON_WS_PROXY is not set: run through `npm test` (dev/test.ts), which starts the local stack");

const pool = neonPool(process.env);
const db = drizzle(pool);
afterAll(() => pool.end());

describe("neon WebSocket bridge", () => {
  it("runs queries with bound parameters through the Pool", async () => {
    const { rows } = await pool.query<{ sum: number; echo: string }>(
      "SELECT $1::int + $2::int AS sum, $3::text AS echo",
      [2, 3, 'it\'s "quoted" ✓'],
    );
    expect(rows).toEqual([{ sum: 5, echo: 'it\'s "quoted" ✓' }]);
  });

  it("serves drizzle-orm/neon-serverless: DDL, inserts, typed selects, transactions", async () => {
    const name = `contract_${randomUUID().replace(/-/g, "")}`;
    const table = pgTable(name, {
      id: text("id").primaryKey(),
      goals: integer("goals").notNull(),
      at: timestamp("at", { withTimezone: true }).notNull(),
    });
    await db.execute(
      sql.raw(`CREATE TABLE "${name}" (id text PRIMARY KEY, goals integer NOT NULL, at timestamptz NOT NULL)`),
    );
    try {
      const at = new Date("2026-05-01T12:34:56.789Z");
      await db.insert(table).values([
        { id: "a", goals: 1, at },
        { id: "b", goals: 2, at },
      ]);
      await db.transaction(async (tx) => {
        await tx.update(table).set({ goals: 10 }).where(eq(table.id, "a"));
      });
      expect(await db.select().from(table).where(eq(table.id, "a"))).toEqual([{ id: "a", goals: 10, at }]);
      const total = await db.execute<{ total: string }>(
        sql`SELECT sum(goals)::text AS total FROM ${table} WHERE goals > ${0}`,
      );
      expect(total.rows[0]?.total).toBe("12");
    } finally {
      await db.execute(sql.raw(`DROP TABLE IF EXISTS "${name}"`));
    }
  });

  it("carries concurrent connections", async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => pool.query<{ n: number }>("SELECT $1::int AS n, pg_sleep(0.05)", [i])),
    );
    expect(results.map((r) => r.rows[0]?.n)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it("refuses targets that are not loopback", async () => {
    const status = (address: string) =>
      new Promise<number>((resolve, reject) => {
        const socket = new WebSocket(`${proxy}/v1?address=${address}`);
        socket.once("unexpected-response", (_req, res) => {
          resolve(res.statusCode ?? 0);
          socket.terminate();
        });
        socket.once("open", () => {
          socket.close();
          resolve(101);
        });
        socket.once("error", reject);
      });
    expect(await status("10.0.0.1:5432")).toBe(403);
    expect(await status("example.com:5432")).toBe(403);
    expect(await status("not-an-address")).toBe(400);
    const { port } = new URL(process.env.DATABASE_URL!);
    expect(await status(`127.0.0.1:${port}`)).toBe(101);
  });
});

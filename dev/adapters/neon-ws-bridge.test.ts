// Contract: the unmodified @neondatabase/serverless Pool (and drizzle over it) against the bridge and
// a real PostgreSQL, as `npm test` starts them (the URLs come from its environment): WebSocket sessions
// and the HTTP one-shot queries the Workers send (workers/clients/postgres.ts).
import { randomUUID } from "node:crypto";
import { NeonDbError, neon } from "@neondatabase/serverless";
import { eq, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/neon-serverless";
import { integer, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { afterAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { openPostgres } from "../../workers/clients/postgres";
import { neonPool } from "../migrate";
import { HTTP_SESSION_NAME } from "./neon-http-sql";

const proxy = process.env.NEON_WS_PROXY;
if (!proxy || !process.env.DATABASE_URL)
  throw new Error("NEON_WS_PROXY is not set: run through `npm test` (dev/test.ts), which starts the local stack");

const pool = neonPool(process.env);
const db = drizzle(pool);
// What a Worker opens: its one-shot queries go over HTTP.
const workerPg = openPostgres({ DATABASE_URL: process.env.DATABASE_URL, NEON_WS_PROXY: proxy });
afterAll(() => Promise.all([pool.end(), workerPg.close()]));

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

  describe("SQL over HTTP", () => {
    const sqlEndpoint = () => `http://${proxy.replace(/^wss?:\/\//, "")}/sql`;

    it("answers a Worker's pool.query over HTTP, with the driver's types", async () => {
      const { rows, rowCount } = await workerPg.pool.query(
        `SELECT current_setting('application_name') AS session, $1::int AS n, $2::bigint AS big,
                $3::timestamptz AS at, $4::jsonb AS doc, $5::text[] AS list, NULL::text AS none`,
        [7, "9007199254740993", new Date("2026-05-01T12:00:00Z"), JSON.stringify({ a: [1] }), ["x", 'y"z']],
      );
      expect(rowCount).toBe(1);
      expect(rows[0]).toEqual({
        session: HTTP_SESSION_NAME,
        n: 7,
        big: "9007199254740993",
        at: new Date("2026-05-01T12:00:00Z"),
        doc: { a: [1] },
        list: ["x", 'y"z'],
        none: null,
      });
    });

    it("sends a Postgres error back with its SQLSTATE and constraint, as Neon does", async () => {
      const name = `http_${randomUUID().replace(/-/g, "")}`;
      await workerPg.pool.query(`CREATE TABLE "${name}" (id text CONSTRAINT "${name}_pk" PRIMARY KEY)`);
      try {
        const insert = () => workerPg.pool.query(`INSERT INTO "${name}" (id) VALUES ($1)`, ["a"]);
        expect((await insert()).rowCount).toBe(1);
        const err = await insert().catch((e: unknown) => e);
        expect(err).toBeInstanceOf(NeonDbError);
        expect(err).toMatchObject({ code: "23505", constraint: `${name}_pk` });
      } finally {
        await workerPg.pool.query(`DROP TABLE IF EXISTS "${name}"`);
      }
    });

    it("runs a batch as one transaction: all or nothing", async () => {
      const sql = neon(process.env.DATABASE_URL!);
      const name = `http_${randomUUID().replace(/-/g, "")}`;
      await sql.query(`CREATE TABLE "${name}" (n int PRIMARY KEY)`);
      try {
        const [, counted] = await sql.transaction([
          sql.query(`INSERT INTO "${name}" VALUES (1)`),
          sql`SELECT 1 AS one`,
        ]);
        expect(counted).toEqual([{ one: 1 }]);
        const failed = sql.transaction([
          sql.query(`INSERT INTO "${name}" VALUES (2)`),
          sql.query(`INSERT INTO "${name}" VALUES (1)`),
        ]);
        await expect(failed).rejects.toMatchObject({ code: "23505" });
        expect(await sql.query(`SELECT n FROM "${name}" ORDER BY n`)).toEqual([{ n: 1 }]);
      } finally {
        await sql.query(`DROP TABLE IF EXISTS "${name}"`);
      }
    });

    it("holds at most its pool of server sessions however many queries arrive at once", async () => {
      const answers = await Promise.all(
        Array.from({ length: 48 }, (_, i) => workerPg.pool.query("SELECT $1::int AS n, pg_sleep(0.05)", [i])),
      );
      expect(answers.map((a) => a.rows[0]?.n)).toEqual(Array.from({ length: 48 }, (_, i) => i));
      const { rows } = await pool.query<{ sessions: number }>(
        "SELECT count(*)::int AS sessions FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()",
        [HTTP_SESSION_NAME],
      );
      expect(rows[0]!.sessions).toBeGreaterThan(0);
      expect(rows[0]!.sessions).toBeLessThanOrEqual(16);
    });

    it("refuses targets that are not loopback and requests without a connection string", async () => {
      const post = (address: string, headers: Record<string, string>) =>
        fetch(`${sqlEndpoint()}?address=${address}`, {
          method: "POST",
          headers,
          body: JSON.stringify({ query: "SELECT 1", params: [] }),
        }).then((r) => r.status);
      const auth = { "neon-connection-string": process.env.DATABASE_URL! };
      expect(await post("10.0.0.1:5432", auth)).toBe(403);
      expect(await post("not-an-address", auth)).toBe(400);
      const { port } = new URL(process.env.DATABASE_URL!);
      expect(await post(`127.0.0.1:${port}`, {})).toBe(400);
      expect(await post(`127.0.0.1:${port}`, auth)).toBe(200);
    });
  });
});

import { readdirSync } from "node:fs";
import { createClient } from "@clickhouse/client-web";
import { describe, expect, it } from "vitest";
import { migrate, neonPool, sqlStatements } from "./migrate";

describe("sqlStatements", () => {
  it("splits on ; at the end of a line and skips comment lines", () => {
    const text = [
      "-- the event log",
      "CREATE TABLE a (x String DEFAULT ';')",
      "ENGINE = MergeTree ORDER BY x;",
      "",
      "  -- indented comment",
      "ALTER TABLE a ADD COLUMN y UInt8;",
      "SELECT 1",
    ].join("\n");
    expect(sqlStatements(text)).toEqual([
      "CREATE TABLE a (x String DEFAULT ';')\nENGINE = MergeTree ORDER BY x",
      "ALTER TABLE a ADD COLUMN y UInt8",
      "SELECT 1",
    ]);
    expect(sqlStatements("-- only a comment\n\n")).toEqual([]);
  });
});

describe("migrate against the test stack", () => {
  it("is idempotent: a second run changes nothing", async () => {
    if (!process.env.DATABASE_URL || !process.env.CLICKHOUSE_URL) {
      throw new Error("DATABASE_URL is not set: run through `npm test` (dev/test.ts), which starts the local stack");
    }
    const counts = async () => {
      const pool = neonPool(process.env);
      const clickhouse = createClient({ url: process.env.CLICKHOUSE_URL, database: process.env.CLICKHOUSE_DATABASE });
      try {
        const pg = await pool.query<{ n: string }>("SELECT count(*)::text AS n FROM drizzle.__drizzle_migrations");
        const ch = await (
          await clickhouse.query({ query: "SELECT name FROM schema_migrations ORDER BY name", format: "JSONEachRow" })
        ).json<{ name: string }>();
        const tables = await (
          await clickhouse.query({
            query: "SELECT name FROM system.tables WHERE database = currentDatabase() ORDER BY name",
            format: "JSONEachRow",
          })
        ).json<{ name: string }>();
        return { postgres: pg.rows[0]?.n, clickhouse: ch.map((r) => r.name), tables: tables.map((t) => t.name) };
      } finally {
        await pool.end();
        await clickhouse.close();
      }
    };
    const before = await counts();
    await migrate(process.env, () => {});
    expect(await counts()).toEqual(before);
    expect(before.clickhouse).toEqual(
      readdirSync("migrations/clickhouse")
        .filter((f) => f.endsWith(".sql"))
        .sort(),
    );
    expect(before.tables).toContain("events");
  });

  it("refuses to run when an applied ClickHouse migration was edited afterwards", async () => {
    const clickhouse = createClient({ url: process.env.CLICKHOUSE_URL, database: process.env.CLICKHOUSE_DATABASE });
    const setChecksum = (value: string) =>
      clickhouse.command({
        query: "ALTER TABLE schema_migrations UPDATE checksum = {v:String} WHERE name = '0001_events.sql'",
        query_params: { v: value },
        clickhouse_settings: { mutations_sync: "1" },
      });
    const [{ checksum } = { checksum: "" }] = await (
      await clickhouse.query({
        query: "SELECT checksum FROM schema_migrations WHERE name = '0001_events.sql'",
        format: "JSONEachRow",
      })
    ).json<{ checksum: string }>();
    try {
      await setChecksum("edited-elsewhere");
      await expect(migrate(process.env, () => {})).rejects.toThrow(/0001_events\.sql changed after they were applied/);
    } finally {
      await setChecksum(checksum);
      await clickhouse.close();
    }
    await migrate(process.env, () => {});
  });
});

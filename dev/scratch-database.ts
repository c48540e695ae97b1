// A throw-away database on the test stack's PostgreSQL for tests of a Postgres migration on data written
// before it: apply the migrations before it, write the old rows, apply the rest, look.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Pool } from "@neondatabase/serverless";
import { neonPool } from "./migrate";

const FOLDER = "migrations/postgres";

const statements = (file: string) =>
  readFileSync(join(FOLDER, file), "utf8")
    .split("--> statement-breakpoint")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);

export interface ScratchDatabase {
  pool: Pool;
  /** Applies, in order, the migration files (e.g. "0013_fan_points.sql") that `which` picks. */
  apply(which: (file: string) => boolean): Promise<void>;
  drop(): Promise<void>;
}

/** Creates an empty database named after `label` (and a random suffix) beside the stack's own. */
export async function scratchDatabase(label: string): Promise<ScratchDatabase> {
  if (!process.env.DATABASE_URL) throw new Error("DATABASE_URL is not set: run through `npm test` (dev/test.ts)");
  const name = `mp_${label}_${crypto.randomUUID().slice(0, 8)}`;
  const admin = neonPool(process.env);
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(process.env.DATABASE_URL);
  url.pathname = `/${name}`;
  const pool = neonPool({ ...process.env, DATABASE_URL: url.toString() });
  const files = readdirSync(FOLDER)
    .filter((f) => f.endsWith(".sql"))
    .sort();
  return {
    pool,
    apply: async (which) => {
      for (const file of files.filter(which)) for (const statement of statements(file)) await pool.query(statement);
    },
    drop: async () => {
      await pool.end();
      await admin.query(`DROP DATABASE IF EXISTS ${name}`);
      await admin.end();
    },
  };
}

// Applies the schema to the local stack, through the same client libraries production uses:
// migrations/postgres with drizzle's migrator over the Neon driver (via the WebSocket bridge), and
// migrations/clickhouse/*.sql in file-name order through @clickhouse/client-web, recorded in a
// `schema_migrations` table. Idempotent: a second run changes nothing.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createClient } from "@clickhouse/client-web";
import { neonConfig, Pool } from "@neondatabase/serverless";
import { and, eq, ne } from "drizzle-orm";
import { drizzle } from "drizzle-orm/neon-serverless";
import { migrate as applyDrizzleMigrations } from "drizzle-orm/neon-serverless/migrator";
import ws from "ws";
import { CS2_MODEL_PARAMS, CS2_MODEL_VERSION } from "../shared/sports/cs2/model";
import { FOOTBALL_MODEL_PARAMS, FOOTBALL_MODEL_VERSION } from "../shared/sports/football/model";
import { configureNeon } from "../workers/clients/postgres";
import { modelVersions } from "../workers/clients/postgres-schema";

const MIGRATIONS = fileURLToPath(new URL("../migrations", import.meta.url));

/**
 * A Pool on the local PostgreSQL through the Neon WebSocket bridge: the one way dev scripts in Node
 * reach Postgres. End it with `await pool.end()`.
 */
export function neonPool(env: Record<string, string | undefined>): Pool {
  const databaseUrl = required(env, "DATABASE_URL");
  neonConfig.webSocketConstructor = ws;
  // Without NEON_WS_PROXY (production: `npm run migrate` against Neon) the driver's defaults apply.
  configureNeon({ DATABASE_URL: databaseUrl, NEON_WS_PROXY: env.NEON_WS_PROXY ?? "" });
  const pool = new Pool({ connectionString: databaseUrl });
  // An idle client whose socket drops (the stack stopping) must not crash the script.
  pool.on("error", () => {});
  return pool;
}

export async function migrate(
  env: Record<string, string | undefined>,
  log: (msg: string) => void = console.log,
): Promise<void> {
  await migratePostgres(env, log);
  await migrateClickHouse(env, log);
  await registerModelVersions(env, log);
}

/** Records the model versions this code runs (every prediction names one) in model_versions. */
async function registerModelVersions(
  env: Record<string, string | undefined>,
  log: (msg: string) => void,
): Promise<void> {
  const models = [
    { sport: "football", version: FOOTBALL_MODEL_VERSION, params: FOOTBALL_MODEL_PARAMS },
    { sport: "cs2", version: CS2_MODEL_VERSION, params: CS2_MODEL_PARAMS },
  ];
  const pool = neonPool(env);
  try {
    const db = drizzle(pool);
    for (const m of models) {
      await db
        .insert(modelVersions)
        .values({ sport: m.sport, version: m.version, params: m.params, active: true })
        .onConflictDoNothing({ target: [modelVersions.sport, modelVersions.version] });
      await db
        .update(modelVersions)
        .set({ active: false })
        .where(and(eq(modelVersions.sport, m.sport), ne(modelVersions.version, m.version)));
    }
    log(`postgres: model versions ${models.map((m) => m.version).join(", ")} registered`);
  } finally {
    await pool.end();
  }
}

async function migratePostgres(env: Record<string, string | undefined>, log: (msg: string) => void): Promise<void> {
  const pool = neonPool(env);
  try {
    await applyDrizzleMigrations(drizzle(pool), { migrationsFolder: join(MIGRATIONS, "postgres") });
    const { rows } = await pool.query<{ count: string }>("SELECT count(*) AS count FROM drizzle.__drizzle_migrations");
    log(`postgres: schema at migration ${rows[0]?.count ?? "?"}`);
  } catch (err) {
    throw new Error(
      `postgres migration failed: ${describe(err)} (through ${env.NEON_WS_PROXY} to ${env.DATABASE_URL})`,
      { cause: err },
    );
  } finally {
    await pool.end();
  }
}

async function migrateClickHouse(env: Record<string, string | undefined>, log: (msg: string) => void): Promise<void> {
  const database = required(env, "CLICKHOUSE_DATABASE");
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(database))
    throw new Error(`CLICKHOUSE_DATABASE ${JSON.stringify(database)} is not a plain identifier`);
  const connection = {
    url: required(env, "CLICKHOUSE_URL"),
    username: env.CLICKHOUSE_USER || "default",
    password: env.CLICKHOUSE_PASSWORD ?? "",
  };
  const server = createClient(connection);
  const client = createClient({ ...connection, database });
  try {
    await server.command({ query: `CREATE DATABASE IF NOT EXISTS ${database}` });
    await client.command({
      query: `CREATE TABLE IF NOT EXISTS schema_migrations (name String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3))
              ENGINE = MergeTree ORDER BY name`,
    });
    await client.command({
      query: "ALTER TABLE schema_migrations ADD COLUMN IF NOT EXISTS checksum String DEFAULT ''",
    });
    const recorded = new Map(
      (
        await (
          await client.query({ query: "SELECT name, checksum FROM schema_migrations", format: "JSONEachRow" })
        ).json<{ name: string; checksum: string }>()
      ).map((r) => [r.name, r.checksum]),
    );
    const folder = join(MIGRATIONS, "clickhouse");
    const files = readdirSync(folder)
      .filter((f) => f.endsWith(".sql"))
      .sort();
    const checksumOf = (file: string) =>
      createHash("sha256")
        .update(readFileSync(join(folder, file)))
        .digest("hex");
    // An applied migration that was edited afterwards would silently never run: refuse instead.
    const edited = files.filter((f) => recorded.get(f) && recorded.get(f) !== checksumOf(f));
    if (edited.length > 0) {
      throw new Error(
        `clickhouse migration(s) ${edited.join(", ")} changed after they were applied to ${database}: add a new numbered migration instead (locally, \`npm run reset\` starts over)`,
      );
    }
    const applied = new Set(recorded.keys());
    const pending = files.filter((f) => !applied.has(f));
    for (const file of pending) {
      for (const statement of sqlStatements(readFileSync(join(folder, file), "utf8"))) {
        try {
          await client.command({ query: statement });
        } catch (err) {
          throw new Error(`clickhouse migration ${file} failed: ${describe(err)}\n${statement}`, { cause: err });
        }
      }
      await client.insert({
        table: "schema_migrations",
        values: [{ name: file, checksum: checksumOf(file) }],
        format: "JSONEachRow",
      });
      log(`clickhouse: applied ${file}`);
    }
    log(`clickhouse: ${applied.size + pending.length} migration(s) applied in ${database}`);
  } finally {
    await Promise.all([server.close(), client.close()]);
  }
}

/** Statements of a migration file: each ends with `;` at the end of a line; `--` comment lines are skipped. */
export function sqlStatements(text: string): string[] {
  const statements: string[] = [];
  let current: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line.trim().startsWith("--")) continue;
    current.push(line);
    if (line.trimEnd().endsWith(";")) {
      statements.push(current.join("\n").trim().replace(/;$/, ""));
      current = [];
    }
  }
  const rest = current.join("\n").trim();
  if (rest) statements.push(rest);
  return statements.filter((s) => s.length > 0);
}

function required(env: Record<string, string | undefined>, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`${name} is not set (it comes from the local stack: npm start / npm test)`);
  return value;
}

function describe(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  // The Neon driver's only words for "the bridge is not there".
  return /Network connection lost|ECONNREFUSED/.test(message)
    ? `${message} — is the Neon WebSocket bridge running?`
    : message;
}

// `npm run migrate`: apply both sets of migrations to the databases the environment names (production).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  migrate(process.env).catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  });
}

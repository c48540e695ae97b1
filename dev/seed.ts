// Local seed data: the developer's API key (all scopes). Idempotent: running it again re-enables the key.
import { drizzle } from "drizzle-orm/neon-serverless";
import { hashApiKey, keyPrefix } from "../workers/api/api-keys";
import { scopes } from "../workers/api/app-env";
import { apiClients } from "../workers/clients/postgres-schema";
import { neonPool } from "./migrate";

/** The documented default; set MATCHPULSE_DEV_API_KEY to use your own. Local use only. */
export const DEFAULT_DEV_API_KEY = "mp_dev_local_only_key";

export async function seedDevClient(env: Record<string, string>, key: string): Promise<void> {
  const pool = neonPool(env);
  try {
    const db = drizzle(pool);
    const keyHash = await hashApiKey(key, env.API_KEY_PEPPER);
    // Budgets far above the defaults: the demo feed, benches and thousands of sockets share this key.
    const grant = {
      scopes: [...scopes],
      ingestPerMinute: 10_000_000,
      readPerMinute: 1_000_000,
    };
    await db
      .insert(apiClients)
      .values({ name: "local developer", keyHash, keyPrefix: keyPrefix(key), ...grant })
      .onConflictDoUpdate({ target: apiClients.keyHash, set: { revokedAt: null, ...grant } });
  } finally {
    await pool.end();
  }
}

// Local seed data: the developer's API key (all scopes). Idempotent: running it again re-enables the key.
import { drizzle } from "drizzle-orm/neon-serverless";
import { hashApiKey, keyPrefix } from "../workers/api/api-keys";
import { apiClients } from "../workers/clients/postgres-schema";
import { neonPool } from "./migrate";

/** The documented default; set MATCHPULSE_DEV_API_KEY to use your own. Local use only. */
export const DEFAULT_DEV_API_KEY = "mp_dev_local_only_key";

export async function seedDevClient(env: Record<string, string>, key: string): Promise<void> {
  const pool = neonPool(env);
  try {
    const db = drizzle(pool);
    const keyHash = await hashApiKey(key);
    await db
      .insert(apiClients)
      .values({ name: "local developer", keyHash, keyPrefix: keyPrefix(key), scopes: ["ingest", "read", "admin"] })
      .onConflictDoUpdate({ target: apiClients.keyHash, set: { revokedAt: null, scopes: ["ingest", "read", "admin"] } });
  } finally {
    await pool.end();
  }
}

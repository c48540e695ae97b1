// API clients in Postgres: the auth look-up by key hash and the admin's create, list, update and revoke,
// each within the admin's tenant.
import { and, eq, gt, inArray, isNull, sql } from "drizzle-orm";
import type { ApiClient } from "../../api/app-env";
import type { Database } from "../../clients/postgres";
import { apiClients, tenants } from "../../clients/postgres-schema";

export type ApiClientRow = typeof apiClients.$inferSelect;
export type NewApiClient = typeof apiClients.$inferInsert & { tenantId: string };

/** What auth needs of a client: its scopes, budgets, tenant and the tenant's quotas. */
const authColumns = {
  id: apiClients.id,
  tenantId: apiClients.tenantId,
  name: apiClients.name,
  scopes: apiClients.scopes,
  ingestPerMinute: apiClients.ingestPerMinute,
  readPerMinute: apiClients.readPerMinute,
  eventsPerDay: tenants.eventsPerDay,
  liveSockets: tenants.liveSockets,
  storedMatches: tenants.storedMatches,
};

type AuthRow = {
  [K in keyof typeof authColumns]: (typeof authColumns)[K]["_"]["notNull"] extends true
    ? (typeof authColumns)[K]["_"]["data"]
    : (typeof authColumns)[K]["_"]["data"] | null;
};

function authView(row: AuthRow | undefined): ApiClient | null {
  if (!row) return null;
  const { eventsPerDay, liveSockets, storedMatches, ...client } = row;
  return { ...client, quotas: { eventsPerDay, liveSockets, storedMatches } };
}

/** The active (not revoked) client whose key hashes to `keyHash`, with what auth needs. */
export async function activeClientByKeyHash(db: Database, keyHash: string) {
  const rows = await db
    .select(authColumns)
    .from(apiClients)
    .innerJoin(tenants, eq(tenants.id, apiClients.tenantId))
    .where(and(eq(apiClients.keyHash, keyHash), isNull(apiClients.revokedAt)))
    .limit(1);
  return authView(rows[0]);
}

/** The active (not revoked) client with this id, with what auth needs (viewer tokens name their client). */
export async function activeClientById(db: Database, id: string) {
  const rows = await db
    .select(authColumns)
    .from(apiClients)
    .innerJoin(tenants, eq(tenants.id, apiClients.tenantId))
    .where(and(eq(apiClients.id, id), isNull(apiClients.revokedAt)))
    .limit(1);
  return authView(rows[0]);
}

/** Which of `ids` are active (not revoked), with their scopes. */
export function activeClientsAmong(db: Database, ids: string[]): Promise<{ id: string; scopes: string[] }[]> {
  return db
    .select({ id: apiClients.id, scopes: apiClients.scopes })
    .from(apiClients)
    .where(and(inArray(apiClients.id, ids), isNull(apiClients.revokedAt)));
}

export async function insertApiClient(db: Database, values: NewApiClient): Promise<ApiClientRow | undefined> {
  const rows = await db.insert(apiClients).values(values).returning();
  return rows[0];
}

/** One page ordered by id (limit + 1 rows, to know whether another follows). */
export function listApiClients(
  db: Database,
  tenantId: string,
  q: { includeRevoked: boolean; afterId: string | null; limit: number },
): Promise<ApiClientRow[]> {
  return db
    .select()
    .from(apiClients)
    .where(
      and(
        eq(apiClients.tenantId, tenantId),
        q.includeRevoked ? undefined : isNull(apiClients.revokedAt),
        q.afterId !== null ? gt(apiClients.id, q.afterId) : undefined,
      ),
    )
    .orderBy(apiClients.id)
    .limit(q.limit + 1);
}

const ownClient = (tenantId: string, id: string) => and(eq(apiClients.tenantId, tenantId), eq(apiClients.id, id));

export async function updateApiClient(
  db: Database,
  tenantId: string,
  id: string,
  changes: Partial<Pick<ApiClientRow, "name" | "scopes" | "ingestPerMinute" | "readPerMinute">>,
): Promise<ApiClientRow | undefined> {
  const rows = await db.update(apiClients).set(changes).where(ownClient(tenantId, id)).returning();
  return rows[0];
}

/** Revokes the tenant's client (idempotent: an already revoked client is returned as it is). */
export async function revokeApiClient(db: Database, tenantId: string, id: string): Promise<ApiClientRow | undefined> {
  const revoked = await db
    .update(apiClients)
    .set({ revokedAt: sql`now()` })
    .where(and(ownClient(tenantId, id), isNull(apiClients.revokedAt)))
    .returning();
  if (revoked[0]) return revoked[0];
  const rows = await db.select().from(apiClients).where(ownClient(tenantId, id)).limit(1);
  return rows[0];
}

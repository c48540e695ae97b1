// Sources in Postgres: the admin's register, list and revoke, within the admin's tenant. Ingest never reads
// this table: the source's Durable Object holds what a batch needs (token hash, revocation, cursor).
import { and, eq, gt, isNull, sql } from "drizzle-orm";
import type { Database } from "../../clients/postgres";
import { sources } from "../../clients/postgres-schema";

export type SourceRow = typeof sources.$inferSelect;
export type NewSource = typeof sources.$inferInsert & { tenantId: string };

export async function insertSource(db: Database, values: NewSource): Promise<SourceRow | undefined> {
  const rows = await db.insert(sources).values(values).returning();
  return rows[0];
}

/** One page ordered by id (limit + 1 rows, to know whether another follows). */
export function listSources(
  db: Database,
  tenantId: string,
  q: { includeRevoked: boolean; matchId: string | null; afterId: string | null; limit: number },
): Promise<SourceRow[]> {
  return db
    .select()
    .from(sources)
    .where(
      and(
        eq(sources.tenantId, tenantId),
        q.includeRevoked ? undefined : isNull(sources.revokedAt),
        q.matchId !== null ? eq(sources.matchId, q.matchId) : undefined,
        q.afterId !== null ? gt(sources.id, q.afterId) : undefined,
      ),
    )
    .orderBy(sources.id)
    .limit(q.limit + 1);
}

/** Revokes the tenant's source (idempotent: an already revoked source is returned as it is). */
export async function revokeSource(db: Database, tenantId: string, id: string): Promise<SourceRow | undefined> {
  const own = and(eq(sources.tenantId, tenantId), eq(sources.id, id));
  const revoked = await db
    .update(sources)
    .set({ revokedAt: sql`now()` })
    .where(and(own, isNull(sources.revokedAt)))
    .returning();
  if (revoked[0]) return revoked[0];
  const rows = await db.select().from(sources).where(own).limit(1);
  return rows[0];
}

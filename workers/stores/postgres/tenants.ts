// Tenants in Postgres: the operator's create, list, read and quota changes; a tenant's read grants on its
// matches to other tenants; and which tenant's match a caller's match id names (own first, then a grant).
import { and, asc, count, eq, gt, sql } from "drizzle-orm";
import type { Database } from "../../clients/postgres";
import { matches, matchGrants, tenants } from "../../clients/postgres-schema";

export type TenantRow = typeof tenants.$inferSelect;
export type NewTenant = typeof tenants.$inferInsert;
export type TenantChanges = Partial<Pick<TenantRow, "name" | "eventsPerDay" | "liveSockets" | "storedMatches">>;
export type MatchGrantRow = typeof matchGrants.$inferSelect;

export async function insertTenant(db: Database, values: NewTenant): Promise<TenantRow | undefined> {
  const rows = await db.insert(tenants).values(values).returning();
  return rows[0];
}

export async function findTenant(db: Database, id: string): Promise<TenantRow | undefined> {
  const rows = await db.select().from(tenants).where(eq(tenants.id, id)).limit(1);
  return rows[0];
}

/** One page ordered by id (limit + 1 rows, to know whether another follows). */
export function listTenants(db: Database, q: { afterId: string | null; limit: number }): Promise<TenantRow[]> {
  return db
    .select()
    .from(tenants)
    .where(q.afterId !== null ? gt(tenants.id, q.afterId) : undefined)
    .orderBy(tenants.id)
    .limit(q.limit + 1);
}

export async function updateTenant(db: Database, id: string, changes: TenantChanges): Promise<TenantRow | undefined> {
  const rows = await db
    .update(tenants)
    .set({ ...changes, updatedAt: sql`now()` })
    .where(eq(tenants.id, id))
    .returning();
  return rows[0];
}

/** How many matches the tenant stores (what the storedMatches quota bounds). */
export async function storedMatchCount(db: Database, tenantId: string): Promise<number> {
  const [row] = await db.select({ n: count() }).from(matches).where(eq(matches.tenantId, tenantId));
  return row?.n ?? 0;
}

/** Grants the grantee read access to the tenant's match; true when the grant is new (repeats change nothing). */
export async function insertGrant(
  db: Database,
  grant: { tenantId: string; matchId: string; granteeTenantId: string },
): Promise<boolean> {
  const rows = await db
    .insert(matchGrants)
    .values(grant)
    .onConflictDoNothing({ target: [matchGrants.tenantId, matchGrants.matchId, matchGrants.granteeTenantId] })
    .returning({ matchId: matchGrants.matchId });
  return rows.length > 0;
}

/** The grants on one of the tenant's matches, by grantee (a match has at most MAX_GRANTS_PER_MATCH). */
export function listGrants(db: Database, tenantId: string, matchId: string, limit: number): Promise<MatchGrantRow[]> {
  return db
    .select()
    .from(matchGrants)
    .where(and(eq(matchGrants.tenantId, tenantId), eq(matchGrants.matchId, matchId)))
    .orderBy(asc(matchGrants.granteeTenantId))
    .limit(limit);
}

export async function grantCount(db: Database, tenantId: string, matchId: string): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(matchGrants)
    .where(and(eq(matchGrants.tenantId, tenantId), eq(matchGrants.matchId, matchId)));
  return row?.n ?? 0;
}

/** Revokes a grant; false when there was none. */
export async function deleteGrant(
  db: Database,
  grant: { tenantId: string; matchId: string; granteeTenantId: string },
): Promise<boolean> {
  const rows = await db
    .delete(matchGrants)
    .where(
      and(
        eq(matchGrants.tenantId, grant.tenantId),
        eq(matchGrants.matchId, grant.matchId),
        eq(matchGrants.granteeTenantId, grant.granteeTenantId),
      ),
    )
    .returning({ matchId: matchGrants.matchId });
  return rows.length > 0;
}

/**
 * For a read of `matchId` by `tenantId`: whether the tenant has registered that match itself, and else the
 * tenant that shared a match of that id with it (the first by id, should several have: deterministic).
 */
export async function readableMatchOwner(
  db: Database,
  tenantId: string,
  matchId: string,
): Promise<{ own: boolean; grantor: string | null }> {
  const result = await db.execute<{ own: boolean; grantor: string | null }>(sql`
    select
      exists (select 1 from ${matches} where ${matches.tenantId} = ${tenantId} and ${matches.id} = ${matchId}) as own,
      (select ${matchGrants.tenantId} from ${matchGrants}
        where ${matchGrants.matchId} = ${matchId} and ${matchGrants.granteeTenantId} = ${tenantId}
        order by ${matchGrants.tenantId} limit 1) as grantor`);
  const row = result.rows[0];
  return { own: row?.own ?? false, grantor: row?.grantor ?? null };
}

// Teams in Postgres, each query within one tenant (ids are unique per tenant).
import { and, eq, gt, sql } from "drizzle-orm";
import type { Database } from "../../clients/postgres";
import { teams } from "../../clients/postgres-schema";

export type TeamRow = typeof teams.$inferSelect;
export type NewTeam = typeof teams.$inferInsert & { tenantId: string };
export type TeamChanges = Partial<Pick<TeamRow, "name" | "country" | "rating">>;

/** One page ordered by id (limit + 1 rows, to know whether another follows). */
export function listTeams(
  db: Database,
  tenantId: string,
  q: { sport?: string; afterId: string | null; limit: number },
): Promise<TeamRow[]> {
  return db
    .select()
    .from(teams)
    .where(
      and(
        eq(teams.tenantId, tenantId),
        q.sport ? eq(teams.sport, q.sport) : undefined,
        q.afterId !== null ? gt(teams.id, q.afterId) : undefined,
      ),
    )
    .orderBy(teams.id)
    .limit(q.limit + 1);
}

export async function findTeam(db: Database, tenantId: string, id: string): Promise<TeamRow | undefined> {
  const rows = await db
    .select()
    .from(teams)
    .where(and(eq(teams.tenantId, tenantId), eq(teams.id, id)))
    .limit(1);
  return rows[0];
}

export async function insertTeam(db: Database, values: NewTeam): Promise<TeamRow | undefined> {
  const rows = await db.insert(teams).values(values).returning();
  return rows[0];
}

export async function updateTeam(
  db: Database,
  tenantId: string,
  id: string,
  changes: TeamChanges,
): Promise<TeamRow | undefined> {
  const rows = await db
    .update(teams)
    .set({ ...changes, updatedAt: sql`now()` })
    .where(and(eq(teams.tenantId, tenantId), eq(teams.id, id)))
    .returning();
  return rows[0];
}

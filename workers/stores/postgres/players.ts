// Players in Postgres, each query within one tenant (ids are unique per tenant).
import { and, eq, gt, sql } from "drizzle-orm";
import type { Database } from "../../clients/postgres";
import { players } from "../../clients/postgres-schema";

export type PlayerRow = typeof players.$inferSelect;
export type NewPlayer = typeof players.$inferInsert & { tenantId: string };
export type PlayerChanges = Partial<Pick<PlayerRow, "teamId" | "name" | "position">>;

/** One page ordered by id (limit + 1 rows, to know whether another follows). */
export function listPlayers(
  db: Database,
  tenantId: string,
  q: { teamId?: string; afterId: string | null; limit: number },
): Promise<PlayerRow[]> {
  return db
    .select()
    .from(players)
    .where(
      and(
        eq(players.tenantId, tenantId),
        q.teamId ? eq(players.teamId, q.teamId) : undefined,
        q.afterId !== null ? gt(players.id, q.afterId) : undefined,
      ),
    )
    .orderBy(players.id)
    .limit(q.limit + 1);
}

export async function insertPlayer(db: Database, values: NewPlayer): Promise<PlayerRow | undefined> {
  const rows = await db.insert(players).values(values).returning();
  return rows[0];
}

export async function updatePlayer(
  db: Database,
  tenantId: string,
  id: string,
  changes: PlayerChanges,
): Promise<PlayerRow | undefined> {
  const rows = await db
    .update(players)
    .set({ ...changes, updatedAt: sql`now()` })
    .where(and(eq(players.tenantId, tenantId), eq(players.id, id)))
    .returning();
  return rows[0];
}

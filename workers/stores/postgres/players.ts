// Players in Postgres.
import { and, eq, gt, sql } from "drizzle-orm";
import type { Database } from "../../clients/postgres";
import { players } from "../../clients/postgres-schema";

export type PlayerRow = typeof players.$inferSelect;
export type NewPlayer = typeof players.$inferInsert;
export type PlayerChanges = Partial<Pick<PlayerRow, "teamId" | "name" | "position">>;

/** One page ordered by id (limit + 1 rows, to know whether another follows). */
export function listPlayers(
  db: Database,
  q: { teamId?: string; afterId: string | null; limit: number },
): Promise<PlayerRow[]> {
  return db
    .select()
    .from(players)
    .where(
      and(
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

export async function updatePlayer(db: Database, id: string, changes: PlayerChanges): Promise<PlayerRow | undefined> {
  const rows = await db
    .update(players)
    .set({ ...changes, updatedAt: sql`now()` })
    .where(eq(players.id, id))
    .returning();
  return rows[0];
}

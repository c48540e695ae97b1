// Matches in Postgres: the shape the API shows, the filtered and keyset-paginated list, and
// the teams a match may name. Lists order by start time (unscheduled last), then id. Every query is
// within one tenant: match and team ids are unique per tenant, and a match names its own tenant's teams.
import { z } from "@hono/zod-openapi";
import { and, count, eq, gte, inArray, lt, type SQL, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import type { ContractIssue } from "../../../shared/contract/event";
import type { Database } from "../../clients/postgres";
import { matches, teams, tenants } from "../../clients/postgres-schema";

export const matchStatuses = ["scheduled", "live", "finished", "postponed", "cancelled"] as const;
export type MatchStatus = (typeof matchStatuses)[number];

export const teamRefSchema = z
  .object({ id: z.string(), name: z.string(), rating: z.number() })
  .meta({ id: "TeamRef", description: "The team a match names, with its pre-match rating (Elo scale)." });

export const matchSchema = z
  .object({
    id: z.string(),
    sport: z.string(),
    // union with null, not .nullable(): keeps the shared TeamRef component itself non-nullable
    team1: z.union([teamRefSchema, z.null()]),
    team2: z.union([teamRefSchema, z.null()]),
    startsAt: z.string().nullable(),
    venue: z.string().nullable(),
    neutral: z.boolean().describe("Played at a neutral venue: no home advantage for team 1."),
    knockout: z
      .boolean()
      .describe("A knockout tie: level after 90 minutes goes to extra time and a shoot-out; predictions add pAdvance."),
    tournament: z.string().nullable(),
    bestOf: z.int().nullable(),
    status: z
      .enum(matchStatuses)
      .describe("scheduled → live on the first event → finished on match_end; or set by an admin."),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: "Match" });

export type MatchView = z.infer<typeof matchSchema>;

export interface MatchFilters {
  status?: MatchStatus;
  sport?: string;
  /** Start time bounds, epoch ms: from inclusive, to exclusive. */
  fromMs?: number;
  toMs?: number;
}

/** Where the previous page ended: its last match's start time (null: unscheduled) and id. */
export const matchPositionSchema = z.object({ s: z.iso.datetime({ offset: true }).nullable(), id: z.string() });
export type MatchPosition = z.infer<typeof matchPositionSchema>;

const team1 = alias(teams, "team1");
const team2 = alias(teams, "team2");
// Unscheduled matches sort last; the same expression orders and bounds the keyset.
const startKey = sql`coalesce(${matches.startsAt}, 'infinity'::timestamptz)`;

function selectMatches(db: Database) {
  return db
    .select({
      match: matches,
      team1: { id: team1.id, name: team1.name, rating: team1.rating },
      team2: { id: team2.id, name: team2.name, rating: team2.rating },
    })
    .from(matches)
    .leftJoin(team1, and(eq(team1.tenantId, matches.tenantId), eq(team1.id, matches.team1Id)))
    .leftJoin(team2, and(eq(team2.tenantId, matches.tenantId), eq(team2.id, matches.team2Id)));
}

type MatchRow = Awaited<ReturnType<ReturnType<typeof selectMatches>["execute"]>>[number];

export function matchView({ match: m, team1: t1, team2: t2 }: MatchRow): MatchView {
  return {
    id: m.id,
    sport: m.sport,
    team1: t1 ? { ...t1 } : null,
    team2: t2 ? { ...t2 } : null,
    startsAt: m.startsAt?.toISOString() ?? null,
    venue: m.venue,
    neutral: m.neutral,
    knockout: m.knockout,
    tournament: m.tournament,
    bestOf: m.bestOf,
    status: (matchStatuses as readonly string[]).includes(m.status) ? (m.status as MatchStatus) : "scheduled",
    createdAt: m.createdAt.toISOString(),
    updatedAt: m.updatedAt.toISOString(),
  };
}

/** One page (fetch limit + 1 to know whether another follows). */
export async function listMatches(
  db: Database,
  tenantId: string,
  filters: MatchFilters,
  after: MatchPosition | null,
  limit: number,
): Promise<MatchView[]> {
  const where: (SQL | undefined)[] = [
    eq(matches.tenantId, tenantId),
    filters.status ? eq(matches.status, filters.status) : undefined,
    filters.sport ? eq(matches.sport, filters.sport) : undefined,
    filters.fromMs !== undefined ? gte(matches.startsAt, new Date(filters.fromMs)) : undefined,
    filters.toMs !== undefined ? lt(matches.startsAt, new Date(filters.toMs)) : undefined,
    after ? sql`(${startKey}, ${matches.id}) > (${after.s ?? "infinity"}::timestamptz, ${after.id})` : undefined,
  ];
  const rows = await selectMatches(db)
    .where(and(...where))
    .orderBy(startKey, matches.id)
    .limit(limit + 1);
  return rows.map(matchView);
}

export const positionOf = (m: MatchView): MatchPosition => ({ s: m.startsAt, id: m.id });

export async function findMatch(db: Database, tenantId: string, id: string): Promise<MatchView | null> {
  const rows = await selectMatches(db)
    .where(and(eq(matches.tenantId, tenantId), eq(matches.id, id)))
    .limit(1);
  return rows[0] ? matchView(rows[0]) : null;
}

/** Teams a match names must exist and play the match's sport: the issues with those it names. */
export async function teamsNotFitting(
  db: Database,
  tenantId: string,
  sport: string,
  named: { field: string; id: string | null | undefined }[],
): Promise<ContractIssue[]> {
  const ids = named.flatMap((n) => (n.id ? [n.id] : []));
  if (ids.length === 0) return [];
  const found = await db
    .select({ id: teams.id, sport: teams.sport })
    .from(teams)
    .where(and(eq(teams.tenantId, tenantId), inArray(teams.id, ids)));
  const issues = named.flatMap(({ field, id }) => {
    if (!id) return [];
    const team = found.find((t) => t.id === id);
    if (!team) return [{ path: `body.${field}`, message: `no team '${id}'` }];
    if (team.sport !== sport)
      return [{ path: `body.${field}`, message: `team '${id}' plays ${team.sport}, not ${sport}` }];
    return [];
  });
  return issues;
}

/** The sport of each registered match among `ids` (unregistered ids are absent). */
export async function sportsOfMatches(db: Database, tenantId: string, ids: string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .select({ id: matches.id, sport: matches.sport })
    .from(matches)
    .where(and(eq(matches.tenantId, tenantId), inArray(matches.id, ids)));
  return new Map(rows.map((r) => [r.id, r.sport]));
}

export type NewMatch = typeof matches.$inferInsert & { tenantId: string };
export type MatchChanges = Partial<Omit<NewMatch, "tenantId" | "id" | "sport" | "createdAt" | "updatedAt">>;

/**
 * Stores the match unless its tenant already stores its `storedMatches` quota of matches: false then.
 * The tenant's row is locked for the count and the insert, so concurrent creates cannot pass the quota.
 */
export async function insertMatchWithinQuota(db: Database, values: NewMatch): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [tenant] = await tx
      .select({ storedMatches: tenants.storedMatches })
      .from(tenants)
      .where(eq(tenants.id, values.tenantId))
      .for("update");
    const quota = tenant?.storedMatches ?? null;
    if (quota !== null) {
      const [stored] = await tx.select({ n: count() }).from(matches).where(eq(matches.tenantId, values.tenantId));
      if ((stored?.n ?? 0) >= quota) return false;
    }
    await tx.insert(matches).values(values);
    return true;
  });
}

export async function updateMatch(db: Database, tenantId: string, id: string, changes: MatchChanges): Promise<void> {
  await db
    .update(matches)
    .set({ ...changes, updatedAt: sql`now()` })
    .where(and(eq(matches.tenantId, tenantId), eq(matches.id, id)));
}

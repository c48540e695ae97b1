// The numbers of one match, from its raw event log deduplicated by event_id (a redelivered or twice-sent
// event counts once, whether or not ClickHouse has merged it away yet). One pass with GROUPING SETS
// yields the total row, one row per type and one per minute; a CS2 match then adds its per-round view.
import type { ClickHouseClient } from "@clickhouse/client-web";
import { z } from "zod";
import { type BoundQuery, type Int, isoFromMs, selectRows, toNumber } from "./clickhouse-rows";
import { scopedQuery } from "./corrected-events";
import { type Cs2Round, type Cs2RoundRow, cs2RoundsQuery, shapeCs2Rounds } from "./cs2-rounds";

export interface MetricsRow {
  kind: "total" | "type" | "minute";
  type: string;
  minute_ms: Int;
  events: Int;
  sport: string;
  first_ms: Int;
  last_ms: Int;
  source_to_accepted_ms: number[];
  accepted_to_written_ms: number[];
}

const count = z.int().min(0);

export const percentilesSchema = z
  .object({ p50: z.number(), p95: z.number(), p99: z.number() })
  .meta({ id: "Percentiles" });
export type Percentiles = z.infer<typeof percentilesSchema>;

export const cs2MetricsSchema = z
  .object({
    maps: count.describe("Maps with at least one finished round."),
    roundsPlayed: count,
    kills: count,
    headshots: count,
    headshotRate: z.number().min(0).max(1).describe("headshots / kills, 0 without kills."),
    roundWinsByTeam: z.tuple([count, count]),
    roundWinsBySide: z.object({ CT: count, T: count }).describe("Rounds won while playing each side."),
  })
  .meta({ id: "Cs2Metrics" });
export type Cs2Metrics = z.infer<typeof cs2MetricsSchema>;

export const matchMetricsSchema = z
  .object({
    matchId: z.string(),
    sport: z.string(),
    totalEvents: count.describe(
      "Distinct events accepted (by eventId), as corrected: redeliveries and repeats count once, retracted " +
        "events and the corrections themselves (retract, amend) not at all.",
    ),
    eventsByType: z.record(z.string(), count),
    goals: count,
    yellowCards: count,
    redCards: count,
    firstEventAt: z.string().describe("Earliest source timestamp."),
    lastEventAt: z.string().describe("Latest source timestamp."),
    peakMinute: z
      .object({ minute: z.string(), eventCount: count })
      .describe("The busiest minute by source timestamp (earliest on ties)."),
    latency: z
      .object({ sourceToAcceptedMs: percentilesSchema, acceptedToWrittenMs: percentilesSchema })
      .describe(
        "Per event, in milliseconds: source timestamp → accepted at the edge, accepted → written to the event log.",
      ),
    cs2: z.union([cs2MetricsSchema, z.null()]).describe("CS2 matches only."),
  })
  .meta({ id: "MatchMetrics" });
export type MatchMetrics = z.infer<typeof matchMetricsSchema>;

// The inner query is the corrected log (corrected-events.ts): repeats of an event collapsed (same id,
// whatever timestamp it was re-sent with; the first acceptance and write kept for its latency), retracted
// events left out, amendments applied, corrections themselves not counted.
// Minutes are epoch milliseconds (Int64): the 32-bit DateTime of toStartOfMinute wraps outside 1970–2106.
export function matchMetricsQuery(tenantId: string, matchId: string): BoundQuery {
  return scopedQuery(
    tenantId,
    (from) => `SELECT
              multiIf(grouping(type) = 0, 'type', grouping(minute) = 0, 'minute', 'total') AS kind,
              type,
              toInt64(minute) AS minute_ms,
              toUInt32(count()) AS events,
              any(sport) AS sport,
              toInt64(toUnixTimestamp64Milli(min(ts))) AS first_ms,
              toInt64(toUnixTimestamp64Milli(max(ts))) AS last_ms,
              quantilesExactInclusive(0.5, 0.95, 0.99)(toFloat64(dateDiff('millisecond', ts, accepted_at))) AS source_to_accepted_ms,
              quantilesExactInclusive(0.5, 0.95, 0.99)(toFloat64(dateDiff('millisecond', accepted_at, written_at))) AS accepted_to_written_ms
            FROM ${from.countedEvents}
            GROUP BY GROUPING SETS ((), (type), (toUnixTimestamp64Milli(ts) - positiveModulo(toUnixTimestamp64Milli(ts), 60000) AS minute))`,
    { matchId },
  );
}

const round1 = (x: number): number => Math.round(x * 10) / 10;

function percentiles(values: number[] | undefined): Percentiles {
  const [p50 = 0, p95 = 0, p99 = 0] = (values ?? []).map((v) => (Number.isFinite(v) ? round1(v) : 0));
  return { p50, p95, p99 };
}

/** Every kill names its round, so the rounds (finished or not) hold every kill and headshot. */
export function cs2Summary(rounds: Cs2Round[]): Cs2Metrics {
  const kills = rounds.reduce((n, r) => n + r.kills, 0);
  const headshots = rounds.reduce((n, r) => n + r.headshots, 0);
  const played = rounds.filter((r) => r.winnerTeam !== null);
  const byTeam: [number, number] = [0, 0];
  const bySide = { CT: 0, T: 0 };
  for (const r of played) {
    byTeam[r.winnerTeam! - 1]! += 1;
    if (r.winnerSide) bySide[r.winnerSide]++;
  }
  return {
    maps: new Set(played.map((r) => r.map)).size,
    roundsPlayed: played.length,
    kills,
    headshots,
    headshotRate: kills === 0 ? 0 : Math.round((headshots / kills) * 10_000) / 10_000,
    roundWinsByTeam: byTeam,
    roundWinsBySide: bySide,
  };
}

/** null when the log holds no event of the match. */
export function shapeMatchMetrics(matchId: string, rows: MetricsRow[], rounds: Cs2Round[]): MatchMetrics | null {
  const total = rows.find((r) => r.kind === "total");
  if (!total || toNumber(total.events) === 0) return null;

  const eventsByType: Record<string, number> = {};
  for (const r of rows.filter((x) => x.kind === "type").sort((a, b) => a.type.localeCompare(b.type))) {
    eventsByType[r.type] = toNumber(r.events);
  }
  let peak: MetricsRow | undefined;
  for (const r of rows) {
    if (r.kind !== "minute") continue;
    const better =
      !peak ||
      toNumber(r.events) > toNumber(peak.events) ||
      (toNumber(r.events) === toNumber(peak.events) && toNumber(r.minute_ms) < toNumber(peak.minute_ms));
    if (better) peak = r;
  }

  return {
    matchId,
    sport: total.sport,
    totalEvents: toNumber(total.events),
    eventsByType,
    goals: eventsByType.goal ?? 0,
    yellowCards: eventsByType.yellow_card ?? 0,
    redCards: eventsByType.red_card ?? 0,
    firstEventAt: isoFromMs(total.first_ms),
    lastEventAt: isoFromMs(total.last_ms),
    peakMinute: { minute: isoFromMs(peak!.minute_ms), eventCount: toNumber(peak!.events) },
    latency: {
      sourceToAcceptedMs: percentiles(total.source_to_accepted_ms),
      acceptedToWrittenMs: percentiles(total.accepted_to_written_ms),
    },
    cs2: total.sport === "cs2" ? cs2Summary(rounds) : null,
  };
}

export async function matchMetrics(
  client: ClickHouseClient,
  tenantId: string,
  matchId: string,
): Promise<MatchMetrics | null> {
  const rows = await selectRows<MetricsRow>(client, matchMetricsQuery(tenantId, matchId));
  // The rounds only when the first answer says CS2: other sports skip a query that would find nothing.
  const isCs2 = rows.some((r) => r.kind === "total" && r.sport === "cs2");
  const rounds = isCs2 ? shapeCs2Rounds(await selectRows<Cs2RoundRow>(client, cs2RoundsQuery(tenantId, matchId))) : [];
  return shapeMatchMetrics(matchId, rows, rounds);
}

// Per-round CS2 metrics of one match, from the corrected event log (this query replaces the `cs2_rounds`
// view of migrations/clickhouse/0004, dropped by 0006): which map a round was on, who won it and how,
// kills and headshots. The side each winner played comes from the map's starting side and format and the
// sport's half-time rules, the same code the reducer uses.
import type { ClickHouseClient } from "@clickhouse/client-web";
import { z } from "zod";
import type { Side } from "../../shared/sports/cs2/events";
import { type Cs2MapFormat, DEFAULT_MAP_FORMAT, team1SideForRound } from "../../shared/sports/cs2/sides";
import { type BoundQuery, type Int, isoFromMs, selectRows, toNumber } from "./clickhouse-rows";
import { scopedQuery } from "./corrected-events";

export interface Cs2RoundRow {
  map_number: Int;
  map_name: string;
  starting_side: string;
  /** The map's mp_maxrounds from map_start; 0 when it did not say (the default format). */
  max_rounds?: Int;
  /** -1 when map_start did not say. */
  overtime_max_rounds?: Int;
  round: Int;
  winner: Int;
  reason: string;
  ended_at_ms: Int;
  kills: Int;
  headshots: Int;
  kills_team1: Int;
  kills_team2: Int;
}

const count = z.int().min(0);

export const roundSchema = z
  .object({
    map: count.describe("Map number (0: before any map_start)."),
    mapName: z.string().nullable(),
    round: z.int().min(1),
    winnerTeam: z.union([z.literal(1), z.literal(2), z.null()]),
    winnerSide: z.union([z.literal("CT"), z.literal("T"), z.null()]),
    reason: z.string().nullable(),
    endedAt: z.string().nullable(),
    kills: count,
    headshots: count,
    killsByTeam: z.tuple([count, count]),
  })
  .meta({ id: "Cs2Round" });
/** A round; `map` 0 for rounds before any map_start, `winnerTeam` null while the round has no round_end. */
export type Cs2Round = z.infer<typeof roundSchema>;

// Rounds of the corrected log (corrected-events.ts). A round's events (kill, round_end) do not name their
// map: round numbers restart on every map, and only the order of events says which map_start a round
// belongs to (map_seq: how many map_starts came at or before the event). A round whose next map boundary
// in source order (seq, then time) is a map_restart never counted: the server restarted its map
// (mp_restartgame). Counts are uniqExact over event_id. One match is a few hundred rows.
export function cs2RoundsQuery(tenantId: string, matchId: string): BoundQuery {
  return scopedQuery(
    tenantId,
    (from) => `WITH
              (
                SELECT groupArray((seq, ts, type, payload, event_id))
                FROM
                (
                  SELECT seq, ts, type, payload, event_id FROM ${from.correctedEvents(["map_start", "map_restart"])}
                  ORDER BY seq, ts, event_id
                )
              ) AS boundaries,
              arrayMap(b -> (b.2, b.4), arraySort(b -> (b.2, b.5), arrayFilter(b -> b.3 = 'map_start', boundaries))) AS maps,
              arrayMap(b -> (b.1, b.2, b.3), boundaries) AS bounds
            SELECT
              toUInt8(JSONExtractUInt(maps[map_seq].2, 'mapNumber')) AS map_number,
              JSONExtractString(maps[map_seq].2, 'mapName') AS map_name,
              JSONExtractString(maps[map_seq].2, 'startingSide') AS starting_side,
              toUInt16(JSONExtractUInt(maps[map_seq].2, 'maxRounds')) AS max_rounds,
              toInt16(if(JSONHas(maps[map_seq].2, 'overtimeMaxRounds'), JSONExtractInt(maps[map_seq].2, 'overtimeMaxRounds'), -1)) AS overtime_max_rounds,
              round, winner, reason, ended_at_ms, kills, headshots, kills_team1, kills_team2
            FROM
            (
              SELECT
                toUInt32(arrayCount(m -> m.1 <= ts, maps)) AS map_seq,
                toUInt16(JSONExtractUInt(payload, 'round')) AS round,
                toUInt8(anyIf(team_id, type = 'round_end')) AS winner,
                anyIf(JSONExtractString(payload, 'reason'), type = 'round_end') AS reason,
                toInt64(toUnixTimestamp64Milli(maxIf(ts, type = 'round_end'))) AS ended_at_ms,
                toUInt32(uniqExactIf(event_id, type = 'kill')) AS kills,
                toUInt32(uniqExactIf(event_id, type = 'kill' AND JSONExtractBool(payload, 'headshot'))) AS headshots,
                toUInt32(uniqExactIf(event_id, type = 'kill' AND team_id = 1)) AS kills_team1,
                toUInt32(uniqExactIf(event_id, type = 'kill' AND team_id = 2)) AS kills_team2
              FROM ${from.correctedEvents(["kill", "round_end"])}
              WHERE sport = 'cs2'
                AND arrayFirst(b -> (b.1, b.2) > (seq, ts), bounds).3 != 'map_restart'
              GROUP BY map_seq, round
            )
            ORDER BY map_seq, round`,
    { matchId },
  );
}

const isSide = (s: string): s is Side => s === "CT" || s === "T";

export function winnerSide(
  startingSide: string,
  round: number,
  winner: 1 | 2,
  format: Cs2MapFormat = DEFAULT_MAP_FORMAT,
): Side | null {
  if (!isSide(startingSide) || round < 1) return null;
  const team1 = team1SideForRound(startingSide, round, format);
  if (winner === 1) return team1;
  return team1 === "CT" ? "T" : "CT";
}

/** The map's own format when its map_start gave one (MR15 servers), else CS2's default. */
function rowFormat(r: Cs2RoundRow): Cs2MapFormat {
  const maxRounds = toNumber(r.max_rounds ?? 0);
  const overtime = toNumber(r.overtime_max_rounds ?? -1);
  return {
    maxRounds: maxRounds > 0 ? maxRounds : DEFAULT_MAP_FORMAT.maxRounds,
    overtimeMaxRounds: overtime >= 0 ? overtime : DEFAULT_MAP_FORMAT.overtimeMaxRounds,
  };
}

export function shapeCs2Rounds(rows: Cs2RoundRow[]): Cs2Round[] {
  return rows.map((r) => {
    const w = toNumber(r.winner);
    const winnerTeam = w === 1 || w === 2 ? w : null;
    const round = toNumber(r.round);
    return {
      map: toNumber(r.map_number),
      mapName: r.map_name || null,
      round,
      winnerTeam,
      winnerSide: winnerTeam === null ? null : winnerSide(r.starting_side, round, winnerTeam, rowFormat(r)),
      reason: winnerTeam === null ? null : r.reason || null,
      endedAt: winnerTeam === null ? null : isoFromMs(r.ended_at_ms),
      kills: toNumber(r.kills),
      headshots: toNumber(r.headshots),
      killsByTeam: [toNumber(r.kills_team1), toNumber(r.kills_team2)],
    };
  });
}

export async function cs2Rounds(client: ClickHouseClient, tenantId: string, matchId: string): Promise<Cs2Round[]> {
  return shapeCs2Rounds(await selectRows<Cs2RoundRow>(client, cs2RoundsQuery(tenantId, matchId)));
}

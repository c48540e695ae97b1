// Per-round CS2 metrics of one match, from the `cs2_rounds` parameterized view (migrations/clickhouse/
// 0004): which map a round was on, who won it and how, kills and headshots. The side each winner played
// comes from the map's starting side and the sport's half-time rules, the same code the reducer uses.
import type { ClickHouseClient } from "@clickhouse/client-web";
import { z } from "zod";
import type { Side } from "../../shared/sports/cs2/events";
import { team1SideForRound } from "../../shared/sports/cs2/sides";
import { type BoundQuery, type Int, isoFromMs, selectRows, toNumber } from "./clickhouse-rows";

export interface Cs2RoundRow {
  map_number: Int;
  map_name: string;
  starting_side: string;
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

export function cs2RoundsQuery(matchId: string): BoundQuery {
  return {
    query: `SELECT map_number, map_name, starting_side, round, winner, reason, ended_at_ms, kills, headshots, kills_team1, kills_team2
            FROM cs2_rounds(match_id = {matchId:String})
            ORDER BY map_seq, round`,
    params: { matchId },
  };
}

const isSide = (s: string): s is Side => s === "CT" || s === "T";

export function winnerSide(startingSide: string, round: number, winner: 1 | 2): Side | null {
  if (!isSide(startingSide) || round < 1) return null;
  const team1 = team1SideForRound(startingSide, round);
  if (winner === 1) return team1;
  return team1 === "CT" ? "T" : "CT";
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
      winnerSide: winnerTeam === null ? null : winnerSide(r.starting_side, round, winnerTeam),
      reason: winnerTeam === null ? null : r.reason || null,
      endedAt: winnerTeam === null ? null : isoFromMs(r.ended_at_ms),
      kills: toNumber(r.kills),
      headshots: toNumber(r.headshots),
      killsByTeam: [toNumber(r.kills_team1), toNumber(r.kills_team2)],
    };
  });
}

export async function cs2Rounds(client: ClickHouseClient, matchId: string): Promise<Cs2Round[]> {
  return shapeCs2Rounds(await selectRows<Cs2RoundRow>(client, cs2RoundsQuery(matchId)));
}

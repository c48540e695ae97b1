// What the analytics store says about a page of matches at once: the latest event (source time) from
// events_per_match and the latest published prediction from latest_predictions. One query for the whole
// page, reading a few rows per match, so a match list costs one cheap round trip.
import type { ClickHouseClient } from "@clickhouse/client-web";
import { type BoundQuery, type Int, isoFromMs, selectRows, toNumber } from "./clickhouse-rows";
import { scopedQuery } from "./corrected-events";
import type { PredictionPoint } from "./prediction-series";

export interface ActivityRow {
  match_id: string;
  last_event_ms: Int;
  seq: Int;
  p_team1: number;
  p_draw: number | null;
  p_team2: number;
  model_version: string;
  at_ms: Int;
}

export interface MatchActivity {
  lastEventAt: string | null;
  prediction: Omit<PredictionPoint, "eventId" | "eventType"> | null;
}

export const NO_ACTIVITY: MatchActivity = { lastEventAt: null, prediction: null };

export function matchActivityQuery(tenantId: string, matchIds: string[]): BoundQuery {
  return scopedQuery(
    tenantId,
    (from) => `SELECT e.match_id AS match_id, e.last_event_ms AS last_event_ms,
                   p.last_seq AS seq, p.p_team1 AS p_team1, p.p_draw AS p_draw, p.p_team2 AS p_team2,
                   p.model_version AS model_version, p.at_ms AS at_ms
            FROM
            (
              SELECT match_id, toInt64(toUnixTimestamp64Milli(max(last_ts))) AS last_event_ms
              FROM ${from.eventsPerMatch}
              WHERE match_id IN {matchIds:Array(String)}
              GROUP BY match_id
            ) AS e
            LEFT JOIN
            (
              SELECT match_id, max(seq) AS last_seq, argMax(p_team1, seq) AS p_team1, argMax(p_draw, seq) AS p_draw,
                     argMax(p_team2, seq) AS p_team2, argMax(model_version, seq) AS model_version,
                     toInt64(toUnixTimestamp64Milli(argMax(at, seq))) AS at_ms
              FROM ${from.latestPredictions}
              WHERE match_id IN {matchIds:Array(String)}
              GROUP BY match_id
            ) AS p ON e.match_id = p.match_id`,
    { matchIds },
  );
}

export function shapeMatchActivity(rows: ActivityRow[]): Map<string, MatchActivity> {
  const out = new Map<string, MatchActivity>();
  for (const r of rows) {
    const seq = toNumber(r.seq);
    out.set(r.match_id, {
      lastEventAt: isoFromMs(r.last_event_ms),
      // A missing right side of the LEFT JOIN comes back as defaults: seq 0 means no prediction yet.
      prediction:
        seq === 0
          ? null
          : {
              seq,
              at: isoFromMs(r.at_ms),
              pTeam1: r.p_team1,
              ...(r.p_draw === null ? {} : { pDraw: r.p_draw }),
              pTeam2: r.p_team2,
              modelVersion: r.model_version,
            },
    });
  }
  return out;
}

/** The activity of a page of one tenant's matches. */
export async function matchActivity(
  client: ClickHouseClient,
  tenantId: string,
  matchIds: string[],
): Promise<Map<string, MatchActivity>> {
  if (matchIds.length === 0) return new Map();
  return shapeMatchActivity(await selectRows<ActivityRow>(client, matchActivityQuery(tenantId, matchIds)));
}

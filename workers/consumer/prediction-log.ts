// Rows for the ClickHouse predictions table: every prediction the match rooms published, written once
// per consumer batch. A room keeps its predictions in an outbox until the consumer confirms the write,
// so a failed insert loses nothing: the next call to that room returns them again, and repeats collapse
// in the ReplacingMergeTree on (match_id, seq, tenant_id).
import type { ClickHouseClient } from "@clickhouse/client-web";
import type { PredictionLogRow, PublishedPrediction } from "../queue/messages";

export type { PredictionLogRow };

/** Rows of one room's predictions: the room is the tenant's (the consumer called it by roomName). */
export function predictionLogRows(tenantId: string, predictions: PublishedPrediction[]): PredictionLogRow[] {
  return predictions.map((p) => ({
    tenant_id: tenantId,
    match_id: p.matchId,
    seq: p.seq,
    sport: p.sport,
    event_id: p.eventId,
    event_type: p.eventType,
    p_team1: p.pTeam1,
    p_draw: p.pDraw,
    p_team2: p.pTeam2,
    model_version: p.modelVersion,
    at: p.at,
  }));
}

export async function writePredictionLog(client: ClickHouseClient, rows: PredictionLogRow[]): Promise<void> {
  if (rows.length === 0) return;
  await client.insert({
    table: "predictions",
    values: rows,
    format: "JSONEachRow",
    clickhouse_settings: { date_time_input_format: "best_effort" },
  });
}

// The win-probability time series of one match (one point per applied event), in room seq order, for
// charts. Keyset pagination on seq; FINAL (in the tenant's source) collapses predictions the consumer
// wrote more than once.
import type { ClickHouseClient } from "@clickhouse/client-web";
import { z } from "zod";
import { predictionSchema } from "../../shared/contract/prediction";
import { type BoundQuery, type Int, isoFromMs, selectRows, toNumber } from "./clickhouse-rows";
import { scopedQuery } from "./corrected-events";

export interface PredictionRow {
  seq: Int;
  at_ms: Int;
  p_team1: number;
  p_draw: number | null;
  p_team2: number;
  model_version: string;
  event_id: string;
  event_type: string;
}

// The published prediction (shared/contract/prediction.ts) with where it sits in the series.
export const predictionPointSchema = predictionSchema
  .omit({ pAdvanceTeam1: true, pAdvanceTeam2: true })
  .extend({
    seq: z.int().min(1).describe("The room's update seq that produced it."),
    eventId: z.string(),
    eventType: z.string(),
  })
  .meta({ id: "PredictionPoint" });
export type PredictionPoint = z.infer<typeof predictionPointSchema>;

export interface SeriesWindow {
  /** Epoch ms, inclusive. */
  fromMs: number;
  /** Epoch ms, exclusive. */
  toMs: number;
  /** Points after this room seq (the previous page's last). */
  afterSeq: number;
  limit: number;
}

// DateTime64 reaches 2299; the defaults stand for "no bound" without changing the SQL text.
export const OPEN_FROM_MS = 0;
export const OPEN_TO_MS = Date.UTC(2299, 0, 1);

export function predictionSeriesQuery(tenantId: string, matchId: string, w: SeriesWindow): BoundQuery {
  return scopedQuery(
    tenantId,
    (from) => `SELECT seq, toInt64(toUnixTimestamp64Milli(at)) AS at_ms, p_team1, p_draw, p_team2, model_version,
                   toString(event_id) AS event_id, event_type
            FROM ${from.predictions}
            WHERE match_id = {matchId:String}
              AND seq > {afterSeq:UInt32}
              AND at >= fromUnixTimestamp64Milli({fromMs:Int64}, 'UTC')
              AND at < fromUnixTimestamp64Milli({toMs:Int64}, 'UTC')
            ORDER BY seq
            LIMIT {limit:UInt32}`,
    // One more than asked: tells whether another page exists without a count query.
    { matchId, afterSeq: w.afterSeq, fromMs: w.fromMs, toMs: w.toMs, limit: w.limit + 1 },
  );
}

export function shapePredictionSeries(
  rows: PredictionRow[],
  limit: number,
): { points: PredictionPoint[]; nextAfterSeq: number | null } {
  const page = rows.slice(0, limit).map(
    (r): PredictionPoint => ({
      seq: toNumber(r.seq),
      at: isoFromMs(r.at_ms),
      pTeam1: r.p_team1,
      ...(r.p_draw === null ? {} : { pDraw: r.p_draw }),
      pTeam2: r.p_team2,
      modelVersion: r.model_version,
      eventId: r.event_id,
      eventType: r.event_type,
    }),
  );
  return { points: page, nextAfterSeq: rows.length > limit && page.length > 0 ? page[page.length - 1]!.seq : null };
}

export async function predictionSeries(client: ClickHouseClient, tenantId: string, matchId: string, w: SeriesWindow) {
  return shapePredictionSeries(
    await selectRows<PredictionRow>(client, predictionSeriesQuery(tenantId, matchId, w)),
    w.limit,
  );
}

// Event counts of one match per time bucket (by source timestamp) and type, from the event log grouped
// by event_id first: an event redelivered, or re-sent with another timestamp, counts once (at its
// earliest timestamp); retracted events and corrections are left out (corrected-events.ts). Buckets are
// computed on epoch milliseconds (Int64), so a timestamp outside the 32-bit DateTime range (year 0001,
// 2299) still lands in its own bucket instead of a wrapped one.
import type { ClickHouseClient } from "@clickhouse/client-web";
import { z } from "zod";
import { type BoundQuery, type Int, isoFromMs, selectRows, toNumber } from "./clickhouse-rows";
import { scopedQuery } from "./corrected-events";

export const timelineBuckets = { "1m": 1, "5m": 5 } as const;
export type TimelineBucket = keyof typeof timelineBuckets;

export interface TimelineRow {
  bucket_ms: Int;
  type: string;
  events: Int;
}

const count = z.int().min(0);

export const timelinePointSchema = z.object({ start: z.string(), total: count, byType: z.record(z.string(), count) });
export type TimelinePoint = z.infer<typeof timelinePointSchema>;

export const timelineSchema = z
  .object({
    matchId: z.string(),
    bucket: z.enum(Object.keys(timelineBuckets) as [TimelineBucket, ...TimelineBucket[]]),
    buckets: z.array(timelinePointSchema).describe("Buckets with events, in time order."),
  })
  .meta({ id: "MatchTimeline" });

export function timelineQuery(tenantId: string, matchId: string, bucket: TimelineBucket): BoundQuery {
  return scopedQuery(
    tenantId,
    (from) => `SELECT toInt64(ms - positiveModulo(ms, {bucketMs:Int64})) AS bucket_ms, type, toUInt32(count()) AS events
            FROM (SELECT type, toInt64(toUnixTimestamp64Milli(ts)) AS ms FROM ${from.countedEvents})
            GROUP BY bucket_ms, type
            ORDER BY bucket_ms, type`,
    { matchId, bucketMs: timelineBuckets[bucket] * 60_000 },
  );
}

/** Rows arrive ordered by bucket, then type; buckets without events are left out. */
export function shapeTimeline(rows: TimelineRow[]): TimelinePoint[] {
  const points: TimelinePoint[] = [];
  let current: TimelinePoint | undefined;
  let currentStart: number | undefined;
  for (const r of rows) {
    const start = toNumber(r.bucket_ms);
    if (start !== currentStart) {
      current = { start: isoFromMs(start), total: 0, byType: {} };
      currentStart = start;
      points.push(current);
    }
    const n = toNumber(r.events);
    current!.byType[r.type] = n;
    current!.total += n;
  }
  return points;
}

export async function matchTimeline(
  client: ClickHouseClient,
  tenantId: string,
  matchId: string,
  bucket: TimelineBucket,
): Promise<TimelinePoint[]> {
  return shapeTimeline(await selectRows<TimelineRow>(client, timelineQuery(tenantId, matchId, bucket)));
}

// Event counts of one match per time bucket (by source timestamp) and type, read from the per-minute
// rollup (events_per_minute): merging the uniqExact states of a bucket's minutes counts each event once.
import type { ClickHouseClient } from "@clickhouse/client-web";
import { type BoundQuery, type Int, isoFromSeconds, selectRows, toNumber } from "./clickhouse-rows";

export const timelineBuckets = { "1m": 1, "5m": 5 } as const;
export type TimelineBucket = keyof typeof timelineBuckets;

export interface TimelineRow {
  bucket_s: Int;
  type: string;
  events: Int;
}

export interface TimelinePoint {
  start: string;
  total: number;
  byType: Record<string, number>;
}

export function timelineQuery(matchId: string, bucket: TimelineBucket): BoundQuery {
  return {
    query: `SELECT
              toUInt32(toUnixTimestamp(toStartOfInterval(minute, toIntervalMinute({bucketMinutes:UInt8})))) AS bucket_s,
              type,
              toUInt32(uniqExactMerge(events)) AS events
            FROM events_per_minute
            WHERE match_id = {matchId:String}
            GROUP BY bucket_s, type
            ORDER BY bucket_s, type`,
    params: { matchId, bucketMinutes: timelineBuckets[bucket] },
  };
}

/** Rows arrive ordered by bucket, then type; buckets without events are left out. */
export function shapeTimeline(rows: TimelineRow[]): TimelinePoint[] {
  const points: TimelinePoint[] = [];
  let current: TimelinePoint | undefined;
  let currentStart: number | undefined;
  for (const r of rows) {
    const start = toNumber(r.bucket_s);
    if (start !== currentStart) {
      current = { start: isoFromSeconds(start), total: 0, byType: {} };
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
  matchId: string,
  bucket: TimelineBucket,
): Promise<TimelinePoint[]> {
  return shapeTimeline(await selectRows<TimelineRow>(client, timelineQuery(matchId, bucket)));
}

// The analytics hop: the events consumer forwards each batch's event-log rows and the rooms' predictions
// to a second queue, whose consumer waits up to max_batch_timeout to gather large batches and writes
// each table with one insert per batch. ClickHouse wants few, large inserts (≥1,000 rows, about one per
// second per table); the live path wants every batch done in milliseconds. The queue gives both, durably.
import { openClickHouse } from "../clients/clickhouse";
import type { Env } from "../env";
import { chunkBySize, MAX_MESSAGE_BYTES, type Packed, toSendBatches } from "../ingest/pack";
import { errorMessage, log } from "../observability/log";
import { metrics } from "../observability/metrics";
import { type EventLogRow, writeEventLog } from "./event-log";
import { type PredictionLogRow, writePredictionLog } from "./prediction-log";

export interface AnalyticsMessage {
  v: 1;
  events: EventLogRow[];
  predictions: PredictionLogRow[];
}

/**
 * Event-log rows and predictions share messages (each under the 64 KB billing unit): a consumer batch of
 * one event then forwards one message, not one per table.
 */
export function packAnalytics(events: EventLogRow[], predictions: PredictionLogRow[]): Packed<AnalyticsMessage>[] {
  const budget = MAX_MESSAGE_BYTES - 100;
  const tagged = [
    ...events.map((row) => ({ kind: "events" as const, row })),
    ...predictions.map((row) => ({ kind: "predictions" as const, row })),
  ];
  // Sized by the row alone (the tag is not sent); a row's share of the message is its JSON and a comma.
  return chunkBySize(tagged, budget).map((c) => {
    const message: AnalyticsMessage = { v: 1, events: [], predictions: [] };
    for (const t of c.items) {
      if (t.kind === "events") message.events.push(t.row);
      else message.predictions.push(t.row);
    }
    return { message, bytes: c.bytes + 100 };
  });
}

/** Durably hands rows to the analytics queue; throws if the queue refused any part. */
export async function forwardToAnalytics(
  env: Env,
  events: EventLogRow[],
  predictions: PredictionLogRow[],
): Promise<void> {
  for (const batch of toSendBatches(packAnalytics(events, predictions))) {
    await env.ANALYTICS_QUEUE.sendBatch(batch.map((body) => ({ body })));
    metrics.analyticsMessages.inc({}, batch.length);
  }
}

async function insertTimed(table: string, rows: unknown[], write: () => Promise<void>): Promise<void> {
  if (rows.length === 0) return;
  const started = Date.now();
  await write();
  metrics.clickhouseRows.inc({ table }, rows.length);
  metrics.clickhouseInsert.observe((Date.now() - started) / 1000, { table });
}

let writeLag: ReturnType<typeof metrics.ingestLatency.with> | undefined;

/** Acceptance → written, per event row; rows of one request share accepted_at, so runs are observed at once. */
function observeWriteLag(rows: EventLogRow[], now: number): void {
  writeLag ??= metrics.ingestLatency.with({ stage: "accepted_to_written" });
  let run = 0;
  for (let i = 0; i < rows.length; i++) {
    run++;
    const at = rows[i]!.accepted_at;
    if (i + 1 < rows.length && rows[i + 1]!.accepted_at === at) continue;
    writeLag.observe((now - Date.parse(at)) / 1000, run);
    run = 0;
  }
}

/** The analytics queue's handler: one insert per table per batch; all acked, or all retried. */
export async function consumeAnalytics(batch: MessageBatch<AnalyticsMessage>, env: Env): Promise<void> {
  const events = batch.messages.flatMap((m) => m.body.events);
  const predictions = batch.messages.flatMap((m) => m.body.predictions);
  const clickhouse = openClickHouse(env);
  try {
    await Promise.all([
      insertTimed("events", events, () => writeEventLog(clickhouse, events)),
      insertTimed("predictions", predictions, () => writePredictionLog(clickhouse, predictions)),
    ]);
    observeWriteLag(events, Date.now());
    // The request ids tie these rows to the edge's "events accepted" lines (and to events.request_id).
    log("info", "analytics written", {
      events: events.length,
      predictions: predictions.length,
      requestIds: [...new Set(events.map((r) => r.request_id))],
    });
    batch.ackAll();
  } catch (err) {
    metrics.dependencyErrors.inc({ dependency: "clickhouse" });
    log("error", "analytics insert failed; batch will be retried", {
      error: errorMessage(err),
      events: events.length,
      predictions: predictions.length,
    });
    const attempts = Math.max(...batch.messages.map((m) => m.attempts));
    batch.retryAll({ delaySeconds: Math.min(2 ** attempts, 60) });
  } finally {
    await clickhouse.close().catch(() => {});
  }
}

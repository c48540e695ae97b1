// The analytics hop: the events consumer forwards each batch's event-log rows and the rooms' predictions
// to a second queue, whose consumer waits up to max_batch_timeout to gather large batches and writes
// each table with one insert per batch. ClickHouse wants few, large inserts (≥1,000 rows, about one per
// second per table); the live path wants every batch done in milliseconds. The queue gives both, durably.
//
// One bad row never holds back another: a refused insert is split (writeIsolated) until the rows that
// ClickHouse still refuses on their own are isolated; those are parked in dead_letters (counted, logged
// by eventId and matchId, re-driven with `npm run redrive -- quarantine`) and the rest is written.
import { openClickHouse } from "../clients/clickhouse";
import type { Env } from "../env";
import { chunkBySize, MAX_MESSAGE_BYTES, type Packed, toSendBatches } from "../ingest/pack";
import { errorMessage, log } from "../observability/log";
import { metrics } from "../observability/metrics";
import {
  type AnalyticsMessage,
  type EventLogRow,
  type PredictionLogRow,
  readQueueMessage,
  retryDelaySeconds,
} from "../queue/messages";
import { type DeadLetter, parkDeadLetters, type Refused, writeIsolated } from "./dead-letters";
import { writeEventLog } from "./event-log";
import { writePredictionLog } from "./prediction-log";

export type { AnalyticsMessage };

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
    const message: AnalyticsMessage = { kind: "analytics", v: 1, events: [], predictions: [] };
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

async function insertTimed<R>(table: string, rows: R[], write: (rows: R[]) => Promise<void>) {
  const started = Date.now();
  const result = await writeIsolated(rows, write);
  if (result.written > 0) {
    metrics.clickhouseRows.inc({ table }, result.written);
    metrics.clickhouseInsert.observe((Date.now() - started) / 1000, { table });
  }
  return result;
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

const quarantined = (table: string, refused: Refused<EventLogRow | PredictionLogRow>[]): DeadLetter[] =>
  refused.map(({ row, error }) => ({
    source: "quarantine",
    target: table,
    tenantId: row.tenant_id,
    eventId: row.event_id,
    matchId: row.match_id,
    error: errorMessage(error),
    body: row,
  }));

/** The analytics queue's handler: one insert per table per batch (split only on refusal); all acked, or all retried. */
export async function consumeAnalytics(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const events: EventLogRow[] = [];
  const predictions: PredictionLogRow[] = [];
  const unreadable: DeadLetter[] = [];
  for (const msg of batch.messages) {
    const read = readQueueMessage(msg.body);
    if (read.ok && read.message.kind === "analytics") {
      events.push(...read.message.events);
      predictions.push(...read.message.predictions);
    } else {
      const error = read.ok ? `a ${read.message.kind} message on the analytics queue` : read.reason;
      log("error", "unreadable analytics message parked", { messageId: msg.id, error });
      unreadable.push({ source: "unknown_message", target: batch.queue, error, body: msg.body });
    }
  }
  const clickhouse = openClickHouse(env);
  try {
    const [ev, pr] = await Promise.all([
      insertTimed("events", events, (rows) => writeEventLog(clickhouse, rows)),
      insertTimed("predictions", predictions, (rows) => writePredictionLog(clickhouse, rows)),
    ]);
    const parked = [...quarantined("events", ev.refused), ...quarantined("predictions", pr.refused)];
    await parkDeadLetters(clickhouse, [...parked, ...unreadable]);
    for (const p of parked) {
      log("warn", "analytics row quarantined", {
        table: p.target,
        tenantId: p.tenantId,
        eventId: p.eventId,
        matchId: p.matchId,
        error: p.error,
      });
      metrics.analyticsQuarantined.inc({ table: p.target });
    }
    if (unreadable.length > 0) metrics.deadLettersParked.inc({ source: "unknown_message" }, unreadable.length);
    const refusedIds = new Set(ev.refused.map((r) => r.row));
    observeWriteLag(refusedIds.size === 0 ? events : events.filter((r) => !refusedIds.has(r)), Date.now());
    // The request ids tie these rows to the edge's "events accepted" lines (and to events.request_id).
    log("info", "analytics written", {
      events: ev.written,
      predictions: pr.written,
      quarantined: parked.length,
      inserts: ev.inserts + pr.inserts,
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
    batch.retryAll({ delaySeconds: retryDelaySeconds(attempts) });
  } finally {
    await clickhouse.close().catch(() => {});
  }
}

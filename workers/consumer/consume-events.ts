// The queue handler: group a batch by match, call each match's room once, write the whole batch to the
// ClickHouse event log in one insert — both at once, so a slow or dead ClickHouse never holds up the
// live path. A message is acked only when its room applied it and the log holds it; otherwise it is
// retried with backoff (rooms and the log are idempotent), and after max_retries it goes to the DLQ.
// When the rooms have answered, the predictions they published go to ClickHouse in one more insert and
// are then confirmed to each room; that write never decides an ack (unconfirmed predictions stay in the
// rooms' outboxes and come back with their next call).
import type { ClickHouseClient } from "@clickhouse/client-web";
import { openClickHouse } from "../clients/clickhouse";
import type { Env } from "../env";
import type { EventsMessage } from "../ingest/pack";
import type { ApplyResult, MatchRoom } from "../match-room/match-room";
import { errorMessage, log } from "../observability/log";
import { metrics } from "../observability/metrics";
import { eventLogRows, writeEventLog } from "./event-log";
import { advanceMatchStatus } from "./match-status";
import { predictionLogRows, writePredictionLog } from "./prediction-log";

export const retryDelaySeconds = (attempts: number): number => Math.min(2 ** attempts, 60);

interface RoomCall {
  matchId: string;
  room: DurableObjectStub<MatchRoom>;
  result: ApplyResult;
}

export async function consumeEvents(batch: MessageBatch<EventsMessage>, env: Env): Promise<void> {
  metrics.queueBatchSize.observe(batch.messages.length);
  const byMatch = new Map<string, Message<EventsMessage>[]>();
  for (const msg of batch.messages) {
    const list = byMatch.get(msg.body.matchId);
    if (list) list.push(msg);
    else byMatch.set(msg.body.matchId, [msg]);
  }
  const events = batch.messages.flatMap((m) => m.body.events);
  observeSourceLag(batch.messages);

  const rooms = [...byMatch].map(async ([matchId, msgs]): Promise<RoomCall> => {
    const room = env.MATCH_ROOM.get(env.MATCH_ROOM.idFromName(matchId));
    const result = await room.applyEvents(matchId, msgs.flatMap((m) => m.body.events));
    metrics.roomApplied.inc({}, result.applied);
    if (result.duplicates > 0) metrics.roomDuplicates.inc({}, result.duplicates);
    if (result.held > 0) metrics.roomHeld.inc({}, result.held);
    return { matchId, room, result };
  });

  const rows = eventLogRows(batch.messages.map((m) => m.body));
  const clickhouse = openClickHouse(env);
  const started = Date.now();
  const logWrite = writeEventLog(clickhouse, rows).then(() => {
    metrics.clickhouseRows.inc({ table: "events" }, rows.length);
    metrics.clickhouseInsert.observe((Date.now() - started) / 1000, { table: "events" });
    const now = Date.now();
    for (const m of batch.messages) metrics.ingestLatency.observe((now - m.body.acceptedAt) / 1000, { stage: "accepted_to_written" }, m.body.events.length);
    // The request ids tie these rows to the edge's "events accepted" lines (and to events.request_id).
    log("info", "event log written", { rows: rows.length, requestIds: [...new Set(batch.messages.map((m) => m.body.requestId))] });
  });

  const roomsSettled = Promise.allSettled(rooms);
  const predictionsWritten = roomsSettled.then((settled) =>
    publishPredictions(clickhouse, settled.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []))),
  );
  const statusAdvanced = advanceMatchStatus(env, events);

  const [logResult, roomResults] = await Promise.all([Promise.allSettled([logWrite]).then(([r]) => r!), roomsSettled]);
  if (logResult.status === "rejected") {
    metrics.dependencyErrors.inc({ dependency: "clickhouse" });
    log("error", "event log insert failed; batch will be retried", { error: errorMessage(logResult.reason), rows: rows.length });
  }
  [...byMatch].forEach(([matchId, msgs], i) => {
    const room = roomResults[i]!;
    if (room.status === "rejected") {
      metrics.dependencyErrors.inc({ dependency: "match_room" });
      log("error", "match room failed; messages will be retried", { matchId, error: errorMessage(room.reason) });
    }
    const ok = room.status === "fulfilled" && logResult.status === "fulfilled";
    for (const msg of msgs) {
      if (ok) msg.ack();
      else msg.retry({ delaySeconds: retryDelaySeconds(msg.attempts) });
    }
    metrics.queueMessagesConsumed.inc({ outcome: ok ? "acked" : "retried" }, msgs.length);
    if (room.status === "fulfilled") {
      const { predictions, ...counts } = room.value.result;
      log("debug", "match batch applied", { matchId, requestIds: [...new Set(msgs.map((m) => m.body.requestId))], ...counts, predictions: predictions.length });
    }
  });

  await Promise.all([predictionsWritten, statusAdvanced]);
  await clickhouse.close().catch(() => {});
}

function observeSourceLag(messages: readonly Message<EventsMessage>[]): void {
  for (const m of messages) {
    for (const e of m.body.events) {
      const source = Date.parse(e.timestamp);
      if (Number.isFinite(source)) metrics.ingestLatency.observe(Math.max(0, m.body.acceptedAt - source) / 1000, { stage: "source_to_accepted" });
    }
  }
}

/** One insert for every room's predictions, then each room drops what was written. Never throws. */
async function publishPredictions(clickhouse: ClickHouseClient, calls: RoomCall[]): Promise<void> {
  const pending = calls.filter((c) => c.result.predictions.length > 0);
  if (pending.length === 0) return;
  const rows = predictionLogRows(pending.flatMap((c) => c.result.predictions));
  const started = Date.now();
  try {
    await writePredictionLog(clickhouse, rows);
    metrics.clickhouseRows.inc({ table: "predictions" }, rows.length);
    metrics.clickhouseInsert.observe((Date.now() - started) / 1000, { table: "predictions" });
  } catch (err) {
    metrics.dependencyErrors.inc({ dependency: "clickhouse" });
    metrics.predictionsDeferred.inc({}, rows.length);
    log("warn", "predictions insert failed; they stay in the rooms' outboxes", { error: errorMessage(err), rows: rows.length });
    return;
  }
  const confirmed = await Promise.allSettled(
    pending.map((c) => c.room.confirmPredictions(Math.max(...c.result.predictions.map((p) => p.seq)))),
  );
  confirmed.forEach((r, i) => {
    // Harmless: the room sends them again and the table collapses the repeat.
    if (r.status === "rejected") log("warn", "could not confirm predictions to the room", { matchId: pending[i]!.matchId, error: errorMessage(r.reason) });
  });
}

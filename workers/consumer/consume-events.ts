// The queue handler: group a batch by match, call each match's room once, write the whole batch to the
// ClickHouse event log in one insert — both at once, so a slow or dead ClickHouse never holds up the
// live path. A message is acked only when its room applied it and the log holds it; otherwise it is
// retried with backoff (rooms and the log are idempotent), and after max_retries it goes to the DLQ.
import { openClickHouse } from "../clients/clickhouse";
import type { Env } from "../env";
import type { EventsMessage } from "../ingest/pack";
import { errorMessage, log } from "../observability/log";
import { metrics } from "../observability/metrics";
import { eventLogRows, writeEventLog } from "./event-log";

export const retryDelaySeconds = (attempts: number): number => Math.min(2 ** attempts, 60);

export async function consumeEvents(batch: MessageBatch<EventsMessage>, env: Env): Promise<void> {
  metrics.queueBatchSize.observe(batch.messages.length);
  const byMatch = new Map<string, Message<EventsMessage>[]>();
  for (const msg of batch.messages) {
    const list = byMatch.get(msg.body.matchId);
    if (list) list.push(msg);
    else byMatch.set(msg.body.matchId, [msg]);
  }

  const rooms = [...byMatch].map(async ([matchId, msgs]) => {
    const stub = env.MATCH_ROOM.get(env.MATCH_ROOM.idFromName(matchId));
    const result = await stub.applyEvents(matchId, msgs.flatMap((m) => m.body.events));
    metrics.roomApplied.inc({}, result.applied);
    return result;
  });

  const rows = eventLogRows(batch.messages.map((m) => m.body));
  const started = Date.now();
  const clickhouse = openClickHouse(env);
  const logWrite = writeEventLog(clickhouse, rows)
    .then(() => {
      metrics.clickhouseRows.inc({ table: "events" }, rows.length);
      metrics.clickhouseInsert.observe((Date.now() - started) / 1000, { table: "events" });
    })
    .finally(() => clickhouse.close().catch(() => {}));

  const [logResult, ...roomResults] = await Promise.allSettled([logWrite, ...rooms]);
  if (logResult!.status === "rejected") {
    metrics.dependencyErrors.inc({ dependency: "clickhouse" });
    log("error", "event log insert failed; batch will be retried", { error: errorMessage(logResult!.reason), rows: rows.length });
  }
  [...byMatch].forEach(([matchId, msgs], i) => {
    const room = roomResults[i]!;
    if (room.status === "rejected") {
      metrics.dependencyErrors.inc({ dependency: "match_room" });
      log("error", "match room failed; messages will be retried", { matchId, error: errorMessage(room.reason) });
    }
    for (const msg of msgs) {
      if (room.status === "fulfilled" && logResult!.status === "fulfilled") msg.ack();
      else msg.retry({ delaySeconds: retryDelaySeconds(msg.attempts) });
    }
    if (room.status === "fulfilled") {
      log("debug", "match batch applied", { matchId, requestIds: [...new Set(msgs.map((m) => m.body.requestId))], ...room.value });
    }
  });
}

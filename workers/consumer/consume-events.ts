// The events queue's handler: group a batch by match, call each match's room once, then hand the batch's
// event-log rows and the rooms' new predictions to the analytics queue (workers/consumer/analytics-queue)
// in one sendBatch. ClickHouse is never on this path, so a slow or dead ClickHouse cannot hold up live
// updates. A message is acked when its room applied it and the analytics queue holds its rows; otherwise
// it is retried with backoff (rooms and the log are idempotent), and after max_retries it goes to the DLQ.
import type { Env } from "../env";
import { settleFinishedMatches } from "../games/settlement";
import type { EventsMessage } from "../ingest/pack";
import type { MatchRoom } from "../match-room/match-room";
import type { ApplyResult } from "../match-room/rpc";
import { errorMessage, log } from "../observability/log";
import { metrics } from "../observability/metrics";
import { forwardToAnalytics } from "./analytics-queue";
import { eventLogRows } from "./event-log";
import { advanceMatchStatus } from "./match-status";
import { predictionLogRows } from "./prediction-log";

export const retryDelaySeconds = (attempts: number): number => Math.min(2 ** attempts, 60);

interface RoomCall {
  matchId: string;
  room: DurableObjectStub<MatchRoom>;
  result: ApplyResult;
}

export async function consumeEvents(batch: MessageBatch<EventsMessage>, env: Env): Promise<void> {
  const started = performance.now();
  metrics.queueBatchSize.observe(batch.messages.length);
  const byMatch = new Map<string, Message<EventsMessage>[]>();
  for (const msg of batch.messages) {
    const list = byMatch.get(msg.body.matchId);
    if (list) list.push(msg);
    else byMatch.set(msg.body.matchId, [msg]);
  }
  const events = batch.messages.flatMap((m) => m.body.events);
  observeSourceLag(batch.messages);
  const statusAdvanced = advanceMatchStatus(env, events);

  const roomResults = await Promise.allSettled(
    [...byMatch].map(async ([matchId, msgs]): Promise<RoomCall> => {
      const room = env.MATCH_ROOM.get(env.MATCH_ROOM.idFromName(matchId));
      const callStarted = performance.now();
      const result = await room.applyEvents(
        matchId,
        msgs.flatMap((m) => m.body.events),
      );
      metrics.roomCallDuration.observe((performance.now() - callStarted) / 1000);
      metrics.roomApplied.inc({}, result.applied);
      if (result.duplicates > 0) metrics.roomDuplicates.inc({}, result.duplicates);
      if (result.held > 0) metrics.roomHeld.inc({}, result.held);
      return { matchId, room, result };
    }),
  );
  const calls = roomResults.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
  const roomsDone = performance.now();
  metrics.stageDuration.observe((roomsDone - started) / 1000, { stage: "consumer_rooms" });

  let forwarded = true;
  try {
    await forwardToAnalytics(
      env,
      eventLogRows(batch.messages.map((m) => m.body)),
      predictionLogRows(calls.flatMap((c) => c.result.predictions)),
    );
  } catch (err) {
    forwarded = false;
    metrics.dependencyErrors.inc({ dependency: "analytics_queue" });
    log("error", "analytics queue refused the batch; it will be retried", {
      error: errorMessage(err),
      events: events.length,
    });
  }
  const forwardDone = performance.now();
  metrics.stageDuration.observe((forwardDone - roomsDone) / 1000, { stage: "consumer_forward" });
  const confirmed = forwarded ? confirmPredictions(calls) : Promise.resolve();
  // A room that applied match_end starts the prediction game's settlement (a repeat changes nothing).
  const unsettled = await settleFinishedMatches(env, events, calls);

  [...byMatch].forEach(([matchId, msgs], i) => {
    const room = roomResults[i]!;
    if (room.status === "rejected") {
      metrics.dependencyErrors.inc({ dependency: "match_room" });
      log("error", "match room failed; messages will be retried", { matchId, error: errorMessage(room.reason) });
    }
    const ok = room.status === "fulfilled" && forwarded && !unsettled.has(matchId);
    for (const msg of msgs) {
      if (ok) msg.ack();
      else msg.retry({ delaySeconds: retryDelaySeconds(msg.attempts) });
    }
    metrics.queueMessagesConsumed.inc({ outcome: ok ? "acked" : "retried" }, msgs.length);
    if (room.status === "fulfilled") {
      const { predictions, ...counts } = room.value.result;
      log("debug", "match batch applied", {
        matchId,
        requestIds: [...new Set(msgs.map((m) => m.body.requestId))],
        ...counts,
        predictions: predictions.length,
      });
    }
  });
  await Promise.all([confirmed, statusAdvanced]);
  metrics.stageDuration.observe((performance.now() - forwardDone) / 1000, { stage: "consumer_confirm" });
  metrics.consumerBatchDuration.observe((performance.now() - started) / 1000);
}

let sourceLag: ReturnType<typeof metrics.ingestLatency.with> | undefined;

function observeSourceLag(messages: readonly Message<EventsMessage>[]): void {
  sourceLag ??= metrics.ingestLatency.with({ stage: "source_to_accepted" });
  for (const m of messages) {
    for (const e of m.body.events) {
      const source = Date.parse(e.timestamp);
      if (Number.isFinite(source)) sourceLag.observe(Math.max(0, m.body.acceptedAt - source) / 1000);
    }
  }
}

/** The predictions are durably queued for ClickHouse: each room may drop them from its outbox. */
async function confirmPredictions(calls: RoomCall[]): Promise<void> {
  const pending = calls.filter((c) => c.result.predictions.length > 0);
  const confirmed = await Promise.allSettled(
    pending.map((c) => c.room.confirmPredictions(Math.max(...c.result.predictions.map((p) => p.seq)))),
  );
  confirmed.forEach((r, i) => {
    // Harmless: the room sends them again and the table collapses the repeat.
    if (r.status === "rejected")
      log("warn", "could not confirm predictions to the room", {
        matchId: pending[i]!.matchId,
        error: errorMessage(r.reason),
      });
  });
}

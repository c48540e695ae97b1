// The events queue's handler: group a batch by match, call each match's room once, then hand the batch's
// event-log rows and the rooms' new predictions to the analytics queue (workers/consumer/analytics-queue)
// in one sendBatch. ClickHouse is never on this path, so a slow or dead ClickHouse cannot hold up live
// updates. A message is acked when its room applied it and the analytics queue holds its rows; otherwise
// it is retried with backoff (rooms and the log are idempotent), and after max_retries it goes to the DLQ.
//
// Only what a room accepted reaches the event log: the rows of a match whose room call failed wait for
// the retry, and events the room rejected (another sport or match than the room's) are never forwarded.
// Everything else is forwarded: applied events, events held behind a seq gap (the room applies them on
// its alarm, or with a recorded gap, never drops them) and duplicates (an earlier attempt may have been
// applied without its rows reaching the analytics queue; the log collapses repeats by event_id). So every
// accepted event reaches ClickHouse, and counts there exactly once.
import { openClickHouse } from "../clients/clickhouse";
import type { Env } from "../env";
import { settleFinishedMatches } from "../games/settlement";
import type { MatchRoom } from "../match-room/match-room";
import { errorMessage, log } from "../observability/log";
import { metrics } from "../observability/metrics";
import type { ApplyResult } from "../queue/messages";
import { type EventsMessage, readQueueMessage, retryDelaySeconds } from "../queue/messages";
import { DEFAULT_TENANT, parseRoomName, roomName } from "../tenants/tenant";
import { forwardToAnalytics } from "./analytics-queue";
import { type DeadLetter, parkDeadLetters } from "./dead-letters";
import { eventLogRows } from "./event-log";
import { advanceMatchStatus } from "./match-status";
import { predictionLogRows } from "./prediction-log";

export { retryDelaySeconds };

/** A message this deploy cannot read is parked where the DLQ consumer parks dead letters, or retried. */
async function parkUnreadable(env: Env, queue: string, msgs: { msg: Message<unknown>; reason: string }[]) {
  const letters: DeadLetter[] = msgs.map(({ msg, reason }) => ({
    source: "unknown_message",
    target: queue,
    error: reason,
    body: msg.body,
  }));
  const clickhouse = openClickHouse(env);
  try {
    await parkDeadLetters(clickhouse, letters);
    metrics.deadLettersParked.inc({ source: "unknown_message" }, letters.length);
    for (const { msg, reason } of msgs) {
      log("error", "unreadable events message parked", { messageId: msg.id, error: reason });
      msg.ack();
    }
  } catch (err) {
    log("error", "unreadable events message could not be parked; retried", { error: errorMessage(err) });
    for (const { msg } of msgs) msg.retry({ delaySeconds: retryDelaySeconds(msg.attempts) });
  } finally {
    await clickhouse.close().catch(() => {});
  }
}

interface RoomCall {
  tenantId: string;
  matchId: string;
  room: DurableObjectStub<MatchRoom>;
  result: ApplyResult;
}

interface Received {
  msg: Message<unknown>;
  body: EventsMessage;
}

export async function consumeEvents(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const started = performance.now();
  metrics.queueBatchSize.observe(batch.messages.length);
  // Keyed by room name: the same match id of two tenants is two matches, two rooms.
  const byMatch = new Map<string, Received[]>();
  const unreadable: { msg: Message<unknown>; reason: string }[] = [];
  for (const msg of batch.messages) {
    const read = readQueueMessage(msg.body);
    if (!read.ok || read.message.kind !== "events") {
      unreadable.push({ msg, reason: read.ok ? `a ${read.message.kind} message on the events queue` : read.reason });
      continue;
    }
    const body = read.message;
    const name = roomName(body.tenantId ?? DEFAULT_TENANT, body.matchId);
    const list = byMatch.get(name);
    if (list) list.push({ msg, body });
    else byMatch.set(name, [{ msg, body }]);
  }
  const parked = unreadable.length > 0 ? parkUnreadable(env, batch.queue, unreadable) : Promise.resolve();
  const received = [...byMatch.values()].flat();
  const events = received.flatMap((r) => r.body.events);
  observeSourceLag(received);
  const statusAdvanced = advanceMatchStatus(
    env,
    received.map((r) => r.body),
  );

  const roomResults = await Promise.allSettled(
    [...byMatch].map(async ([name, msgs]): Promise<RoomCall> => {
      const { tenantId, matchId } = parseRoomName(name);
      const room = env.MATCH_ROOM.get(env.MATCH_ROOM.idFromName(name));
      const callStarted = performance.now();
      const result = await room.applyEvents(
        matchId,
        msgs.flatMap((m) => m.body.events),
        confirmedSeqs.get(name),
      );
      metrics.roomCallDuration.observe((performance.now() - callStarted) / 1000);
      metrics.roomApplied.inc({}, result.applied);
      if (result.duplicates > 0) metrics.roomDuplicates.inc({}, result.duplicates);
      if (result.held > 0) metrics.roomHeld.inc({}, result.held);
      return { tenantId, matchId, room, result };
    }),
  );
  const calls = roomResults.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
  const roomsDone = performance.now();
  metrics.stageDuration.observe((roomsDone - started) / 1000, { stage: "consumer_rooms" });

  let forwarded = true;
  try {
    await forwardToAnalytics(
      env,
      acceptedRows(byMatch, roomResults),
      calls.flatMap((c) => predictionLogRows(c.tenantId, c.result.predictions)),
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
  if (forwarded) confirmPredictions(calls);
  // A room that applied match_end starts the prediction game's settlement (a repeat changes nothing); the
  // rooms whose request failed come back by room name.
  const unsettled = await settleFinishedMatches(env, events, calls);

  [...byMatch].forEach(([name, msgs], i) => {
    const { tenantId, matchId } = parseRoomName(name);
    const room = roomResults[i]!;
    if (room.status === "rejected") {
      metrics.dependencyErrors.inc({ dependency: "match_room" });
      log("error", "match room failed; messages will be retried", {
        tenantId,
        matchId,
        error: errorMessage(room.reason),
      });
    }
    const ok = room.status === "fulfilled" && forwarded && !unsettled.has(name);
    for (const { msg } of msgs) {
      if (ok) msg.ack();
      else msg.retry({ delaySeconds: retryDelaySeconds(msg.attempts) });
    }
    metrics.queueMessagesConsumed.inc({ outcome: ok ? "acked" : "retried" }, msgs.length);
    if (room.status === "fulfilled") {
      const { predictions, ...counts } = room.value.result;
      log("debug", "match batch applied", {
        tenantId,
        matchId,
        requestIds: [...new Set(msgs.map((m) => m.body.requestId))],
        ...counts,
        predictions: predictions.length,
      });
    }
  });
  await Promise.all([statusAdvanced, parked]);
  metrics.stageDuration.observe((performance.now() - forwardDone) / 1000, { stage: "consumer_confirm" });
  metrics.consumerBatchDuration.observe((performance.now() - started) / 1000);
}

let sourceLag: ReturnType<typeof metrics.ingestLatency.with> | undefined;

/** Event-log rows of the matches whose room call succeeded, minus the events their room rejected. */
export function acceptedRows(
  byMatch: Map<string, { body: EventsMessage }[]>,
  roomResults: PromiseSettledResult<{ result: Pick<ApplyResult, "rejectedIds"> }>[],
) {
  const messages: EventsMessage[] = [];
  [...byMatch.values()].forEach((msgs, i) => {
    const room = roomResults[i];
    if (room?.status !== "fulfilled") return;
    const rejected = new Set(room.value.result.rejectedIds ?? []);
    for (const { body } of msgs) {
      messages.push(
        rejected.size === 0 ? body : { ...body, events: body.events.filter((e) => !rejected.has(e.eventId)) },
      );
    }
  });
  return eventLogRows(messages);
}

function observeSourceLag(messages: readonly { body: EventsMessage }[]): void {
  sourceLag ??= metrics.ingestLatency.with({ stage: "source_to_accepted" });
  for (const m of messages) {
    for (const e of m.body.events) {
      const source = Date.parse(e.timestamp);
      if (Number.isFinite(source)) sourceLag.observe(Math.max(0, m.body.acceptedAt - source) / 1000);
    }
  }
}

/**
 * Per room (tenant and match), the room seq up to which this isolate forwarded the room's predictions: passed with the
 * room's next applyEvents, so a confirmation costs no Durable Object request of its own. Lost (another
 * isolate, or the map cleared at its bound) it only means the room sends those predictions once more and
 * the analytics table collapses the repeat.
 */
const confirmedSeqs = new Map<string, number>();
const MAX_CONFIRMED_MATCHES = 10_000;

/** The predictions are durably queued for ClickHouse: the rooms may drop them from their outboxes. */
function confirmPredictions(calls: RoomCall[]): void {
  for (const c of calls) {
    if (c.result.predictions.length === 0) continue;
    const upTo = Math.max(...c.result.predictions.map((p) => p.seq));
    const name = roomName(c.tenantId, c.matchId);
    if (!confirmedSeqs.has(name) && confirmedSeqs.size >= MAX_CONFIRMED_MATCHES) confirmedSeqs.clear();
    confirmedSeqs.set(name, Math.max(confirmedSeqs.get(name) ?? 0, upTo));
  }
}

// The dead-letter queues' consumer: a message that failed max_retries times on the events or analytics
// queue lands in its DLQ, and this handler parks it in the dead_letters table, where `npm run redrive --
// dlq` lists and replays it. Neither Cloudflare's nor Miniflare's DLQ can be read from outside the Worker
// (locally it is in memory), so without this handler a dead letter would be invisible or lost.
import { openClickHouse } from "../clients/clickhouse";
import type { Env } from "../env";
import { finalScoresOf, readSettlementMessage } from "../games/settlement";
import { errorMessage, log } from "../observability/log";
import { metrics } from "../observability/metrics";
import { readQueueMessage, retryDelaySeconds } from "../queue/messages";
import { type DeadLetter, dlqSource, parkDeadLetters } from "./dead-letters";

export const isDeadLetterQueue = (name: string): boolean => name.endsWith("-dlq");

export function deadLetterOf(queue: string, body: unknown, attempts: number): DeadLetter {
  const source = dlqSource(queue);
  if (source === "settlement_dlq") {
    const settlement = readSettlementMessage(body);
    return {
      source,
      target: queue,
      tenantId: settlement?.tenantId,
      matchId: settlement ? finalScoresOf(settlement)[0]?.matchId : undefined,
      error: `failed ${attempts} deliveries${settlement ? "" : "; not a settlement message this deploy can read"}`,
      body,
    };
  }
  const read = readQueueMessage(body);
  const events = read.ok && read.message.kind === "events" ? read.message : undefined;
  return {
    source,
    target: queue,
    tenantId: events?.tenantId,
    matchId: events?.matchId,
    error: `failed ${attempts} deliveries${read.ok ? "" : `; ${read.reason}`}`,
    body,
  };
}

export async function consumeDeadLetterQueue(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const letters = batch.messages.map((m) => deadLetterOf(batch.queue, m.body, m.attempts));
  const clickhouse = openClickHouse(env);
  try {
    await parkDeadLetters(clickhouse, letters);
    metrics.deadLettersParked.inc({ source: letters[0]?.source ?? "events_dlq" }, letters.length);
    for (const [i, m] of batch.messages.entries()) {
      log("error", "dead letter parked", { queue: batch.queue, messageId: m.id, matchId: letters[i]!.matchId });
    }
    batch.ackAll();
  } catch (err) {
    metrics.dependencyErrors.inc({ dependency: "clickhouse" });
    log("error", "could not park dead letters; retried", { queue: batch.queue, error: errorMessage(err) });
    batch.retryAll({ delaySeconds: retryDelaySeconds(Math.max(...batch.messages.map((m) => m.attempts))) });
  } finally {
    await clickhouse.close().catch(() => {});
  }
}

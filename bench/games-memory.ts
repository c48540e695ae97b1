// The settlement work's own memory. workerd reports no isolate heap, and the Worker's RSS mixes the
// settlement with everything else the process holds, so the bench also runs the very consumer the
// Worker runs (consumeSettlement, workers/games/settlement.ts) in this Node process, over an in-memory
// queue against the same Postgres and Redis, and samples the live heap while it works (a full collection
// before each sample, so garbage not yet collected does not count): the peak above the level before is
// the settlement's memory, comparable between 10k and 1M guesses. The collections slow this run down;
// its duration is not a figure.
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import type { Env } from "../workers/env";
import { consumeSettlement, type SettlementMessage } from "../workers/games/settlement";
import { setLogLevel } from "../workers/observability/log";

export interface SettlementMemory {
  /** Peak live V8 heap (after a full collection) above the level before the settlement, MiB. */
  heapGrowthMiB: number;
  /** Peak resident set above the level before, MiB (includes buffers outside the heap). */
  rssGrowthMiB: number;
  seconds: number;
  messages: number;
}

let gc: (() => void) | undefined;
function collectGarbage(): void {
  if (!gc) {
    setFlagsFromString("--expose-gc");
    gc = runInNewContext("gc") as () => void;
  }
  gc();
}

/** Settles `final` of a match (a new revision) through the consumer in this process; samples memory. */
export async function settleInProcess(
  env: Record<string, string>,
  body: Extract<SettlementMessage, { kind: "final" }>,
): Promise<SettlementMemory> {
  const queue: unknown[] = [body];
  const SETTLEMENT_QUEUE = {
    send: async (b: unknown) => void queue.push(b),
    sendBatch: async (msgs: { body: unknown }[]) => void queue.push(...msgs.map((m) => m.body)),
  };
  const workerEnv = { ...env, SETTLEMENT_QUEUE } as unknown as Env;
  setLogLevel("warn");
  collectGarbage();
  const before = process.memoryUsage();
  let heapPeak = before.heapUsed;
  let rssPeak = before.rss;
  const sample = () => {
    collectGarbage();
    const m = process.memoryUsage();
    heapPeak = Math.max(heapPeak, m.heapUsed);
    rssPeak = Math.max(rssPeak, m.rss);
  };
  const sampler = setInterval(sample, 100);
  const started = performance.now();
  let messages = 0;
  let retries = 0;
  try {
    while (queue.length > 0) {
      // As the Worker's consumer: batches of up to max_batch_size (4), their messages side by side.
      const bodies = queue.splice(0, 4);
      const retried: unknown[] = [];
      const batch = {
        queue: "matchpulse-settlement",
        messages: bodies.map((b, i) => ({
          id: `m${messages + i}`,
          timestamp: new Date(),
          attempts: 1,
          body: b,
          ack: () => {},
          retry: () => void retried.push(b),
        })),
        ackAll: () => {},
        retryAll: () => {},
      } as unknown as MessageBatch<unknown>;
      await consumeSettlement(batch, workerEnv);
      messages += bodies.length;
      sample();
      if (retried.length > 0 && ++retries > 20) throw new Error("the in-process settlement kept failing");
      queue.push(...retried);
    }
  } finally {
    clearInterval(sampler);
    setLogLevel("info");
  }
  const MiB = 1_048_576;
  return {
    heapGrowthMiB: Math.round(((heapPeak - before.heapUsed) / MiB) * 10) / 10,
    rssGrowthMiB: Math.round(((rssPeak - before.rss) / MiB) * 10) / 10,
    seconds: Math.round((performance.now() - started) / 10) / 100,
    messages,
  };
}

// What an event costs: the billable operations of the whole local pipeline, counted per event and per
// stage for the two ingest shapes (one event per request, the live-feed shape; 1,000 per request), and
// per viewer frame. Counters, not clocks: the Worker's Prometheus metrics (requests, consumer batches,
// queue messages, room calls, the rooms' SQLite rows from the cursors, ClickHouse inserts), the Upstash
// bridge's command count, Postgres's transaction count, and the CPU time of the workerd process (the
// only figure here that depends on the machine). docs/capacity.md prices them.
import { readdirSync, readFileSync } from "node:fs";
import type { Pool } from "@neondatabase/serverless";
import { WebSocket } from "ws";
import { neonPool } from "../dev/migrate";
import type { MatchEvent } from "../shared/sports/sport";
import { type BenchTarget, passEvent, postEvents } from "./pipeline";
import { round } from "./stats";

/** Counter values that one scenario's delta is taken of. */
interface Snapshot {
  metrics: Map<string, number>;
  upstashCommands: number;
  postgresTransactions: number;
  workerCpuMs: number;
}

export interface CostCounts {
  shape: string;
  events: number;
  requests: number;
  perEvent: Record<string, number>;
  totals: Record<string, number>;
}

async function metricValues(t: BenchTarget): Promise<Map<string, number>> {
  const text = await (await fetch(`${t.baseUrl}/metrics`)).text();
  const values = new Map<string, number>();
  for (const line of text.split("\n")) {
    const m = /^(\w+(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (m) values.set(m[1]!, Number(m[2]));
  }
  return values;
}

async function upstashCommands(t: BenchTarget): Promise<number> {
  const res = await fetch(`${t.env.UPSTASH_REDIS_REST_URL}/__matchpulse/commands`, {
    headers: { authorization: `Bearer ${t.env.UPSTASH_REDIS_REST_TOKEN}` },
  });
  return ((await res.json()) as { total: number }).total;
}

/** Committed + rolled-back transactions of the database (each probe adds its own one: subtracted). */
async function postgresTransactions(pool: Pool): Promise<number> {
  const r = await pool.query<{ n: string }>(
    "SELECT (xact_commit + xact_rollback)::text AS n FROM pg_stat_database WHERE datname = current_database()",
  );
  return Number(r.rows[0]?.n ?? 0);
}

/** User + system CPU of every `workerd` process under `rootPid` (wrangler's children), in ms. */
export function workerdCpuMs(rootPid: number): number {
  const parent = new Map<number, number>();
  const stat = new Map<number, { comm: string; ticks: number }>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const text = readFileSync(`/proc/${entry}/stat`, "utf8");
      const close = text.lastIndexOf(")");
      const comm = text.slice(text.indexOf("(") + 1, close);
      const fields = text.slice(close + 2).split(" ");
      parent.set(Number(entry), Number(fields[1]));
      stat.set(Number(entry), { comm, ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      // The process ended while we looked.
    }
  }
  const under = (pid: number): boolean => {
    for (let p = parent.get(pid); p !== undefined && p > 1; p = parent.get(p)) if (p === rootPid) return true;
    return false;
  };
  let ticks = 0;
  for (const [pid, s] of stat) if (s.comm.startsWith("workerd") && under(pid)) ticks += s.ticks;
  return ticks * 10; // USER_HZ is 100 on Linux
}

async function snapshot(t: BenchTarget, pool: Pool, workerPid: number): Promise<Snapshot> {
  return {
    metrics: await metricValues(t),
    upstashCommands: await upstashCommands(t),
    postgresTransactions: await postgresTransactions(pool),
    workerCpuMs: workerdCpuMs(workerPid),
  };
}

/** Waits until every listed match's room has applied its expected count (read over HTTP, outside the counts). */
async function untilApplied(t: BenchTarget, expected: Map<string, number>): Promise<void> {
  const deadline = Date.now() + 120_000;
  const open = new Set(expected.keys());
  while (open.size > 0 && Date.now() < deadline) {
    for (const id of [...open]) {
      const res = await fetch(`${t.baseUrl}/v1/matches/${id}/state`, {
        headers: { authorization: `Bearer ${t.apiKey}` },
      });
      if (res.status === 200 && ((await res.json()) as { eventsApplied: number }).eventsApplied >= expected.get(id)!)
        open.delete(id);
    }
    if (open.size > 0) await new Promise((r) => setTimeout(r, 100));
  }
  if (open.size > 0) throw new Error(`${open.size} rooms did not apply their events in time`);
}

/** Until the analytics consumer has written what earlier steps sent (its batch window is 1 s). */
async function settle(t: BenchTarget): Promise<void> {
  const key = 'matchpulse_clickhouse_rows_written_total{table="events"}';
  let last = -1;
  for (let i = 0; i < 100; i++) {
    await new Promise((r) => setTimeout(r, 1_500));
    const now = (await metricValues(t)).get(key) ?? 0;
    if (now === last) return;
    last = now;
  }
}

function delta(before: Snapshot, after: Snapshot, name: string): number {
  return (after.metrics.get(name) ?? 0) - (before.metrics.get(name) ?? 0);
}

/**
 * One scenario: `requests` (each a list of events) sent `concurrency` at a time, then waited for until
 * the rooms applied them and the analytics consumer wrote them; the counters' deltas divided by events.
 */
async function measure(
  t: BenchTarget,
  pool: Pool,
  workerPid: number,
  shape: string,
  requests: MatchEvent[][],
  concurrency: number,
): Promise<CostCounts> {
  const insertsKey = 'matchpulse_clickhouse_insert_duration_seconds_count{table="events"}';
  const before = await snapshot(t, pool, workerPid);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < requests.length) await postEvents(t, requests[next++]!);
    }),
  );
  // Done when the analytics consumer wrote every event's row: the events consumer forwards a batch only
  // after its rooms applied it. Watched through /metrics, which asks no store (reads of /state would
  // spend Upstash commands of the read budget and count here).
  const rowsKey = 'matchpulse_clickhouse_rows_written_total{table="events"}';
  const events = requests.reduce((n, r) => n + r.length, 0);
  for (let i = 0; i < 1_200; i++) {
    const m = await metricValues(t);
    if ((m.get(rowsKey) ?? 0) - (before.metrics.get(rowsKey) ?? 0) >= events) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await new Promise((r) => setTimeout(r, 1_500)); // confirmations, and Postgres's statistics flush
  const after = await snapshot(t, pool, workerPid);
  const d = (name: string) => delta(before, after, name);
  const totals: Record<string, number> = {
    ingestRequests: requests.length,
    eventsConsumerBatches: d("matchpulse_consumer_batch_size_count"),
    analyticsConsumerBatches: d(insertsKey),
    eventsQueueMessages: d("matchpulse_queue_messages_sent_total"),
    analyticsQueueMessages: d("matchpulse_analytics_messages_sent_total"),
    roomCalls: d("matchpulse_room_call_duration_seconds_count"),
    sqliteRowsWritten: d('matchpulse_room_sqlite_rows_total{op="written"}'),
    sqliteRowsRead: d('matchpulse_room_sqlite_rows_total{op="read"}'),
    upstashCommands: after.upstashCommands - before.upstashCommands,
    postgresQueries: Math.max(0, after.postgresTransactions - before.postgresTransactions - 1),
    clickhouseInserts: d(insertsKey) + d('matchpulse_clickhouse_insert_duration_seconds_count{table="predictions"}'),
    clickhouseRows: d(rowsKey) + d('matchpulse_clickhouse_rows_written_total{table="predictions"}'),
    workerCpuMs: after.workerCpuMs - before.workerCpuMs,
    // Redis calls that failed (timeouts on a loaded machine): each opens the breaker for 5 s, during
    // which requests go unmetered and undeduplicated, so fewer commands are counted. 0 for a clean count.
    redisFailures: d('matchpulse_dependency_errors_total{dependency="redis"}'),
  };
  // Every message is written, read and deleted once (no retries here), each ≤ 64 KB: 3 operations.
  totals.queueOperations = 3 * (totals.eventsQueueMessages! + totals.analyticsQueueMessages!);
  // Durable Object requests: one applyEvents RPC per room call (the confirmation rides in the next one).
  totals.durableObjectRequests = totals.roomCalls!;
  totals.workerInvocations = totals.ingestRequests! + totals.eventsConsumerBatches! + totals.analyticsConsumerBatches!;
  const perEvent: Record<string, number> = {};
  for (const [k, v] of Object.entries(totals)) perEvent[k] = round(v / events, 4);
  return { shape, events, requests: requests.length, perEvent, totals };
}

/** The runtime's own floor: workerd CPU per GET /health (a Worker request that does nothing). */
export async function noopCpuMs(t: BenchTarget, workerPid: number, requests = 300): Promise<number> {
  const before = workerdCpuMs(workerPid);
  for (let i = 0; i < requests; i++) await (await fetch(`${t.baseUrl}/health`)).arrayBuffer();
  return round((workerdCpuMs(workerPid) - before) / requests, 3);
}

/** The two ingest shapes, counted. */
export async function countCosts(
  t: BenchTarget,
  workerPid: number,
  opts = { singleEvents: 300, batchedEvents: 20_000 },
): Promise<CostCounts[]> {
  const pool = neonPool(t.env);
  try {
    const tag = Date.now().toString(36);
    // Live-feed shape: one event per request over 50 matches, in turn; each room already exists (its
    // first event is sent before counting), as during a match.
    const liveIds = Array.from({ length: 50 }, (_, i) => `cost-live-${tag}-${i}`);
    const warm = liveIds.map((id) => passEvent(id, 0));
    await postEvents(t, warm);
    await untilApplied(t, new Map(liveIds.map((id) => [id, 1])));
    await settle(t);
    const singles = Array.from({ length: opts.singleEvents }, (_, i) => [
      passEvent(liveIds[i % liveIds.length]!, i + 1),
    ]);
    const single = await measure(t, pool, workerPid, "single", singles, 1);

    const batchIds = Array.from({ length: 100 }, (_, i) => `cost-batch-${tag}-${i}`);
    const batchWarm = batchIds.map((id) => passEvent(id, 0));
    await postEvents(t, batchWarm);
    await untilApplied(t, new Map(batchIds.map((id) => [id, 1])));
    await settle(t);
    const batches: MatchEvent[][] = [];
    for (let i = 0; i < opts.batchedEvents; i += 1_000)
      batches.push(Array.from({ length: 1_000 }, (_, j) => passEvent(batchIds[(i + j) % batchIds.length]!, i + j + 1)));
    const batched = await measure(t, pool, workerPid, "batched", batches, 4);
    return [single, batched];
  } finally {
    await pool.end();
  }
}

/**
 * Per viewer frame: `sockets` viewers of one match, `frames` updates sent apart (past the 50 ms
 * coalescing window, so each is its own frame); the bytes each socket received per frame, and the
 * workerd CPU per frame per socket (the room's send loop dominates it).
 */
async function framesTo(t: BenchTarget, workerPid: number, sockets: number, frames: number) {
  const matchId = `cost-fan-${Date.now().toString(36)}`;
  await postEvents(t, [passEvent(matchId, 0)]);
  await untilApplied(t, new Map([[matchId, 1]]));
  const url = `${t.baseUrl.replace(/^http/, "ws")}/v1/matches/${matchId}/live?token=${t.apiKey}`;
  let bytes = 0;
  let received = 0;
  const open: WebSocket[] = [];
  for (let i = 0; i < sockets; i++) {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    open.push(ws);
  }
  // The snapshot each socket got on opening is not a frame of an update: count from here.
  await new Promise((r) => setTimeout(r, 500));
  for (const ws of open)
    ws.on("message", (data: Buffer) => {
      bytes += data.byteLength;
      received++;
    });
  const cpuBefore = workerdCpuMs(workerPid);
  for (let i = 1; i <= frames; i++) {
    await postEvents(t, [passEvent(matchId, i)]);
    const want = i * sockets;
    const deadline = Date.now() + 10_000;
    while (received < want && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 60));
  }
  const cpuMs = workerdCpuMs(workerPid) - cpuBefore;
  for (const ws of open) ws.close();
  return { received, bytes, cpuMs };
}

/**
 * Per viewer frame: the bytes a socket receives, and the marginal workerd CPU of one more socket per
 * frame: (CPU with N sockets − CPU with 1) / (frames × (N − 1)), so the ingest, queue and room work of
 * each update, shared by all its sockets, is left out.
 */
export async function countFrameCosts(t: BenchTarget, workerPid: number, sockets = 200, frames = 20) {
  const one = await framesTo(t, workerPid, 1, frames);
  const many = await framesTo(t, workerPid, sockets, frames);
  return {
    sockets,
    frames,
    socketFrames: many.received,
    bytesPerSocketFrame: round(many.bytes / Math.max(1, many.received), 1),
    workerCpuMicrosPerSocketFrame: round(((many.cpuMs - one.cpuMs) * 1000) / Math.max(1, frames * (sockets - 1)), 1),
  };
}

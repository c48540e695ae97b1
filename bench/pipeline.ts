// Benchmarks of the whole local pipeline (wrangler dev + queue + rooms + ClickHouse + Redis + Postgres),
// with same-run baselines so the figures survive a noisy machine as ratios.
import { createClient } from "@clickhouse/client-web";
import type { MatchEvent } from "../shared/sports/sport";
import { type ArrivalWatcher, watchArrivals } from "./arrivals";
import { round, summary } from "./stats";

export interface BenchTarget {
  baseUrl: string;
  apiKey: string;
  env: Record<string, string>;
}

let clock = Date.now() - 3_600_000;
export function passEvent(matchId: string, minute: number): MatchEvent {
  clock += 1;
  return {
    eventId: crypto.randomUUID(),
    matchId,
    sport: "football",
    type: "pass",
    timestamp: new Date(clock).toISOString(),
    teamId: minute % 2 === 0 ? 1 : 2,
    payload: { minute: minute % 90 },
  };
}

export async function postEvents(
  t: BenchTarget,
  events: MatchEvent[],
): Promise<{ accepted: number; duplicates: number }> {
  for (let attempt = 0; ; attempt++) {
    let res: Response | undefined;
    let refused: unknown;
    try {
      res = await fetch(`${t.baseUrl}/v1/events`, {
        method: "POST",
        headers: { authorization: `Bearer ${t.apiKey}`, "content-type": "application/json" },
        body: JSON.stringify(events),
      });
    } catch (err) {
      // wrangler dev's proxy closed the socket (seen under load after the game bench): sent again, as a
      // feed would (events are idempotent by eventId); the latency counts from the first send.
      refused = err;
    }
    if (res?.status === 202) return (await res.json()) as { accepted: number; duplicates: number };
    if ((!res || res.status === 503 || res.status === 429) && attempt < 5) {
      await new Promise((r) => setTimeout(r, 200 * (attempt + 1)));
      continue;
    }
    if (!res) throw refused;
    throw new Error(`POST /v1/events: ${res.status} ${await res.text()}`);
  }
}

export async function pool<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

/** Baseline: requests/s of a route that does nothing but answer (GET /health). */
export async function noopThroughput(t: BenchTarget, opts = { concurrency: 32, durationMs: 5_000 }) {
  let done = 0;
  const deadline = performance.now() + opts.durationMs;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: opts.concurrency }, async () => {
      while (performance.now() < deadline) {
        const res = await fetch(`${t.baseUrl}/health`);
        await res.arrayBuffer();
        done++;
      }
    }),
  );
  return { requestsPerSecond: round(done / ((performance.now() - started) / 1000), 0) };
}

async function roomEventsApplied(t: BenchTarget, matchId: string): Promise<number> {
  const res = await fetch(`${t.baseUrl}/v1/matches/${matchId}/state`, {
    headers: { authorization: `Bearer ${t.apiKey}` },
  });
  if (res.status !== 200) return 0;
  return ((await res.json()) as { eventsApplied: number }).eventsApplied;
}

function clickhouse(env: Record<string, string>) {
  return createClient({
    url: env.CLICKHOUSE_URL,
    username: env.CLICKHOUSE_USER || "default",
    password: env.CLICKHOUSE_PASSWORD ?? "",
    database: env.CLICKHOUSE_DATABASE || "matchpulse",
    request_timeout: 30_000,
  });
}

async function logCounts(env: Record<string, string>, matchIds: string[]): Promise<{ rows: number; unique: number }> {
  const client = clickhouse(env);
  try {
    const rs = await client.query({
      query:
        "SELECT toUInt64(count()) AS rows, toUInt64(uniqExact(event_id)) AS uniq FROM events FINAL WHERE match_id IN {ids:Array(String)}",
      query_params: { ids: matchIds },
      format: "JSONEachRow",
    });
    const [row] = (await rs.json()) as { rows: number | string; uniq: number | string }[];
    return { rows: Number(row?.rows ?? 0), unique: Number(row?.uniq ?? 0) };
  } finally {
    await client.close();
  }
}

/** Distinct event ids in the log (no FINAL: uniqExact counts each id once however often it was written). */
async function logUnique(env: Record<string, string>, matchIds: string[]): Promise<number> {
  const client = clickhouse(env);
  try {
    const rs = await client.query({
      query: "SELECT toUInt64(uniqExact(event_id)) AS uniq FROM events WHERE match_id IN {ids:Array(String)}",
      query_params: { ids: matchIds },
      format: "JSONEachRow",
    });
    const [row] = (await rs.json()) as { uniq: number | string }[];
    return Number(row?.uniq ?? 0);
  } finally {
    await client.close();
  }
}

/**
 * Batched ingest as fast as the platform takes it: `events` spread over `matches`, 1,000 per request.
 * Reports events/s accepted (all 202s back) and fully processed (every room applied them and the
 * ClickHouse log holds them), and checks that nothing was lost or duplicated.
 */
export async function ingestThroughput(
  t: BenchTarget,
  opts = { events: 100_000, matches: 100, batch: 1_000, concurrency: 4 },
) {
  const tag = `tp-${Date.now().toString(36)}`;
  const matchIds = Array.from({ length: opts.matches }, (_, i) => `${tag}-${i}`);
  const batches: MatchEvent[][] = [];
  let current: MatchEvent[] = [];
  for (let i = 0; i < opts.events; i++) {
    current.push(passEvent(matchIds[i % opts.matches]!, Math.floor(i / opts.matches)));
    if (current.length === opts.batch) {
      batches.push(current);
      current = [];
    }
  }
  if (current.length) batches.push(current);

  const started = performance.now();
  let accepted = 0;
  await pool(batches, opts.concurrency, async (b) => {
    const result = await postEvents(t, b); // not `accepted += await …`: that reads `accepted` before the await
    accepted += result.accepted;
  });
  const acceptedSeconds = (performance.now() - started) / 1000;

  // Done when the ClickHouse log holds every event and every room has applied all of its own. The
  // log is asked first (another process: free for the Worker); rooms are read only then, a few at a
  // time, each until it has all its events (counts only grow), so polling does not compete with the
  // pipeline it measures. Afterwards every room is read again, outside the timing, for the loss check.
  const expected = new Map<string, number>();
  for (const b of batches) for (const e of b) expected.set(e.matchId, (expected.get(e.matchId) ?? 0) + 1);
  const incomplete = new Set(matchIds);
  const deadline = performance.now() + 180_000;
  while (performance.now() < deadline) {
    if ((await logUnique(t.env, matchIds)) >= opts.events) {
      await pool([...incomplete], 8, async (id) => {
        if ((await roomEventsApplied(t, id)) >= expected.get(id)!) incomplete.delete(id);
      });
      if (incomplete.size === 0) break;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const processedSeconds = (performance.now() - started) / 1000;
  let applied = 0;
  await pool(matchIds, 8, async (id) => {
    const n = await roomEventsApplied(t, id); // not `applied += await …` (see above)
    applied += n;
  });
  const log = await logCounts(t.env, matchIds);
  return {
    events: opts.events,
    accepted,
    acceptedPerSecond: round(accepted / acceptedSeconds, 0),
    processedPerSecond: round(opts.events / processedSeconds, 0),
    processedSeconds: round(processedSeconds, 2),
    roomsApplied: applied,
    clickhouseRows: log.rows,
    clickhouseUnique: log.unique,
    lossless:
      accepted === opts.events && applied === opts.events && log.unique === opts.events && log.rows === opts.events,
  };
}

/**
 * POST → WebSocket frame latency at an offered load over many matches: `rate` events/s, each its own
 * request when `singleEventRequests` (the live-feed shape), else the events of a tick in one request.
 */
export async function latencyAtLoad(
  t: BenchTarget,
  opts: { rate: number; matches: number; durationMs: number; tickMs: number; singleEventRequests?: boolean } = {
    rate: 500,
    matches: 50,
    durationMs: 20_000,
    tickMs: 20,
  },
) {
  const tag = `lat-${Date.now().toString(36)}`;
  const matchIds = Array.from({ length: opts.matches }, (_, i) => `${tag}-${i}`);
  // Rooms exist once their first event arrived; connect after that.
  await postEvents(
    t,
    matchIds.map((id) => passEvent(id, 0)),
  );
  await Promise.all(
    matchIds.map(async (id) => {
      while ((await roomEventsApplied(t, id)) < 1) await new Promise((r) => setTimeout(r, 50));
    }),
  );
  const clients = await Promise.all(matchIds.map((id) => watchArrivals(t.baseUrl, t.apiKey, id)));
  const sentAt = new Map<string, number>();
  const perTick = (opts.rate * opts.tickMs) / 1000;
  let carry = 0;
  let minute = 1;
  const inflight: Promise<unknown>[] = [];
  const started = performance.now();
  for (let tick = 0; performance.now() - started < opts.durationMs; tick++) {
    carry += perTick;
    const n = Math.floor(carry);
    carry -= n;
    const events = Array.from({ length: n }, (_, i) => passEvent(matchIds[(tick * n + i) % opts.matches]!, minute++));
    const at = performance.now();
    for (const e of events) sentAt.set(e.eventId, at);
    if (opts.singleEventRequests) for (const e of events) inflight.push(postEvents(t, [e]));
    else if (events.length) inflight.push(postEvents(t, events));
    const wait = started + (tick + 1) * opts.tickMs - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  const sendSeconds = (performance.now() - started) / 1000;
  await Promise.all(inflight);
  await new Promise((r) => setTimeout(r, 2_000));
  const latencies: number[] = [];
  let missing = 0;
  for (const [id, at] of sentAt) {
    const arrival = clients.map((c) => c.arrivals.get(id)).find((x) => x !== undefined);
    if (arrival === undefined) missing++;
    else latencies.push(arrival - at);
  }
  for (const c of clients) c.close();
  return {
    offeredPerSecond: opts.rate,
    /** What was actually sent per second (below the offer when the machine could not keep up). */
    sentPerSecond: round(sentAt.size / sendSeconds, 0),
    matches: opts.matches,
    sent: sentAt.size,
    missing,
    latencyMs: summary(latencies),
  };
}

/** One event at a time to one match with a client connected: unloaded POST → frame latency. */
export async function singleEventLatency(t: BenchTarget, samples = 100) {
  const matchId = `one-${Date.now().toString(36)}`;
  await postEvents(t, [passEvent(matchId, 0)]);
  while ((await roomEventsApplied(t, matchId)) < 1) await new Promise((r) => setTimeout(r, 20));
  const client = await watchArrivals(t.baseUrl, t.apiKey, matchId);
  const latencies: number[] = [];
  const echoes: number[] = [];
  for (let i = 0; i < samples; i++) {
    const e = passEvent(matchId, i + 1);
    const arrived = new Promise<number>((resolve) => (client.onEvent = (id, at) => id === e.eventId && resolve(at)));
    const at = performance.now();
    await postEvents(t, [e]);
    latencies.push((await arrived) - at);
    echoes.push(await client.connection.ping());
    await new Promise((r) => setTimeout(r, 60)); // past the coalescing window: each sample is its own frame
  }
  client.close();
  return { latencyMs: summary(latencies), echoRoundTripMs: summary(echoes) };
}

/** Time for one update to reach all N sockets of one match. */
/**
 * Posts one event and times it until every client has it (ms from just before the POST to the last
 * arrival); NaN when some client has not had it within 30 s.
 */
export async function timeOneUpdate(
  t: BenchTarget,
  matchId: string,
  minute: number,
  clients: readonly { onEvent?: (eventId: string, at: number) => void }[],
): Promise<number> {
  const e = passEvent(matchId, minute);
  let remaining = clients.length;
  let last = 0;
  const all = new Promise<void>((resolve) => {
    for (const c of clients) {
      c.onEvent = (id, at) => {
        if (id !== e.eventId) return;
        last = Math.max(last, at);
        if (--remaining === 0) resolve();
      };
    }
  });
  const at = performance.now();
  await postEvents(t, [e]);
  await Promise.race([all, new Promise((r) => setTimeout(r, 30_000))]);
  return remaining === 0 ? last - at : Number.NaN;
}

export async function fanOut(t: BenchTarget, sockets: number, repeats = 3) {
  const matchId = `fan-${sockets}-${Date.now().toString(36)}`;
  await postEvents(t, [passEvent(matchId, 0)]);
  while ((await roomEventsApplied(t, matchId)) < 1) await new Promise((r) => setTimeout(r, 20));
  const clients: ArrivalWatcher[] = [];
  const ids = Array.from({ length: sockets }, (_, i) => i);
  let refused = 0;
  let lastError = "";
  // Connect as many as the machine holds; the figure states how many that was.
  await pool(ids, 100, async () => {
    try {
      clients.push(await watchArrivals(t.baseUrl, t.apiKey, matchId));
    } catch (err) {
      refused++;
      lastError = err instanceof Error ? err.message : String(err);
    }
  });
  if (refused > 0) console.log(`[bench] fan-out: ${refused} of ${sockets} sockets could not connect (${lastError})`);
  const times: number[] = [];
  // Closed whatever happens: a client left open reconnects forever, keeps the bench process alive after
  // its results are written, and floods whatever listens on the port next.
  try {
    for (let r = 0; r < repeats; r++) {
      times.push(await timeOneUpdate(t, matchId, r + 1, clients));
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    for (const c of clients) c.close();
  }
  return {
    sockets: clients.length,
    refused,
    allReachedMs: summary(times.filter((x) => !Number.isNaN(x))),
    timedOut: times.filter(Number.isNaN).length,
  };
}

/** Baseline: rows/s of a bare insert of event-log rows straight into the local ClickHouse. */
export async function bareInsert(env: Record<string, string>, rows = 100_000, batch = 1_000) {
  const client = clickhouse(env);
  try {
    await client.command({ query: "CREATE TABLE IF NOT EXISTS bench_bare_events AS events" });
    await client.command({ query: "TRUNCATE TABLE bench_bare_events" });
    const now = new Date().toISOString();
    const make = (i: number) => ({
      event_id: crypto.randomUUID(),
      match_id: `bare-${i % 100}`,
      sport: "football",
      type: "pass",
      ts: now,
      seq: 0,
      team_id: 1,
      player_id: "",
      payload: '{"minute":1}',
      request_id: "bench",
      accepted_at: now,
    });
    const started = performance.now();
    for (let i = 0; i < rows; i += batch) {
      await client.insert({
        table: "bench_bare_events",
        values: Array.from({ length: Math.min(batch, rows - i) }, (_, j) => make(i + j)),
        format: "JSONEachRow",
        clickhouse_settings: { date_time_input_format: "best_effort" },
      });
    }
    const seconds = (performance.now() - started) / 1000;
    await client.command({ query: "DROP TABLE bench_bare_events" });
    return { rows, batch, rowsPerSecond: round(rows / seconds, 0) };
  } finally {
    await client.close();
  }
}

/** Rows per ClickHouse insert and insert latency, from the Worker's own Prometheus metrics. */
export async function clickhouseWriteStats(t: BenchTarget) {
  const text = await (await fetch(`${t.baseUrl}/metrics`)).text();
  const value = (re: RegExp) => Number(re.exec(text)?.[1] ?? NaN);
  const rows = value(/^matchpulse_clickhouse_rows_written_total\{table="events"\} (\S+)$/m);
  const inserts = value(/^matchpulse_clickhouse_insert_duration_seconds_count\{table="events"\} (\S+)$/m);
  const seconds = value(/^matchpulse_clickhouse_insert_duration_seconds_sum\{table="events"\} (\S+)$/m);
  const mean = (name: string) =>
    round(
      (value(new RegExp(`^${name}_sum (\\S+)$`, "m")) / value(new RegExp(`^${name}_count (\\S+)$`, "m"))) * 1000,
      2,
    );
  return {
    rowsPerInsert: round(rows / inserts, 1),
    meanInsertMs: round((seconds / inserts) * 1000, 1),
    inserts,
    meanConsumerBatchMs: mean("matchpulse_consumer_batch_duration_seconds"),
    meanRoomCallMs: mean("matchpulse_room_call_duration_seconds"),
    meanMessagesPerBatch: round(
      value(/^matchpulse_consumer_batch_size_sum (\S+)$/m) / value(/^matchpulse_consumer_batch_size_count (\S+)$/m),
      1,
    ),
  };
}

// Bench of the fan prediction game through the running Worker: load guesses through the API (guesses/s),
// end the game's matches with match_end events, and measure the time from that POST to the last
// leaderboard change (the settlement status turns `settled` only after its last Redis write), the
// Worker's peak memory during settlement over its level before, and leaderboard / fan-rank read
// latency while settlement runs against GET /health in the same run. Correctness: every fan's points
// in Postgres and on the Redis leaderboard equal an independent computation, in leaderboard order.
import { readdirSync, readFileSync } from "node:fs";
import Redis from "ioredis";
import { neonPool } from "../dev/migrate";
import { seededRng } from "../shared/random";
import { fanTotals, settledPoints } from "../workers/stores/postgres/games";
import { settleInProcess } from "./games-memory";
import type { BenchTarget } from "./pipeline";
import { round, summary } from "./stats";

export interface GamesBenchOptions {
  /** Guesses per match (one per fan). */
  fans: number;
  /** Matches of the game, all ending together (but the first `settledFirst`). */
  matches: number;
  /**
   * Matches that end and settle before the measured ones (a tournament's earlier rounds): the measured
   * settlement is the rest's, in a game that holds every match's guesses.
   */
  settledFirst?: number;
  /** Guesses per request (≤ 10,000). */
  batch?: number;
  concurrency?: number;
  /** Reads per second of each kind during settlement and before it (READS_PER_SECOND). */
  readsPerSecond?: number;
  /** Redis port of the local stack (ioredis reads the board directly for the correctness check). */
  redisPort: number;
  label?: string;
}

/**
 * The runs `npm run bench` makes: one match of 10k and of 1M guesses, 10 matches of 100k ending
 * together, and the last match of a 20-match tournament of 100k fans (the other 19 settled before).
 */
export function gamesRuns(quick: boolean): { matches: number; fans: number; settledFirst?: number }[] {
  return quick
    ? [
        { matches: 1, fans: 10_000 },
        { matches: 10, fans: 10_000 },
        { matches: 5, fans: 10_000, settledFirst: 4 },
      ]
    : [
        { matches: 1, fans: 10_000 },
        { matches: 1, fans: 1_000_000 },
        { matches: 10, fans: 100_000 },
        { matches: 20, fans: 100_000, settledFirst: 19 },
      ];
}

/** A run's label: matches x fans, and the matches settled before the measured ones. */
export const gamesLabel = (r: { matches: number; fans: number; settledFirst?: number }): string =>
  `${r.matches}x${r.fans}${r.settledFirst ? `_after_${r.settledFirst}_settled` : ""}`;

export interface GamesFigure {
  name: string;
  value: number;
  unit: string;
  target?: string;
  note?: string;
}

const fanId = (i: number) => `fan-${String(i).padStart(7, "0")}`;
/** The final score the match events end on, and the correction settled afterwards in this process. */
const FINAL = { home: 2, away: 1 };
const CORRECTED = { home: 1, away: 1 };
/**
 * How long the readers run before match_end, for the reads' latency without settlement. Also the quiet
 * between the load and the final whistle (90 minutes of play in life): with 5 s, some runs' first second
 * of settlement met the load's own aftermath in the Worker (reads of 200-350 ms while settlement had
 * barely started), which 15 s lets pass.
 */
const IDLE_READ_MS = 15_000;
/**
 * Reads per second of each kind (a leaderboard page, a fan's rank, /health), started on a fixed
 * schedule whatever the replies' latency (open loop, as fans' requests arrive), each timed from when it
 * was due. A closed loop of readers is a saturation test instead: the faster the reads, the more of
 * them, so its latency stays that of a saturated machine. Idle, this Worker served about 57 of each per
 * second on this machine; 20 is a third of that.
 */
const READS_PER_SECOND = 20;

/** The rule written out again, independently of shared/games/scoring.ts and of the SQL. */
function expectedPoints(h: number, a: number, final: { home: number; away: number }): number {
  if (h === final.home && a === final.away) return 3;
  return Math.sign(h - a) === Math.sign(final.home - final.away) ? 1 : 0;
}

async function api(t: BenchTarget, path: string, init: { method?: string; body?: unknown } = {}) {
  const res = await fetch(`${t.baseUrl}${path}`, {
    method: init.method ?? (init.body === undefined ? "GET" : "POST"),
    headers: { authorization: `Bearer ${t.apiKey}`, "content-type": "application/json" },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${init.method ?? "GET"} ${path}: ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as Record<string, unknown>;
}

/** Share of CPU time idle over a second that counts as quiet, and the longest wait for it. */
const QUIET_IDLE = 0.75;
const QUIET_MAX_MS = 120_000;

/** The machine's CPU time counters (/proc/stat's first line): idle (with iowait) and total. */
function cpuTimes(): { idle: number; total: number } {
  const fields = readFileSync("/proc/stat", "utf8").split("\n", 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
  return { idle: (fields[3] ?? 0) + (fields[4] ?? 0), total: fields.reduce((a, b) => a + b, 0) };
}

/** Waits until a second passes with the CPU at least QUIET_IDLE idle (at most QUIET_MAX_MS). */
async function untilQuiet(): Promise<{ seconds: number; idle: number }> {
  const started = performance.now();
  for (;;) {
    const before = cpuTimes();
    await new Promise((r) => setTimeout(r, 1_000));
    const after = cpuTimes();
    const idle = (after.idle - before.idle) / Math.max(1, after.total - before.total);
    if (idle >= QUIET_IDLE || performance.now() - started > QUIET_MAX_MS)
      return { seconds: (performance.now() - started) / 1000, idle };
  }
}

/** RSS (bytes) of every process under `root` (wrangler and its workerd). */
function treeRss(root: number): number {
  const children = new Map<number, number[]>();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(d));
      children.set(ppid, list);
    } catch {
      // gone
    }
  }
  let total = 0;
  const stack = [root];
  while (stack.length) {
    const pid = stack.pop()!;
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
      if (m) total += Number(m[1]) * 1024;
    } catch {
      // gone
    }
    stack.push(...(children.get(pid) ?? []));
  }
  return total;
}

/**
 * Polls the game's matches' settlement status until each is `settled` (at most 15 minutes), calling
 * `onSettled` as each one is.
 */
async function untilSettled(
  t: BenchTarget,
  gameId: string,
  matchIds: readonly string[],
  onSettled: (matchId: string) => void = () => {},
): Promise<void> {
  const pending = new Set(matchIds);
  const started = performance.now();
  while (pending.size > 0) {
    for (const id of [...pending])
      if ((await api(t, `/v1/games/${gameId}/matches/${id}/settlement`)).status === "settled") {
        pending.delete(id);
        onSettled(id);
      }
    if (performance.now() - started > 900_000) throw new Error("settlement did not finish within 15 minutes");
    if (pending.size > 0) await new Promise((r) => setTimeout(r, 100));
  }
}

export async function benchGames(t: BenchTarget, workerPid: number, opts: GamesBenchOptions): Promise<GamesFigure[]> {
  const label = opts.label ?? gamesLabel(opts);
  const batch = opts.batch ?? 10_000;
  const figures: GamesFigure[] = [];
  const rng = seededRng(`games-bench-${label}`);
  const home = new Uint8Array(opts.fans * opts.matches);
  const away = new Uint8Array(opts.fans * opts.matches);
  for (let i = 0; i < home.length; i++) {
    home[i] = rng.int(0, 3);
    away[i] = rng.int(0, 3);
  }

  const run = crypto.randomUUID().slice(0, 6);
  const matchIds = Array.from({ length: opts.matches }, (_, m) => `bench-game-${run}-${m}`);
  for (const id of matchIds)
    await api(t, "/v1/matches", {
      body: { id, sport: "football", startsAt: new Date(Date.now() + 3_600_000).toISOString() },
    });
  const game = await api(t, "/v1/games", { body: { name: `bench ${label}`, matchIds } });
  const gameId = String(game.id);

  // 1. Load the guesses.
  const chunks: { m: number; from: number }[] = [];
  for (let m = 0; m < opts.matches; m++) for (let from = 0; from < opts.fans; from += batch) chunks.push({ m, from });
  let next = 0;
  let accepted = 0;
  const loadStarted = performance.now();
  await Promise.all(
    Array.from({ length: opts.concurrency ?? 4 }, async () => {
      while (next < chunks.length) {
        const { m, from } = chunks[next++]!;
        const items = [];
        for (let i = from; i < Math.min(from + batch, opts.fans); i++) {
          const k = m * opts.fans + i;
          items.push({ fanId: fanId(i), matchId: matchIds[m], home: home[k], away: away[k] });
        }
        const r = await api(t, `/v1/games/${gameId}/guesses`, { body: items });
        accepted += Number(r.accepted);
      }
    }),
  );
  const loadSeconds = (performance.now() - loadStarted) / 1000;
  const total = opts.fans * opts.matches;
  if (accepted !== total) throw new Error(`accepted ${accepted} of ${total} guesses`);
  figures.push({
    name: `games.${label}.guesses_loaded`,
    value: Math.round(total / loadSeconds),
    unit: "guesses/s",
    note: `${total} guesses in requests of ${batch}`,
  });

  // 2. Kick-off and goals (2-1), then every match_end in one request.
  let clock = Date.now() - 7_200_000;
  const ev = (matchId: string, type: string, seq: number, extra: Record<string, unknown> = {}) => {
    clock += 1000;
    return {
      eventId: crypto.randomUUID(),
      matchId,
      sport: "football",
      type,
      timestamp: new Date(clock).toISOString(),
      seq,
      ...extra,
    };
  };
  await api(t, "/v1/events", {
    body: matchIds.flatMap((id) => [
      ev(id, "match_start", 1),
      ev(id, "goal", 2, { teamId: 1, payload: { minute: 10 } }),
      ev(id, "goal", 3, { teamId: 2, payload: { minute: 30 } }),
      ev(id, "goal", 4, { teamId: 1, payload: { minute: 70 } }),
    ]),
  });
  await new Promise((r) => setTimeout(r, 1_000));
  // A tournament's earlier rounds: these matches end and settle before the measured ones.
  const earlier = matchIds.slice(0, opts.settledFirst ?? 0);
  const measured = matchIds.slice(earlier.length);
  if (earlier.length > 0) {
    await api(t, "/v1/events", { body: earlier.map((id) => ev(id, "match_end", 5)) });
    await untilSettled(t, gameId, earlier);
  }
  // What the 90 minutes of play between kick-off (guesses lock) and the final whistle give the database,
  // compressed into seconds here: autovacuum's vacuum and analyze of the freshly loaded guesses, and a
  // checkpoint of the load's writes. Without it the first seconds of settlement are the database doing
  // that work (the handler's own ANALYZE of stale statistics, first visibility checks of a million rows).
  const maintenance = neonPool(t.env);
  try {
    await maintenance.query("VACUUM (ANALYZE) guesses");
    await maintenance.query("CHECKPOINT");
  } finally {
    await maintenance.end();
  }
  // 3. End the matches; read while settlement runs; sample the Worker's memory.
  const latencies = { leaderboard: [] as number[], fan: [] as number[], health: [] as number[] };
  const idle = { leaderboard: [] as number[], fan: [] as number[], health: [] as number[] };
  let into = idle;
  let settling = true;
  const timedGet = async (kind: keyof typeof latencies, path: string, due: number) => {
    const res = await fetch(`${t.baseUrl}${path}`, { headers: { authorization: `Bearer ${t.apiKey}` } });
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`GET ${path}: ${res.status}`);
    into[kind].push(performance.now() - due);
  };
  const readerRng = seededRng(`games-bench-readers-${label}`);
  const period = 1000 / (opts.readsPerSecond ?? READS_PER_SECOND);
  const readAtRate = async (until: () => boolean) => {
    const inFlight = new Set<Promise<void>>();
    let failure: unknown;
    const started = performance.now();
    for (let i = 0; !until() && failure === undefined; i++) {
      const due = started + i * period;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const fan = fanId(readerRng.int(0, opts.fans - 1));
      const reads = Promise.all([
        timedGet("leaderboard", `/v1/games/${gameId}/leaderboard?limit=50`, due),
        timedGet("fan", `/v1/games/${gameId}/fans/${fan}`, due),
        timedGet("health", "/health", due),
      ]).then(
        () => {},
        (err: unknown) => {
          failure ??= err;
        },
      );
      inFlight.add(reads);
      void reads.then(() => inFlight.delete(reads));
    }
    await Promise.all(inFlight);
    if (failure !== undefined) throw failure;
  };
  // The same reads with no settlement running first: what the read path costs on its own.
  // The matches' status read as a live match's viewers read it (the provisional points per guessed
  // score): the first read after kick-off groups the match's guesses once and stores the groups, and
  // without a read during play that one grouping of every guess would land at the whistle.
  for (const id of measured) await api(t, `/v1/games/${gameId}/matches/${id}/settlement`);
  // In `npm run bench` the benches before this one leave work behind (ClickHouse merging the analytics
  // bench's rows, queues draining): settlement starts once the machine is quiet, as it is in play.
  const quietAfter = await untilQuiet();
  figures.push({
    name: `games.${label}.quiet_wait`,
    value: round(quietAfter.seconds, 1),
    unit: "s",
    note: `waited for the machine's CPU to be ≥ ${QUIET_IDLE * 100}% idle over a second before the idle reads (${Math.round(quietAfter.idle * 100)}% then)`,
  });
  const idleUntil = performance.now() + IDLE_READ_MS;
  await readAtRate(() => performance.now() > idleUntil);
  into = latencies;
  // Memory from here on: the reads' own warm-up is in the level before match_end, not in the growth.
  const rssBefore = treeRss(workerPid);
  let rssPeak = rssBefore;
  const rssSamples: { at: number; rss: number }[] = [];
  const sampler = setInterval(() => {
    const rss = treeRss(workerPid);
    rssPeak = Math.max(rssPeak, rss);
    rssSamples.push({ at: performance.now(), rss });
  }, 100);
  const readers = readAtRate(() => !settling);
  const metricsBefore = await settlementMetrics(t);
  const endedAt = performance.now();
  const settledAfter: number[] = [];
  try {
    await api(t, "/v1/events", { body: measured.map((id) => ev(id, "match_end", 5)) });
    await untilSettled(t, gameId, measured, () => settledAfter.push(performance.now() - endedAt));
  } finally {
    // Also on a failure: the readers stop, and the run ends instead of reading forever.
    settling = false;
  }
  await readers;
  clearInterval(sampler);
  const settledGuesses = opts.fans * measured.length;
  // Where the settlement's time went: its Postgres and Redis round trips, summed over the chains that
  // ran side by side (so the sum can exceed the wall time), from the Worker's own /metrics.
  const metricsAfter = await settlementMetrics(t);
  for (const store of ["postgres", "redis"] as const) {
    const d = (k: string) => (metricsAfter.get(k) ?? 0) - (metricsBefore.get(k) ?? 0);
    const calls = d(`count:${store}`);
    figures.push({
      name: `games.${label}.settlement_${store}_seconds`,
      value: round(d(`sum:${store}`), 2),
      unit: "s",
      note: `${calls} round trips, ${round((d(`sum:${store}`) / Math.max(1, calls)) * 1000, 1)} ms each, summed over parallel chains`,
    });
  }
  figures.push({
    name: `games.${label}.match_end_to_last_leaderboard_change`,
    value: round(Math.max(...settledAfter) / 1000, 2),
    unit: "s",
    target: "≤ 10 (1M guesses), ceiling 30",
    note: `${settledGuesses} guesses over ${measured.length} match(es)${earlier.length > 0 ? `, in a game of ${total} guesses whose other ${earlier.length} matches settled before` : ""}`,
  });
  figures.push({
    name: `games.${label}.settled_per_second`,
    value: Math.round(settledGuesses / (Math.max(...settledAfter) / 1000)),
    unit: "guesses/s",
  });
  figures.push({
    name: `games.${label}.worker_peak_memory_growth`,
    value: round((rssPeak - rssBefore) / 1_048_576, 1),
    unit: "MiB",
    note: `wrangler + workerd RSS ${round(rssBefore / 1_048_576, 0)} MiB before match_end, peak ${round(rssPeak / 1_048_576, 0)} MiB`,
  });
  // Flat memory shows as the same peak in the second half of settlement as in the first.
  const half = endedAt + Math.max(...settledAfter) / 2;
  const peakOf = (xs: { rss: number }[]) => round(Math.max(rssBefore, ...xs.map((x) => x.rss)) / 1_048_576, 0);
  figures.push({
    name: `games.${label}.worker_peak_memory_second_half_minus_first_half`,
    value: round(
      peakOf(rssSamples.filter((x) => x.at > half)) - peakOf(rssSamples.filter((x) => x.at >= endedAt && x.at <= half)),
      0,
    ),
    unit: "MiB",
    note: "≈ 0 when the settlement's memory does not grow with the guesses settled",
  });
  for (const kind of ["leaderboard", "fan", "health"] as const) {
    const s = summary(latencies[kind]);
    figures.push({
      name: `games.${label}.read_${kind}.p50`,
      value: s.p50,
      unit: "ms",
      note: `${s.n} reads during settlement`,
    });
    figures.push({
      name: `games.${label}.read_${kind}.p99`,
      value: s.p99,
      unit: "ms",
      ...(kind === "health" ? {} : { target: "≤ 2 × health p99, ≤ 100" }),
    });
    const i = summary(idle[kind]);
    figures.push({
      name: `games.${label}.idle_read_${kind}.p50`,
      value: i.p50,
      unit: "ms",
      note: `${i.n} reads before match_end, p99 ${i.p99} ms: the read path without settlement`,
    });
  }

  // 4. Correctness against the independent computation.
  const check = async (final: { home: number; away: number }, suffix: string) => {
    const { mismatches, orderErrors } = await verify(t, opts, gameId, home, away, final);
    figures.push({
      name: `games.${label}.points_mismatches${suffix}`,
      value: mismatches,
      unit: "fans",
      target: "0",
      note: "Postgres totals, the fans' settled points (fan_points) and the Redis board against an independent computation",
    });
    figures.push({
      name: `games.${label}.leaderboard_order_errors${suffix}`,
      value: orderErrors,
      unit: "pairs",
      target: "0",
    });
  };
  await check(FINAL, "");

  // 5. The settlement's own memory: a correction of every match (revision 2, each fan's points move by
  // the difference) settled by the same consumer in this process, sampling its heap (bench/games-memory.ts).
  let heapPeak = 0;
  let processRssPeak = 0;
  for (const matchId of matchIds) {
    const m = await settleInProcess(t.env, { v: 1, kind: "final", matchId, final: CORRECTED, source: "correction" });
    heapPeak = Math.max(heapPeak, m.heapGrowthMiB);
    processRssPeak = Math.max(processRssPeak, m.rssGrowthMiB);
  }
  figures.push({
    name: `games.${label}.settlement_peak_heap_growth`,
    value: heapPeak,
    unit: "MiB",
    note: `the consumer settling a correction of ${opts.fans} guesses per match in the bench process (RSS +${processRssPeak} MiB)`,
  });
  await check(CORRECTED, "_after_correction");
  return figures;
}

/** The Worker's settlement round-trip histograms (sum and count by store) from its /metrics. */
async function settlementMetrics(t: BenchTarget): Promise<Map<string, number>> {
  const text = await (await fetch(`${t.baseUrl}/metrics`)).text();
  const out = new Map<string, number>();
  for (const m of text.matchAll(/^matchpulse_settlement_write_duration_seconds_(sum|count)\{store="(\w+)"\} (\S+)$/gm))
    out.set(`${m[1]}:${m[2]}`, Number(m[3]));
  return out;
}

/** Every fan's points in Postgres and on the Redis board against the independent computation, and the board's order. */
async function verify(
  t: BenchTarget,
  opts: GamesBenchOptions,
  gameId: string,
  home: Uint8Array,
  away: Uint8Array,
  final: { home: number; away: number },
): Promise<{ mismatches: number; orderErrors: number }> {
  const matches = home.length / opts.fans;
  const expected = new Int32Array(opts.fans);
  for (let m = 0; m < matches; m++)
    for (let i = 0; i < opts.fans; i++)
      expected[i]! += expectedPoints(home[m * opts.fans + i]!, away[m * opts.fans + i]!, final);
  let mismatches = 0;
  const pool = neonPool(t.env);
  try {
    /** Every fan `read` returns, page after page (keyset on fanId), with their index among the bench's fans. */
    const eachFan = async (
      read: (after: string) => Promise<{ fanId: string; points: number }[]>,
      visit: (i: number, points: number) => void,
    ) => {
      for (let cursor = ""; ; ) {
        const rows = await read(cursor);
        if (rows.length === 0) return;
        for (const r of rows) visit(Number(r.fanId.slice(4)), r.points);
        cursor = rows.at(-1)!.fanId;
      }
    };
    let seen = 0;
    await eachFan(
      (after) => fanTotals(pool, gameId, after, 50_000),
      (i, points) => {
        seen++;
        if (expected[i] !== points) mismatches++;
      },
    );
    if (seen !== opts.fans) mismatches += Math.abs(opts.fans - seen);
    // The settled points each pass builds on (fan_points): a fan without a row has 0.
    const held = new Uint8Array(opts.fans);
    await eachFan(
      (after) => settledPoints(pool, gameId, after, 50_000),
      (i, points) => {
        held[i] = 1;
        if (expected[i] !== points) mismatches++;
      },
    );
    for (let i = 0; i < opts.fans; i++) if (!held[i] && expected[i] !== 0) mismatches++;
  } finally {
    await pool.end();
  }
  const redis = new Redis({ port: opts.redisPort, host: "127.0.0.1", lazyConnect: true });
  await redis.connect();
  let orderErrors = 0;
  try {
    const key = `mp:game:${gameId}:board`;
    let prev: { fan: string; points: number } | null = null;
    let onBoard = 0;
    for (let start = 0; ; start += 50_000) {
      const flat = await redis.zrange(key, String(start), String(start + 49_999), "WITHSCORES");
      if (flat.length === 0) break;
      for (let i = 0; i < flat.length; i += 2) {
        const fan = flat[i]!;
        const points = -Number(flat[i + 1]);
        onBoard++;
        if (expected[Number(fan.slice(4))] !== points) mismatches++;
        if (prev && (prev.points < points || (prev.points === points && prev.fan >= fan))) orderErrors++;
        prev = { fan, points };
      }
    }
    if (onBoard !== opts.fans) mismatches += Math.abs(opts.fans - onBoard);
  } finally {
    redis.disconnect();
  }
  return { mismatches, orderErrors };
}

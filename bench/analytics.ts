// Read-path benchmark of the analytics API at scale: loads N synthetic events (default 10 million) over
// ~2,000 football and CS2 matches straight into ClickHouse with `INSERT … SELECT … FROM numbers(N)`
// (through the event log's materialized view, like real writes), plus 1% redelivered duplicates, one
// prediction per event, and the matches in Postgres; then times the exact functions the routes call
// (metrics, timeline, CS2 rounds, prediction series, the match list with its activity join) on random
// matches; with `http` it also times the same reads end to end through the running Worker. A rerun on
// the same stack reuses the data. Standalone, against a running stack's environment:
// `npx tsx bench/analytics.ts [events]`.
import type { ClickHouseClient } from "@clickhouse/client-web";
import { neonConfig } from "@neondatabase/serverless";
import ws from "ws";
import { seededRng } from "../shared/random";
import { cs2Rounds } from "../workers/analytics/cs2-rounds";
import { matchActivity } from "../workers/analytics/match-activity";
import { matchMetrics } from "../workers/analytics/match-metrics";
import { OPEN_FROM_MS, OPEN_TO_MS, predictionSeries } from "../workers/analytics/prediction-series";
import { matchTimeline } from "../workers/analytics/timeline";
import { openClickHouse } from "../workers/clients/clickhouse";
import { withPostgres } from "../workers/clients/postgres";
import type { Env } from "../workers/env";
import { listMatches, type MatchFilters } from "../workers/stores/postgres/matches";
import { DEFAULT_TENANT } from "../workers/tenants/tenant";
import { round, summary } from "./stats";

export interface Figure {
  name: string;
  value: number;
  unit: string;
  target?: string;
  note?: string;
}

export interface AnalyticsBenchOptions {
  events: number;
  matches?: number;
  /** Timed runs per query (after warm-up). */
  runs?: number;
  /** The Worker serving the stack (e.g. wrangler dev) and a key with the read scope: adds HTTP timings. */
  http?: { baseUrl: string; apiKey: string };
  log?: (msg: string) => void;
}

const INSERT_CHUNK = 1_000_000;
const EVENTS_PER_ROUND = 12; // round_start, 10 kills, round_end
const MAPS = 3;

// Every row derives from `number`: match m = number % matches, k = its index within the match. The SQL
// text is constant; sizes, offsets and names are bound parameters.
const generated = `
  SELECT
    number,
    m,
    k,
    h,
    toUUID(concat({tag:String}, '-0000-4000-8000-', leftPad(lower(hex(number)), 12, '0'))) AS event_id,
    concat({prefix:String}, toString(m)) AS match_id,
    if(m % 2 = 0, 'football', 'cs2') AS sport,
    least(intDiv(greatest(toInt64(k) - 1, 0), {perMap:UInt32}), ${MAPS - 1}) AS map_index,
    (toInt64(k) - 1) - map_index * {perMap:UInt32} AS k_in_map,
    1 + intDiv(greatest(k_in_map, 1) - 1, ${EVENTS_PER_ROUND}) AS round_no,
    (greatest(k_in_map, 1) - 1) % ${EVENTS_PER_ROUND} AS step,
    multiIf(
      k = 0, 'match_start',
      sport = 'football',
        multiIf(h % 1000 < 20, 'goal', h % 1000 < 50, 'yellow_card', h % 1000 < 53, 'red_card', h % 1000 < 130, 'shot',
                h % 1000 < 210, 'foul', h % 1000 < 260, 'corner', h % 1000 < 300, 'offside', h % 1000 < 360, 'interception', 'pass'),
      k_in_map = 0, 'map_start',
      step = 0, 'round_start',
      step = ${EVENTS_PER_ROUND - 1}, 'round_end',
      'kill') AS type,
    multiIf(
      type = 'match_start', if(sport = 'cs2', '{"bestOf":3}', '{}'),
      sport = 'football', concat('{"minute":', toString(least(intDiv(k, 50), 130)), '}'),
      type = 'map_start', concat('{"mapNumber":', toString(map_index + 1), ',"mapName":"de_mirage","startingSide":"', if(h % 2 = 0, 'CT', 'T'), '"}'),
      type = 'kill', concat('{"round":', toString(round_no), ',"victimPlayerId":"p', toString(h % 10), '","weapon":"ak47","headshot":', if(h % 100 < 45, 'true', 'false'), '}'),
      type = 'round_end', concat('{"round":', toString(round_no), ',"reason":"elimination"}'),
      concat('{"round":', toString(round_no), '}')) AS payload,
    if(type IN ('match_start', 'map_start', 'round_start'), 0, 1 + h % 2) AS team_id,
    addMilliseconds(fromUnixTimestamp64Milli({baseMs:Int64}, 'UTC'), k * 1100 + m * 7) AS ts,
    addMilliseconds(ts, 40 + h % 400) AS accepted_at,
    addMilliseconds(accepted_at, 5 + intDiv(h, 65536) % 200) AS written_at
  FROM (SELECT number, number % {matches:UInt32} AS m, intDiv(number, {matches:UInt32}) AS k, cityHash64(number) AS h
        FROM numbers({offset:UInt64}, {count:UInt64}))`;

const insertEvents = `
  INSERT INTO events (event_id, match_id, sport, type, ts, seq, team_id, player_id, payload, request_id, accepted_at, written_at)
  SELECT event_id, match_id, sport, type, ts, toUInt32(k + 1), team_id, '', payload, 'bench', accepted_at, written_at
  FROM (${generated})`;

const insertPredictions = `
  INSERT INTO predictions (match_id, seq, sport, event_id, event_type, p_team1, p_draw, p_team2, model_version, at, written_at)
  SELECT match_id, toUInt32(k + 1), sport, event_id, type,
         0.2 + (h % 600) / 1000 AS p1,
         if(sport = 'football', 0.15, NULL),
         if(sport = 'football', 0.85 - p1, 1 - p1),
         'bench-v1', addMilliseconds(accepted_at, 3), addMilliseconds(accepted_at, 30)
  FROM (${generated})`;

const rng = (seed: number): (() => number) => seededRng(seed).next;

async function count(client: ClickHouseClient, query: string, params: Record<string, unknown>): Promise<number> {
  const rows = await (await client.query({ query, query_params: params, format: "JSONEachRow" })).json<{
    n: number | string;
  }>();
  return Number(rows[0]?.n ?? 0);
}

async function timed(runs: number, warmup: number, work: (i: number) => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await work(-1 - i);
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await work(i);
    samples.push(performance.now() - started);
  }
  return samples;
}

export async function benchAnalytics(
  stackEnv: Record<string, string>,
  opts: AnalyticsBenchOptions = { events: 10_000_000 },
): Promise<Figure[]> {
  const say = opts.log ?? ((m: string) => console.log(`[bench] analytics: ${m}`));
  const env = stackEnv as unknown as Env;
  const events = Math.max(opts.events, 10_000);
  const matches = opts.matches ?? 2_000;
  const runs = opts.runs ?? 50;
  const perMatch = Math.ceil(events / matches);
  const perMap = Math.max(EVENTS_PER_ROUND + 1, Math.floor((perMatch - 1) / MAPS));
  const prefix = `bench${events}:`;
  // Two weeks back, on a whole day: every run of the same size produces identical rows.
  const baseMs = Math.floor((Date.now() - 14 * 86_400_000) / 86_400_000) * 86_400_000;
  const tag = events.toString(16).padStart(8, "0");
  const params = { tag, prefix, matches, perMap, baseMs };
  const figures: Figure[] = [];
  // Each insert is one chunk of a million rows: seconds, well inside a minute.
  const client = openClickHouse(env, 60_000);
  // In Node the Neon driver needs a WebSocket implementation; workers/clients/postgres sets the rest.
  neonConfig.webSocketConstructor = ws;

  try {
    const loaded = await count(
      client,
      "SELECT toUInt64(count()) AS n FROM events WHERE startsWith(match_id, {prefix:String})",
      { prefix },
    );
    if (loaded >= events) {
      say(`reusing ${loaded.toLocaleString("en")} events already loaded under ${prefix}`);
    } else {
      if (loaded > 0)
        throw new Error(`a partial load of ${loaded} rows under ${prefix} is in the way; reset the stack's data`);
      const started = performance.now();
      for (let offset = 0; offset < events; offset += INSERT_CHUNK) {
        const chunk = { ...params, offset, count: Math.min(INSERT_CHUNK, events - offset) };
        await client.command({ query: insertEvents, query_params: chunk });
        await client.command({ query: insertPredictions, query_params: chunk });
        say(
          `loaded ${(offset + chunk.count).toLocaleString("en")} / ${events.toLocaleString("en")} events and predictions`,
        );
      }
      // Redeliveries: 1% of the events written a second time, as the consumer would after a retry.
      await client.command({
        query: insertEvents,
        query_params: { ...params, offset: 0, count: Math.floor(events / 100) },
      });
      const seconds = (performance.now() - started) / 1000;
      figures.push({
        name: "analytics.load",
        value: round((events * 2.01) / seconds, 0),
        unit: "rows/s",
        note: `${events.toLocaleString("en")} events + 1% duplicates + as many predictions in ${round(seconds, 1)} s (INSERT … SELECT, through the rollup view)`,
      });
    }
    await withPostgres(env, async ({ pool }) => {
      // One row per bench match: id, sport, start time, status. Bound arrays, one statement.
      const ids = Array.from({ length: matches }, (_, m) => `${prefix}${m}`);
      await pool.query(
        `INSERT INTO matches (id, sport, starts_at, status)
         SELECT id, sport, starts_at, status FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[]) AS t(id, sport, starts_at, status)
         ON CONFLICT (tenant_id, id) DO NOTHING`,
        [
          ids,
          ids.map((_, m) => (m % 2 === 0 ? "football" : "cs2")),
          ids.map((_, m) => new Date(baseMs + m * 7).toISOString()),
          ids.map((_, m) => ["finished", "live", "scheduled"][m % 3]!),
        ],
      );
    });

    const distinct = await count(
      client,
      "SELECT toUInt64(uniqExact(event_id)) AS n FROM events WHERE match_id = {m:String}",
      { m: `${prefix}0` },
    );
    say(`match ${prefix}0 holds ${distinct} distinct events; timing ${runs} runs per query`);

    const random = rng(42);
    const anyMatch = () => `${prefix}${Math.floor(random() * matches)}`;
    const cs2Match = () => `${prefix}${2 * Math.floor(random() * (matches / 2)) + 1}`;
    const window = { fromMs: baseMs - 86_400_000, toMs: baseMs + 86_400_000 };
    const listFilters: MatchFilters[] = [
      window,
      { ...window, sport: "football" },
      { ...window, status: "live" },
      { ...window, sport: "cs2", status: "finished" },
    ];

    const results: [string, number[], string][] = [];
    results.push([
      "select1",
      await timed(runs, 3, () => count(client, "SELECT 1 AS n", {})),
      "SELECT 1: the client and HTTP round trip alone",
    ]);
    results.push([
      "metrics",
      await timed(runs, 5, () => matchMetrics(client, DEFAULT_TENANT, anyMatch())),
      "GET …/metrics: the counted log (one pass, grouping sets), plus the rounds query for CS2 matches",
    ]);
    results.push([
      "timeline_1m",
      await timed(runs, 5, () => matchTimeline(client, DEFAULT_TENANT, anyMatch(), "1m")),
      "GET …/timeline?bucket=1m: the counted log per bucket",
    ]);
    results.push([
      "timeline_5m",
      await timed(runs, 5, () => matchTimeline(client, DEFAULT_TENANT, anyMatch(), "5m")),
      "GET …/timeline?bucket=5m",
    ]);
    results.push([
      "rounds",
      await timed(runs, 5, () => cs2Rounds(client, DEFAULT_TENANT, cs2Match())),
      "GET …/rounds (CS2): the corrected log of map boundaries, kills and round ends",
    ]);
    results.push([
      "predictions",
      await timed(runs, 5, () =>
        predictionSeries(client, DEFAULT_TENANT, anyMatch(), {
          fromMs: OPEN_FROM_MS,
          toMs: OPEN_TO_MS,
          afterSeq: 0,
          limit: 1000,
        }),
      ),
      "GET …/predictions: a page of 1,000 points",
    ]);
    results.push([
      "matches_list",
      await timed(runs, 5, async (i) => {
        const filters = listFilters[Math.abs(i) % listFilters.length]!;
        const page = await withPostgres(env, ({ db }) => listMatches(db, DEFAULT_TENANT, filters, null, 50));
        await matchActivity(
          client,
          DEFAULT_TENANT,
          page.map((m) => m.id),
        );
      }),
      "GET /v1/matches?limit=50: Postgres page (new connection, as in the Worker) + one ClickHouse activity query",
    ]);
    results.push([
      "match_activity",
      await timed(runs, 5, () => matchActivity(client, DEFAULT_TENANT, Array.from({ length: 50 }, anyMatch))),
      "the list's ClickHouse part alone: 50 matches",
    ]);

    if (opts.http) {
      const { baseUrl, apiKey } = opts.http;
      const get = async (path: string) => {
        const res = await fetch(`${baseUrl}${path}`, { headers: { authorization: `Bearer ${apiKey}` } });
        if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
        await res.arrayBuffer();
      };
      const listPath = `/v1/matches?limit=50&from=${new Date(window.fromMs).toISOString()}&to=${new Date(window.toMs).toISOString()}`;
      const http: [string, (i: number) => string, string][] = [
        ["health", () => "/health", "GET /health: the Worker's own floor"],
        ["metrics", () => `/v1/matches/${encodeURIComponent(anyMatch())}/metrics`, "GET /v1/matches/{id}/metrics"],
        [
          "timeline",
          () => `/v1/matches/${encodeURIComponent(anyMatch())}/timeline?bucket=1m`,
          "GET /v1/matches/{id}/timeline",
        ],
        ["rounds", () => `/v1/matches/${encodeURIComponent(cs2Match())}/rounds`, "GET /v1/matches/{id}/rounds"],
        [
          "predictions",
          () => `/v1/matches/${encodeURIComponent(anyMatch())}/predictions?limit=1000`,
          "GET /v1/matches/{id}/predictions",
        ],
        ["matches_list", () => listPath, "GET /v1/matches?limit=50"],
      ];
      for (const [name, path, note] of http) {
        results.push([
          `http.${name}`,
          await timed(runs, 5, (i) => get(path(i))),
          `${note} through the Worker (auth, rate limit, query, JSON)`,
        ]);
      }
    }

    for (const [name, samples, note] of results) {
      const s = summary(samples);
      const baseline = name === "select1" || name === "http.health";
      const scope =
        name === "select1"
          ? "baseline.clickhouse"
          : name === "http.health"
            ? "baseline.http_health"
            : `analytics.${name}`;
      figures.push({
        name: `${scope}.p50`,
        value: s.p50,
        unit: "ms",
        note: `${note}; ${s.n} runs, ${events.toLocaleString("en")} events`,
      });
      figures.push({ name: `${scope}.p95`, value: s.p95, unit: "ms", ...(baseline ? {} : { target: "≤ 50" }) });
    }
    return figures;
  } finally {
    await client.close().catch(() => {});
  }
}

// Standalone: against the stack described by the environment (e.g. a running `npm start`).
if (import.meta.url === `file://${process.argv[1]}`) {
  const events = Number(process.argv[2] ?? 10_000_000);
  for (const f of await benchAnalytics(process.env as Record<string, string>, { events })) {
    console.log(
      `${f.name}: ${f.value} ${f.unit}${f.target ? ` (target ${f.target})` : ""}${f.note ? ` — ${f.note}` : ""}`,
    );
  }
}

// `npm run redrive -- list|quarantine|dlq [--id=<uuid>] [--repair] [--limit=N]`: lists and replays what
// the pipeline parked in ClickHouse's dead_letters table (migrations/clickhouse/0005):
//   list        what is parked: quarantined analytics rows, unreadable messages, dead-lettered messages
//   quarantine  re-inserts quarantined rows into their table (events, predictions); --repair first
//               replaces lone surrogates in their strings, for rows ClickHouse refused for that reason
//   dlq         replays dead-lettered messages: analytics messages are written to ClickHouse (a row refused
//               again is quarantined); events messages are posted to /v1/events again after their ids are
//               released from the edge dedup (the rooms deduplicate for good, so a replay of an event a
//               room already applied changes nothing, and ClickHouse counts it once); settlement messages
//               (source settlement_dlq) re-send their match's final score (POST /v1/matches/{id}/final-score:
//               the same score re-opens the games not yet settled, whose scored pages skip)
// A replayed entry is marked `redriven`; one that fails again stays `parked` with the new error.
// Targets the local stack by default (MATCHPULSE_PORT_BASE, PORT, MATCHPULSE_DEV_API_KEY); set
// CLICKHOUSE_URL/USER/PASSWORD/DATABASE, UPSTASH_REDIS_REST_URL/TOKEN, MATCHPULSE_API_URL and
// MATCHPULSE_API_KEY (an ingest key; an admin key of the letter's tenant for settlement letters) to point
// it elsewhere.
import { type ClickHouseClient, createClient } from "@clickhouse/client-web";
import { Redis } from "@upstash/redis";
import type { MatchEvent } from "../shared/sports/sport";
import {
  type DeadLetterRow,
  type DeadLetterSource,
  fromBase64,
  storableText,
  writeIsolated,
} from "../workers/consumer/dead-letters";
import { writeEventLog } from "../workers/consumer/event-log";
import { writePredictionLog } from "../workers/consumer/prediction-log";
import { finalScoresOf, readSettlementMessage } from "../workers/games/settlement";
import { forgetEventIds } from "../workers/ingest/dedup";
import { type EventLogRow, type PredictionLogRow, readQueueMessage } from "../workers/queue/messages";
import { DEFAULT_TENANT } from "../workers/tenants/tenant";
import { DEFAULT_DEV_API_KEY } from "./seed";
import { CLICKHOUSE_DATABASE, DEV_PORT_BASE, portsFrom } from "./stack";

interface Parked extends DeadLetterRow {
  parked_at: string;
}

const args = process.argv.slice(2);
const command = args.find((a) => !a.startsWith("--"));
const flag = (name: string): string | undefined =>
  args.find((a) => a === `--${name}` || a.startsWith(`--${name}=`))?.replace(/^--[^=]+=?/, "");
const ports = portsFrom(Number(process.env.MATCHPULSE_PORT_BASE ?? DEV_PORT_BASE));
const env = {
  clickhouseUrl: process.env.CLICKHOUSE_URL ?? `http://127.0.0.1:${ports.clickhouse}`,
  redisUrl: process.env.UPSTASH_REDIS_REST_URL ?? `http://127.0.0.1:${ports.upstash}`,
  redisToken: process.env.UPSTASH_REDIS_REST_TOKEN ?? "matchpulse-local-token",
  apiUrl: process.env.MATCHPULSE_API_URL ?? `http://127.0.0.1:${process.env.PORT ?? 8787}`,
  apiKey: process.env.MATCHPULSE_API_KEY ?? (process.env.MATCHPULSE_DEV_API_KEY || DEFAULT_DEV_API_KEY),
};

const SOURCES: Record<string, DeadLetterSource[]> = {
  list: ["quarantine", "unknown_message", "events_dlq", "analytics_dlq", "settlement_dlq"],
  quarantine: ["quarantine"],
  dlq: ["events_dlq", "analytics_dlq", "settlement_dlq", "unknown_message"],
};

async function parked(client: ClickHouseClient, sources: DeadLetterSource[]): Promise<Parked[]> {
  const id = flag("id");
  const rs = await client.query({
    query: `SELECT toString(id) AS id, source, target, event_id, match_id, error, body_base64, state, toString(parked_at) AS parked_at
            FROM dead_letters FINAL
            WHERE state = 'parked' AND source IN {sources:Array(String)} AND ({id:String} = '' OR toString(id) = {id:String})
            ORDER BY parked_at
            LIMIT {limit:UInt32}`,
    query_params: { sources, id: id ?? "", limit: Number(flag("limit") ?? 10_000) },
    format: "JSONEachRow",
  });
  return rs.json<Parked>();
}

/** Records a new state (or a new error) for a parked entry: the latest version wins in the table. */
async function mark(
  client: ClickHouseClient,
  entries: { row: Parked; state: "parked" | "redriven"; error?: string }[],
) {
  if (entries.length === 0) return;
  await client.insert({
    table: "dead_letters",
    values: entries.map(({ row, state, error }) => ({
      id: row.id,
      source: row.source,
      target: row.target,
      event_id: row.event_id,
      match_id: row.match_id,
      error: error === undefined ? row.error : storableText(error),
      body_base64: row.body_base64,
      state,
      parked_at: row.parked_at,
    })),
    format: "JSONEachRow",
  });
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
function repaired<T>(value: T): T {
  return JSON.parse(
    JSON.stringify(value, (_k, v) => (typeof v === "string" ? v.replace(LONE_SURROGATE, "\ufffd") : v)),
  );
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Writes rows to their table, splitting on refusal; returns the rows refused again, with their errors. */
async function writeRows<R>(rows: R[], insert: (rows: R[]) => Promise<void>) {
  const out = await writeIsolated(rows, insert);
  return out.refused.map((r) => ({ row: r.row, error: message(r.error) }));
}

async function redriveQuarantine(client: ClickHouseClient, rows: Parked[]): Promise<void> {
  const fix = flag("repair") !== undefined;
  for (const table of ["events", "predictions"] as const) {
    const entries = rows.filter((r) => r.target === table);
    if (entries.length === 0) continue;
    const bodies = new Map(entries.map((e) => [fromBase64(e.body_base64), e]));
    const values = [...bodies.keys()].map((b) => (fix ? repaired(b) : b));
    const byValue = new Map(values.map((v, i) => [v, entries[i]!]));
    let failed: Map<Parked, string>;
    try {
      const refused =
        table === "events"
          ? await writeRows(values as EventLogRow[], (r) => writeEventLog(client, r))
          : await writeRows(values as PredictionLogRow[], (r) => writePredictionLog(client, r));
      failed = new Map(refused.map((r) => [byValue.get(r.row)!, r.error]));
    } catch (err) {
      // Refused for a reason that is not the rows' own (ClickHouse unwell): all stay parked.
      failed = new Map(entries.map((e) => [e, message(err)]));
    }
    await mark(
      client,
      entries.map((row) => ({ row, state: failed.has(row) ? "parked" : "redriven", error: failed.get(row) })),
    );
    console.log(`${table}: ${entries.length - failed.size} re-inserted, ${failed.size} refused again`);
    for (const [row, error] of failed) console.log(`  ${row.id} ${row.event_id} ${row.match_id}: ${error}`);
  }
}

async function postEvents(events: MatchEvent[]): Promise<{ accepted: number; duplicates: number }> {
  const res = await fetch(`${env.apiUrl}/v1/events`, {
    method: "POST",
    headers: { authorization: `Bearer ${env.apiKey}`, "content-type": "application/json" },
    body: JSON.stringify(events),
  });
  const body = (await res.json()) as { accepted?: number; duplicates?: number };
  if (res.status !== 202) throw new Error(`POST /v1/events answered ${res.status}: ${JSON.stringify(body)}`);
  return { accepted: body.accepted ?? 0, duplicates: body.duplicates ?? 0 };
}

/**
 * A settlement letter (a final score, or a game's settlement pass) is replayed by re-sending its
 * matches' final scores: the same score re-opens an unsettled match, and begins the game's pass again
 * (the parked pass is taken over once it has gone PASS_STALE_SECONDS without running).
 */
async function resettle(body: unknown): Promise<string> {
  const m = readSettlementMessage(body);
  if (!m) throw new Error("cannot replay: not a settlement message this deploy can read");
  // The final-score route settles the key's tenant's match: another tenant's stays parked, as its events do.
  if (m.tenantId !== undefined && m.tenantId !== DEFAULT_TENANT)
    throw new Error(`settlement of tenant '${m.tenantId}': re-send with an admin key of that tenant`);
  const sent: string[] = [];
  for (const { matchId, final } of finalScoresOf(m)) {
    const res = await fetch(`${env.apiUrl}/v1/matches/${encodeURIComponent(matchId)}/final-score`, {
      method: "POST",
      headers: { authorization: `Bearer ${env.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify(final),
    });
    if (res.status !== 202) throw new Error(`POST final-score answered ${res.status}: ${await res.text()}`);
    sent.push(`${matchId} at ${final.home}-${final.away}`);
  }
  return `settlement of ${sent.join(", ") || "no match"} queued again`;
}

async function redriveMessages(client: ClickHouseClient, rows: Parked[]): Promise<void> {
  const redis = new Redis({ url: env.redisUrl, token: env.redisToken, enableTelemetry: false });
  const done: { row: Parked; state: "parked" | "redriven"; error?: string }[] = [];
  for (const row of rows) {
    if (row.source === "settlement_dlq") {
      try {
        console.log(`${row.id} ${await resettle(fromBase64(row.body_base64))}`);
        done.push({ row, state: "redriven" });
      } catch (err) {
        console.log(`${row.id} ${row.source}: ${message(err)}`);
        done.push({ row, state: "parked", error: message(err) });
      }
      continue;
    }
    const read = readQueueMessage(fromBase64(row.body_base64));
    try {
      if (!read.ok) throw new Error(`cannot replay: ${read.reason}`);
      if (read.message.kind === "analytics") {
        const m = read.message;
        const refused = [
          ...(await writeRows(m.events, (r) => writeEventLog(client, r))),
          ...(await writeRows(m.predictions, (r) => writePredictionLog(client, r))),
        ];
        if (refused.length > 0) throw new Error(`${refused.length} row(s) refused again: ${refused[0]!.error}`);
        console.log(`${row.id} analytics: ${m.events.length} event rows, ${m.predictions.length} predictions written`);
      } else {
        const { events, tenantId } = read.message;
        // Re-posted with the developer key, they would land in the default tenant: another tenant's events
        // stay parked until they are re-sent with a key of that tenant.
        if (tenantId !== undefined && tenantId !== DEFAULT_TENANT)
          throw new Error(`events of tenant '${tenantId}': re-send them with a key of that tenant`);
        await forgetEventIds(
          redis,
          events.map((e) => e.eventId),
        );
        let accepted = 0;
        for (let i = 0; i < events.length; i += 1000)
          accepted += (await postEvents(events.slice(i, i + 1000))).accepted;
        console.log(`${row.id} events of ${read.message.matchId}: ${accepted}/${events.length} accepted again`);
      }
      done.push({ row, state: "redriven" });
    } catch (err) {
      console.log(`${row.id} ${row.source}: ${message(err)}`);
      done.push({ row, state: "parked", error: message(err) });
    }
  }
  await mark(client, done);
}

async function main(): Promise<void> {
  const sources = command ? SOURCES[command] : undefined;
  if (!sources) {
    console.error("usage: npm run redrive -- list|quarantine|dlq [--id=<uuid>] [--repair] [--limit=N]");
    process.exit(2);
  }
  const client = createClient({
    url: env.clickhouseUrl,
    username: process.env.CLICKHOUSE_USER || "default",
    password: process.env.CLICKHOUSE_PASSWORD ?? "",
    database: process.env.CLICKHOUSE_DATABASE || CLICKHOUSE_DATABASE,
  });
  try {
    const rows = await parked(client, sources);
    if (command === "list" || rows.length === 0) {
      console.log(`${rows.length} parked`);
      for (const r of rows) {
        console.log(
          [r.id, r.parked_at, r.source, r.target, r.event_id || "-", r.match_id || "-", r.error.slice(0, 160)].join(
            "  ",
          ),
        );
      }
      return;
    }
    if (command === "quarantine") await redriveQuarantine(client, rows);
    else await redriveMessages(client, rows);
  } finally {
    await client.close();
  }
}

await main();

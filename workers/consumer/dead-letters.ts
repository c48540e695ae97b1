// The dead-letter store: a ClickHouse table (`dead_letters`, migrations/clickhouse/0005) for what the
// pipeline could not deliver — analytics rows ClickHouse refused one by one, queue messages this deploy
// cannot read, and messages that exhausted their retries (the DLQ consumers park them here, because a
// Cloudflare or Miniflare DLQ cannot be listed or replayed from outside). Bodies are stored as base64 of
// their JSON: a row that ClickHouse refused as JSON (a lone surrogate, say) is plain ASCII here, and
// `npm run redrive` gives back exactly what was parked.
import { type ClickHouseClient, ClickHouseError } from "@clickhouse/client-web";
import { DEFAULT_TENANT } from "../tenants/tenant";

export type DeadLetterSource = "quarantine" | "unknown_message" | "events_dlq" | "analytics_dlq" | "settlement_dlq";

/** Which DLQ a queue name is (wrangler.toml's `matchpulse-<queue>-dlq`): where its letters are told apart. */
export function dlqSource(queue: string): DeadLetterSource {
  if (queue.endsWith("-analytics-dlq")) return "analytics_dlq";
  // The prediction game's settlement messages (workers/games/settlement.ts): replayed by re-sending the
  // match's final score, not as events.
  if (queue.endsWith("-settlement-dlq")) return "settlement_dlq";
  return "events_dlq";
}

export interface DeadLetter {
  source: DeadLetterSource;
  /** The table a quarantined row was meant for, or the queue a message came from. */
  target: string;
  /** The tenant owning the row or message (absent: the default tenant, or unknown). */
  tenantId?: string;
  eventId?: string;
  matchId?: string;
  error: string;
  body: unknown;
}

export interface DeadLetterRow {
  id: string;
  source: DeadLetterSource;
  tenant_id: string;
  target: string;
  event_id: string;
  match_id: string;
  error: string;
  body_base64: string;
  state: "parked" | "redriven";
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
/** Text any store accepts: lone surrogates replaced, bounded length (error texts can quote the row). */
export const storableText = (s: string, max = 2_000): string => s.slice(0, max).replace(LONE_SURROGATE, "\ufffd");

export function toBase64(value: unknown): string {
  // JSON.stringify escapes lone surrogates (\udXXX), so the UTF-8 below is always well formed.
  const bytes = new TextEncoder().encode(JSON.stringify(value));
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

export function fromBase64(b64: string): unknown {
  const binary = atob(b64);
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

export function deadLetterRow(letter: DeadLetter, id: string = crypto.randomUUID()): DeadLetterRow {
  return {
    id,
    source: letter.source,
    tenant_id: storableText(letter.tenantId ?? DEFAULT_TENANT, 64),
    target: letter.target,
    event_id: storableText(letter.eventId ?? "", 64),
    match_id: storableText(letter.matchId ?? "", 64),
    error: storableText(letter.error),
    body_base64: toBase64(letter.body),
    state: "parked",
  };
}

export async function parkDeadLetters(client: ClickHouseClient, letters: DeadLetter[]): Promise<void> {
  if (letters.length === 0) return;
  await client.insert({ table: "dead_letters", values: letters.map((l) => deadLetterRow(l)), format: "JSONEachRow" });
}

/** A server answer (ClickHouse looked at the data and refused) rather than a network failure or timeout. */
export const isServerRefusal = (err: unknown): err is ClickHouseError => err instanceof ClickHouseError;

// Codes ClickHouse gives for data it cannot store (parse errors, bad values, a block over too many
// partitions): refusals of the rows themselves, never of the moment. Other server errors quarantine a
// row only when a sibling insert of the same batch went through (ClickHouse was demonstrably fine).
const DATA_ERROR_CODES = new Set([
  "6", // CANNOT_PARSE_TEXT
  "25", // CANNOT_PARSE_ESCAPE_SEQUENCE (a lone surrogate in JSON)
  "26", // CANNOT_PARSE_QUOTED_STRING
  "27", // CANNOT_PARSE_INPUT_ASSERTION_FAILED
  "38", // CANNOT_PARSE_DATE
  "41", // CANNOT_PARSE_DATETIME
  "53", // TYPE_MISMATCH
  "69", // ARGUMENT_OUT_OF_BOUND
  "70", // CANNOT_CONVERT_TYPE
  "72", // CANNOT_PARSE_NUMBER
  "117", // INCORRECT_DATA
  "252", // TOO_MANY_PARTS (too many partitions for a single insert block)
  "321", // VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE
  "376", // CANNOT_PARSE_UUID
]);
export const isDataRefusal = (err: unknown): boolean => isServerRefusal(err) && DATA_ERROR_CODES.has(err.code);

// Refusals that are about ClickHouse or the request, never a row: splitting would only multiply inserts,
// so the batch is retried whole. (TOO_MANY_PARTS is not here: "too many partitions for a single INSERT
// block" is cured by splitting.)
const NOT_ABOUT_ROWS = new Set([
  "60", // UNKNOWN_TABLE
  "81", // UNKNOWN_DATABASE
  "159", // TIMEOUT_EXCEEDED
  "164", // READONLY
  "202", // TOO_MANY_SIMULTANEOUS_QUERIES
  "209", // SOCKET_TIMEOUT
  "210", // NETWORK_ERROR
  "241", // MEMORY_LIMIT_EXCEEDED
  "242", // TABLE_IS_READ_ONLY
  "497", // ACCESS_DENIED
  "516", // AUTHENTICATION_FAILED
]);

export interface Refused<R> {
  row: R;
  error: unknown;
}

export interface IsolatedWrite<R> {
  written: number;
  /** Rows ClickHouse refused on their own: the caller quarantines them. */
  refused: Refused<R>[];
  /** Inserts made (1 when the batch went through whole). */
  inserts: number;
}

/**
 * Writes rows with one insert; if ClickHouse refuses the block, splits it in halves and retries each,
 * down to single rows, so one bad row costs about 2·log2(n) inserts and never holds back the others.
 * A network failure or timeout is not the rows' fault: it is thrown, and the whole batch is retried.
 * A row refused alone is returned for quarantine when the refusal is about its data, or when another
 * insert of this batch succeeded; otherwise (every part refused for a reason that is not the data's)
 * the first error is thrown and the batch retried later.
 */
export async function writeIsolated<R>(rows: R[], insert: (rows: R[]) => Promise<void>): Promise<IsolatedWrite<R>> {
  const out: IsolatedWrite<R> = { written: 0, refused: [], inserts: 0 };
  if (rows.length === 0) return out;
  const attempt = async (part: R[]): Promise<void> => {
    out.inserts++;
    try {
      await insert(part);
      out.written += part.length;
    } catch (err) {
      if (!isServerRefusal(err) || NOT_ABOUT_ROWS.has(err.code)) throw err;
      if (part.length === 1) {
        out.refused.push({ row: part[0]!, error: err });
        return;
      }
      const mid = Math.ceil(part.length / 2);
      await attempt(part.slice(0, mid));
      await attempt(part.slice(mid));
    }
  };
  await attempt(rows);
  if (out.refused.length > 0 && out.written === 0 && !out.refused.every((r) => isDataRefusal(r.error))) {
    throw out.refused[0]!.error;
  }
  return out;
}

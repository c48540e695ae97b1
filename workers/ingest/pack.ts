// Packing items into queue messages: each sendBatch under 100 messages and 256 KB, each message under
// 64 KB — not the 128 KB the platform accepts: Queues bill every write, read and delete per 64 KB
// started, so a 100 KB message costs 6 operations where two 50 KB ones cost 6 too and a full 60 KB one
// costs 3. Events are also grouped by match, so the consumer calls each room once.
import type { MatchEvent } from "../../shared/sports/sport";
import type { EventsMessage } from "../queue/messages";
import { DEFAULT_TENANT } from "../tenants/tenant";

// Margins below the platform limits: the queue's own serialisation adds a little per message.
/** Under the 64 KB billing unit (64,000 or 65,536 bytes), with room for the queue's own encoding. */
export const MAX_MESSAGE_BYTES = 60_000;
/** The Queues billing unit: an operation per 64 KB started, for each write, read and delete. */
export const QUEUE_BILLING_UNIT_BYTES = 64 * 1024;
export const MAX_BATCH_BYTES = 220_000;
export const MAX_BATCH_MESSAGES = 100;

export interface Packed<M> {
  message: M;
  bytes: number;
}

const encoder = new TextEncoder();
// biome-ignore lint/suspicious/noControlCharactersInRegex: the range is every ASCII code point, controls included
const ASCII = /^[\x00-\x7f]*$/;
/** UTF-8 bytes of the value's JSON; most JSON is ASCII, whose byte count is its length (no encoding needed). */
export const sizeOf = (value: unknown): number => {
  const json = JSON.stringify(value);
  return ASCII.test(json) ? json.length : encoder.encode(json).byteLength;
};

/** Splits items into runs whose JSON stays under `budget` bytes (a single larger item gets a run of its own). */
export function chunkBySize<T>(items: T[], budget: number): { items: T[]; bytes: number }[] {
  const chunks: { items: T[]; bytes: number }[] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = sizeOf(item) + 1;
    if (current.length > 0 && bytes + size > budget) {
      chunks.push({ items: current, bytes });
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) chunks.push({ items: current, bytes });
  return chunks;
}

/**
 * Messages of one tenant's events. The default tenant's messages carry no tenantId (what consumers of
 * every deploy read as the default tenant), so its messages stay byte for byte what they were.
 */
export function packEvents(
  events: MatchEvent[],
  meta: { requestId: string; acceptedAt: number; tenantId?: string },
): Packed<EventsMessage>[] {
  const { tenantId, ...rest } = meta;
  const head = tenantId === undefined || tenantId === DEFAULT_TENANT ? rest : { tenantId, ...rest };
  const byMatch = new Map<string, MatchEvent[]>();
  for (const e of events) {
    const list = byMatch.get(e.matchId);
    if (list) list.push(e);
    else byMatch.set(e.matchId, [e]);
  }
  const out: Packed<EventsMessage>[] = [];
  for (const [matchId, list] of byMatch) {
    const envelope = sizeOf({ kind: "events", v: 1, matchId, ...head, events: [] });
    for (const chunk of chunkBySize(list, MAX_MESSAGE_BYTES - envelope)) {
      out.push({
        message: { kind: "events", v: 1, matchId, ...head, events: chunk.items },
        bytes: envelope + chunk.bytes,
      });
    }
  }
  return out;
}

/** Splits packed messages into sendBatch calls within the batch limits. */
export function toSendBatches<M>(packed: Packed<M>[]): M[][] {
  const batches: M[][] = [];
  let current: M[] = [];
  let bytes = 0;
  for (const p of packed) {
    if (current.length > 0 && (current.length >= MAX_BATCH_MESSAGES || bytes + p.bytes > MAX_BATCH_BYTES)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(p.message);
    bytes += p.bytes;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

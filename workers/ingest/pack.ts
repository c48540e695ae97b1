// Packing accepted events into queue messages: grouped by match (so the consumer calls each room once),
// each message under the 128 KB message limit, each sendBatch under 100 messages and 256 KB.
import type { MatchEvent } from "../../shared/sports/sport";

export interface EventsMessage {
  v: 1;
  matchId: string;
  requestId: string;
  /** Epoch ms when the edge accepted the events. */
  acceptedAt: number;
  events: MatchEvent[];
}

// Margins below the platform limits: the queue's own serialisation adds a little per message.
export const MAX_MESSAGE_BYTES = 100_000;
export const MAX_BATCH_BYTES = 220_000;
export const MAX_BATCH_MESSAGES = 100;

const encoder = new TextEncoder();
const sizeOf = (value: unknown) => encoder.encode(JSON.stringify(value)).byteLength;

export function packEvents(events: MatchEvent[], meta: { requestId: string; acceptedAt: number }): { message: EventsMessage; bytes: number }[] {
  const byMatch = new Map<string, MatchEvent[]>();
  for (const e of events) {
    const list = byMatch.get(e.matchId);
    if (list) list.push(e);
    else byMatch.set(e.matchId, [e]);
  }
  const envelope = sizeOf({ v: 1, matchId: "", requestId: meta.requestId, acceptedAt: meta.acceptedAt, events: [] });
  const out: { message: EventsMessage; bytes: number }[] = [];
  for (const [matchId, list] of byMatch) {
    let current: MatchEvent[] = [];
    let bytes = envelope + matchId.length;
    for (const e of list) {
      const size = sizeOf(e) + 1;
      if (current.length > 0 && bytes + size > MAX_MESSAGE_BYTES) {
        out.push({ message: { v: 1, matchId, ...meta, events: current }, bytes });
        current = [];
        bytes = envelope + matchId.length;
      }
      current.push(e);
      bytes += size;
    }
    if (current.length > 0) out.push({ message: { v: 1, matchId, ...meta, events: current }, bytes });
  }
  return out;
}

/** Splits packed messages into sendBatch calls within the batch limits. */
export function toSendBatches(packed: { message: EventsMessage; bytes: number }[]): EventsMessage[][] {
  const batches: EventsMessage[][] = [];
  let current: EventsMessage[] = [];
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

// The pipeline's message contracts, in one place beside the queues: the events queue (edge → rooms), the
// analytics queue (events consumer → ClickHouse), and the RPC between the events consumer and a room
// (MatchRoom.applyEvents: ApplyResult, PublishedPrediction). Every message carries its `kind` and a format
// version `v`; consumers read a body through `readQueueMessage`, which narrows it by kind and version
// instead of casting, so a message from a newer (or older) deploy is recognised as such and parked
// rather than misread.
import type { Prediction } from "../../shared/contract/prediction";
import type { MatchEvent } from "../../shared/sports/sport";

/** A row of the ClickHouse event log (`events`), as the analytics consumer inserts it. */
export interface EventLogRow {
  /** The owning tenant (migrations/clickhouse/0007): every analytics read filters on it. */
  tenant_id: string;
  event_id: string;
  match_id: string;
  sport: string;
  type: string;
  ts: string;
  seq: number;
  team_id: number;
  player_id: string;
  payload: string;
  request_id: string;
  accepted_at: string;
}

/** A row of the ClickHouse `predictions` table. */
export interface PredictionLogRow {
  tenant_id: string;
  match_id: string;
  seq: number;
  sport: string;
  event_id: string;
  event_type: string;
  p_team1: number;
  p_draw: number | null;
  p_team2: number;
  model_version: string;
  at: string;
}

/** Accepted events of one match, packed by the edge (workers/ingest/pack.ts). */
export interface EventsMessage {
  kind: "events";
  v: 1;
  /** The tenant owning the match; absent in messages sent before tenants existed (the default tenant). */
  tenantId?: string;
  matchId: string;
  requestId: string;
  /** Epoch ms when the edge accepted the events. */
  acceptedAt: number;
  events: MatchEvent[];
}

/** Event-log rows and predictions on their way to ClickHouse. */
export interface AnalyticsMessage {
  kind: "analytics";
  v: 1;
  events: EventLogRow[];
  predictions: PredictionLogRow[];
}

export type QueueMessage = EventsMessage | AnalyticsMessage;
export type QueueMessageKind = QueueMessage["kind"];

/** The versions this deploy reads, per kind. */
export const READABLE_VERSIONS: Record<QueueMessageKind, readonly number[]> = { events: [1], analytics: [1] };

export type ReadResult = { ok: true; message: QueueMessage } | { ok: false; reason: string };

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null;

function isEventsV1(body: Record<string, unknown>): body is Record<string, unknown> & EventsMessage {
  return (
    body.v === 1 &&
    typeof body.matchId === "string" &&
    typeof body.requestId === "string" &&
    typeof body.acceptedAt === "number" &&
    Array.isArray(body.events)
  );
}

function isAnalyticsV1(body: Record<string, unknown>): body is Record<string, unknown> & AnalyticsMessage {
  return body.v === 1 && Array.isArray(body.events) && Array.isArray(body.predictions);
}

/**
 * Narrows a queue body to a message this deploy understands. Bodies written before messages carried a
 * `kind` (v1 without the tag, still in flight during the first deploy of it) are recognised by shape.
 * The producer is this same Worker, so the items inside are trusted; only the envelope is checked.
 */
export function readQueueMessage(body: unknown): ReadResult {
  if (!isObject(body)) return { ok: false, reason: "not an object" };
  const kind = body.kind ?? (body.v === 1 ? ("matchId" in body ? "events" : "analytics") : undefined);
  if (kind !== "events" && kind !== "analytics") return { ok: false, reason: `unknown kind ${String(body.kind)}` };
  if (!READABLE_VERSIONS[kind].includes(Number(body.v))) {
    return { ok: false, reason: `unknown version ${String(body.v)} of ${kind} messages` };
  }
  if (kind === "events" && isEventsV1(body)) {
    return { ok: true, message: { kind, v: 1, ...pick(body) } };
  }
  if (kind === "analytics" && isAnalyticsV1(body)) {
    return { ok: true, message: { kind, v: 1, events: body.events, predictions: body.predictions } };
  }
  return { ok: false, reason: `malformed ${kind} v${String(body.v)} message` };
}

const pick = (m: EventsMessage) => ({
  ...(typeof m.tenantId === "string" ? { tenantId: m.tenantId } : {}),
  matchId: m.matchId,
  requestId: m.requestId,
  acceptedAt: m.acceptedAt,
  events: m.events,
});

/** One back-off for both consumers: 2, 4, 8 … seconds after each failed attempt, at most a minute. */
export const retryDelaySeconds = (attempts: number): number => Math.min(2 ** attempts, 60);

// --- events consumer ↔ MatchRoom (RPC) ---------------------------------------------------------------
/** One published prediction, as the analytics store records it (the prediction shape, keyed by update). */
export type PublishedPrediction = Pick<Prediction, "pTeam1" | "pTeam2" | "modelVersion" | "at"> & {
  matchId: string;
  sport: string;
  /** Room seq of the update that produced it. */
  seq: number;
  eventId: string;
  eventType: string;
  /** Null for sports without draws (the analytics column is nullable). */
  pDraw: number | null;
};

export interface ApplyResult {
  applied: number;
  duplicates: number;
  held: number;
  rejected: number;
  /** The ids of the rejected events (another sport or match than the room's): the consumer keeps them out of the event log. */
  rejectedIds?: string[];
  /** Predictions not yet confirmed by the consumer (this call's and any earlier ones), oldest first. */
  predictions: PublishedPrediction[];
}

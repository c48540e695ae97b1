// The live protocol of /v1/matches/{id}/live, split by direction. Server → client: JSON frames (a
// snapshot first, then updates, batched updates, and corrections). Client → server: `ack` and `ping`.
//
// Versioning: every server frame carries `v` (PROTOCOL_VERSION), so a client can check any frame, also
// the first one after a resume (which is an update, not a snapshot). Additions that old clients can
// ignore (a new optional field, a new frame type) keep the version; anything else bumps it.
// The room builds frames with `satisfies ServerFrame`; tests parse every frame they receive with
// `serverFrameSchema`.
import { z } from "zod";
import { eventSchema, type MatchEvent } from "./event";
import { predictionSchema } from "./prediction";

export const PROTOCOL_VERSION = 1;

/** How many gap ranges a state carries; the rest are counted in `gapCount` / `missingSeqs`. */
export const GAPS_IN_VIEW = 20;

const pair = z.tuple([z.number(), z.number()]);
const seqRange = z.object({ from: z.int(), to: z.int() });

export const roomMetaSchema = z.object({
  matchId: z.string(),
  sport: z.string(),
  /** Room sequence: how many events the room has applied; a client resumes with ?since=<seq>. */
  seq: z.int().min(0),
  /** Highest source `seq` applied (wild values, see `seqErrors`, excluded). */
  lastSeq: z.int().min(0),
  eventsApplied: z.int().min(0),
  /** Events applied after their seq gap was given up on (out of order). */
  lateEvents: z.int().min(0).optional(),
  /** Events whose source seq was too far ahead of the room's cursor to order (applied in arrival order). */
  seqErrors: z.int().min(0).optional(),
  /** The oldest source seq ranges still missing, at most GAPS_IN_VIEW of them. */
  gaps: z.array(seqRange),
  /** How many missing ranges there are in all, and how many seqs they hold (absent: `gaps` is all of them). */
  gapCount: z.int().min(0).optional(),
  missingSeqs: z.int().min(0).optional(),
  updatedAt: z.string().nullable(),
});
export type RoomMeta = z.infer<typeof roomMetaSchema>;

// Loose: each sport adds its own fields (see FootballState, Cs2State).
export const matchStateViewSchema = z
  .looseObject({ ...roomMetaSchema.shape, status: z.string(), score: pair })
  .meta({ id: "MatchState", description: "Room metadata plus the sport's live state fields." });

/** The state a frame carries: room metadata plus the sport's own state fields (status, score, …). */
export type MatchState = z.infer<typeof matchStateViewSchema>;
/** The same, typed by a sport's state (e.g. `MatchStateView<FootballState>`), for clients of one sport. */
export type MatchStateView<S extends object> = RoomMeta & S;

const version = z.literal(PROTOCOL_VERSION);
const prediction = z.union([predictionSchema, z.null()]);
const frameBase = { v: version, seq: z.int().min(0), state: matchStateViewSchema, prediction };

export const snapshotFrameSchema = z.object({
  ...frameBase,
  type: z.literal("snapshot"),
  // union with null, not .nullable(): the latter would make the shared MatchEvent component nullable in OpenAPI
  event: z.null(),
  /** Only on connections opened with ?since=: false when that seq cannot be resumed from (too old, or ahead). */
  resumed: z.literal(false).optional(),
});

/** One applied event. */
export const updateFrameSchema = z.object({ ...frameBase, type: z.literal("update"), event: eventSchema });

/**
 * Several applied events (a batch, a burst: at most one frame per socket per ~50 ms, or a resume): every
 * event from room seq `fromSeq` to `seq`, in order; `event` is the last of them. Same `type` as a single
 * update, so a client that reads `events ?? [event]` handles both.
 */
export const batchUpdateFrameSchema = updateFrameSchema.extend({
  fromSeq: z.int().min(1),
  events: z.array(eventSchema).min(1),
});

/**
 * A source corrected an event the room had applied (retracted it, or amended its fields): the room
 * re-folded its log, and `state` / `prediction` are the result. `event` is the correcting event.
 */
export const correctionFrameSchema = z.object({
  ...frameBase,
  type: z.literal("correction"),
  event: eventSchema,
  correction: z.object({
    kind: z.enum(["retract", "amend"]),
    /** The eventId of the event retracted or amended. */
    targetEventId: z.string(),
    reason: z.string().optional(),
  }),
});

// A plain union (zod's discriminated union needs distinct `type` values; single and batched updates
// share "update"). The batch comes first: it is an update with more fields.
export const serverFrameSchema = z
  .union([snapshotFrameSchema, batchUpdateFrameSchema, updateFrameSchema, correctionFrameSchema])
  .meta({ id: "LiveFrame", description: "One WebSocket message from /live." });

export type SnapshotFrame = z.infer<typeof snapshotFrameSchema>;
export type UpdateFrame = z.infer<typeof updateFrameSchema>;
export type BatchUpdateFrame = z.infer<typeof batchUpdateFrameSchema>;
export type CorrectionFrame = z.infer<typeof correctionFrameSchema>;
export type ServerFrame = SnapshotFrame | UpdateFrame | BatchUpdateFrame | CorrectionFrame;

/** The events a frame announces, in order (none for a snapshot). */
export function eventsOf(frame: ServerFrame): MatchEvent[] {
  if (frame.type === "snapshot") return [];
  return "events" in frame ? frame.events : [frame.event];
}

// --- client → server ---------------------------------------------------------------------------------

/**
 * Flow control, opt-in: sent after handling the frame with seq N. A client that falls more than the
 * room's history behind its last ack is closed with 4008 and resumes with ?since=.
 */
export const ackMessageSchema = z.object({ type: z.literal("ack"), seq: z.int().min(0) });
/** Keep-alive. Send the bare text `ping` (answered `pong` by the runtime without waking the room); the JSON form is answered too. */
export const pingMessageSchema = z.object({ type: z.literal("ping") });
export const clientMessageSchema = z.discriminatedUnion("type", [ackMessageSchema, pingMessageSchema]);
export type ClientMessage = z.infer<typeof clientMessageSchema>;
export const PING_TEXT = "ping";
export const PONG_TEXT = "pong";

/** A client's message, or null for anything else (binary, malformed, unknown: ignored, never fatal). */
export function parseClientMessage(message: string | ArrayBuffer): ClientMessage | null {
  if (typeof message !== "string") return null;
  if (message === PING_TEXT) return { type: "ping" };
  if (!message.startsWith("{") || message.length > 256) return null;
  let value: unknown;
  try {
    value = JSON.parse(message);
  } catch {
    return null;
  }
  const parsed = clientMessageSchema.safeParse(value);
  return parsed.success ? parsed.data : null;
}

// --- close codes -------------------------------------------------------------------------------------

/** WebSocket close codes the room sends, and the reason text sent with each. */
export const closeCodes = {
  /** The key was revoked or lost its read scope while the socket was open. */
  unauthorized: 4001,
  /** The client acknowledged frames and fell too far behind: resume with ?since=. */
  slowConsumer: 4008,
} as const;

export type CloseCode = (typeof closeCodes)[keyof typeof closeCodes];

export const closeReasons: Readonly<Record<CloseCode, string>> = {
  4001: "unauthorized: the API key was revoked or lost its read scope",
  4008: "too slow: resume with ?since=",
};

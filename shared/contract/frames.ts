// What live WebSocket clients receive: one JSON frame per message, a snapshot first, then one
// update per applied event. Zod schemas here are for the OpenAPI docs; the room builds frames itself.
import { z } from "zod";
import type { Cs2State } from "../sports/cs2";
import type { FootballState } from "../sports/football";
import type { BaseSportState, MatchEvent } from "../sports/sport";
import { eventSchema } from "./event";
import { type Prediction, predictionSchema } from "./prediction";

/** Room metadata, sent with every state. */
export interface RoomMeta {
  matchId: string;
  sport: string;
  /** Room sequence: how many events the room has applied; a client resumes with ?since=<seq>. */
  seq: number;
  /** Highest source `seq` seen. */
  lastSeq: number;
  eventsApplied: number;
  /** Events applied after their seq gap was given up on (out of order). */
  lateEvents?: number;
  /** Source seq ranges still missing. */
  gaps: { from: number; to: number }[];
  updatedAt: string | null;
}

/** Room metadata plus the sport's own state fields (status, score, …). */
export type MatchStateView<S extends BaseSportState = BaseSportState> = RoomMeta & S;
export type FootballStateView = MatchStateView<FootballState>;
export type Cs2StateView = MatchStateView<Cs2State>;

export type PredictionView = Prediction;

export interface LiveFrame<S extends BaseSportState = BaseSportState> {
  type: "snapshot" | "update";
  seq: number;
  /** The event this update applied; null in snapshots. */
  event: MatchEvent | null;
  state: MatchStateView<S>;
  prediction: PredictionView | null;
  /** Only on connections opened with ?since=: false when the history was gone and a snapshot replaces it. */
  resumed?: boolean;
  /**
   * Only on coalesced updates (bursts: at most one frame per socket per ~50 ms): every event applied
   * since the previous frame, in order, from room seq `fromSeq` to `seq`; `event` is the last of them.
   */
  events?: MatchEvent[];
  fromSeq?: number;
}

/** WebSocket close codes the live endpoint uses, and the reason text sent with each. */
export const closeCodes = {
  goingAway: 1001,
  unauthorized: 4001,
  slowConsumer: 4008,
} as const;

export type CloseCode = (typeof closeCodes)[keyof typeof closeCodes];

export const closeReasons: Readonly<Record<CloseCode, string>> = {
  1001: "going away",
  4001: "unauthorized",
  4008: "too slow: resume with ?since=",
};

const pair = z.tuple([z.number(), z.number()]);

export const roomMetaSchema = z.object({
  matchId: z.string(),
  sport: z.string(),
  seq: z.int().min(0),
  lastSeq: z.int().min(0),
  eventsApplied: z.int().min(0),
  lateEvents: z.int().min(0).optional(),
  gaps: z.array(z.object({ from: z.int(), to: z.int() })),
  updatedAt: z.string().nullable(),
});

// Loose: each sport adds its own fields (see FootballState, Cs2State).
export const matchStateViewSchema = z
  .looseObject({ ...roomMetaSchema.shape, status: z.string(), score: pair })
  .meta({ id: "MatchState", description: "Room metadata plus the sport's live state fields." });

export const predictionViewSchema = predictionSchema;

export const liveFrameSchema = z
  .object({
    type: z.enum(["snapshot", "update"]),
    seq: z.int().min(0),
    // union with null, not .nullable(): the latter would make the shared MatchEvent component nullable in OpenAPI
    event: z.union([eventSchema, z.null()]),
    state: matchStateViewSchema,
    prediction: z.union([predictionViewSchema, z.null()]),
    resumed: z.boolean().optional(),
    events: z.array(eventSchema).optional(),
    fromSeq: z.int().min(1).optional(),
  })
  .meta({ id: "LiveFrame", description: "One WebSocket message from /live." });

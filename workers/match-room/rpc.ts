// What the room and the events consumer exchange over RPC (MatchRoom.applyEvents / confirmPredictions).
import type { Prediction } from "../../shared/contract/prediction";

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

// The subscription fields and their payloads, from the live protocol's frame schemas: `matchUpdated` is
// a live frame (snapshot, update, batched update or correction) as one object type, `predictionUpdated`
// its sequence number and prediction. Served by the match room over graphql-ws (workers/graphql/room-*.ts).
import { z } from "@hono/zod-openapi";
import { eventSchema } from "../../shared/contract/event";
import {
  batchUpdateFrameSchema,
  correctionFrameSchema,
  type ServerFrame,
  snapshotFrameSchema,
} from "../../shared/contract/live-protocol";
import type { SubscriptionField } from "./contract";

/** Every live frame's fields in one object (GraphQL has no unions of these shapes without a hand schema). */
const matchUpdateSchema = z
  .object({
    ...snapshotFrameSchema.shape,
    ...batchUpdateFrameSchema.partial({ fromSeq: true, events: true }).shape,
    ...correctionFrameSchema.partial({ correction: true }).shape,
    type: z.enum(["snapshot", "update", "correction"]),
    event: z.union([eventSchema, z.null()]),
  })
  .meta({ id: "MatchUpdate", description: "One live frame of a match, as /live sends it." });

const predictionUpdateSchema = z
  .object({ seq: snapshotFrameSchema.shape.seq, prediction: snapshotFrameSchema.shape.prediction })
  .meta({ id: "PredictionUpdate", description: "The prediction after the room's update `seq`." });

export const subscriptionFields: readonly SubscriptionField[] = [
  {
    name: "matchUpdated",
    payload: matchUpdateSchema,
    typeName: "MatchUpdate",
    description: "Every live frame of the match: a snapshot first, then updates and corrections (resume: since).",
  },
  {
    name: "predictionUpdated",
    payload: predictionUpdateSchema,
    typeName: "PredictionUpdate",
    description: "The match's prediction with every live frame.",
  },
];

/** The root value a frame is executed against: each field reads its payload from it. */
export function subscriptionRoot(frame: ServerFrame) {
  return { matchUpdated: frame, predictionUpdated: { seq: frame.seq, prediction: frame.prediction } };
}

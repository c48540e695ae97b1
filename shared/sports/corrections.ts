// Corrections, the same for every sport: a source retracts an earlier event (a goal disallowed after
// video review, a deleted event) or amends it (the scorer, the minute, the team credited). A correction
// is an event itself, with its own eventId and seq. Reducers never see corrections: the match room
// applies them to its event log and re-derives the state (workers/match-room/log.ts).
import { z } from "zod";

export const correctionTypes = ["retract", "amend"] as const;
export type CorrectionType = (typeof correctionTypes)[number];

const targetEventId = z
  .guid({ error: "must be the eventId (a UUID) of an earlier event of the match" })
  .toLowerCase()
  .describe("The eventId of the event this corrects.");

export const correctionPayloadSchemas = {
  retract: z.strictObject({
    targetEventId,
    /** Why, in the source's words (e.g. var_no_goal, deleted). */
    reason: z.string().min(1).max(64),
  }),
  amend: z.strictObject({
    targetEventId,
    /** What replaces the target's fields: its team, its player, and payload fields (merged over the old ones). */
    changes: z
      .strictObject({
        teamId: z.union([z.literal(1), z.literal(2)], { error: "must be 1 or 2" }).optional(),
        playerId: z.string().min(1).max(64).optional(),
        payload: z.record(z.string(), z.unknown()).optional(),
      })
      .refine((c) => c.teamId !== undefined || c.playerId !== undefined || c.payload !== undefined, {
        error: "must change at least one of teamId, playerId, payload",
      }),
  }),
} satisfies Record<CorrectionType, z.ZodType>;

export type CorrectionPayloads = { [K in CorrectionType]: z.infer<(typeof correctionPayloadSchemas)[K]> };

const correctionTypeSet: ReadonlySet<string> = new Set(correctionTypes);
export const isCorrectionType = (type: string): type is CorrectionType => correctionTypeSet.has(type);

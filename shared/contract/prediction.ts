// The one prediction shape: what a sport's predictor returns (`WinProbability`), and what the room
// publishes with a timestamp (`Prediction`). Frames, the room's outbox, the analytics rows and the REST
// responses extend or map these; none restates the fields.
import { z } from "zod";

const probability = z.number().min(0).max(1);

export const winProbabilitySchema = z.object({
  pTeam1: probability,
  /** Only for sports with draws (football): the 90-minute result. */
  pDraw: probability.optional(),
  pTeam2: probability,
  /** Only for knockout matches: the probability that each team goes through (extra time, shoot-out). */
  pAdvanceTeam1: probability.optional(),
  pAdvanceTeam2: probability.optional(),
  modelVersion: z.string(),
});
export type WinProbability = z.infer<typeof winProbabilitySchema>;

export const predictionSchema = winProbabilitySchema
  .extend({
    /** When the prediction was computed (ISO 8601). */
    at: z.string(),
  })
  .meta({ id: "Prediction" });
export type Prediction = z.infer<typeof predictionSchema>;

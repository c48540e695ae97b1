// The wire contract this client speaks, taken from the project's one home for it. Type-only imports, so a
// browser bundle of the client carries no zod and no sport modules. Repoint these lines when the contract
// moves (shared/contract/live-protocol.ts).
import type { closeCodes as contractCloseCodes } from "../../../shared/contract/live-protocol";

export type { MatchState as MatchStateView, ServerFrame } from "../../../shared/contract/live-protocol";
export type { Prediction as PredictionView } from "../../../shared/contract/prediction";
export type { MatchEvent } from "../../../shared/sports/sport";

/** The contract's close codes; the annotation makes the compiler check every value against the contract. */
export const closeCodes: typeof contractCloseCodes = { unauthorized: 4001, slowConsumer: 4008 };

/** What the client sends: an acknowledgement after handling the frame with seq N (opt-in flow control). */
export interface AckMessage {
  type: "ack";
  seq: number;
}

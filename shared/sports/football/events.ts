// Football event types and their strict payload schemas (contract v1). Built once at module load:
// parseEvent runs them on every ingested event.
import { z } from "zod";
import { correctionPayloadSchemas, correctionTypes } from "../corrections";
import type { TypedEvent } from "../sport";

export const footballEventTypes = [
  "match_start",
  "period_start",
  "period_end",
  "match_end",
  "goal",
  "shot",
  "pass",
  "foul",
  "yellow_card",
  "red_card",
  "substitution",
  "offside",
  "corner",
  "free_kick",
  "interception",
  /** Video review started; its decision follows (var_decision), and a retract or amend if it changes an event. */
  "var_review",
  "var_decision",
  ...correctionTypes,
] as const;

export type FootballEventType = (typeof footballEventTypes)[number];

/** In-play events always belong to a team; for a goal it is the team CREDITED (own goal: the benefiting side). */
const matchFlowTypes: readonly FootballEventType[] = [
  "match_start",
  "period_start",
  "period_end",
  "match_end",
  "var_review",
  "var_decision",
  ...correctionTypes,
];
export const footballTeamEventTypes: ReadonlySet<string> = new Set(
  footballEventTypes.filter((t) => !matchFlowTypes.includes(t)),
);

// 130 leaves room for extra time plus stoppage.
const minute = z.int().min(0).max(130);
/** 1, 2 = halves; 3, 4 = extra-time halves; 5 = penalty shoot-out. */
// Unions of literals (not z.literal([...])) so OpenAPI generators list every value.
const period = z.union([z.literal(1), z.literal(2), z.literal(3), z.literal(4), z.literal(5)], {
  error: "must be 1, 2, 3, 4 or 5",
});
const reason = z.string().min(1).max(200);
const playerRef = z.string().min(1).max(64);

const inPlay = z.strictObject({ minute });

export const footballPayloadSchemas = {
  match_start: z.strictObject({ minute: minute.optional() }),
  period_start: z.strictObject({ period, minute: minute.optional() }),
  period_end: z.strictObject({ period, minute: minute.optional() }),
  match_end: z.strictObject({ minute: minute.optional() }),
  goal: z.strictObject({ minute, ownGoal: z.boolean().optional(), penalty: z.boolean().optional() }),
  shot: z.strictObject({ minute, onTarget: z.boolean().optional() }),
  pass: inPlay,
  foul: z.strictObject({ minute, reason: reason.optional() }),
  yellow_card: z.strictObject({ minute, reason: reason.optional() }),
  red_card: z.strictObject({ minute, reason: reason.optional() }),
  substitution: z.strictObject({ minute, playerIn: playerRef, playerOut: playerRef }),
  offside: inPlay,
  corner: inPlay,
  free_kick: inPlay,
  interception: inPlay,
  var_review: z.strictObject({ minute, reason: reason.optional() }),
  var_decision: z.strictObject({ minute, outcome: z.enum(["stands", "overturned"]), reason: reason.optional() }),
  ...correctionPayloadSchemas,
} satisfies Record<FootballEventType, z.ZodType>;

export type FootballPayloads = { [K in FootballEventType]: z.infer<(typeof footballPayloadSchemas)[K]> };

/** A validated football event: `switch (event.type)` narrows its payload. */
export type FootballEvent = TypedEvent<FootballPayloads>;

// CS2 event types and their strict payload schemas (contract v1). Built once at module load.
import { z } from "zod";
import { correctionPayloadSchemas, correctionTypes } from "../corrections";
import type { TypedEvent } from "../sport";

export const cs2EventTypes = [
  "match_start",
  "map_start",
  "round_start",
  "kill",
  "bomb_planted",
  "bomb_defused",
  "round_end",
  "map_end",
  "match_end",
  /** The server restarted the map (mp_restartgame): nothing of the current map before it counts. */
  "map_restart",
  ...correctionTypes,
] as const;

export type Cs2EventType = (typeof cs2EventTypes)[number];

/**
 * teamId meaning per type: kill = the killer's team, bomb_planted = the planting (T) team,
 * bomb_defused = the defusing (CT) team, round_end / map_end = the winner.
 * match_end may name the winner but does not have to.
 */
export const cs2TeamEventTypes: ReadonlySet<string> = new Set<Cs2EventType>([
  "kill",
  "bomb_planted",
  "bomb_defused",
  "round_end",
  "map_end",
]);

export const sides = ["CT", "T"] as const;
export type Side = (typeof sides)[number];

export const roundEndReasons = ["elimination", "bomb_exploded", "bomb_defused", "time", "surrender"] as const;
export type RoundEndReason = (typeof roundEndReasons)[number];

const round = z.int().min(1).max(1000);
const money = z.int().min(0).max(1_000_000);
// Unions of literals (not z.literal([...])) so OpenAPI generators list every value.
const team = z.union([z.literal(1), z.literal(2)], { error: "must be 1 or 2" });
const bestOf = z.union([z.literal(1), z.literal(3), z.literal(5)], { error: "must be 1, 3 or 5" });

export const cs2PayloadSchemas = {
  match_start: z.strictObject({ bestOf }),
  map_start: z.strictObject({
    mapNumber: z.int().min(1).max(5),
    mapName: z.string().min(1).max(64),
    /** The side team 1 starts the map on; every later side is derived from it (see sides.ts). */
    startingSide: z.enum(sides),
    /** The server's mp_maxrounds (regulation rounds, both halves): 24 = MR12 (the default), 30 = MR15. */
    maxRounds: z.int().min(2).max(100).multipleOf(2).optional(),
    /** The server's mp_overtime_maxrounds (both halves); 0 = no overtime. Default 6. */
    overtimeMaxRounds: z.int().min(0).max(30).multipleOf(2).optional(),
  }),
  round_start: z.strictObject({
    round,
    /** Team equipment value at freeze-time end, as an object so the feed cannot swap the teams silently. */
    equipmentValue: z.strictObject({ team1: money, team2: money }).optional(),
  }),
  kill: z.strictObject({
    round,
    victimPlayerId: z.string().min(1).max(64),
    weapon: z.string().min(1).max(64),
    headshot: z.boolean().optional(),
    /** Only for team kills; by default the victim is on the other team. */
    victimTeamId: team.optional(),
  }),
  bomb_planted: z.strictObject({ round, site: z.enum(["A", "B"]).optional() }),
  bomb_defused: z.strictObject({ round }),
  round_end: z.strictObject({ round, reason: z.enum(roundEndReasons) }),
  map_end: z.strictObject({ mapNumber: z.int().min(1).max(5).optional() }),
  match_end: z.strictObject({}),
  map_restart: z.strictObject({ reason: z.string().min(1).max(64).optional() }),
  ...correctionPayloadSchemas,
} satisfies Record<Cs2EventType, z.ZodType>;

export type Cs2Payloads = { [K in Cs2EventType]: z.infer<(typeof cs2PayloadSchemas)[K]> };

/** A validated CS2 event: `switch (event.type)` narrows its payload. */
export type Cs2Event = TypedEvent<Cs2Payloads>;

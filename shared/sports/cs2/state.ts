import type { BaseSportState, Pair, TeamSide } from "../sport";
import type { Side } from "./events";

export interface Cs2RecentEvent {
  eventId: string;
  type: string;
  teamId?: TeamSide;
  round?: number;
  playerId?: string;
}

export interface Cs2MapInfo {
  number: number;
  name: string;
  /** Side team 1 plays in the current round (or the next one, between rounds). */
  team1Side: Side;
  /** Side team 1 started the map on; every later side is derived from it. */
  team1StartingSide: Side;
  /** The map's format from map_start (absent: CS2's default MR12 with overtimes of 6). */
  maxRounds?: number;
  overtimeMaxRounds?: number;
}

export interface Cs2MapResult {
  number: number;
  name: string;
  roundScore: Pair;
  winner: TeamSide;
}

export type BombState = "none" | "planted" | "defused" | "exploded";

export interface Cs2State extends BaseSportState {
  status: "scheduled" | "live" | "finished";
  /** 1 until match_start says otherwise. */
  bestOf: 1 | 3 | 5;
  mapsWon: Pair;
  /** Same as mapsWon: the match score of a CS2 series is maps. */
  score: Pair;
  currentMap: Cs2MapInfo | null;
  /** Current round number on the current map; 0 before its first round. */
  round: number;
  /** True between round_start and round_end: alive/bomb describe a round still being played. */
  roundInProgress: boolean;
  roundScore: Pair;
  /** Equipment value of the current round; [0, 0] when the feed did not send it. */
  equipmentValue: Pair;
  /** Last 30 rounds of the current map. */
  equipmentByRound: { round: number; team1: number; team2: number }[];
  alive: Pair;
  bomb: BombState;
  /** Match totals (all maps). */
  kills: Pair;
  headshots: Pair;
  /** The match totals when the current map started: a map restart goes back to them. */
  mapStart: { kills: Pair; headshots: Pair };
  /** Winners of the finished maps, at most the last MAX_MAPS. */
  mapWinners: TeamSide[];
  /** Finished maps with their final round score, at most the last MAX_MAPS. */
  mapResults: Cs2MapResult[];
  winner: TeamSide | null;
  /** Last 10 events, oldest first. */
  lastEvents: Cs2RecentEvent[];
}

export const LAST_EVENTS = 10;
export const EQUIPMENT_ROUNDS = 30;
export const PLAYERS_PER_TEAM = 5;
/** A best-of-5 has at most 5 maps; a feed that sends more map ends only moves the counters. */
export const MAX_MAPS = 5;

/** Everything that belongs to one map and starts over on the next. */
export function freshMap(): Pick<
  Cs2State,
  "round" | "roundInProgress" | "roundScore" | "equipmentValue" | "equipmentByRound" | "alive" | "bomb"
> {
  return {
    round: 0,
    roundInProgress: false,
    roundScore: [0, 0],
    equipmentValue: [0, 0],
    equipmentByRound: [],
    alive: [PLAYERS_PER_TEAM, PLAYERS_PER_TEAM],
    bomb: "none",
  };
}

export function initialCs2State(): Cs2State {
  return {
    status: "scheduled",
    bestOf: 1,
    mapsWon: [0, 0],
    score: [0, 0],
    currentMap: null,
    ...freshMap(),
    kills: [0, 0],
    headshots: [0, 0],
    mapStart: { kills: [0, 0], headshots: [0, 0] },
    mapWinners: [],
    mapResults: [],
    winner: null,
    lastEvents: [],
  };
}

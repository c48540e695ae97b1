import type { SportModule, TeamStrength, WinProbability } from "../sport";
import { cs2EventTypes, cs2PayloadSchemas, cs2TeamEventTypes } from "./events";
import { CS2_MODEL_VERSION, type Cs2Features, cs2WinProbability } from "./model";
import { applyCs2Event } from "./reducer";
import { type Cs2State, initialCs2State, PLAYERS_PER_TEAM } from "./state";

export type { Cs2EventType, Cs2Payloads, RoundEndReason, Side } from "./events";
export { team1SideForRound } from "./sides";
export type { BombState, Cs2MapInfo, Cs2MapResult, Cs2RecentEvent, Cs2State } from "./state";
export { applyCs2Event, initialCs2State };

export function cs2Features(state: Cs2State, strength: TeamStrength): Cs2Features {
  // Between rounds the last round is already in roundScore: feed a fresh round so it is not counted twice,
  // with equal (unknown) equipment: the next buy is not known until round_start.
  const live = state.roundInProgress;
  return {
    bestOf: state.bestOf,
    mapsWon: [state.mapsWon[0], state.mapsWon[1]],
    roundScore: [state.roundScore[0], state.roundScore[1]],
    team1Side: state.currentMap?.team1Side ?? "CT",
    equipmentValue: live ? [state.equipmentValue[0], state.equipmentValue[1]] : [0, 0],
    alive: live ? [state.alive[0], state.alive[1]] : [PLAYERS_PER_TEAM, PLAYERS_PER_TEAM],
    bomb: live && (state.bomb === "planted" || state.bomb === "defused") ? state.bomb : "none",
    rating: [strength.rating[0], strength.rating[1]],
    // The server's format when map_start gave it (e.g. MR15): the map recursion counts rounds by it.
    ...(state.currentMap?.maxRounds === undefined ? {} : { maxRounds: state.currentMap.maxRounds }),
    ...(state.currentMap?.overtimeMaxRounds === undefined
      ? {}
      : { overtimeMaxRounds: state.currentMap.overtimeMaxRounds }),
  };
}

export function cs2WinProbabilityOf(state: Cs2State, strength: TeamStrength): WinProbability {
  if (state.status === "finished" && state.winner !== null) {
    const team1 = state.winner === 1 ? 1 : 0;
    return { pTeam1: team1, pTeam2: 1 - team1, modelVersion: CS2_MODEL_VERSION };
  }
  const { pMatch } = cs2WinProbability(cs2Features(state, strength));
  return { pTeam1: pMatch, pTeam2: 1 - pMatch, modelVersion: CS2_MODEL_VERSION };
}

export const cs2: SportModule<Cs2State> = {
  sport: "cs2",
  eventTypes: cs2EventTypes,
  teamEventTypes: cs2TeamEventTypes,
  payloadSchemas: cs2PayloadSchemas,
  modelVersion: CS2_MODEL_VERSION,
  initialState: initialCs2State,
  applyEvent: applyCs2Event,
  winProbability: cs2WinProbabilityOf,
};

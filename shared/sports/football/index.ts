import type { SportModule, TeamStrength, WinProbability } from "../sport";
import { footballEventTypes, footballPayloadSchemas, footballTeamEventTypes } from "./events";
import { FOOTBALL_MODEL_VERSION, type FootballFeatures, footballWinProbability } from "./model";
import { applyFootballEvent } from "./reducer";
import { type FootballState, initialFootballState } from "./state";

export type { FootballEventType, FootballPayloads } from "./events";
export type { FootballRecentEvent, FootballState } from "./state";
export { applyFootballEvent, initialFootballState };

/**
 * Feeds record stoppage time as minute 45 or 90, and the model treats minute 90 as full time; until the
 * final whistle a live match keeps a little time on the clock. Extra time is not modelled: it is
 * predicted as the last minutes of normal time.
 */
export const LIVE_MINUTE_CAP = 89;

export function footballFeatures(state: FootballState, strength: TeamStrength): FootballFeatures {
  return {
    minute: Math.min(state.minute, LIVE_MINUTE_CAP),
    score: [state.score[0], state.score[1]],
    redCards: [state.redCards[0], state.redCards[1]],
    elo: [strength.rating[0], strength.rating[1]],
    neutral: strength.neutral,
  };
}

/** Once the match is over there is nothing to predict: the result is certain (shoot-out breaks a level score). */
function finalOutcome(state: FootballState): [number, number, number] {
  const [g1, g2] = state.score;
  const [p1, p2] = g1 === g2 ? state.penaltyShootout : state.score;
  return p1 > p2 ? [1, 0, 0] : p1 < p2 ? [0, 0, 1] : [0, 1, 0];
}

export function footballWinProbabilityOf(state: FootballState, strength: TeamStrength): WinProbability {
  const [pTeam1, pDraw, pTeam2] =
    state.status === "finished" ? finalOutcome(state) : footballWinProbability(footballFeatures(state, strength));
  return { pTeam1, pDraw, pTeam2, modelVersion: FOOTBALL_MODEL_VERSION };
}

export const football: SportModule<FootballState> = {
  sport: "football",
  eventTypes: footballEventTypes,
  teamEventTypes: footballTeamEventTypes,
  payloadSchemas: footballPayloadSchemas,
  modelVersion: FOOTBALL_MODEL_VERSION,
  initialState: initialFootballState,
  applyEvent: applyFootballEvent,
  winProbability: footballWinProbabilityOf,
};

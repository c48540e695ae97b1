import type { SportModule, TeamStrength, WinProbability } from "../sport";
import { footballEventTypes, footballPayloadSchemas, footballTeamEventTypes } from "./events";
import { FOOTBALL_MODEL_VERSION, type FootballFeatures, footballPrediction } from "./model";
import { applyFootballEvent } from "./reducer";
import { type FootballState, initialFootballState } from "./state";

export type { FootballEventType, FootballPayloads } from "./events";
export type { FootballRecentEvent, FootballState } from "./state";
export { applyFootballEvent, initialFootballState };

/**
 * Feeds record stoppage time as minute 45 or 90, and the model treats minute 90 as full time; until the
 * final whistle a live match keeps a little time on the clock. In a knockout match's extra time (period 3, 4)
 * the clock runs on to 120 (likewise capped just before the end); in a league match extra time does not exist.
 */
export const LIVE_MINUTE_CAP = 89;
export const EXTRA_TIME_MINUTE_CAP = 119;

/**
 * What the football predictor reads besides the state. `knockout` (a level score at 90 goes to extra time and a
 * shoot-out) is not in the shared `TeamStrength` yet; it is read here when the caller provides it.
 */
export type FootballStrength = TeamStrength;

const EXTRA_TIME_PERIOD = 3;
const SHOOTOUT_PERIOD = 5;

export function footballFeatures(state: FootballState, strength: FootballStrength): FootballFeatures {
  const knockout = strength.knockout === true;
  const extraTime = knockout && state.period >= EXTRA_TIME_PERIOD;
  return {
    minute: extraTime
      ? state.period >= SHOOTOUT_PERIOD
        ? 120 // extra time is over: only the shoot-out is left
        : Math.min(Math.max(state.minute, 90.01), EXTRA_TIME_MINUTE_CAP)
      : Math.min(state.minute, LIVE_MINUTE_CAP),
    score: [state.score[0], state.score[1]],
    redCards: [state.redCards[0], state.redCards[1]],
    elo: [strength.rating[0], strength.rating[1]],
    neutral: strength.neutral,
    ...(knockout ? { knockout } : {}),
  };
}

type Triple = [number, number, number];
const outcome = (a: number, b: number): Triple => (a > b ? [1, 0, 0] : a < b ? [0, 0, 1] : [0, 1, 0]);

/**
 * Once the match is over there is nothing to predict. Without knockout metadata a level score is broken by the
 * shoot-out (as before); in a knockout match the 90-minute result of a match that went to extra time is a draw,
 * and who goes through is the final score, then the shoot-out.
 */
function finalOutcome(state: FootballState, knockout: boolean): { result: Triple; advance?: [number, number] } {
  const [g1, g2] = state.score;
  const [s1, s2] = state.penaltyShootout;
  if (!knockout) return { result: g1 === g2 ? outcome(s1, s2) : outcome(g1, g2) };
  const through = g1 === g2 ? outcome(s1, s2) : outcome(g1, g2);
  const result = state.period >= EXTRA_TIME_PERIOD ? outcome(0, 0) : outcome(g1, g2);
  return { result, advance: [through[0] + through[1] / 2, through[2] + through[1] / 2] };
}

export function footballWinProbabilityOf(state: FootballState, strength: FootballStrength): WinProbability {
  const knockout = strength.knockout === true;
  const p =
    state.status === "finished" ? finalOutcome(state, knockout) : footballPrediction(footballFeatures(state, strength));
  const [pTeam1, pDraw, pTeam2] = p.result;
  const out: WinProbability = { pTeam1, pDraw, pTeam2, modelVersion: FOOTBALL_MODEL_VERSION };
  if (p.advance) {
    out.pAdvanceTeam1 = p.advance[0];
    out.pAdvanceTeam2 = p.advance[1];
  }
  return out;
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

import type { BaseSportState, Pair, TeamSide } from "../sport";

/** A compact trace of the most recent events, for live tickers. */
export interface FootballRecentEvent {
  eventId: string;
  type: string;
  teamId?: TeamSide;
  minute?: number;
  playerId?: string;
}

export interface FootballState extends BaseSportState {
  status: "scheduled" | "live" | "half_time" | "finished";
  /** 0 before kick-off; 1, 2 halves; 3, 4 extra time; 5 penalty shoot-out. */
  period: number;
  /** Highest minute seen so far (events may arrive slightly out of order). */
  minute: number;
  /** Goals in play (regulation + extra time); shoot-out kicks are kept apart in `penaltyShootout`. */
  score: Pair;
  penaltyShootout: Pair;
  yellowCards: Pair;
  /** Straight reds plus second yellows. */
  redCards: Pair;
  shots: Pair;
  shotsOnTarget: Pair;
  corners: Pair;
  fouls: Pair;
  offsides: Pair;
  passes: Pair;
  freeKicks: Pair;
  interceptions: Pair;
  substitutions: Pair;
  /** Players ("team:player") already on a yellow, so a second yellow becomes a red (at most MAX_PLAYERS_LISTED). */
  cautioned: string[];
  /** Players ("team:player") already sent off, so a red_card following a second yellow is not counted twice. */
  sentOff: string[];
  /** A video review is under way (var_review until var_decision). */
  varReview: boolean;
  /** Last 10 events, oldest first. */
  lastEvents: FootballRecentEvent[];
}

export const LAST_EVENTS = 10;
/**
 * `cautioned` and `sentOff` keep at most this many players (the latest): a real match books far fewer,
 * and the state travels in every frame. A player dropped from the list is only not linked any more.
 */
export const MAX_PLAYERS_LISTED = 64;

export function initialFootballState(): FootballState {
  return {
    status: "scheduled",
    period: 0,
    minute: 0,
    score: [0, 0],
    penaltyShootout: [0, 0],
    yellowCards: [0, 0],
    redCards: [0, 0],
    shots: [0, 0],
    shotsOnTarget: [0, 0],
    corners: [0, 0],
    fouls: [0, 0],
    offsides: [0, 0],
    passes: [0, 0],
    freeKicks: [0, 0],
    interceptions: [0, 0],
    substitutions: [0, 0],
    cautioned: [],
    sentOff: [],
    varReview: false,
    lastEvents: [],
  };
}

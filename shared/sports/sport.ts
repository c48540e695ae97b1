// The one interface every sport implements. Adding a sport = a folder under shared/sports/
// exporting a SportModule, plus one line in shared/sports/index.ts. No I/O here.
import type { z } from "zod";
import type { WinProbability } from "../contract/prediction";

export type TeamSide = 1 | 2;
export type Pair<T = number> = [T, T];

/** A validated event as it travels from ingest to the match room (contract v1). */
export interface MatchEvent {
  eventId: string;
  matchId: string;
  sport: string;
  type: string;
  timestamp: string;
  seq?: number;
  teamId?: TeamSide;
  playerId?: string;
  payload?: Record<string, unknown>;
}

/** What every sport's live state has in common; sports add their own fields. */
export interface BaseSportState {
  status: "scheduled" | "live" | "half_time" | "finished" | (string & {});
  score: Pair;
}

/** Pre-match strength of the two teams (Elo-style ratings; team 1 is the home side). */
export interface TeamStrength {
  rating: Pair;
  neutral: boolean;
}

export type { WinProbability } from "../contract/prediction";

export interface SportModule<State extends BaseSportState = BaseSportState> {
  readonly sport: string;
  /** Every event type the sport accepts. */
  readonly eventTypes: readonly string[];
  /** Types whose events must name the team they belong to (teamId). */
  readonly teamEventTypes: ReadonlySet<string>;
  /** Strict zod schema of the payload per type; a type absent here accepts no payload fields. */
  readonly payloadSchemas: Readonly<Record<string, z.ZodType>>;
  /** Version string of the win-probability model this module runs. */
  readonly modelVersion: string;
  initialState(): State;
  /** Pure reducer: returns a new state, never mutates its input. */
  applyEvent(state: State, event: MatchEvent): State;
  winProbability(state: State, strength: TeamStrength): WinProbability;
}

// The one interface every sport implements. Adding a sport = a folder under shared/sports/
// exporting a SportModule, plus one line in shared/sports/index.ts. No I/O here.
import type { z } from "zod";
import type { MatchEvent } from "../contract/event";
import type { WinProbability } from "../contract/prediction";

export type TeamSide = 1 | 2;
export type Pair<T = number> = [T, T];

export type { MatchEvent } from "../contract/event";

/**
 * What every event has besides its type and payload. A sport's typed event union is
 * `{ [K in Type]: EventEnvelope & { type: K; payload?: Payloads[K] } }[Type]` (see helpers.ts).
 */
export type EventEnvelope = Omit<MatchEvent, "type" | "payload">;

/**
 * What every sport's live state has in common; sports add their own fields. A type, not an interface:
 * it is spread into frame states, whose schema admits any further field (an index signature).
 */
export type BaseSportState = {
  status: "scheduled" | "live" | "half_time" | "finished" | (string & {});
  score: Pair;
};

/** Pre-match strength of the two teams (Elo-style ratings; team 1 is the home side). */
export interface TeamStrength {
  rating: Pair;
  neutral: boolean;
  /** A knockout tie (football): a level score at 90 minutes goes to extra time and a shoot-out. */
  knockout?: boolean;
}

export type { WinProbability } from "../contract/prediction";

/**
 * A sport's typed events: one member per type, with that type's payload (validated by its schema), so
 * a reducer's `switch (event.type)` narrows the payload without casts.
 */
export type TypedEvent<Payloads extends Record<string, object>> = {
  [K in keyof Payloads & string]: EventEnvelope & { type: K; payload?: Payloads[K] };
}[keyof Payloads & string];

/**
 * `Event` is the sport's typed event union. The registry (shared/sports/index.ts) holds every sport as
 * `SportModule` (base state, MatchEvent): the boundary where a MatchEvent becomes the sport's own event
 * type. It is sound because the room only applies events that `parseEvent` validated against the
 * sport's payload schema for their type; `applyEvent` is a method, so TypeScript admits the narrowing.
 */
export interface SportModule<State extends BaseSportState = BaseSportState, Event extends MatchEvent = MatchEvent> {
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
  applyEvent(state: State, event: Event): State;
  winProbability(state: State, strength: TeamStrength): WinProbability;
}

// A match as the simulators draft it: events on a clock (ms since kick-off / match start), in any order.
// toMatchEvents puts them in time order and stamps the envelope (eventId, seq, timestamp) of contract v1.

import type { Rng } from "../../shared/random";
import type { MatchEvent, TeamSide } from "../../shared/sports/sport";

export interface DraftEvent {
  /** Milliseconds after the match's start instant. */
  atMs: number;
  type: string;
  teamId?: TeamSide;
  playerId?: string;
  payload?: Record<string, unknown>;
}

export interface DraftContext {
  matchId: string;
  sport: string;
  start: Date;
  /** Stream the eventIds are drawn from, in seq order: reruns with the same seed get the same ids. */
  ids: Rng;
}

/** Stable sort by time, so events drafted at the same instant keep the order they were drafted in. */
export function toMatchEvents(drafts: readonly DraftEvent[], ctx: DraftContext): MatchEvent[] {
  const startMs = ctx.start.getTime();
  return [...drafts]
    .sort((a, b) => a.atMs - b.atMs)
    .map((d, i) => {
      const event: MatchEvent = {
        eventId: ctx.ids.uuid(),
        matchId: ctx.matchId,
        sport: ctx.sport,
        type: d.type,
        timestamp: new Date(startMs + Math.round(d.atMs)).toISOString(),
        seq: i + 1,
      };
      if (d.teamId !== undefined) event.teamId = d.teamId;
      if (d.playerId !== undefined) event.playerId = d.playerId;
      if (d.payload !== undefined) event.payload = d.payload;
      return event;
    });
}

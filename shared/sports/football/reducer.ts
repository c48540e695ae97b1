// Football reducer: folds one validated event into the live state. Pure and copy-on-write, so the
// room can keep the previous state (snapshots, rollbacks) without defensive cloning.
import { appendCapped, bump } from "../helpers";
import type { TeamSide } from "../sport";
import { type FootballEvent, type FootballEventType, footballTeamEventTypes } from "./events";
import { type FootballRecentEvent, type FootballState, LAST_EVENTS, MAX_PLAYERS_LISTED } from "./state";

type Counter = "shots" | "passes" | "fouls" | "offsides" | "corners" | "freeKicks" | "interceptions" | "substitutions";

const counters = new Map<FootballEventType, Counter>([
  ["shot", "shots"],
  ["pass", "passes"],
  ["foul", "fouls"],
  ["offside", "offsides"],
  ["corner", "corners"],
  ["free_kick", "freeKicks"],
  ["interception", "interceptions"],
  ["substitution", "substitutions"],
]);

type LifecycleEvent = Extract<FootballEvent, { type: "match_start" | "period_start" | "period_end" | "match_end" }>;
type InPlayEvent = Exclude<
  FootballEvent,
  LifecycleEvent | { type: "var_review" | "var_decision" | "retract" | "amend" }
>;
type CardEvent = Extract<FootballEvent, { type: "yellow_card" | "red_card" }>;

const isLifecycle = (event: FootballEvent): event is LifecycleEvent =>
  event.type === "match_start" ||
  event.type === "period_start" ||
  event.type === "period_end" ||
  event.type === "match_end";

function recent(list: FootballRecentEvent[], event: FootballEvent, minute: number | undefined): FootballRecentEvent[] {
  const entry: FootballRecentEvent = { eventId: event.eventId, type: event.type };
  if (event.teamId !== undefined) entry.teamId = event.teamId;
  if (minute !== undefined) entry.minute = minute;
  if (event.playerId !== undefined) entry.playerId = event.playerId;
  return appendCapped(list, entry, LAST_EVENTS);
}

function lifecycleStep(state: FootballState, event: LifecycleEvent): FootballState {
  // A finished match stays finished: late or replayed lifecycle events only show up in lastEvents.
  if (state.status === "finished") return state;
  switch (event.type) {
    case "match_start":
      return state.status === "scheduled" ? { ...state, status: "live", period: Math.max(state.period, 1) } : state;
    case "period_start": {
      const period = event.payload?.period;
      if (period === undefined || period < state.period) return state;
      return { ...state, status: "live", period };
    }
    case "period_end": {
      const period = event.payload?.period;
      if (period === undefined || period < state.period) return state;
      // Intervals after the 1st half and the 1st extra-time half; other period ends await the next event.
      return { ...state, period, status: period === 1 || period === 3 ? "half_time" : state.status };
    }
    case "match_end":
      return { ...state, status: "finished" };
  }
}

function cards(state: FootballState, event: CardEvent, team: TeamSide): FootballState {
  // Without a player we can still count the card, just not link a second yellow to the first.
  const key = event.playerId === undefined ? undefined : `${team}:${event.playerId}`;
  const alreadyOff = key !== undefined && state.sentOff.includes(key);
  if (event.type === "red_card") {
    if (alreadyOff) return state; // the red that feeds send after a second yellow is already counted
    return {
      ...state,
      redCards: bump(state.redCards, team),
      sentOff: key === undefined ? state.sentOff : appendCapped(state.sentOff, key, MAX_PLAYERS_LISTED),
    };
  }
  const yellowCards = bump(state.yellowCards, team);
  if (key === undefined || alreadyOff) return { ...state, yellowCards };
  if (state.cautioned.includes(key)) {
    return {
      ...state,
      yellowCards,
      redCards: bump(state.redCards, team),
      sentOff: appendCapped(state.sentOff, key, MAX_PLAYERS_LISTED),
    };
  }
  return { ...state, yellowCards, cautioned: appendCapped(state.cautioned, key, MAX_PLAYERS_LISTED) };
}

function inPlayStep(state: FootballState, event: InPlayEvent, team: TeamSide): FootballState {
  switch (event.type) {
    case "goal":
      // Shoot-out kicks decide the winner but are not part of the match score.
      return state.period === 5
        ? { ...state, penaltyShootout: bump(state.penaltyShootout, team) }
        : { ...state, score: bump(state.score, team) };
    case "shot": {
      const next = { ...state, shots: bump(state.shots, team) };
      if (event.payload?.onTarget === true) next.shotsOnTarget = bump(state.shotsOnTarget, team);
      return next;
    }
    case "yellow_card":
    case "red_card":
      return cards(state, event, team);
    default: {
      const counter = counters.get(event.type);
      return counter === undefined ? state : { ...state, [counter]: bump(state[counter], team) };
    }
  }
}

export function applyFootballEvent(state: FootballState, event: FootballEvent): FootballState {
  const p = event.payload;
  const minute = p !== undefined && "minute" in p ? p.minute : undefined;
  let next: FootballState;
  if (event.type === "var_review" || event.type === "var_decision") {
    // The decision itself changes nothing: a retract or amend of the reviewed event does.
    next = { ...state, varReview: event.type === "var_review" };
  } else if (event.type === "retract" || event.type === "amend") {
    next = state; // applied by the match room to its event log, never folded here
  } else if (isLifecycle(event)) {
    next = lifecycleStep(state, event);
  } else if (event.teamId !== undefined && footballTeamEventTypes.has(event.type)) {
    next = inPlayStep(state, event, event.teamId);
    // An in-play event proves the match is on even if its match_start/period_start was lost.
    if (next.status === "scheduled") next = { ...next, status: "live", period: Math.max(next.period, 1) };
  } else {
    next = state; // unknown type or a team event without a team (never passes the contract): only traced
  }
  return {
    ...next,
    minute: minute !== undefined && minute > next.minute ? minute : next.minute,
    lastEvents: recent(next.lastEvents, event, minute),
  };
}

// Football reducer: folds one validated event into the live state. Pure and copy-on-write, so the
// room can keep the previous state (snapshots, rollbacks) without defensive cloning.
import type { MatchEvent, Pair, TeamSide } from "../sport";
import { footballTeamEventTypes } from "./events";
import { type FootballRecentEvent, type FootballState, LAST_EVENTS } from "./state";

type Counter = "shots" | "passes" | "fouls" | "offsides" | "corners" | "freeKicks" | "interceptions" | "substitutions";

const counters = new Map<string, Counter>([
  ["shot", "shots"],
  ["pass", "passes"],
  ["foul", "fouls"],
  ["offside", "offsides"],
  ["corner", "corners"],
  ["free_kick", "freeKicks"],
  ["interception", "interceptions"],
  ["substitution", "substitutions"],
]);

const lifecycle = new Set(["match_start", "period_start", "period_end", "match_end"]);

function bump(pair: Pair, team: TeamSide): Pair {
  return team === 1 ? [pair[0] + 1, pair[1]] : [pair[0], pair[1] + 1];
}

function recent(list: FootballRecentEvent[], event: MatchEvent, minute: number | undefined): FootballRecentEvent[] {
  const entry: FootballRecentEvent = { eventId: event.eventId, type: event.type };
  if (event.teamId !== undefined) entry.teamId = event.teamId;
  if (minute !== undefined) entry.minute = minute;
  if (event.playerId !== undefined) entry.playerId = event.playerId;
  const next = list.length >= LAST_EVENTS ? list.slice(list.length - LAST_EVENTS + 1) : list.slice();
  next.push(entry);
  return next;
}

function lifecycleStep(state: FootballState, event: MatchEvent): FootballState {
  // A finished match stays finished: late or replayed lifecycle events only show up in lastEvents.
  if (state.status === "finished") return state;
  const period = typeof event.payload?.period === "number" ? event.payload.period : undefined;
  switch (event.type) {
    case "match_start":
      return state.status === "scheduled" ? { ...state, status: "live", period: Math.max(state.period, 1) } : state;
    case "period_start":
      if (period === undefined || period < state.period) return state;
      return { ...state, status: "live", period };
    case "period_end":
      if (period === undefined || period < state.period) return state;
      // Intervals after the 1st half and the 1st extra-time half; other period ends await the next event.
      return { ...state, period, status: period === 1 || period === 3 ? "half_time" : state.status };
    case "match_end":
      return { ...state, status: "finished" };
    default:
      return state;
  }
}

function cards(state: FootballState, event: MatchEvent, team: TeamSide): FootballState {
  // Without a player we can still count the card, just not link a second yellow to the first.
  const key = event.playerId === undefined ? undefined : `${team}:${event.playerId}`;
  const alreadyOff = key !== undefined && state.sentOff.includes(key);
  if (event.type === "red_card") {
    if (alreadyOff) return state; // the red that feeds send after a second yellow is already counted
    return {
      ...state,
      redCards: bump(state.redCards, team),
      sentOff: key === undefined ? state.sentOff : [...state.sentOff, key],
    };
  }
  const yellowCards = bump(state.yellowCards, team);
  if (key === undefined || alreadyOff) return { ...state, yellowCards };
  if (state.cautioned.includes(key)) {
    return { ...state, yellowCards, redCards: bump(state.redCards, team), sentOff: [...state.sentOff, key] };
  }
  return { ...state, yellowCards, cautioned: [...state.cautioned, key] };
}

function inPlayStep(state: FootballState, event: MatchEvent, team: TeamSide): FootballState {
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

export function applyFootballEvent(state: FootballState, event: MatchEvent): FootballState {
  const minute = typeof event.payload?.minute === "number" ? event.payload.minute : undefined;
  let next: FootballState;
  if (lifecycle.has(event.type)) {
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

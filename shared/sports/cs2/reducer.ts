// CS2 reducer: folds one validated event into the live state. Pure and copy-on-write.
import type { MatchEvent, Pair, TeamSide } from "../sport";
import type { Cs2Payloads, Side } from "./events";
import { team1SideForRound } from "./sides";
import {
  type BombState,
  type Cs2RecentEvent,
  type Cs2State,
  EQUIPMENT_ROUNDS,
  freshMap,
  LAST_EVENTS,
  PLAYERS_PER_TEAM,
} from "./state";

function bump(pair: Pair, team: TeamSide): Pair {
  return team === 1 ? [pair[0] + 1, pair[1]] : [pair[0], pair[1] + 1];
}

const other = (team: TeamSide): TeamSide => (team === 1 ? 2 : 1);

function recent(list: Cs2RecentEvent[], event: MatchEvent): Cs2RecentEvent[] {
  const entry: Cs2RecentEvent = { eventId: event.eventId, type: event.type };
  if (event.teamId !== undefined) entry.teamId = event.teamId;
  const round = event.payload?.round;
  if (typeof round === "number") entry.round = round;
  if (event.playerId !== undefined) entry.playerId = event.playerId;
  const next = list.length >= LAST_EVENTS ? list.slice(list.length - LAST_EVENTS + 1) : list.slice();
  next.push(entry);
  return next;
}

function withSide(state: Cs2State, round: number): Cs2State["currentMap"] {
  const map = state.currentMap;
  if (map === null) return null;
  const team1Side: Side = team1SideForRound(map.team1StartingSide, round);
  return team1Side === map.team1Side ? map : { ...map, team1Side };
}

// The payload passed the contract's schema for its type, so the casts below only name what is there.
function step(state: Cs2State, event: MatchEvent): Cs2State {
  const team = event.teamId;
  switch (event.type) {
    case "match_start": {
      const p = event.payload as Cs2Payloads["match_start"] | undefined;
      return p === undefined ? state : { ...state, bestOf: p.bestOf };
    }
    case "map_start": {
      const p = event.payload as Cs2Payloads["map_start"] | undefined;
      if (p === undefined) return state;
      const currentMap = {
        number: p.mapNumber,
        name: p.mapName,
        team1Side: p.startingSide,
        team1StartingSide: p.startingSide,
      };
      return { ...state, ...freshMap(), currentMap };
    }
    case "round_start": {
      const p = event.payload as Cs2Payloads["round_start"] | undefined;
      if (p === undefined) return state;
      const eq = p.equipmentValue;
      const equipmentByRound =
        eq === undefined
          ? state.equipmentByRound
          : [...state.equipmentByRound.filter((r) => r.round !== p.round), { round: p.round, ...eq }].slice(
              -EQUIPMENT_ROUNDS,
            );
      return {
        ...state,
        round: p.round,
        roundInProgress: true,
        currentMap: withSide(state, p.round),
        alive: [PLAYERS_PER_TEAM, PLAYERS_PER_TEAM],
        bomb: "none",
        equipmentValue: eq === undefined ? [0, 0] : [eq.team1, eq.team2],
        equipmentByRound,
      };
    }
    case "kill": {
      const p = event.payload as Cs2Payloads["kill"] | undefined;
      if (team === undefined || p === undefined) return state;
      const victim = p.victimTeamId ?? other(team);
      const alive: Pair = [...state.alive];
      alive[victim - 1] = Math.max(0, alive[victim - 1]! - 1);
      if (victim === team) return { ...state, alive }; // team kill: no credit
      return {
        ...state,
        alive,
        kills: bump(state.kills, team),
        headshots: p.headshot === true ? bump(state.headshots, team) : state.headshots,
      };
    }
    case "bomb_planted":
      return { ...state, bomb: "planted" };
    case "bomb_defused":
      return { ...state, bomb: "defused" };
    case "round_end": {
      const p = event.payload as Cs2Payloads["round_end"] | undefined;
      if (team === undefined) return state;
      const roundScore = bump(state.roundScore, team);
      const bomb: BombState =
        p?.reason === "bomb_exploded" ? "exploded" : p?.reason === "bomb_defused" ? "defused" : state.bomb;
      // Between rounds the map shows the side team 1 plays next, so a half-time swap shows at once.
      return {
        ...state,
        roundScore,
        roundInProgress: false,
        bomb,
        currentMap: withSide(state, roundScore[0] + roundScore[1] + 1),
      };
    }
    case "map_end": {
      if (team === undefined) return state;
      const p = event.payload as Cs2Payloads["map_end"] | undefined;
      const mapsWon = bump(state.mapsWon, team);
      const result = {
        number: state.currentMap?.number ?? p?.mapNumber ?? state.mapResults.length + 1,
        name: state.currentMap?.name ?? "",
        roundScore: state.roundScore,
        winner: team,
      };
      return {
        ...state,
        ...freshMap(),
        currentMap: null,
        mapsWon,
        score: mapsWon,
        mapWinners: [...state.mapWinners, team],
        mapResults: [...state.mapResults, result],
      };
    }
    case "match_end": {
      if (state.status === "finished") return state;
      const [m1, m2] = state.mapsWon;
      const winner: TeamSide | null = team ?? (m1 > m2 ? 1 : m2 > m1 ? 2 : null);
      return { ...state, status: "finished", winner, roundInProgress: false };
    }
    default:
      return state; // a type this version does not know: only traced
  }
}

export function applyCs2Event(state: Cs2State, event: MatchEvent): Cs2State {
  let next = step(state, event);
  // Any event proves the match is on, even if match_start was lost; finished stays finished.
  if (next.status === "scheduled" && event.type !== "match_end") next = { ...next, status: "live" };
  return { ...next, lastEvents: recent(next.lastEvents, event) };
}

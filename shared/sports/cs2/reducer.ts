// CS2 reducer: folds one validated event into the live state. Pure and copy-on-write.
import { appendCapped, bump, otherTeam } from "../helpers";
import type { Pair, TeamSide } from "../sport";
import type { Cs2Event, Side } from "./events";
import { DEFAULT_MAP_FORMAT, team1SideForRound } from "./sides";
import {
  type BombState,
  type Cs2MapInfo,
  type Cs2RecentEvent,
  type Cs2State,
  EQUIPMENT_ROUNDS,
  freshMap,
  LAST_EVENTS,
  MAX_MAPS,
  PLAYERS_PER_TEAM,
} from "./state";

function recent(list: Cs2RecentEvent[], event: Cs2Event): Cs2RecentEvent[] {
  const entry: Cs2RecentEvent = { eventId: event.eventId, type: event.type };
  if (event.teamId !== undefined) entry.teamId = event.teamId;
  const p = event.payload;
  if (p !== undefined && "round" in p) entry.round = p.round;
  if (event.playerId !== undefined) entry.playerId = event.playerId;
  return appendCapped(list, entry, LAST_EVENTS);
}

function withSide(state: Cs2State, round: number): Cs2State["currentMap"] {
  const map = state.currentMap;
  if (map === null) return null;
  const format = {
    maxRounds: map.maxRounds ?? DEFAULT_MAP_FORMAT.maxRounds,
    overtimeMaxRounds: map.overtimeMaxRounds ?? DEFAULT_MAP_FORMAT.overtimeMaxRounds,
  };
  const team1Side: Side = team1SideForRound(map.team1StartingSide, round, format);
  return team1Side === map.team1Side ? map : { ...map, team1Side };
}

function step(state: Cs2State, event: Cs2Event): Cs2State {
  const team = event.teamId;
  switch (event.type) {
    case "match_start": {
      const p = event.payload;
      return p === undefined ? state : { ...state, bestOf: p.bestOf };
    }
    case "map_start": {
      const p = event.payload;
      if (p === undefined) return state;
      const currentMap: Cs2MapInfo = {
        number: p.mapNumber,
        name: p.mapName,
        team1Side: p.startingSide,
        team1StartingSide: p.startingSide,
      };
      if (p.maxRounds !== undefined) currentMap.maxRounds = p.maxRounds;
      if (p.overtimeMaxRounds !== undefined) currentMap.overtimeMaxRounds = p.overtimeMaxRounds;
      return { ...state, ...freshMap(), currentMap, mapStart: { kills: state.kills, headshots: state.headshots } };
    }
    case "map_restart": {
      // mp_restartgame: the map starts over on its starting sides; its kills stop counting.
      const map = state.currentMap;
      return {
        ...state,
        ...freshMap(),
        currentMap: map === null ? null : { ...map, team1Side: map.team1StartingSide },
        kills: state.mapStart.kills,
        headshots: state.mapStart.headshots,
      };
    }
    case "retract":
    case "amend":
      return state; // applied by the match room to its event log, never folded here
    case "round_start": {
      const p = event.payload;
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
      const p = event.payload;
      if (team === undefined || p === undefined) return state;
      const victim = p.victimTeamId ?? otherTeam(team);
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
      const p = event.payload;
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
      const p = event.payload;
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
        mapStart: { kills: state.kills, headshots: state.headshots },
        mapsWon,
        score: mapsWon,
        mapWinners: appendCapped(state.mapWinners, team, MAX_MAPS),
        mapResults: appendCapped(state.mapResults, result, MAX_MAPS),
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

export function applyCs2Event(state: Cs2State, event: Cs2Event): Cs2State {
  let next = step(state, event);
  // Any event proves the match is on, even if match_start was lost; finished stays finished.
  if (next.status === "scheduled" && event.type !== "match_end") next = { ...next, status: "live" };
  return { ...next, lastEvents: recent(next.lastEvents, event) };
}

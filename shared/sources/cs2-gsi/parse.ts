// CS2 Game State Integration (GSI) POST bodies → contract v1 events. Pure: one body and the cursor the
// previous body returned go in, events and the next cursor come out; the cursor is plain JSON, so the
// ingest endpoint stores it between the client's POSTs.
//
// A GSI body is a snapshot of what one game client sees (map, round, the player), plus `previously` /
// `added` (what changed since its last POST). Events come from diffing the snapshot against the cursor's
// summary of the last one, so a lost POST costs detail (a round's reason), never a round: the map's
// team scores say how many rounds ended and who won them.
//
// Team 1 is the team on CT in the first live state (or the team named team1Name when the server names
// teams). Sides swap at half-time (phase `intermission`, then `team_ct`/`team_t` trade scores); the team
// on each side is followed by, in order: team names, the client owner's own team (a player stays with
// their team), the scores (a team's score never goes down), and leaving intermission.
//
// Exactly once: bodies carry `provider.timestamp` (seconds). An older body than the last processed is
// stale (a newer snapshot already superseded it) and a body already seen at the same second is a replay:
// both change nothing. eventIds are UUID v5 of (source, match, seq), as in every adapter.

import { z } from "zod";
import type { RoundEndReason, Side } from "../../sports/cs2/events";
import type { MatchEvent, Pair, TeamSide } from "../../sports/sport";
import { sha1, sourceEventId } from "../ids";
import { type ParsedBatch, pushIssue, type SourceIssue } from "../source";

const name = z.string().max(256);
const score = z.int().min(0).max(1000);
const phase = z.string().max(32);
const team = z.looseObject({ score: score.optional(), name: name.optional() });

/** What the parser reads of a GSI body; every other field (player state, weapons, allplayers…) passes. */
export const gsiBodySchema = z.looseObject({
  provider: z
    .looseObject({ timestamp: z.int().min(0).max(4_102_444_800).optional(), steamid: name.optional() })
    .optional(),
  map: z
    .looseObject({
      name: name.optional(),
      mode: name.optional(),
      phase: phase.optional(),
      round: z.int().min(0).max(1000).optional(),
      team_ct: team.optional(),
      team_t: team.optional(),
    })
    .optional(),
  round: z.looseObject({ phase: phase.optional(), bomb: phase.optional(), win_team: phase.optional() }).optional(),
  player: z.looseObject({ steamid: name.optional(), team: phase.optional() }).optional(),
  previously: z.unknown().optional(),
  added: z.unknown().optional(),
  auth: z.looseObject({ token: z.string().max(256).optional() }).optional(),
});

export type GsiBody = z.infer<typeof gsiBodySchema>;

export interface GsiMap {
  number: number;
  name: string;
  /** The side team 1 started this map (or its last restart) on, and the side it is on now. */
  startingSide: Side;
  team1Side: Side;
  /** Rounds won on this map, by team. */
  score: Pair;
  /** The last round a round_start was emitted for (0: none yet). */
  roundStarted: number;
  /** The last round a bomb_planted / bomb_defused was emitted for. */
  plantedRound: number;
  defusedRound: number;
  phase: string;
  /** round.phase of the last body (freezetime / live / over). */
  roundPhase: string | null;
  ended: boolean;
}

export interface GsiCursor {
  sourceId: string;
  matchId: string;
  bestOf: 1 | 3 | 5;
  team1Name?: string;
  team2Name?: string;
  nextSeq: number;
  /** provider.timestamp (s) of the last processed body, and hashes of the bodies processed at that second. */
  lastTimestamp: number | null;
  lastHashes: string[];
  /** The client's owner (provider.steamid) and their team: their side says where their team is. */
  ownerTeam: TeamSide | null;
  matchStarted: boolean;
  map: GsiMap | null;
  mapsPlayed: number;
  mapsWon: Pair;
  finished: boolean;
}

export interface GsiSource {
  sourceId: string;
  matchId: string;
  bestOf?: 1 | 3 | 5;
  team1Name?: string;
  team2Name?: string;
}

export function newGsiCursor(source: GsiSource): GsiCursor {
  return {
    sourceId: source.sourceId,
    matchId: source.matchId,
    bestOf: source.bestOf ?? 1,
    ...(source.team1Name === undefined ? {} : { team1Name: source.team1Name }),
    ...(source.team2Name === undefined ? {} : { team2Name: source.team2Name }),
    nextSeq: 1,
    lastTimestamp: null,
    lastHashes: [],
    ownerTeam: null,
    matchStarted: false,
    map: null,
    mapsPlayed: 0,
    mapsWon: [0, 0],
    finished: false,
  };
}

export interface ParsedGsiPost extends ParsedBatch<GsiCursor> {
  /** The body's `auth.token` (null when absent or the body is not GSI): the endpoint authenticates by it. */
  token: string | null;
}

/** The body's `auth.token`, read without validating the rest (authenticate before any parsing work). */
export function gsiToken(body: unknown): string | null {
  if (typeof body !== "object" || body === null || !("auth" in body)) return null;
  const auth = body.auth;
  if (typeof auth !== "object" || auth === null || !("token" in auth)) return null;
  return typeof auth.token === "string" && auth.token.length <= 256 ? auth.token : null;
}

/** Rounds per regulation by game mode, for map_start's format (GSI never says mp_maxrounds). */
const MODE_MAX_ROUNDS: Record<string, number> = { competitive: 24, scrimcomp2v2: 16, premier: 24 };
/** At most this many body hashes kept for one second; beyond it a replay at that second could re-apply. */
const MAX_HASHES_PER_SECOND = 64;

const other = (side: Side): Side => (side === "CT" ? "T" : "CT");
const sideOf = (raw: string | undefined): Side | null => (raw === "CT" ? "CT" : raw === "T" ? "T" : null);
/** Team scores (team 1, team 2) from the side scores, given team 1's side. */
const teamScores = (team1Side: Side, ct: number, t: number): Pair => (team1Side === "CT" ? [ct, t] : [t, ct]);
const teamOn = (map: GsiMap, side: Side): TeamSide => (map.team1Side === side ? 1 : 2);

function bodyHash(body: unknown): string {
  const bytes = sha1(new TextEncoder().encode(JSON.stringify(body)));
  return [...bytes.slice(0, 10)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

interface Emitter {
  cursor: GsiCursor;
  events: MatchEvent[];
  issues: SourceIssue[];
  timestamp: string;
}

function emit(e: Emitter, type: string, fields: { teamId?: TeamSide; payload?: Record<string, unknown> } = {}): void {
  const c = e.cursor;
  const seq = c.nextSeq++;
  const event: MatchEvent = {
    eventId: sourceEventId(c.sourceId, c.matchId, seq),
    matchId: c.matchId,
    sport: "cs2",
    type,
    timestamp: e.timestamp,
    seq,
  };
  if (fields.teamId !== undefined) event.teamId = fields.teamId;
  event.payload = fields.payload ?? {};
  e.events.push(event);
}

/** The live state of a body, when it has everything a diff needs. */
interface Snapshot {
  mapName: string;
  mode: string | undefined;
  mapPhase: string;
  ct: number;
  t: number;
  ctName: string | undefined;
  tName: string | undefined;
  roundPhase: string | undefined;
  bomb: string | undefined;
  winSide: Side | null;
  /** The owner's side when the body's player is the client's owner (not someone they spectate). */
  ownerSide: Side | null;
}

function snapshotOf(body: GsiBody): Snapshot | null {
  const m = body.map;
  if (m === undefined) return null;
  const ct = m.team_ct?.score;
  const t = m.team_t?.score;
  if (m.name === undefined || m.name === "" || m.phase === undefined || ct === undefined || t === undefined)
    return null;
  const owner = body.provider?.steamid;
  const ownerSide = owner !== undefined && body.player?.steamid === owner ? sideOf(body.player.team) : null;
  return {
    mapName: m.name.slice(0, 64),
    mode: m.mode,
    mapPhase: m.phase,
    ct,
    t,
    ctName: m.team_ct?.name,
    tName: m.team_t?.name,
    roundPhase: body.round?.phase,
    bomb: body.round?.bomb,
    winSide: sideOf(body.round?.win_team),
    ownerSide,
  };
}

/** Team 1's side in this snapshot by the names the server shows, if it shows names the cursor knows. */
function sideByName(c: GsiCursor, s: Snapshot): Side | null {
  for (const [side, n] of [
    ["CT", s.ctName],
    ["T", s.tName],
  ] as const) {
    if (n === undefined || n === "") continue;
    if (n === c.team1Name) return side;
    if (n === c.team2Name) return other(side);
  }
  return null;
}

/** Team 1's side at a map's (re)start: names, then the owner's team, then CT for the first map. */
function startingSide(c: GsiCursor, s: Snapshot, e: Emitter, restart: boolean): Side {
  const byName = sideByName(c, s);
  if (byName !== null) return byName;
  if (c.ownerTeam !== null && s.ownerSide !== null) return c.ownerTeam === 1 ? s.ownerSide : other(s.ownerSide);
  if (restart && c.map !== null) return c.map.team1Side; // mp_restartgame: teams keep their sides
  if (c.map !== null || c.mapsPlayed > 0)
    pushIssue(e.issues, "map", "no team names and no owner's team: team 1 assumed on CT");
  return "CT";
}

function startMap(e: Emitter, s: Snapshot, restart: boolean): void {
  const c = e.cursor;
  if (!c.matchStarted) {
    emit(e, "match_start", { payload: { bestOf: c.bestOf } });
    c.matchStarted = true;
  }
  if (restart) emit(e, "map_restart");
  const side = startingSide(c, s, e, restart);
  // Learn who is who from the first map: names shown then, and the owner's team.
  if (c.team1Name === undefined && c.team2Name === undefined) {
    const n1 = side === "CT" ? s.ctName : s.tName;
    const n2 = side === "CT" ? s.tName : s.ctName;
    if (n1 !== undefined && n1 !== "") c.team1Name = n1.slice(0, 64);
    if (n2 !== undefined && n2 !== "") c.team2Name = n2.slice(0, 64);
  }
  if (c.ownerTeam === null && s.ownerSide !== null) c.ownerTeam = s.ownerSide === side ? 1 : 2;
  // An abandoned or restarted map never counted: its replacement takes its number.
  const number = c.map !== null && !c.map.ended ? c.map.number : c.mapsPlayed + 1;
  c.map = {
    number,
    name: s.mapName,
    startingSide: side,
    team1Side: side,
    score: [0, 0],
    roundStarted: 0,
    plantedRound: 0,
    defusedRound: 0,
    phase: s.mapPhase,
    roundPhase: s.roundPhase ?? null,
    ended: false,
  };
  const payload: Record<string, unknown> = { mapNumber: Math.min(5, number), mapName: s.mapName, startingSide: side };
  const maxRounds = s.mode === undefined ? undefined : MODE_MAX_ROUNDS[s.mode];
  if (maxRounds !== undefined) {
    payload.maxRounds = maxRounds;
    payload.overtimeMaxRounds = 6;
  }
  emit(e, "map_start", { payload });
}

/** Team 1's side now: names, then the owner's side, then which reading keeps both scores from going down. */
function currentSide(c: GsiCursor, map: GsiMap, s: Snapshot): Side {
  const byName = sideByName(c, s);
  if (byName !== null) return byName;
  if (c.ownerTeam !== null && s.ownerSide !== null) return c.ownerTeam === 1 ? s.ownerSide : other(s.ownerSide);
  const fits = (side: Side) => {
    const [a, b] = teamScores(side, s.ct, s.t);
    return a >= map.score[0] && b >= map.score[1];
  };
  const keep = fits(map.team1Side);
  const swap = fits(other(map.team1Side));
  if (keep && !swap) return map.team1Side;
  if (swap && !keep) return other(map.team1Side);
  // Equal scores read the same both ways: leaving half-time's intermission is the swap.
  return map.phase === "intermission" && s.mapPhase !== "intermission" ? other(map.team1Side) : map.team1Side;
}

function roundStart(e: Emitter, map: GsiMap, round: number): void {
  if (map.roundStarted >= round) return;
  map.roundStarted = round;
  emit(e, "round_start", { payload: { round } });
}

function bombEvents(e: Emitter, map: GsiMap, s: Snapshot, round: number): void {
  if (s.bomb !== "planted" && s.bomb !== "defused" && s.bomb !== "exploded") return;
  if (map.plantedRound < round) {
    map.plantedRound = round;
    emit(e, "bomb_planted", { teamId: teamOn(map, "T"), payload: { round } });
  }
  if (s.bomb === "defused" && map.defusedRound < round) {
    map.defusedRound = round;
    emit(e, "bomb_defused", { teamId: teamOn(map, "CT"), payload: { round } });
  }
}

function onSnapshot(e: Emitter, s: Snapshot): void {
  const c = e.cursor;
  if (c.finished) return; // after the match's last map: later play is not part of it
  if (s.mapPhase === "warmup") return;
  const total = s.ct + s.t;
  let map = c.map;
  if (map?.ended && map.name === s.mapName) return; // lingering on a finished map
  if (map === null || map.ended || map.name !== s.mapName) {
    if (map !== null && !map.ended)
      pushIssue(e.issues, "map.name", `map ${map.name} left at ${map.score.join(":")} without game over: replaced`);
    startMap(e, s, false);
  } else if (total < map.score[0] + map.score[1]) {
    // Scores only go down when the map restarts (mp_restartgame), to 0:0; anything else is a stale body.
    if (total !== 0) {
      pushIssue(e.issues, "map", "scores went down without a restart: stale body ignored");
      return;
    }
    startMap(e, s, true);
  } else if (total === 0 && map.roundStarted > 0 && map.roundPhase === "live" && s.roundPhase === "freezetime") {
    // Back to freeze time at 0:0 with no round won: mp_restartgame during the first round.
    startMap(e, s, true);
  }
  map = c.map!;
  const side = currentSide(c, map, s);
  map.team1Side = side;
  const now = teamScores(side, s.ct, s.t);
  const before = map.score;
  const won: Pair = [now[0] - before[0], now[1] - before[1]];
  if (won[0] < 0 || won[1] < 0) {
    pushIssue(e.issues, "map", "a team's score went down: stale body ignored");
    return;
  }
  const ended = won[0] + won[1];
  const over = s.roundPhase === "over" || s.mapPhase === "gameover";
  if (ended > 0) {
    if (ended > 1) pushIssue(e.issues, "map", `${ended} rounds ended since the last body: their order is unknown`);
    const winners: TeamSide[] = [...Array<TeamSide>(won[0]).fill(1), ...Array<TeamSide>(won[1]).fill(2)];
    if (ended === 1 && s.winSide !== null && over && teamOn(map, s.winSide) !== winners[0])
      pushIssue(e.issues, "round.win_team", "win_team disagrees with the scores: following the scores");
    winners.forEach((winner, i) => {
      const round = before[0] + before[1] + i + 1;
      roundStart(e, map, round);
      const last = i === winners.length - 1;
      // The bomb and win_team of an over round describe the round that just ended.
      let reason: RoundEndReason = "elimination";
      if (last && over) {
        bombEvents(e, map, s, round);
        if (s.bomb === "exploded") reason = "bomb_exploded";
        else if (s.bomb === "defused") reason = "bomb_defused";
      }
      emit(e, "round_end", { teamId: winner, payload: { round, reason } });
    });
    map.score = now;
  }
  if (s.mapPhase === "gameover") {
    endMap(e, map);
  } else if (s.roundPhase === "freezetime" || s.roundPhase === "live") {
    roundStart(e, map, total + 1);
    bombEvents(e, map, s, total + 1);
  }
  map.phase = s.mapPhase;
  map.roundPhase = s.roundPhase ?? null;
}

function endMap(e: Emitter, map: GsiMap): void {
  const c = e.cursor;
  map.ended = true;
  c.mapsPlayed = map.number;
  const [s1, s2] = map.score;
  if (s1 === s2) {
    pushIssue(e.issues, "map", "the map ended in a draw: no map_end (the contract needs a winner)");
    return;
  }
  const winner: TeamSide = s1 > s2 ? 1 : 2;
  emit(e, "map_end", { teamId: winner, payload: { mapNumber: Math.min(5, map.number) } });
  c.mapsWon = winner === 1 ? [c.mapsWon[0] + 1, c.mapsWon[1]] : [c.mapsWon[0], c.mapsWon[1] + 1];
  if (c.mapsWon[winner - 1]! > c.bestOf / 2) {
    emit(e, "match_end", { teamId: winner, payload: {} });
    c.finished = true;
  }
}

/**
 * One GSI POST body (already JSON-parsed) → events; pure and deterministic. `receivedAt` dates the events
 * of a body without `provider.timestamp` (such bodies cannot be ordered, so they are never deduplicated).
 */
export function parseGsiPost(body: unknown, previous: GsiCursor, receivedAt?: Date): ParsedGsiPost {
  const token = gsiToken(body);
  const issues: SourceIssue[] = [];
  const parsed = gsiBodySchema.safeParse(body);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) pushIssue(issues, issue.path.join("."), issue.message);
    if (issues.length === 0) pushIssue(issues, "", "not a GSI body");
    return { events: [], cursor: previous, issues, token };
  }
  const cursor: GsiCursor = structuredClone(previous);
  const events: MatchEvent[] = [];
  const seconds = parsed.data.provider?.timestamp;
  if (seconds !== undefined) {
    if (cursor.lastTimestamp !== null && seconds < cursor.lastTimestamp) {
      pushIssue(issues, "provider.timestamp", "older than the last processed body: superseded, ignored");
      return { events, cursor: previous, issues, token };
    }
    const hash = bodyHash(body);
    if (seconds === cursor.lastTimestamp && cursor.lastHashes.includes(hash))
      return { events, cursor: previous, issues, token }; // a replay of a body already processed
    if (seconds !== cursor.lastTimestamp) {
      cursor.lastTimestamp = seconds;
      cursor.lastHashes = [];
    }
    if (cursor.lastHashes.length < MAX_HASHES_PER_SECOND) cursor.lastHashes.push(hash);
  }
  const at = seconds !== undefined ? new Date(seconds * 1000) : receivedAt;
  const snapshot = snapshotOf(parsed.data);
  if (snapshot === null) {
    if (parsed.data.map !== undefined) pushIssue(issues, "map", "map without name, phase or team scores: ignored");
    return { events, cursor, issues, token };
  }
  if (at === undefined || Number.isNaN(at.getTime())) {
    pushIssue(issues, "provider.timestamp", "no provider.timestamp and no receive time: ignored");
    return { events, cursor, issues, token };
  }
  onSnapshot({ cursor, events, issues, timestamp: at.toISOString() }, snapshot);
  return { events, cursor, issues, token };
}

/** A POST's raw text (the endpoint's entry): JSON that does not parse is reported like any bad body. */
export function parseGsiPostText(text: string, previous: GsiCursor, receivedAt?: Date): ParsedGsiPost {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { events: [], cursor: previous, issues: [{ at: "", message: "not JSON" }], token: null };
  }
  return parseGsiPost(body, previous, receivedAt);
}

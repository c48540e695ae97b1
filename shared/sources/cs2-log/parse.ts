// CS2 / CS:GO dedicated-server log lines → contract v1 events. Pure: a batch of text and the cursor the
// previous batch returned go in, events and the next cursor come out. The cursor is plain JSON, so the
// ingest endpoint stores it between the server's POSTs (`logaddress_add_http`).
//
// Exactly once under retries: log timestamps never go backwards, so the cursor remembers the last
// timestamp it processed and which lines (by hash, with multiplicity) it saw at that instant. A retried or
// overlapping batch therefore replays nothing, every event gets the next `seq` of the source, and its
// eventId is a UUID v5 of (source, match, seq): re-parsing from the same cursor gives the same events.
//
// A live server streams, so a warm-up or a restarted map cannot be waited out: a map is (re)started at the
// first Round_Start after a `Match_Start` (or a restart), and when rounds of it had already been emitted,
// a `map_restart` says they no longer count, followed by a fresh
// `map_start` (which resets the round score in the reducer either way).

import type { RoundEndReason, Side } from "../../sports/cs2/events";
import { type Cs2MapFormat, sideSwapsBefore as sharedSideSwapsBefore } from "../../sports/cs2/sides";
import type { MatchEvent, Pair, TeamSide } from "../../sports/sport";
import { sourceEventId } from "../ids";
import { type ParsedBatch, pushIssue, type SourceIssue } from "../source";

export interface Cs2ServerRules {
  /** mp_maxrounds: rounds in regulation (30 = MR15, 24 = MR12). */
  maxRounds: number;
  /** mp_overtime_enable. */
  overtimeEnabled: boolean;
  /** mp_overtime_maxrounds: rounds per overtime (both halves). */
  overtimeMaxRounds: number;
}

/** CS2's competitive defaults; the log's own server_cvar lines override them. */
export const CS2_DEFAULT_RULES: Cs2ServerRules = { maxRounds: 24, overtimeEnabled: true, overtimeMaxRounds: 6 };

export interface Cs2LogMap {
  number: number;
  name: string;
  team1StartingSide: Side;
  /** Rounds won on this map, by team. */
  score: Pair;
  /** The round being played (0 before the first Round_Start). */
  round: number;
  roundOpen: boolean;
  /** Whether any round event of this map has been emitted (a restart then needs a map_restart). */
  played: boolean;
  /** The server's scores showed sides opposite to what the rules predict (e.g. an admin's mp_swapteams). */
  sidesFlipped: boolean;
}

export interface Cs2LogCursor {
  sourceId: string;
  matchId: string;
  bestOf: 1 | 3 | 5;
  /** Team names as the Matchpulse match knows them; learnt from `Team playing` lines when absent. */
  team1Name?: string;
  team2Name?: string;
  /** The server's clock offset from UTC in minutes (log times carry no zone). */
  utcOffsetMinutes: number;
  nextSeq: number;
  /** Epoch ms (server clock read as UTC) of the last processed line, and the lines seen at that instant. */
  lastLineAt: number | null;
  lastLineHashes: Record<string, number>;
  rules: Cs2ServerRules;
  warmup: boolean;
  /** Names shown by `Team playing "<side>": <name>` since the last Match_Start. */
  sideNames: { CT?: string; T?: string };
  /** A Match_Start or restart seen: the map (re)starts at the next Round_Start. */
  pendingStart: { name: string; at: number } | null;
  lastMapName: string | null;
  matchStarted: boolean;
  map: Cs2LogMap | null;
  mapsPlayed: number;
  mapsWon: Pair;
  finished: boolean;
}

export interface Cs2LogSource {
  sourceId: string;
  matchId: string;
  bestOf?: 1 | 3 | 5;
  team1Name?: string;
  team2Name?: string;
  utcOffsetMinutes?: number;
}

export function newCs2LogCursor(source: Cs2LogSource): Cs2LogCursor {
  return {
    sourceId: source.sourceId,
    matchId: source.matchId,
    bestOf: source.bestOf ?? 1,
    ...(source.team1Name === undefined ? {} : { team1Name: source.team1Name }),
    ...(source.team2Name === undefined ? {} : { team2Name: source.team2Name }),
    utcOffsetMinutes: source.utcOffsetMinutes ?? 0,
    nextSeq: 1,
    lastLineAt: null,
    lastLineHashes: {},
    rules: { ...CS2_DEFAULT_RULES },
    warmup: false,
    sideNames: {},
    pendingStart: null,
    lastMapName: null,
    matchStarted: false,
    map: null,
    mapsPlayed: 0,
    mapsWon: [0, 0],
    finished: false,
  };
}

/** `L MM/DD/YYYY - HH:MM:SS: <event>` (file) or `MM/DD/YYYY - HH:MM:SS.mmm - <event>` (HTTP). */
const LINE = /^(?:L )?(\d{2})\/(\d{2})\/(\d{4}) - (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?(?: -|:) (.*)$/;

export interface Cs2LogLine {
  /** Server clock as if it were UTC, epoch ms. */
  at: number;
  text: string;
}

export function parseLogLine(raw: string): Cs2LogLine | null {
  const m = LINE.exec(raw.replace(/\r$/, ""));
  if (m === null) return null;
  const [, mo, d, y, h, mi, s, ms, text] = m;
  const at = Date.UTC(
    Number(y),
    Number(mo) - 1,
    Number(d),
    Number(h),
    Number(mi),
    Number(s),
    Number((ms ?? "0").padEnd(3, "0")),
  );
  return Number.isFinite(at) ? { at, text: text! } : null;
}

/** A 53-bit string hash (cyrb53): only to recognise a line already processed at the same instant. */
function lineHash(text: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36);
}

const other = (side: Side): Side => (side === "CT" ? "T" : "CT");
const sideOf = (raw: string): Side | null => (raw === "CT" ? "CT" : raw === "TERRORIST" || raw === "T" ? "T" : null);

/** The map format the contract's map_start carries (0 overtime rounds = overtime off). */
export function mapFormat(rules: Cs2ServerRules): Cs2MapFormat {
  return { maxRounds: rules.maxRounds, overtimeMaxRounds: rules.overtimeEnabled ? rules.overtimeMaxRounds : 0 };
}

/** Half-time swaps before `round` under the server's rules: the reducer's own rule (sports/cs2/sides.ts). */
export function sideSwapsBefore(round: number, rules: Cs2ServerRules): number {
  return sharedSideSwapsBefore(round, mapFormat(rules));
}

function team1Side(map: Cs2LogMap, round: number, rules: Cs2ServerRules): Side {
  const swapped = (sideSwapsBefore(round, rules) % 2 === 1) !== map.sidesFlipped;
  return swapped ? other(map.team1StartingSide) : map.team1StartingSide;
}

const teamOnSide = (map: Cs2LogMap, round: number, rules: Cs2ServerRules, side: Side): TeamSide =>
  team1Side(map, round, rules) === side ? 1 : 2;

const ROUND_END_REASONS: Record<string, RoundEndReason> = {
  SFUI_Notice_Terrorists_Win: "elimination",
  SFUI_Notice_CTs_Win: "elimination",
  SFUI_Notice_Target_Bombed: "bomb_exploded",
  SFUI_Notice_Bomb_Defused: "bomb_defused",
  SFUI_Notice_Target_Saved: "time",
  SFUI_Notice_Hostages_Not_Rescued: "time",
  SFUI_Notice_Terrorists_Surrender: "surrender",
  SFUI_Notice_CTs_Surrender: "surrender",
};

const PLAYER = String.raw`"(.+?)<(\d+)><([^>]*)><([A-Za-z]*)>"`;
const POS = String.raw`(?: \[-?\d+ -?\d+ -?\d+\])?`;
const KILL = new RegExp(`^${PLAYER}${POS} killed ${PLAYER}${POS} with "([^"]+)"(?: \\(([^)]*)\\))?`);
const PLAYER_TRIGGER = new RegExp(`^${PLAYER} triggered "([A-Za-z_]+)"(?: at bombsite ([AB]))?`);
const TEAM_TRIGGER = /^Team "(CT|TERRORIST)" triggered "([A-Za-z_]+)" \(CT "(\d+)"\) \(T "(\d+)"\)/;
const GAME_OVER = /^Game Over: \S+ \S+ (\S+) score (\d+):(\d+)/;
const CVAR = /^server_cvar: "([a-z_]+)" "([^"]*)"/;
const TEAM_PLAYING = /^Team playing "(CT|TERRORIST)": ?(.*)$/;

/** A player as the contract names them: the Steam id, or the bot's name for bots (≤ 64 chars). */
function playerRef(name: string, steam: string): string {
  const id = steam === "BOT" || steam === "" ? `BOT:${name}` : steam;
  return id.slice(0, 64);
}

interface Emitter {
  cursor: Cs2LogCursor;
  events: MatchEvent[];
  issues: SourceIssue[];
  at: number;
  lineNo: number;
}

function emit(
  e: Emitter,
  type: string,
  fields: { teamId?: TeamSide; playerId?: string; payload?: Record<string, unknown> },
): void {
  const c = e.cursor;
  const seq = c.nextSeq++;
  const event: MatchEvent = {
    eventId: sourceEventId(c.sourceId, c.matchId, seq),
    matchId: c.matchId,
    sport: "cs2",
    type,
    timestamp: new Date(e.at - c.utcOffsetMinutes * 60_000).toISOString(),
    seq,
  };
  if (fields.teamId !== undefined) event.teamId = fields.teamId;
  if (fields.playerId !== undefined) event.playerId = fields.playerId;
  event.payload = fields.payload ?? {};
  e.events.push(event);
}

/** Which side team 1 is on at a map (re)start: by the names the server prints, else team 1 starts CT. */
function team1StartingSide(c: Cs2LogCursor): Side {
  for (const side of ["CT", "T"] as const) {
    const name = c.sideNames[side];
    if (name === undefined || name === "") continue;
    if (name === c.team1Name) return side;
    if (name === c.team2Name) return other(side);
    if (c.team1Name === undefined && c.team2Name !== undefined) {
      c.team1Name = name;
      return side;
    }
    if (c.team2Name === undefined && c.team1Name !== undefined) {
      c.team2Name = name;
      return other(side);
    }
    if (c.team1Name === undefined && c.team2Name === undefined) {
      // Nothing known yet: team 1 is the team on CT.
      if (side === "CT") c.team1Name = name;
      else c.team2Name = name;
      return "CT";
    }
  }
  return "CT";
}

function startMap(e: Emitter, name: string, startedAt: number): void {
  const c = e.cursor;
  if (!c.matchStarted) {
    emit({ ...e, at: startedAt }, "match_start", { payload: { bestOf: c.bestOf } });
    c.matchStarted = true;
  }
  if (c.map?.played === true) emit(e, "map_restart", {});
  const number = c.map?.number ?? c.mapsPlayed + 1;
  const startingSide = team1StartingSide(c);
  c.map = {
    number,
    name,
    team1StartingSide: startingSide,
    score: [0, 0],
    round: 0,
    roundOpen: false,
    played: false,
    sidesFlipped: false,
  };
  const payload: Record<string, unknown> = {
    mapNumber: Math.min(5, number),
    mapName: name.slice(0, 64),
    startingSide,
    ...mapFormat(c.rules),
  };
  emit({ ...e, at: startedAt }, "map_start", { payload });
}

function onCvar(c: Cs2LogCursor, name: string, value: string): void {
  const n = Number(value);
  if (name === "mp_maxrounds" && Number.isInteger(n) && n > 0) c.rules.maxRounds = n;
  else if (name === "mp_overtime_enable") c.rules.overtimeEnabled = value !== "0";
  else if (name === "mp_overtime_maxrounds" && Number.isInteger(n) && n > 0) c.rules.overtimeMaxRounds = n;
}

function onRoundEnd(e: Emitter, winnerRaw: string, notice: string, ct: number, t: number): void {
  const c = e.cursor;
  const map = c.map;
  const winnerSide = sideOf(winnerRaw);
  if (map === null || winnerSide === null || c.pendingStart !== null) return;
  const round = ct + t;
  if (round < 1) return;
  // Which team holds which side: the rules say, the server's running scores confirm (or correct).
  const byRule = team1Side(map, round, c.rules);
  const team1Score = (side: Side) => (side === "CT" ? ct : t);
  const fits = (side: Side) => {
    const s1 = team1Score(side);
    const s2 = side === "CT" ? t : ct;
    return s1 >= map.score[0] && s2 >= map.score[1] && s1 + s2 === map.score[0] + map.score[1] + 1;
  };
  if (!fits(byRule) && fits(other(byRule))) {
    map.sidesFlipped = !map.sidesFlipped;
    pushIssue(
      e.issues,
      String(e.lineNo),
      "the server's scores show sides swapped against its rules; following the scores",
    );
  }
  const side1 = team1Side(map, round, c.rules);
  const winner: TeamSide = side1 === winnerSide ? 1 : 2;
  const reason = ROUND_END_REASONS[notice];
  if (reason === undefined)
    pushIssue(e.issues, String(e.lineNo), `unknown round end "${notice}": counted as elimination`);
  map.score = side1 === "CT" ? [ct, t] : [t, ct];
  map.round = round;
  map.roundOpen = false;
  map.played = true;
  emit(e, "round_end", { teamId: winner, payload: { round, reason: reason ?? "elimination" } });
}

function onGameOver(e: Emitter, ct: number, t: number): void {
  const c = e.cursor;
  const map = c.map;
  if (map === null) return;
  const [s1, s2] = map.score;
  const lastRound = Math.max(1, map.round);
  const side1 = team1Side(map, lastRound, c.rules);
  const expected: Pair = side1 === "CT" ? [ct, t] : [t, ct];
  if (expected[0] !== s1 || expected[1] !== s2)
    pushIssue(
      e.issues,
      String(e.lineNo),
      `Game Over says ${expected.join(":")} (team 1:team 2), the rounds gave ${s1}:${s2}`,
    );
  c.map = null;
  c.mapsPlayed = map.number;
  c.pendingStart = null;
  if (expected[0] === expected[1]) {
    pushIssue(e.issues, String(e.lineNo), "the map ended in a draw: no map_end (the contract needs a winner)");
    return;
  }
  const winner: TeamSide = expected[0] > expected[1] ? 1 : 2;
  emit(e, "map_end", { teamId: winner, payload: { mapNumber: Math.min(5, map.number) } });
  c.mapsWon = winner === 1 ? [c.mapsWon[0] + 1, c.mapsWon[1]] : [c.mapsWon[0], c.mapsWon[1] + 1];
  if (c.mapsWon[winner - 1]! > c.bestOf / 2) {
    emit(e, "match_end", { teamId: winner, payload: {} });
    c.finished = true;
  }
}

function onEvent(e: Emitter, text: string): void {
  const c = e.cursor;
  const cvar = CVAR.exec(text);
  if (cvar !== null) {
    onCvar(c, cvar[1]!, cvar[2]!);
    return;
  }
  if (c.finished) return; // after the match's last Game Over: post-match play is not part of it
  const mapLine = /^(?:Loading|Started) map "([^"]+)"/.exec(text);
  if (mapLine !== null) {
    c.lastMapName = mapLine[1]!;
    return;
  }
  const matchStart = /^World triggered "Match_Start" on "([^"]+)"/.exec(text);
  if (matchStart !== null) {
    c.pendingStart = { name: matchStart[1]!, at: e.at };
    c.sideNames = {};
    c.lastMapName = matchStart[1]!;
    return;
  }
  const playing = TEAM_PLAYING.exec(text);
  if (playing !== null) {
    const side = sideOf(playing[1]!);
    if (side !== null) c.sideNames[side] = playing[2]!.trim().slice(0, 64);
    return;
  }
  if (/^World triggered "Restart_Round_\(\d+_seconds?\)"/.test(text) || /command "mp_restartgame \d+"/.test(text)) {
    if (c.map !== null && c.pendingStart === null) c.pendingStart = { name: c.map.name, at: e.at };
    return;
  }
  if (/command "mp_warmup_start"|^World triggered "Warmup_Start"/.test(text)) {
    c.warmup = true;
    return;
  }
  if (/command "mp_warmup_end"|^World triggered "Warmup_End"/.test(text)) {
    c.warmup = false;
    return;
  }
  if (text === 'World triggered "Round_Start"') {
    if (c.warmup) return;
    // After a map's Game Over only a Match_Start starts the next one; a log that begins mid-map starts it here.
    if (c.pendingStart === null && c.map === null && c.mapsPlayed > 0) return;
    if (c.pendingStart !== null || c.map === null) {
      const start = c.pendingStart ?? { name: c.lastMapName ?? "unknown", at: e.at };
      c.pendingStart = null;
      startMap(e, start.name, start.at);
    }
    const map = c.map!;
    map.round = map.score[0] + map.score[1] + 1;
    map.roundOpen = true;
    map.played = true;
    emit(e, "round_start", { payload: { round: map.round } });
    return;
  }
  const teamTrigger = TEAM_TRIGGER.exec(text);
  if (teamTrigger !== null) {
    onRoundEnd(e, teamTrigger[1]!, teamTrigger[2]!, Number(teamTrigger[3]), Number(teamTrigger[4]));
    return;
  }
  const gameOver = GAME_OVER.exec(text);
  if (gameOver !== null) {
    onGameOver(e, Number(gameOver[2]), Number(gameOver[3]));
    return;
  }
  const map = c.map;
  if (map === null || !map.roundOpen || c.pendingStart !== null || c.warmup) return;
  const kill = KILL.exec(text);
  if (kill !== null) {
    const [, kName, , kSteam, kSideRaw, vName, , vSteam, vSideRaw, weapon, flags] = kill;
    const kSide = sideOf(kSideRaw!);
    const vSide = sideOf(vSideRaw!);
    if (kSide === null || vSide === null) return;
    const team = teamOnSide(map, map.round, c.rules, kSide);
    const payload: Record<string, unknown> = {
      round: map.round,
      victimPlayerId: playerRef(vName!, vSteam!),
      weapon: weapon!.slice(0, 64),
    };
    if (flags?.split(" ").includes("headshot")) payload.headshot = true;
    if (kSide === vSide) payload.victimTeamId = team;
    emit(e, "kill", { teamId: team, playerId: playerRef(kName!, kSteam!), payload });
    return;
  }
  const trigger = PLAYER_TRIGGER.exec(text);
  if (trigger !== null) {
    const [, name, , steam, sideRaw, what, site] = trigger;
    const side = sideOf(sideRaw!);
    if (side === null) return;
    const team = teamOnSide(map, map.round, c.rules, side);
    if (what === "Planted_The_Bomb") {
      emit(e, "bomb_planted", {
        teamId: team,
        playerId: playerRef(name!, steam!),
        payload: site === undefined ? { round: map.round } : { round: map.round, site },
      });
    } else if (what === "Defused_The_Bomb") {
      emit(e, "bomb_defused", { teamId: team, playerId: playerRef(name!, steam!), payload: { round: map.round } });
    }
  }
}

/** At most this many line hashes kept for one instant; beyond it a retried batch could replay lines. */
const MAX_HASHES_PER_INSTANT = 2_000;

/** One POSTed batch (newline-separated lines, either form) → events; pure and deterministic. */
export function parseCs2LogBatch(text: string, previous: Cs2LogCursor): ParsedBatch<Cs2LogCursor> {
  const cursor: Cs2LogCursor = structuredClone(previous);
  const events: MatchEvent[] = [];
  const issues: SourceIssue[] = [];
  const carriedAt = cursor.lastLineAt;
  const carried = { ...cursor.lastLineHashes };
  let skippedOld = 0;
  const lines = text.split("\n");
  lines.forEach((raw, index) => {
    if (raw.trim() === "") return;
    const line = parseLogLine(raw);
    if (line === null) {
      pushIssue(issues, String(index + 1), "not a log line (expected MM/DD/YYYY - HH:MM:SS[.mmm] - <event>)");
      return;
    }
    const hash = lineHash(line.text);
    if (cursor.lastLineAt !== null && line.at < cursor.lastLineAt) {
      skippedOld++;
      return;
    }
    if (line.at === carriedAt && (carried[hash] ?? 0) > 0) {
      carried[hash]!--;
      return; // already processed in an earlier (retried or overlapping) batch
    }
    if (cursor.lastLineAt !== line.at) {
      cursor.lastLineAt = line.at;
      cursor.lastLineHashes = {};
    }
    if (Object.keys(cursor.lastLineHashes).length < MAX_HASHES_PER_INSTANT || hash in cursor.lastLineHashes)
      cursor.lastLineHashes[hash] = (cursor.lastLineHashes[hash] ?? 0) + 1;
    onEvent({ cursor, events, issues, at: line.at, lineNo: index + 1 }, line.text);
  });
  if (skippedOld > 0)
    pushIssue(issues, "", `${skippedOld} line(s) older than the last processed line: skipped as already seen`);
  return { events, cursor, issues };
}

// A Wyscout match (the public data set of Pappalardo et al., 2019; CC BY 4.0 — credit "Wyscout" where
// shown) → contract v1 football events in source order. Pure: parsed JSON in, events out.
//
// Source order is period, then eventSec (the file is not strictly ordered). Team 1 is the home side of the
// matches metadata, else the first team of the file. Timing: the metadata's kick-off (else `kickoff`),
// each period starting where the previous one's last event was plus a break, events at their eventSec.
// Mapping: Pass → pass; Shot → shot (+ goal on tag 101); Free Kick/Corner → corner; Free Kick/Free Kick,
// Free kick cross, Free kick shot → free_kick (+ shot, goal for a scored free-kick shot); Free Kick/Penalty
// → shot + goal (penalty) in play, a goal in period 5 for a scored shoot-out kick; tag 102 → own goal
// credited to the other team; Foul → foul; tags 1702 → yellow_card, 1701 and 1703 (second yellow) →
// red_card; Offside → offside; tag 1401 → interception; substitutions from the metadata at their minute.
// Duels, touches, clearances, saves, throw-ins and goal kicks have no contract type and are left out.

import type { MatchEvent, TeamSide } from "../../sports/sport";
import { uuidV5 } from "../ids";
import { pushIssue, type SourceIssue } from "../source";

export const WYSCOUT_CREDIT = "Wyscout public match event data (Pappalardo et al., 2019), CC BY 4.0";

export interface WyscoutEvent {
  id: number;
  eventName: string;
  subEventName: string;
  teamId: number;
  playerId: number;
  matchPeriod: string;
  eventSec: number;
  tags: { id: number }[];
}

export interface WyscoutMatchFile {
  events: WyscoutEvent[];
  teams?: Record<string, unknown>;
}

export interface WyscoutTeamData {
  teamId: number;
  side: "home" | "away";
  score: number;
  scoreET: number;
  scoreP: number;
  formation?: {
    lineup?: WyscoutPlayerLine[];
    bench?: WyscoutPlayerLine[];
    substitutions?: { playerIn: number; playerOut: number; minute: number }[] | string;
  };
}

export interface WyscoutPlayerLine {
  playerId: number;
  yellowCards: string;
  redCards: string;
}

export interface WyscoutMatchMeta {
  wyId: number;
  label?: string;
  dateutc?: string;
  duration?: string;
  teamsData: Record<string, WyscoutTeamData>;
}

export interface WyscoutOptions {
  matchId: string;
  /** The match's entry in matches_*.json: home/away, kick-off, substitutions. */
  meta?: WyscoutMatchMeta;
  /**
   * Kick-off instant; default the metadata's date, else 2018-06-14T15:00:00Z. Replays into the platform
   * usually want a recent one: the ClickHouse event log keeps events for 2 years by their timestamp.
   */
  kickoff?: Date;
}

export interface WyscoutReplay {
  events: MatchEvent[];
  /** Wyscout team id of team 1 and team 2. */
  teams: [number, number];
  issues: SourceIssue[];
}

const PERIODS: Record<string, number> = { "1H": 1, "2H": 2, E1: 3, E2: 4, P: 5 };
/** Minute at which each period starts on the match clock. */
const PERIOD_FIRST_MINUTE = [0, 0, 45, 90, 105, 120];
/** Break before each period, ms: half-time 15', before extra time 5', between its halves 1', before the shoot-out 3'. */
const BREAK_BEFORE_MS = [0, 0, 15 * 60_000, 5 * 60_000, 60_000, 3 * 60_000];

const DEFAULT_KICKOFF = new Date("2018-06-14T15:00:00Z");

interface Draft {
  period: number;
  sec: number;
  /** Source order among events at the same instant. */
  order: number;
  key: string;
  type: string;
  teamId?: TeamSide;
  playerId?: string;
  payload: Record<string, unknown>;
}

function isWyscoutEvent(v: unknown): v is WyscoutEvent {
  if (typeof v !== "object" || v === null) return false;
  const e = v as Record<string, unknown>;
  return (
    typeof e.id === "number" &&
    typeof e.eventName === "string" &&
    typeof e.teamId === "number" &&
    typeof e.matchPeriod === "string" &&
    typeof e.eventSec === "number" &&
    Number.isFinite(e.eventSec) &&
    Array.isArray(e.tags)
  );
}

const clampMinute = (m: number) => Math.max(0, Math.min(130, Math.floor(m)));
const minuteOf = (period: number, sec: number) =>
  clampMinute(period === 5 ? 120 : PERIOD_FIRST_MINUTE[period]! + sec / 60);

/** Period and seconds into it of a metadata minute (substitutions), given the periods the match had. */
function placeMinute(minute: number, periods: ReadonlySet<number>): { period: number; sec: number } {
  const period = minute > 105 && periods.has(4) ? 4 : minute > 90 && periods.has(3) ? 3 : minute > 45 ? 2 : 1;
  return { period, sec: Math.max(0, minute - PERIOD_FIRST_MINUTE[period]!) * 60 };
}

export function wyscoutEvents(file: unknown, options: WyscoutOptions): WyscoutReplay {
  const issues: SourceIssue[] = [];
  const raw = typeof file === "object" && file !== null ? (file as { events?: unknown }).events : undefined;
  if (!Array.isArray(raw)) {
    pushIssue(issues, "events", "a Wyscout match file has an events array");
    return { events: [], teams: [0, 0], issues };
  }
  const source: WyscoutEvent[] = [];
  raw.forEach((e, i) => {
    if (isWyscoutEvent(e) && PERIODS[e.matchPeriod] !== undefined) source.push(e);
    else pushIssue(issues, `events.${i}`, "not a Wyscout event (id, eventName, teamId, matchPeriod, eventSec, tags)");
  });

  const meta = options.meta;
  const metaTeams = meta === undefined ? [] : Object.values(meta.teamsData);
  const home = metaTeams.find((t) => t.side === "home")?.teamId;
  const away = metaTeams.find((t) => t.side === "away")?.teamId;
  const fileTeams = Object.keys((file as WyscoutMatchFile).teams ?? {}).map(Number);
  const seen = [...new Set(source.map((e) => e.teamId))];
  const team1 = home ?? fileTeams[0] ?? seen[0] ?? 0;
  const team2 = away ?? [...fileTeams, ...seen].find((t) => t !== team1) ?? 0;
  const teamOf = (id: number): TeamSide | undefined => (id === team1 ? 1 : id === team2 ? 2 : undefined);

  const drafts: Draft[] = [];
  let order = 0;
  const add = (
    e: WyscoutEvent,
    period: number,
    k: string,
    type: string,
    teamId: TeamSide | undefined,
    payload: Record<string, unknown>,
    withPlayer = true,
  ) => {
    const d: Draft = { period, sec: e.eventSec, order: order++, key: `${e.id}:${k}`, type, payload };
    if (teamId !== undefined) d.teamId = teamId;
    if (withPlayer && e.playerId > 0) d.playerId = String(e.playerId);
    drafts.push(d);
  };

  source.forEach((e, i) => {
    const period = PERIODS[e.matchPeriod]!;
    const team = teamOf(e.teamId);
    if (team === undefined) {
      pushIssue(issues, `events.${i}`, `team ${e.teamId} is not one of the match's two teams`);
      return;
    }
    const opponent: TeamSide = team === 1 ? 2 : 1;
    const tags = new Set(e.tags.map((t) => t.id));
    const minute = minuteOf(period, e.eventSec);
    const scored = tags.has(101);
    if (period === 5) {
      // The shoot-out: only the scored kicks, which the reducer keeps apart from the match score.
      if (e.eventName === "Free Kick" && scored) add(e, 5, "goal", "goal", team, { minute, penalty: true });
      return;
    }
    const sub = e.subEventName;
    if (e.eventName === "Pass") add(e, period, "pass", "pass", team, { minute });
    else if (
      e.eventName === "Shot" ||
      (e.eventName === "Free Kick" && (sub === "Penalty" || sub === "Free kick shot"))
    ) {
      if (e.eventName === "Free Kick" && sub === "Free kick shot")
        add(e, period, "free_kick", "free_kick", team, { minute });
      add(e, period, "shot", "shot", team, { minute, onTarget: tags.has(1801) || scored });
      if (scored) add(e, period, "goal", "goal", team, sub === "Penalty" ? { minute, penalty: true } : { minute });
    } else if (e.eventName === "Free Kick" && sub === "Corner") add(e, period, "corner", "corner", team, { minute });
    else if (e.eventName === "Free Kick" && (sub === "Free Kick" || sub === "Free kick cross"))
      add(e, period, "free_kick", "free_kick", team, { minute });
    else if (e.eventName === "Foul") add(e, period, "foul", "foul", team, { minute, reason: sub || "Foul" });
    else if (e.eventName === "Offside") add(e, period, "offside", "offside", team, { minute });
    if (tags.has(1401)) add(e, period, "interception", "interception", team, { minute });
    // An own goal is credited to the other team; its scorer plays for this one, so no playerId.
    if (tags.has(102)) add(e, period, "own_goal", "goal", opponent, { minute, ownGoal: true }, false);
    const cardReason = sub || e.eventName;
    if (tags.has(1702)) add(e, period, "yellow", "yellow_card", team, { minute, reason: cardReason });
    if (tags.has(1701) || tags.has(1703)) add(e, period, "red", "red_card", team, { minute, reason: cardReason });
  });

  const periods = new Set(source.map((e) => PERIODS[e.matchPeriod]!));
  for (const t of metaTeams) {
    const team = teamOf(t.teamId);
    const subs = t.formation?.substitutions;
    if (team === undefined || !Array.isArray(subs)) continue;
    for (const s of subs) {
      if (!Number.isInteger(s.minute) || !Number.isInteger(s.playerIn) || !Number.isInteger(s.playerOut)) continue;
      const at = placeMinute(s.minute, periods);
      drafts.push({
        ...at,
        order: order++,
        key: `sub:${t.teamId}:${s.playerIn}:${s.playerOut}`,
        type: "substitution",
        teamId: team,
        payload: { minute: clampMinute(s.minute), playerIn: String(s.playerIn), playerOut: String(s.playerOut) },
      });
    }
  }

  // Period boundaries: from the first to the last event of each period (the data has no whistle events).
  const bounds = new Map<number, { first: number; last: number }>();
  for (const d of drafts) {
    const b = bounds.get(d.period);
    bounds.set(
      d.period,
      b === undefined
        ? { first: d.sec, last: d.sec }
        : { first: Math.min(b.first, d.sec), last: Math.max(b.last, d.sec) },
    );
  }
  for (const e of source) {
    const p = PERIODS[e.matchPeriod]!;
    const b = bounds.get(p) ?? { first: e.eventSec, last: e.eventSec };
    bounds.set(p, { first: Math.min(b.first, e.eventSec), last: Math.max(b.last, e.eventSec) });
  }
  const played = [...bounds.keys()].sort((a, b) => a - b);
  for (const p of played) {
    const b = bounds.get(p)!;
    drafts.push({
      period: p,
      sec: Math.min(0, b.first),
      order: -2,
      key: `period_start:${p}`,
      type: "period_start",
      payload: { period: p, minute: minuteOf(p, 0) },
    });
    drafts.push({
      period: p,
      sec: b.last,
      order: Number.MAX_SAFE_INTEGER,
      key: `period_end:${p}`,
      type: "period_end",
      payload: { period: p, minute: minuteOf(p, b.last) },
    });
  }
  const firstPeriod = played[0] ?? 1;
  const lastPeriod = played[played.length - 1] ?? 1;
  drafts.push({
    period: firstPeriod,
    sec: -Infinity,
    order: -3,
    key: "match_start",
    type: "match_start",
    payload: { minute: 0 },
  });
  const lastBound = bounds.get(lastPeriod) ?? { first: 0, last: 0 };
  drafts.push({
    period: lastPeriod,
    sec: Infinity,
    order: Number.MAX_SAFE_INTEGER,
    key: "match_end",
    type: "match_end",
    payload: { minute: minuteOf(lastPeriod, lastBound.last) },
  });

  drafts.sort((a, b) => a.period - b.period || a.sec - b.sec || a.order - b.order);

  // Wall-clock start of each period: the previous one's last event plus the break.
  const kickoff = meta?.dateutc !== undefined ? Date.parse(`${meta.dateutc.replace(" ", "T")}Z`) : Number.NaN;
  const start = options.kickoff?.getTime() ?? (Number.isFinite(kickoff) ? kickoff : DEFAULT_KICKOFF.getTime());
  const periodStart = new Map<number, number>();
  let clock = start;
  for (const p of played) {
    clock += BREAK_BEFORE_MS[p]!;
    periodStart.set(p, clock);
    clock += Math.ceil(Math.max(0, bounds.get(p)!.last) * 1000);
  }
  const wyId = meta?.wyId ?? (source[0] as { matchId?: number } | undefined)?.matchId ?? options.matchId;
  const events = drafts.map((d, i): MatchEvent => {
    const base = periodStart.get(d.period) ?? start;
    const sec = Number.isFinite(d.sec)
      ? Math.max(0, d.sec)
      : d.sec < 0
        ? 0
        : Math.max(0, bounds.get(d.period)?.last ?? 0);
    const event: MatchEvent = {
      eventId: uuidV5(`wyscout\u241f${wyId}\u241f${options.matchId}\u241f${d.key}`),
      matchId: options.matchId,
      sport: "football",
      type: d.type,
      timestamp: new Date(base + Math.round(sec * 1000)).toISOString(),
      seq: i + 1,
      payload: d.payload,
    };
    if (d.teamId !== undefined) event.teamId = d.teamId;
    if (d.playerId !== undefined) event.playerId = d.playerId;
    return event;
  });
  return { events, teams: [team1, team2], issues };
}

export interface WyscoutOfficial {
  /** Goals in play (regulation + extra time), team 1 first. */
  score: [number, number];
  penaltyShootout: [number, number];
  yellowCards: [number, number];
  /** Straight reds and second yellows. */
  redCards: [number, number];
}

/** The metadata's own result: scoreET is the score after extra time when the match had one. */
export function wyscoutOfficial(meta: WyscoutMatchMeta, teams: [number, number]): WyscoutOfficial {
  const out: WyscoutOfficial = { score: [0, 0], penaltyShootout: [0, 0], yellowCards: [0, 0], redCards: [0, 0] };
  teams.forEach((teamId, i) => {
    const t = meta.teamsData[String(teamId)];
    if (t === undefined) return;
    const extraTime = meta.duration !== undefined && meta.duration !== "Regular";
    out.score[i] = extraTime ? t.scoreET : t.score;
    out.penaltyShootout[i] = t.scoreP;
    for (const p of [...(t.formation?.lineup ?? []), ...(t.formation?.bench ?? [])]) {
      if (p.yellowCards !== "0") out.yellowCards[i]!++;
      if (p.redCards !== "0") out.redCards[i]!++;
    }
  });
  return out;
}

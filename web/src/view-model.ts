// What the page shows, computed from the API's shapes: scoreline, clock or round, CS2 sides and economy,
// feed entries and chart points. Pure (no DOM), so it is tested directly.
import type { LiveUpdate, MatchEvent, MatchStateView, PredictionView } from "../../packages/client/src";

export interface TeamRef {
  id: string;
  name: string;
  rating: number;
}

/** The fields of GET /v1/matches and /v1/matches/{id} the page reads. */
export interface MatchSummary {
  id: string;
  sport: string;
  team1: TeamRef | null;
  team2: TeamRef | null;
  startsAt: string | null;
  tournament: string | null;
  bestOf: number | null;
  status: string;
  updatedAt: string;
  activity: { lastEventAt: string | null; prediction: (PredictionView & { seq: number }) | null } | null;
}

/** One point of GET /v1/matches/{id}/predictions. */
export interface PredictionPoint {
  seq: number;
  at: string;
  pTeam1: number;
  pDraw?: number;
  pTeam2: number;
  modelVersion: string;
}

export function teamName(match: Pick<MatchSummary, "team1" | "team2"> | null, side: 1 | 2): string {
  const team = side === 1 ? match?.team1 : match?.team2;
  return team?.name ?? `Team ${side}`;
}

const STATUS_TEXT: Record<string, string> = {
  scheduled: "Not started",
  live: "Live",
  half_time: "Half time",
  finished: "Finished",
};

export function statusText(status: string): string {
  return STATUS_TEXT[status] ?? status.replaceAll("_", " ");
}

/** Orders a list for the page: live first, then the most recently updated. */
export function orderMatches(matches: readonly MatchSummary[]): MatchSummary[] {
  const rank = (m: MatchSummary) => (m.status === "live" ? 0 : m.status === "finished" ? 1 : 2);
  return [...matches].sort((a, b) => rank(a) - rank(b) || b.updatedAt.localeCompare(a.updatedAt));
}

const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
const pair = (v: unknown): [number, number] | undefined =>
  Array.isArray(v) && v.length === 2 && typeof v[0] === "number" && typeof v[1] === "number" ? [v[0], v[1]] : undefined;

const FOOTBALL_PERIODS = ["", "1st half", "2nd half", "Extra time, 1st half", "Extra time, 2nd half", "Penalties"];

/** The clock line: football minute and period, CS2 map and round. */
export function clockText(state: MatchStateView): string {
  const s = state as MatchStateView & Record<string, unknown>;
  if (state.sport === "cs2") {
    const map = s.currentMap as { number?: number; name?: string } | null | undefined;
    const round = num(s.round) ?? 0;
    if (state.status === "finished") return "Finished";
    if (!map) return statusText(state.status);
    return `Map ${map.number ?? "?"}${map.name ? ` (${map.name})` : ""} · round ${round}`;
  }
  if (state.status === "scheduled" || state.status === "half_time" || state.status === "finished") {
    return statusText(state.status);
  }
  const minute = num(s.minute);
  const period = FOOTBALL_PERIODS[num(s.period) ?? 0] ?? "";
  return [minute !== undefined ? `${minute}′` : "", period].filter(Boolean).join(" · ") || statusText(state.status);
}

export interface Cs2Details {
  roundScore: [number, number];
  sides: [string, string];
  economy: [number, number];
  alive: [number, number];
  bomb: string;
  maps: string;
}

/** CS2's round detail: round score, sides, equipment value, players alive, bomb. Null for other sports. */
export function cs2Details(state: MatchStateView): Cs2Details | null {
  if (state.sport !== "cs2") return null;
  const s = state as MatchStateView & Record<string, unknown>;
  const map = s.currentMap as { team1Side?: string } | null | undefined;
  const side1 = map?.team1Side ?? "–";
  const side2 = side1 === "CT" ? "T" : side1 === "T" ? "CT" : "–";
  const bestOf = num(s.bestOf);
  return {
    roundScore: pair(s.roundScore) ?? [0, 0],
    sides: [side1, side2],
    economy: pair(s.equipmentValue) ?? [0, 0],
    alive: pair(s.alive) ?? [0, 0],
    bomb: typeof s.bomb === "string" ? s.bomb : "none",
    maps: `${state.score[0]}–${state.score[1]}${bestOf ? ` (best of ${bestOf})` : ""}`,
  };
}

const EVENT_TEXT: Record<string, string> = {
  goal: "Goal",
  shot: "Shot",
  yellow_card: "Yellow card",
  red_card: "Red card",
  substitution: "Substitution",
  match_start: "Kick-off",
  match_end: "Match over",
  period_start: "Period starts",
  period_end: "Period ends",
  free_kick: "Free kick",
  map_start: "Map starts",
  map_end: "Map won",
  round_start: "Round starts",
  round_end: "Round won",
  bomb_planted: "Bomb planted",
  bomb_defused: "Bomb defused",
};

export interface FeedItem {
  /** The event id: one feed row per event, however often it is delivered. */
  id: string;
  /** "event" for ordinary updates, "correction" for corrections, else the frame type as sent. */
  kind: string;
  /** e.g. "12′" or "R7"; empty when the event does not say. */
  when: string;
  text: string;
  team: 1 | 2 | null;
}

/** What a correction event (`retract` / `amend`, any sport) does to an earlier event; null for other events. */
export function correctionOf(
  event: MatchEvent,
): { kind: "retract" | "amend"; targetEventId: string; reason?: string } | null {
  if (event.type !== "retract" && event.type !== "amend") return null;
  const p = (event.payload ?? {}) as Record<string, unknown>;
  if (typeof p.targetEventId !== "string") return null;
  return {
    kind: event.type,
    targetEventId: p.targetEventId.toLowerCase(),
    ...(typeof p.reason === "string" ? { reason: p.reason } : {}),
  };
}

/** One feed row for an event; types the page does not know are shown by name, never dropped. */
export function feedItem(event: MatchEvent, kind = "event", teams: MatchSummary | null = null): FeedItem {
  const correction = correctionOf(event);
  if (correction) {
    const what = correction.kind === "retract" ? "an earlier event was withdrawn" : "an earlier event was changed";
    const why = correction.reason ? ` (${correction.reason.replaceAll("_", " ")})` : "";
    return { id: event.eventId, kind: "correction", when: "", text: `Correction: ${what}${why}`, team: null };
  }
  const p = (event.payload ?? {}) as Record<string, unknown>;
  const minute = num(p.minute);
  const round = num(p.round);
  const when = minute !== undefined ? `${minute}′` : round !== undefined ? `R${round}` : "";
  let text = EVENT_TEXT[event.type] ?? capitalize(event.type.replaceAll("_", " "));
  if (event.type === "goal" && p.ownGoal === true) text += " (own goal)";
  if (event.type === "goal" && p.penalty === true) text += " (penalty)";
  if (event.type === "kill" && p.headshot === true) text += " (headshot)";
  const team = event.teamId === 1 || event.teamId === 2 ? event.teamId : null;
  if (team) text += ` · ${teamName(teams, team)}`;
  if (event.playerId) text += ` · ${event.playerId}`;
  if (kind === "correction") text = `Correction: ${text}`;
  else if (kind !== "event") text = `${kind}: ${text}`;
  return { id: event.eventId, kind, when, text, team };
}

/** The feed rows an update adds, oldest first. Frame types other than snapshot/update are labelled as such. */
export function feedItemsOf(update: LiveUpdate, teams: MatchSummary | null): FeedItem[] {
  const frameType: string = update.frame.type;
  const kind = frameType === "update" || frameType === "snapshot" ? "event" : frameType;
  return update.events.map((e) => feedItem(e, kind, teams));
}

/** The snapshot's recent events (state.lastEvents, oldest first) as feed rows. */
export function recentFeedItems(state: MatchStateView, teams: MatchSummary | null): FeedItem[] {
  const recent = (state as MatchStateView & { lastEvents?: unknown }).lastEvents;
  if (!Array.isArray(recent)) return [];
  return recent.flatMap(
    (r: {
      eventId?: unknown;
      type?: unknown;
      teamId?: unknown;
      minute?: unknown;
      round?: unknown;
      playerId?: unknown;
    }) => {
      if (typeof r.eventId !== "string" || typeof r.type !== "string") return [];
      const event: MatchEvent = {
        eventId: r.eventId,
        matchId: state.matchId,
        sport: state.sport,
        type: r.type,
        timestamp: state.updatedAt ?? "",
        payload: {
          ...(num(r.minute) !== undefined ? { minute: r.minute } : {}),
          ...(num(r.round) !== undefined ? { round: r.round } : {}),
        },
        ...(r.teamId === 1 || r.teamId === 2 ? { teamId: r.teamId } : {}),
        ...(typeof r.playerId === "string" ? { playerId: r.playerId } : {}),
      };
      return [feedItem(event, "event", teams)];
    },
  );
}

/** The win-probability series, keyed by room seq (REST history and live frames overlap), bounded. */
export class ProbabilitySeries {
  private readonly points = new Map<number, PredictionPoint>();

  constructor(private readonly max = 2_000) {}

  get size(): number {
    return this.points.size;
  }

  /** Adds a point; false when that seq is already there. */
  add(point: PredictionPoint): boolean {
    if (this.points.has(point.seq) || !Number.isFinite(Date.parse(point.at))) return false;
    this.points.set(point.seq, point);
    if (this.points.size > this.max) {
      const oldest = Math.min(...this.points.keys());
      this.points.delete(oldest);
    }
    return true;
  }

  /** uPlot's columns: x (seconds), team 1, draw (null where the sport has none), team 2; ordered by seq. */
  columns(): [number[], (number | null)[], (number | null)[], (number | null)[]] {
    const sorted = [...this.points.values()].sort((a, b) => a.seq - b.seq);
    return [
      sorted.map((p) => Date.parse(p.at) / 1000),
      sorted.map((p) => p.pTeam1),
      sorted.map((p) => p.pDraw ?? null),
      sorted.map((p) => p.pTeam2),
    ];
  }
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export function percent(p: number | undefined): string {
  return p === undefined ? "–" : `${Math.round(p * 100)}%`;
}

export function money(v: number): string {
  return `$${v.toLocaleString("en-US")}`;
}

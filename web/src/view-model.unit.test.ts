import { describe, expect, it } from "vitest";
import type { LiveUpdate, MatchEvent, MatchStateView } from "../../packages/client/src";
import {
  clockText,
  correctionOf,
  cs2Details,
  feedItem,
  feedItemsOf,
  type MatchSummary,
  orderMatches,
  ProbabilitySeries,
  recentFeedItems,
} from "./view-model";

const base = { matchId: "m", seq: 1, lastSeq: 1, eventsApplied: 1, gaps: [], updatedAt: null };
const football = (extra: Record<string, unknown>): MatchStateView =>
  ({ ...base, sport: "football", status: "live", score: [0, 0], minute: 0, period: 1, ...extra }) as MatchStateView;
const event = (type: string, extra: Partial<MatchEvent> = {}): MatchEvent => ({
  eventId: `id-${type}`,
  matchId: "m",
  sport: "football",
  type,
  timestamp: "2026-11-21T15:00:00Z",
  ...extra,
});
const teams = { team1: { id: "a", name: "Harbour City", rating: 1500 }, team2: null } as MatchSummary;

describe("clockText", () => {
  it("shows the football minute and period, or the pause", () => {
    expect(clockText(football({ minute: 67, period: 2 }))).toBe("67′ · 2nd half");
    expect(clockText(football({ status: "half_time", minute: 45 }))).toBe("Half time");
    expect(clockText(football({ status: "scheduled" }))).toBe("Not started");
  });

  it("shows the CS2 map and round", () => {
    const state = {
      ...base,
      sport: "cs2",
      status: "live",
      score: [1, 0] as [number, number],
      round: 7,
      currentMap: { number: 2, name: "Inferno" },
    };
    expect(clockText(state as MatchStateView)).toBe("Map 2 (Inferno) · round 7");
  });
});

describe("cs2Details", () => {
  it("gives round score, both sides, economy and the series", () => {
    const state = {
      ...base,
      sport: "cs2",
      status: "live",
      score: [1, 0] as [number, number],
      bestOf: 3,
      roundScore: [5, 3],
      equipmentValue: [4100, 22500],
      alive: [3, 5],
      bomb: "planted",
      currentMap: { number: 2, name: "Inferno", team1Side: "T", team1StartingSide: "CT" },
    };
    expect(cs2Details(state as MatchStateView)).toEqual({
      roundScore: [5, 3],
      sides: ["T", "CT"],
      economy: [4100, 22500],
      alive: [3, 5],
      bomb: "planted",
      maps: "1–0 (best of 3)",
    });
    expect(cs2Details(football({}))).toBeNull();
  });
});

describe("feed", () => {
  it("labels known events with their team, minute or round", () => {
    expect(
      feedItem(event("goal", { teamId: 1, payload: { minute: 12, penalty: true } }), "event", teams),
    ).toMatchObject({
      when: "12′",
      text: "Goal (penalty) · Harbour City",
      team: 1,
    });
    expect(feedItem(event("kill", { teamId: 2, playerId: "p9", payload: { round: 4, headshot: true } })).text).toBe(
      "Kill (headshot) · Team 2 · p9",
    );
  });

  it("shows an event type it does not know by name instead of failing", () => {
    expect(feedItem(event("var_review", { payload: { minute: 80 } }))).toMatchObject({
      text: "Var review",
      when: "80′",
    });
  });

  it("marks corrections and frame types it does not know, and lists each event of a frame in order", () => {
    const update = (type: string): LiveUpdate =>
      ({
        type: "update",
        seq: 3,
        state: football({}),
        prediction: null,
        events: [event("foul"), event("corner")],
        frame: { type },
      }) as unknown as LiveUpdate;
    expect(feedItemsOf(update("update"), null).map((i) => [i.kind, i.text])).toEqual([
      ["event", "Foul"],
      ["event", "Corner"],
    ]);
    expect(feedItemsOf(update("correction"), null)[0]).toMatchObject({ kind: "correction", text: "Correction: Foul" });
    expect(feedItemsOf(update("retraction"), null)[0]).toMatchObject({ kind: "retraction", text: "retraction: Foul" });
  });

  it("shows retract and amend events (any frame) as corrections", () => {
    const retract = event("retract", { payload: { targetEventId: "ABC", reason: "var_no_goal" } });
    expect(feedItem(retract)).toMatchObject({
      kind: "correction",
      text: "Correction: an earlier event was withdrawn (var no goal)",
    });
    expect(correctionOf(retract)).toEqual({ kind: "retract", targetEventId: "abc", reason: "var_no_goal" });
    expect(correctionOf(event("goal"))).toBeNull();
  });

  it("turns a snapshot's recent events into rows and skips malformed entries", () => {
    const state = football({
      lastEvents: [
        { eventId: "e1", type: "shot", teamId: 2, minute: 3 },
        { type: "pass" },
        { eventId: "e2", type: "goal", teamId: 1, minute: 9, playerId: "p7" },
      ],
    });
    expect(recentFeedItems(state, teams).map((i) => [i.id, i.when, i.text])).toEqual([
      ["e1", "3′", "Shot · Team 2"],
      ["e2", "9′", "Goal · Harbour City · p7"],
    ]);
  });
});

describe("ProbabilitySeries", () => {
  const point = (seq: number, p: number) => ({
    seq,
    at: new Date(Date.UTC(2026, 0, 1, 15, 0, seq)).toISOString(),
    pTeam1: p,
    pTeam2: 1 - p,
    modelVersion: "v",
  });

  it("merges history and live points by seq, in seq order, each once", () => {
    const s = new ProbabilitySeries();
    expect(s.add(point(3, 0.6))).toBe(true);
    expect(s.add(point(1, 0.5))).toBe(true);
    expect(s.add(point(3, 0.6))).toBe(false);
    const [x, team1, draw, team2] = s.columns();
    expect(team1).toEqual([0.5, 0.6]);
    expect(draw).toEqual([null, null]);
    expect(team2).toEqual([0.5, 1 - 0.6]);
    expect(x[1]! - x[0]!).toBe(2);
  });

  it("is bounded: the oldest points go first", () => {
    const s = new ProbabilitySeries(3);
    for (let seq = 1; seq <= 5; seq++) s.add(point(seq, seq / 10));
    expect(s.size).toBe(3);
    expect(s.columns()[1]).toEqual([0.3, 0.4, 0.5]);
  });
});

describe("orderMatches", () => {
  it("puts live matches first, then the most recently updated", () => {
    const m = (id: string, status: string, updatedAt: string) => ({ id, status, updatedAt }) as MatchSummary;
    const ordered = orderMatches([
      m("a", "finished", "2026-01-02"),
      m("b", "live", "2026-01-01"),
      m("c", "finished", "2026-01-03"),
    ]);
    expect(ordered.map((x) => x.id)).toEqual(["b", "c", "a"]);
  });
});

import { describe, expect, it } from "vitest";
import { parseEvent } from "../../contract/event";
import { footballEvent } from "../../testing/events";
import type { MatchEvent, TeamSide } from "../sport";
import { type FootballState, football } from "./index";
import { MAX_PLAYERS_LISTED } from "./state";

let n = 0;
function ev(type: string, teamId?: TeamSide, payload?: Record<string, unknown>, playerId?: string): MatchEvent {
  n++;
  const e: MatchEvent = {
    eventId: `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`,
    matchId: "m1",
    sport: "football",
    type,
    timestamp: "2026-03-01T15:00:00Z",
    seq: n,
  };
  if (teamId !== undefined) e.teamId = teamId;
  if (payload !== undefined) e.payload = payload;
  if (playerId !== undefined) e.playerId = playerId;
  return e;
}

const play = (events: MatchEvent[], from: FootballState = football.initialState()): FootballState =>
  events.reduce(football.applyEvent, from);

/** A full match: 2-2 after an own goal and a late penalty, a second yellow and a straight red. */
const fullMatch = (): MatchEvent[] => [
  ev("match_start"),
  ev("period_start", undefined, { period: 1, minute: 0 }),
  ev("pass", 1, { minute: 1 }, "h8"),
  ev("shot", 1, { minute: 5, onTarget: true }, "h9"),
  ev("corner", 1, { minute: 6 }),
  ev("goal", 1, { minute: 9 }, "h9"),
  ev("foul", 2, { minute: 14, reason: "trip" }, "a4"),
  ev("free_kick", 1, { minute: 15 }),
  ev("yellow_card", 2, { minute: 14, reason: "trip" }, "a4"),
  ev("offside", 2, { minute: 22 }),
  ev("interception", 1, { minute: 30 }),
  ev("goal", 2, { minute: 38, ownGoal: true }, "h5"), // h5 of team 1 scores into his own net: credited to team 2
  ev("period_end", undefined, { period: 1, minute: 47 }),
  ev("period_start", undefined, { period: 2, minute: 45 }),
  ev("substitution", 2, { minute: 46, playerIn: "a12", playerOut: "a7" }),
  ev("shot", 2, { minute: 55, onTarget: false }, "a9"),
  ev("yellow_card", 1, { minute: 58 }, "h3"),
  ev("yellow_card", 2, { minute: 61 }, "a4"), // second yellow → red
  ev("red_card", 2, { minute: 61 }, "a4"), // the feed's follow-up red for the same player: not counted twice
  ev("goal", 2, { minute: 70 }, "a9"),
  ev("red_card", 1, { minute: 80, reason: "violent conduct" }, "h6"),
  ev("goal", 1, { minute: 94, penalty: true }, "h9"),
  ev("period_end", undefined, { period: 2, minute: 96 }),
  ev("match_end", undefined, { minute: 96 }),
];

describe("football reducer", () => {
  it("starts scheduled with nothing counted", () => {
    const s = football.initialState();
    expect(s.status).toBe("scheduled");
    expect(s.score).toEqual([0, 0]);
    expect(s.period).toBe(0);
    expect(football.initialState()).not.toBe(s); // fresh object every time
  });

  it("plays a full match: two halves, own goal, second yellow, straight red", () => {
    const s = play(fullMatch());
    expect(s).toMatchObject({
      status: "finished",
      period: 2,
      minute: 96,
      score: [2, 2],
      penaltyShootout: [0, 0],
      yellowCards: [1, 2],
      redCards: [1, 1],
      shots: [1, 1],
      shotsOnTarget: [1, 0],
      corners: [1, 0],
      fouls: [0, 1],
      offsides: [0, 1],
      passes: [1, 0],
      freeKicks: [1, 0],
      interceptions: [1, 0],
      substitutions: [0, 1],
      cautioned: ["2:a4", "1:h3"],
      sentOff: ["2:a4", "1:h6"],
    });
    expect(s.lastEvents).toHaveLength(10);
    expect(s.lastEvents.at(-1)).toMatchObject({ type: "match_end", minute: 96 });
    expect(s.lastEvents.at(-3)).toEqual({
      eventId: expect.any(String),
      type: "goal",
      teamId: 1,
      minute: 94,
      playerId: "h9",
    });
  });

  it("walks the status through the match", () => {
    const events = fullMatch();
    const statuses: string[] = [];
    events.reduce((s, e) => {
      const next = football.applyEvent(s, e);
      if (next.status !== statuses.at(-1)) statuses.push(next.status);
      return next;
    }, football.initialState());
    expect(statuses).toEqual(["live", "half_time", "live", "finished"]);
  });

  it("is half time after period 1 and live again in period 2", () => {
    const ht = play([
      ev("period_start", undefined, { period: 1 }),
      ev("period_end", undefined, { period: 1, minute: 46 }),
    ]);
    expect(ht).toMatchObject({ status: "half_time", period: 1, minute: 46 });
    const second = play([ev("period_start", undefined, { period: 2, minute: 45 })], ht);
    expect(second).toMatchObject({ status: "live", period: 2, minute: 46 }); // minute never goes back
  });

  it("keeps counting stats after the final whistle but stays finished", () => {
    const done = play(fullMatch());
    const late = play(
      [ev("corner", 1, { minute: 96 }), ev("period_start", undefined, { period: 3 }), ev("match_start")],
      done,
    );
    expect(late.status).toBe("finished");
    expect(late.period).toBe(2);
    expect(late.corners).toEqual([2, 0]);
  });

  it("puts extra time and shoot-out goals in the right place", () => {
    const s = play([
      ev("period_start", undefined, { period: 1 }),
      ev("goal", 1, { minute: 20 }),
      ev("goal", 2, { minute: 80 }),
      ev("period_end", undefined, { period: 2, minute: 90 }),
      ev("period_start", undefined, { period: 3, minute: 90 }),
      ev("period_end", undefined, { period: 3, minute: 105 }),
    ]);
    expect(s).toMatchObject({ status: "half_time", period: 3, score: [1, 1] });
    const pens = play(
      [
        ev("period_start", undefined, { period: 4, minute: 105 }),
        ev("period_end", undefined, { period: 4, minute: 121 }),
        ev("period_start", undefined, { period: 5 }),
        ev("goal", 1, { minute: 121, penalty: true }),
        ev("goal", 2, { minute: 121, penalty: true }),
        ev("goal", 2, { minute: 121, penalty: true }),
        ev("period_end", undefined, { period: 5 }),
        ev("match_end"),
      ],
      s,
    );
    expect(pens).toMatchObject({ status: "finished", period: 5, score: [1, 1], penaltyShootout: [1, 2] });
  });

  it("counts cards without a player but cannot link them", () => {
    const s = play([ev("yellow_card", 1, { minute: 10 }), ev("yellow_card", 1, { minute: 20 })]);
    expect(s.yellowCards).toEqual([2, 0]);
    expect(s.redCards).toEqual([0, 0]);
  });

  it("tells players of different teams apart when linking yellows", () => {
    const s = play([ev("yellow_card", 1, { minute: 10 }, "p7"), ev("yellow_card", 2, { minute: 20 }, "p7")]);
    expect(s.redCards).toEqual([0, 0]);
  });

  it("treats an in-play event before kick-off as proof the match is live", () => {
    const s = play([ev("goal", 2, { minute: 3 })]);
    expect(s).toMatchObject({ status: "live", period: 1, score: [0, 1] });
  });

  it("ignores stale period events and events of unknown types", () => {
    const s = play([ev("period_start", undefined, { period: 2 }), ev("period_end", undefined, { period: 1 })]);
    expect(s).toMatchObject({ status: "live", period: 2 });
    const same = play([ev("throw_in", 1, { minute: 3 })], s);
    expect(same.score).toEqual(s.score);
    expect(same.lastEvents.at(-1)?.type).toBe("throw_in");
  });

  it("keeps only the last 10 events, oldest first", () => {
    const events = Array.from({ length: 15 }, (_, i) => ev("pass", 1, { minute: i }));
    const s = play(events);
    expect(s.lastEvents.map((e) => e.minute)).toEqual([5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
  });

  it("never mutates its input state", () => {
    const events = fullMatch();
    let s = football.initialState();
    for (const e of events) {
      const before = structuredClone(s);
      const next = football.applyEvent(s, e);
      expect(s).toEqual(before);
      expect(next).not.toBe(s);
      s = next;
    }
  });

  it("accepts every event of the full match through the contract", () => {
    for (const e of fullMatch()) expect(parseEvent(e, new Date("2026-03-01T16:00:00Z"))).toMatchObject({ ok: true });
  });
});

describe("football win probability of a live state", () => {
  it("keeps a live match uncertain at a stoppage-time minute 90, and certain once finished", () => {
    const strength = { rating: [1500, 1500] as [number, number], neutral: false };
    const live: FootballState = {
      ...football.initialState(),
      status: "live",
      minute: 90,
      score: [1, 0] as [number, number],
    };
    const p = football.winProbability(live, strength);
    expect(p.pTeam1).toBeGreaterThan(0.8);
    expect(p.pTeam1).toBeLessThan(1);
    expect(football.winProbability({ ...live, status: "finished" }, strength).pTeam1).toBe(1);
  });
});

describe("football reducer: bounded state", () => {
  it("thousands of cards for distinct players keep the player lists capped and the counts exact", () => {
    let s = football.initialState();
    for (let i = 0; i < 3_000; i++) {
      const card = footballEvent("m", i % 2 ? "yellow_card" : "red_card", {
        teamId: 1,
        playerId: `p${i}`,
        payload: { minute: 10 },
      });
      s = football.applyEvent(s, card);
    }
    expect(s.cautioned.length).toBeLessThanOrEqual(MAX_PLAYERS_LISTED);
    expect(s.sentOff.length).toBeLessThanOrEqual(MAX_PLAYERS_LISTED);
    expect(s.yellowCards).toEqual([1_500, 0]);
    expect(s.redCards).toEqual([1_500, 0]);
    expect(JSON.stringify(s).length).toBeLessThan(10_000);
  });
});

describe("football reducer: video review and corrections", () => {
  it("var_review marks a review under way until var_decision; corrections never reach the reducer's state", () => {
    const s = play([ev("match_start"), ev("var_review", undefined, { minute: 30 })]);
    expect(s.varReview).toBe(true);
    const decided = play([ev("var_decision", undefined, { minute: 31, outcome: "overturned" })], s);
    expect(decided.varReview).toBe(false);
    expect(decided.score).toEqual([0, 0]);
  });

  it("the contract accepts retract and amend for football, with their payloads checked", () => {
    const target = "3f2b8c1e-9a4d-4e7b-8c2a-1d5e6f7a8b9c";
    const base = { eventId: "4f2b8c1e-9a4d-4e7b-8c2a-1d5e6f7a8b9c", matchId: "m", sport: "football" };
    const at = { timestamp: "2026-03-01T15:00:00Z" };
    expect(
      parseEvent({ ...base, ...at, type: "retract", payload: { targetEventId: target, reason: "var_no_goal" } }).ok,
    ).toBe(true);
    expect(
      parseEvent({ ...base, ...at, type: "amend", payload: { targetEventId: target, changes: { teamId: 2 } } }).ok,
    ).toBe(true);
    expect(parseEvent({ ...base, ...at, type: "amend", payload: { targetEventId: target, changes: {} } }).ok).toBe(
      false,
    );
    expect(parseEvent({ ...base, ...at, type: "retract", payload: { targetEventId: "x", reason: "r" } }).ok).toBe(
      false,
    );
  });
});

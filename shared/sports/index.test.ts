import { describe, expect, it } from "vitest";
import { cs2Features, cs2 as cs2Sport } from "./cs2";
import { footballFeatures, football as footballSport } from "./football";
import { sportNames, sportOf, sports } from "./index";
import type { MatchEvent, TeamStrength } from "./sport";

const even: TeamStrength = { rating: [1500, 1500], neutral: true };

let n = 0;
const ev = (sport: string, type: string, teamId?: 1 | 2, payload?: Record<string, unknown>): MatchEvent => ({
  eventId: `00000000-0000-4000-8000-${String(++n).padStart(12, "0")}`,
  matchId: "m",
  sport,
  type,
  timestamp: "2026-03-01T18:00:00Z",
  ...(teamId === undefined ? {} : { teamId }),
  ...(payload === undefined ? {} : { payload }),
});

describe("sport registry", () => {
  it("lists football and cs2", () => {
    expect(sportNames).toEqual(["football", "cs2"]);
    expect(sportOf("football")?.sport).toBe("football");
    expect(sportOf("cs2")?.sport).toBe("cs2");
  });

  it("resolves only registered names", () => {
    for (const name of ["tennis", "constructor", "__proto__", "toString", ""]) expect(sportOf(name)).toBeUndefined();
  });

  it.each(Object.entries(sports))("%s is a consistent module", (name, sport) => {
    expect(sport.sport).toBe(name);
    expect(new Set(sport.eventTypes).size).toBe(sport.eventTypes.length);
    for (const t of sport.teamEventTypes) expect(sport.eventTypes).toContain(t);
    for (const t of Object.keys(sport.payloadSchemas)) expect(sport.eventTypes).toContain(t);
    expect(sport.modelVersion).toMatch(/\S/);
    const p = sport.winProbability(sport.initialState(), even);
    expect(p.modelVersion).toBe(sport.modelVersion);
    expect(p.pTeam1 + (p.pDraw ?? 0) + p.pTeam2).toBeCloseTo(1, 9);
  });
});

describe("football win probability", () => {
  const football = footballSport;
  const play = (events: MatchEvent[]) => events.reduce(football.applyEvent, football.initialState());

  it("feeds the model minute, score, red cards and strength", () => {
    const s = play([ev("football", "goal", 2, { minute: 30 }), ev("football", "red_card", 1, { minute: 40 })]);
    expect(footballFeatures(s, { rating: [1600, 1450], neutral: false })).toEqual({
      minute: 40,
      score: [0, 1],
      redCards: [1, 0],
      elo: [1600, 1450],
      neutral: false,
    });
  });

  it("favours the leading team while the match is on", () => {
    const p = football.winProbability(play([ev("football", "goal", 1, { minute: 80 })]), even);
    expect(p.pTeam1).toBeGreaterThan(p.pTeam2);
    expect(p.pDraw).toBeGreaterThan(0);
  });

  it("is certain once the match is finished", () => {
    const end = ev("football", "match_end");
    expect(football.winProbability(play([ev("football", "goal", 2, { minute: 5 }), end]), even)).toMatchObject({
      pTeam1: 0,
      pDraw: 0,
      pTeam2: 1,
    });
    expect(football.winProbability(play([end]), even)).toMatchObject({ pTeam1: 0, pDraw: 1, pTeam2: 0 });
    const shootout = play([
      ev("football", "period_start", undefined, { period: 5 }),
      ev("football", "goal", 1, { minute: 120 }),
      end,
    ]);
    expect(football.winProbability(shootout, even)).toMatchObject({ pTeam1: 1, pDraw: 0, pTeam2: 0 });
  });
});

describe("cs2 win probability", () => {
  const cs2 = cs2Sport;
  const play = (events: MatchEvent[]) => events.reduce(cs2.applyEvent, cs2.initialState());
  const opening = [
    ev("cs2", "match_start", undefined, { bestOf: 3 }),
    ev("cs2", "map_start", undefined, { mapNumber: 1, mapName: "de_nuke", startingSide: "T" }),
    ev("cs2", "round_start", undefined, { round: 1, equipmentValue: { team1: 4000, team2: 4500 } }),
  ];

  it("feeds the model the live round", () => {
    const s = play([
      ...opening,
      ev("cs2", "kill", 1, { round: 1, victimPlayerId: "v", weapon: "glock" }),
      ev("cs2", "bomb_planted", 1, { round: 1 }),
    ]);
    expect(cs2Features(s, { rating: [1700, 1500], neutral: true })).toEqual({
      bestOf: 3,
      mapsWon: [0, 0],
      roundScore: [0, 0],
      team1Side: "T",
      equipmentValue: [4000, 4500],
      alive: [5, 4],
      bomb: "planted",
      rating: [1700, 1500],
    });
  });

  it("feeds a fresh round between rounds so the last one is not counted twice", () => {
    const s = play([
      ...opening,
      ev("cs2", "bomb_planted", 1, { round: 1 }),
      ev("cs2", "round_end", 1, { round: 1, reason: "bomb_exploded" }),
    ]);
    expect(cs2Features(s, even)).toMatchObject({ roundScore: [1, 0], alive: [5, 5], bomb: "none" });
  });

  it("gives pTeam2 as the complement and no draw", () => {
    const p = cs2.winProbability(play(opening), even);
    expect(p.pDraw).toBeUndefined();
    expect(p.pTeam1 + p.pTeam2).toBeCloseTo(1, 12);
  });

  it("is certain once the match is finished", () => {
    const s = play([...opening, ev("cs2", "map_end", 2), ev("cs2", "match_end", 2)]);
    expect(cs2.winProbability(s, even)).toMatchObject({ pTeam1: 0, pTeam2: 1 });
  });
});

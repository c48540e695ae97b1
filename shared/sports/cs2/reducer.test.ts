import { describe, expect, it } from "vitest";
import { parseEvent } from "../../contract/event";
import type { MatchEvent, TeamSide } from "../sport";
import { type Cs2State, cs2, type Side } from "./index";
import { MAX_MAPS } from "./state";

let n = 0;
function ev(type: string, teamId?: TeamSide, payload?: Record<string, unknown>, playerId?: string): MatchEvent {
  n++;
  const e: MatchEvent = {
    eventId: `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`,
    matchId: "cs-final",
    sport: "cs2",
    type,
    timestamp: "2026-03-01T18:00:00Z",
    seq: n,
  };
  if (teamId !== undefined) e.teamId = teamId;
  if (payload !== undefined) e.payload = payload;
  if (playerId !== undefined) e.playerId = playerId;
  return e;
}

const play = (events: MatchEvent[], from: Cs2State = cs2.initialState()): Cs2State =>
  events.reduce(cs2.applyEvent, from);

const round = (r: number, winner: TeamSide, reason = "elimination"): MatchEvent[] => [
  ev("round_start", undefined, { round: r, equipmentValue: { team1: 4000 + r, team2: 5000 + r } }),
  ev("round_end", winner, { round: r, reason }),
];

/** Rounds `from`..`to` won by the given sequence of winners. */
const rounds = (from: number, winners: TeamSide[]): MatchEvent[] => winners.flatMap((w, i) => round(from + i, w));

const times = (k: number, w: TeamSide): TeamSide[] => Array.from({ length: k }, () => w);
const alternate = (k: number): TeamSide[] => Array.from({ length: k }, (_, i) => ((i % 2) + 1) as TeamSide);

describe("cs2 reducer: a best-of-3 with an overtime map", () => {
  const map1 = [
    ev("map_start", undefined, { mapNumber: 1, mapName: "de_mirage", startingSide: "CT" }),
    ...rounds(1, [...times(8, 1), ...times(5, 2), ...times(5, 1)]), // 13-5
    ev("map_end", 1),
  ];
  // Team 1 starts on T; 12-12 after regulation, 3-3 in the first overtime, team 2 takes the second 4-0.
  const map2 = [
    ev("map_start", undefined, { mapNumber: 2, mapName: "de_nuke", startingSide: "T" }),
    ...rounds(1, alternate(24)),
    ...rounds(25, alternate(6)),
    ...rounds(31, times(4, 2)),
    ev("map_end", 2),
  ];
  const map3Start = [ev("map_start", undefined, { mapNumber: 3, mapName: "de_inferno", startingSide: "CT" })];

  it("follows the series map by map", () => {
    const start = play([ev("match_start", undefined, { bestOf: 3 })]);
    expect(start).toMatchObject({ status: "live", bestOf: 3, mapsWon: [0, 0], currentMap: null });

    const afterMap1 = play(map1, start);
    expect(afterMap1).toMatchObject({
      mapsWon: [1, 0],
      score: [1, 0],
      mapWinners: [1],
      mapResults: [{ number: 1, name: "de_mirage", roundScore: [13, 5], winner: 1 }],
      currentMap: null,
      round: 0,
      roundScore: [0, 0],
      equipmentByRound: [],
      alive: [5, 5],
      bomb: "none",
    });

    const afterMap2 = play(map2, afterMap1);
    expect(afterMap2.mapsWon).toEqual([1, 1]);
    expect(afterMap2.mapResults[1]).toEqual({ number: 2, name: "de_nuke", roundScore: [15, 19], winner: 2 });

    const map3 = play(
      [...map3Start, ...rounds(1, [...alternate(22), 1, 1]), ev("map_end", 1), ev("match_end", 1)],
      afterMap2,
    );
    expect(map3).toMatchObject({ status: "finished", winner: 1, mapsWon: [2, 1], mapWinners: [1, 2, 1] });
    expect(map3.mapResults.map((m) => m.roundScore)).toEqual([
      [13, 5],
      [15, 19],
      [13, 11],
    ]);
  });

  it("swaps sides at half time and in overtime (team 1 starts map 2 on T)", () => {
    const base = play([ev("match_start", undefined, { bestOf: 3 }), ...map1]);
    const sides: Record<number, Side> = {};
    map2.reduce((s, e) => {
      const next = cs2.applyEvent(s, e);
      if (e.type === "round_start") sides[next.round] = next.currentMap!.team1Side;
      return next;
    }, base);
    const expected = (from: number, to: number, side: Side) => {
      for (let r = from; r <= to; r++) expect([r, sides[r]]).toEqual([r, side]);
    };
    expected(1, 12, "T");
    expected(13, 24, "CT");
    expected(25, 27, "CT"); // overtime starts on the side of the second half
    expected(28, 30, "T");
    expected(31, 33, "T"); // and so does the next overtime
    expected(34, 34, "CT");
  });

  it("shows the next round's side as soon as a half ends", () => {
    const s = play([
      ev("map_start", undefined, { mapNumber: 1, mapName: "de_ancient", startingSide: "CT" }),
      ...rounds(1, times(12, 1)),
    ]);
    expect(s).toMatchObject({ round: 12, roundInProgress: false, roundScore: [12, 0] });
    expect(s.currentMap?.team1Side).toBe("T");
  });

  it("keeps the last 30 rounds of equipment on the current map", () => {
    const s = play([
      ev("map_start", undefined, { mapNumber: 2, mapName: "de_nuke", startingSide: "T" }),
      ...rounds(1, alternate(34)),
    ]);
    expect(s.equipmentByRound).toHaveLength(30);
    expect(s.equipmentByRound[0]).toEqual({ round: 5, team1: 4005, team2: 5005 });
    expect(s.equipmentByRound.at(-1)).toEqual({ round: 34, team1: 4034, team2: 5034 });
    expect(s.equipmentValue).toEqual([4034, 5034]);
  });
});

describe("cs2 reducer: inside a round", () => {
  const started = play([
    ev("match_start", undefined, { bestOf: 1 }),
    ev("map_start", undefined, { mapNumber: 1, mapName: "de_dust2", startingSide: "CT" }),
    ev("round_start", undefined, { round: 1, equipmentValue: { team1: 3900, team2: 4100 } }),
  ]);

  it("starts a round with five alive on each side", () => {
    expect(started).toMatchObject({
      round: 1,
      roundInProgress: true,
      alive: [5, 5],
      bomb: "none",
      equipmentValue: [3900, 4100],
    });
    expect(started.equipmentByRound).toEqual([{ round: 1, team1: 3900, team2: 4100 }]);
  });

  it("counts kills, headshots and who is alive; plants and defuses", () => {
    const kill = (team: TeamSide, headshot: boolean, victimTeamId?: TeamSide) =>
      ev(
        "kill",
        team,
        { round: 1, victimPlayerId: "v", weapon: "ak47", headshot, ...(victimTeamId ? { victimTeamId } : {}) },
        "k",
      );
    const mid = play(
      [kill(1, true), kill(1, false), kill(2, true), ev("bomb_planted", 2, { round: 1, site: "A" })],
      started,
    );
    expect(mid).toMatchObject({ alive: [4, 3], kills: [2, 1], headshots: [1, 1], bomb: "planted" });

    const teamKill = play([kill(2, false, 2)], mid);
    expect(teamKill).toMatchObject({ alive: [4, 2], kills: [2, 1] });

    const defused = play(
      [ev("bomb_defused", 1, { round: 1 }), ev("round_end", 1, { round: 1, reason: "bomb_defused" })],
      teamKill,
    );
    expect(defused).toMatchObject({ bomb: "defused", roundScore: [1, 0], roundInProgress: false, alive: [4, 2] });

    const next = play([ev("round_start", undefined, { round: 2 })], defused);
    expect(next).toMatchObject({
      round: 2,
      alive: [5, 5],
      bomb: "none",
      equipmentValue: [0, 0],
      roundInProgress: true,
    });
    expect(next.equipmentByRound).toHaveLength(1); // no economy sent for round 2
  });

  it("never counts alive below zero", () => {
    const kills = Array.from({ length: 7 }, () => ev("kill", 1, { round: 1, victimPlayerId: "v", weapon: "awp" }));
    expect(play(kills, started).alive).toEqual([5, 0]);
  });

  it("marks an exploded bomb at round end", () => {
    const s = play(
      [ev("bomb_planted", 2, { round: 1 }), ev("round_end", 2, { round: 1, reason: "bomb_exploded" })],
      started,
    );
    expect(s).toMatchObject({ bomb: "exploded", roundScore: [0, 1] });
  });

  it("derives the winner from maps when match_end names none", () => {
    const s = play([ev("round_end", 2, { round: 1, reason: "time" }), ev("map_end", 2), ev("match_end")], started);
    expect(s).toMatchObject({ status: "finished", winner: 2 });
    expect(play([ev("match_start", undefined, { bestOf: 3 })], s).status).toBe("finished");
  });

  it("goes live on the first event even if match_start was lost", () => {
    expect(play([ev("map_start", undefined, { mapNumber: 1, mapName: "de_train", startingSide: "T" })]).status).toBe(
      "live",
    );
  });

  it("keeps only the last 10 events with their round", () => {
    const s = play(rounds(2, alternate(6)), started);
    expect(s.lastEvents).toHaveLength(10);
    expect(s.lastEvents.at(-1)).toEqual({ eventId: expect.any(String), type: "round_end", teamId: 2, round: 7 });
  });

  it("never mutates its input state", () => {
    const events = [
      ev("map_start", undefined, { mapNumber: 1, mapName: "de_vertigo", startingSide: "T" }),
      ev("round_start", undefined, { round: 1, equipmentValue: { team1: 1, team2: 2 } }),
      ev("kill", 1, { round: 1, victimPlayerId: "v", weapon: "usp", headshot: true }),
      ev("bomb_planted", 1, { round: 1 }),
      ev("round_end", 1, { round: 1, reason: "bomb_exploded" }),
      ev("map_end", 1),
      ev("match_end", 1),
    ];
    let s = cs2.initialState();
    for (const e of events) {
      const before = structuredClone(s);
      const next = cs2.applyEvent(s, e);
      expect(s).toEqual(before);
      expect(next).not.toBe(s);
      s = next;
    }
  });

  it("builds only events the contract accepts", () => {
    const all = [
      ...rounds(1, [1]),
      ev("map_end", 1),
      ev("match_end"),
      ev("kill", 1, { round: 1, victimPlayerId: "v", weapon: "awp" }),
    ];
    for (const e of all) expect(parseEvent(e, new Date("2026-03-01T18:00:00Z"))).toMatchObject({ ok: true });
  });
});

describe("cs2 reducer: bounded state", () => {
  it("a feed sending thousands of map ends keeps the map lists capped and the map counts exact", () => {
    let s = cs2.initialState();
    for (let i = 0; i < 3_000; i++) s = cs2.applyEvent(s, ev("map_end", ((i % 2) + 1) as TeamSide, {}));
    expect(s.mapsWon).toEqual([1_500, 1_500]);
    expect(s.mapResults.length).toBeLessThanOrEqual(MAX_MAPS);
    expect(s.mapWinners.length).toBeLessThanOrEqual(MAX_MAPS);
  });
});

describe("cs2 reducer: map restart", () => {
  it("mp_restartgame: the map starts over on its starting sides and its kills stop counting", () => {
    const before = play([
      ev("map_start", undefined, { mapNumber: 1, mapName: "de_inferno", startingSide: "T" }),
      ...rounds(1, times(13, 1)),
      ev("map_end", 1, {}),
      ev("map_start", undefined, { mapNumber: 2, mapName: "de_nuke", startingSide: "CT" }),
      ev("round_start", undefined, { round: 1 }),
      ev("kill", 1, { round: 1, victimPlayerId: "v", weapon: "ak47", headshot: true }),
    ]);
    const kills = before.kills;
    expect(kills[0]).toBeGreaterThan(0);
    const after = play([ev("map_restart", undefined, { reason: "warmup over" })], before);
    expect(after).toMatchObject({
      round: 0,
      roundScore: [0, 0],
      mapsWon: [1, 0],
      currentMap: { name: "de_nuke", team1Side: "CT" },
    });
    expect(after.kills).toEqual([kills[0] - 1, kills[1]]);
    expect(after.headshots).toEqual([before.headshots[0] - 1, before.headshots[1]]);
  });
});

// The CS2 GSI adapter on the 192 real POSTs of ../shared/data/cs/gsi (read at test time) and on synthetic
// bodies: garbage, truncated JSON, replays, out-of-order POSTs, half-time swaps seen with and without the
// owner's own team, game over across a series.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { WYSCOUT_DATA_DIR } from "../../../dev/simulator/wyscout-data";
import { parseEvent } from "../../contract/event";
import { seededRng } from "../../random";
import { cs2 } from "../../sports/cs2";
import type { Cs2State } from "../../sports/cs2/state";
import type { MatchEvent } from "../../sports/sport";
import { type GsiCursor, gsiToken, newGsiCursor, parseGsiPost, parseGsiPostText } from "./parse";

const CAPTURE = join(WYSCOUT_DATA_DIR, "../cs/gsi/cs2-gsi-capture.json.gz");
interface Post {
  body: string;
}
const posts = (): string[] =>
  (JSON.parse(gunzipSync(readFileSync(CAPTURE)).toString("utf8")) as Post[]).map((p) => p.body);

const NOW = new Date("2030-01-01T00:00:00Z");
const RECEIVED = new Date("2025-09-27T20:00:00Z");

function replay(bodies: string[], cursor: GsiCursor) {
  const events: MatchEvent[] = [];
  const issues: string[] = [];
  for (const text of bodies) {
    const r = parseGsiPostText(text, cursor, RECEIVED);
    events.push(...r.events);
    issues.push(...r.issues.map((i) => i.message));
    cursor = r.cursor;
  }
  return { events, cursor, issues };
}

const fold = (events: MatchEvent[]) => events.reduce<Cs2State>(cs2.applyEvent, cs2.initialState());

function expectContract(events: MatchEvent[]): void {
  for (const e of events) {
    const parsed = parseEvent(e, NOW);
    if (!parsed.ok) throw new Error(`${JSON.stringify(e)} ${JSON.stringify(parsed.issues)}`);
  }
  expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
  expect(new Set(events.map((e) => e.eventId)).size).toBe(events.length);
}

/** The last body with a full map, as (team 1, team 2) given team 1's side in the cursor. */
function lastMapScore(bodies: string[], cursor: GsiCursor): [number, number] {
  const last = bodies
    .map((b) => JSON.parse(b) as { map?: { name?: string; team_ct?: { score: number }; team_t?: { score: number } } })
    .findLast((b) => b.map?.name !== undefined && b.map.team_ct !== undefined)!;
  const ct = last.map!.team_ct!.score;
  const t = last.map!.team_t!.score;
  return cursor.map!.team1Side === "CT" ? [ct, t] : [t, ct];
}

describe("cs2-gsi adapter on the real capture", () => {
  const bodies = posts();

  it("turns all 192 POSTs into contract events ending at the last state's map score", () => {
    expect(bodies).toHaveLength(192);
    const { events, cursor, issues } = replay(bodies, newGsiCursor({ sourceId: "src-gsi", matchId: "cs-gsi-1" }));
    expectContract(events);
    const counts: Record<string, number> = {};
    for (const e of events) counts[e.type] = (counts[e.type] ?? 0) + 1;
    // Two maps left without game over (replaced), five restarts to 0:0 on the last de_dust2 (each a map_restart).
    expect(counts).toEqual({
      match_start: 1,
      map_start: 8,
      map_restart: 5,
      round_start: 29,
      bomb_planted: 14,
      bomb_defused: 2,
      round_end: 22,
    });
    expect(counts.map_end).toBeUndefined();
    expect(issues.filter((m) => m.includes("without game over"))).toHaveLength(2);
    const state = fold(events);
    expect(state.roundScore).toEqual(lastMapScore(bodies, cursor));
    expect(state.currentMap).toMatchObject({ number: 1, name: "de_dust2" });
    // Every round ended is numbered in order within its map (a restart starts again at 1).
    let expected = 1;
    for (const e of events) {
      if (e.type === "map_start") expected = 1;
      if (e.type === "round_end") expect(e.payload!.round).toBe(expected++);
    }
    // de_inferno (wingman, MR8): team 1 (the owner's team) started T, won rounds 1, 4, 7 (3:5 at half-time,
    // team_ct 5 : team_t 3); after the swap team_ct shows 3, and round 9's T win is team 2's: left at 3:6.
    const inferno = events.slice(events.findIndex((e) => e.payload?.mapName === "de_inferno"));
    expect(inferno[0]!.payload).toMatchObject({ startingSide: "T" });
    const infernoRounds = inferno.slice(
      0,
      inferno.findIndex((e, i) => i > 0 && e.type === "map_start"),
    );
    expect(infernoRounds.filter((e) => e.type === "round_end").map((e) => e.teamId)).toEqual([
      1, 2, 2, 1, 2, 2, 1, 2, 2,
    ]);
  });

  it("exposes each body's auth.token; bodies without one give null", () => {
    const withToken = bodies.map((b) => JSON.parse(b) as { auth?: { token: string } });
    for (const [i, text] of bodies.entries()) {
      const r = parseGsiPostText(text, newGsiCursor({ sourceId: "s", matchId: "m" }));
      expect(r.token).toBe(withToken[i]!.auth?.token ?? null);
    }
    expect(withToken.filter((b) => b.auth === undefined).length).toBeGreaterThan(0);
  });

  it("every POST delivered twice, and the whole capture replayed after the end, add nothing", () => {
    const once = replay(bodies, newGsiCursor({ sourceId: "s", matchId: "m" }));
    const twice = replay(
      bodies.flatMap((b) => [b, b]),
      newGsiCursor({ sourceId: "s", matchId: "m" }),
    );
    expect(twice.events).toEqual(once.events);
    const again = replay(bodies, once.cursor);
    expect(again.events).toEqual([]);
  });

  it("out-of-order POSTs: older bodies are ignored, the score still ends at the last state's", () => {
    for (const seed of ["a", "b", "c"]) {
      const rng = seededRng("gsi-order", seed);
      const shuffled = [...bodies];
      for (let i = 0; i + 1 < shuffled.length; i++)
        if (rng.chance(0.3)) [shuffled[i], shuffled[i + 1]] = [shuffled[i + 1]!, shuffled[i]!];
      const { events, cursor } = replay(shuffled, newGsiCursor({ sourceId: "s", matchId: "m" }));
      expectContract(events);
      // The last body with a map is the last in time, so it is never the one dropped.
      expect(fold(events).roundScore).toEqual(lastMapScore(bodies, cursor));
    }
  });

  it("truncated JSON of real bodies is reported, never thrown, and changes nothing", () => {
    const rng = seededRng("gsi-truncate");
    const cursor = newGsiCursor({ sourceId: "s", matchId: "m" });
    for (const text of bodies) {
      const cut = text.slice(0, rng.int(0, text.length - 1));
      const r = parseGsiPostText(cut, cursor);
      expect(r.events).toEqual([]);
      expect(r.cursor).toEqual(cursor);
      expect(r.issues).toEqual([{ at: "", message: "not JSON" }]);
    }
  });
});

// A synthetic client: the owner's steamid, a clock, and the map as the game shows it.
interface Shot {
  ts: number;
  name?: string;
  phase: string;
  ct: number;
  t: number;
  round?: { phase: string; bomb?: string; win_team?: string };
  owner?: "CT" | "T";
  ctName?: string;
  tName?: string;
}
const body = (s: Shot) => ({
  provider: { name: "Counter-Strike: Global Offensive", appid: 730, version: 14108, steamid: "7656", timestamp: s.ts },
  map: {
    mode: "competitive",
    name: s.name ?? "de_nuke",
    phase: s.phase,
    round: s.ct + s.t,
    team_ct: { score: s.ct, ...(s.ctName === undefined ? {} : { name: s.ctName }) },
    team_t: { score: s.t, ...(s.tName === undefined ? {} : { name: s.tName }) },
    extra_field_from_a_newer_client: { anything: [1, 2] },
  },
  ...(s.round === undefined ? {} : { round: s.round }),
  ...(s.owner === undefined ? {} : { player: { steamid: "7656", team: s.owner, activity: "playing" } }),
  auth: { token: "tok" },
});

function run(shots: Shot[], cursor = newGsiCursor({ sourceId: "s", matchId: "m" })) {
  const events: MatchEvent[] = [];
  const issues: string[] = [];
  for (const s of shots) {
    const r = parseGsiPost(body(s), cursor);
    events.push(...r.events);
    issues.push(...r.issues.map((i) => i.message));
    cursor = r.cursor;
  }
  return { events, cursor, issues };
}

/** A half-time in MR2: round 1 CT win, round 2 T win, intermission, sides swap, round 3 won by the old T. */
function halfTime(owner: boolean): Shot[] {
  const o = (side: "CT" | "T") => (owner ? { owner: side } : {});
  return [
    { ts: 1, phase: "warmup", ct: 0, t: 0, ...o("CT") },
    { ts: 2, phase: "live", ct: 0, t: 0, round: { phase: "freezetime" }, ...o("CT") },
    { ts: 3, phase: "live", ct: 0, t: 0, round: { phase: "live", bomb: "planted" }, ...o("CT") },
    { ts: 4, phase: "live", ct: 1, t: 0, round: { phase: "over", bomb: "defused", win_team: "CT" }, ...o("CT") },
    { ts: 5, phase: "live", ct: 1, t: 0, round: { phase: "freezetime" }, ...o("CT") },
    { ts: 6, phase: "intermission", ct: 1, t: 1, round: { phase: "over", win_team: "T" }, ...o("CT") },
    // Half-time: the teams trade sides, so team_ct / team_t trade scores (equal here: invisible in them).
    { ts: 7, phase: "live", ct: 1, t: 1, round: { phase: "freezetime" }, ...o("T") },
    { ts: 8, phase: "live", ct: 1, t: 2, round: { phase: "over", bomb: "exploded", win_team: "T" }, ...o("T") },
    { ts: 9, phase: "gameover", ct: 1, t: 2, round: { phase: "over", bomb: "exploded", win_team: "T" }, ...o("T") },
  ];
}

describe("cs2-gsi adapter on synthetic bodies", () => {
  for (const owner of [true, false]) {
    it(`follows the half-time swap ${owner ? "by the owner's team" : "without a player, by intermission"}`, () => {
      const { events, issues } = run(halfTime(owner));
      expect(issues).toEqual([]);
      expectContract(events);
      expect(events.map((e) => [e.type, e.teamId ?? null, e.payload?.round ?? null])).toEqual([
        ["match_start", null, null],
        ["map_start", null, null],
        ["round_start", null, 1],
        ["bomb_planted", 2, 1],
        ["bomb_defused", 1, 1],
        ["round_end", 1, 1],
        ["round_start", null, 2],
        ["round_end", 2, 2],
        ["round_start", null, 3],
        ["bomb_planted", 1, 3],
        ["round_end", 1, 3],
        ["map_end", 1, null],
        ["match_end", 1, null],
      ]);
      expect(events[1]!.payload).toEqual({
        mapNumber: 1,
        mapName: "de_nuke",
        startingSide: "CT",
        maxRounds: 24,
        overtimeMaxRounds: 6,
      });
      expect(events[5]!.payload).toEqual({ round: 1, reason: "bomb_defused" });
      expect(events[10]!.payload).toEqual({ round: 3, reason: "bomb_exploded" });
      const state = fold(events);
      expect(state.mapResults).toEqual([{ number: 1, name: "de_nuke", roundScore: [2, 1], winner: 1 }]);
      expect(state.status).toBe("finished");
    });
  }

  it("unequal scores reveal the swap without any other signal", () => {
    const shots: Shot[] = [
      { ts: 1, phase: "live", ct: 0, t: 0, round: { phase: "live" } },
      { ts: 2, phase: "live", ct: 1, t: 0, round: { phase: "over", win_team: "CT" } },
      { ts: 3, phase: "live", ct: 2, t: 0, round: { phase: "over", win_team: "CT" } },
      // Swapped, and no intermission body arrived: 2:0 can only be team 1's on T now.
      { ts: 4, phase: "live", ct: 1, t: 2, round: { phase: "over", win_team: "CT" } },
    ];
    const { events } = run(shots);
    expect(events.filter((e) => e.type === "round_end").map((e) => e.teamId)).toEqual([1, 1, 2]);
    expect(fold(events).roundScore).toEqual([2, 1]);
  });

  it("team names, when the server shows them, say who is who on every map of a series", () => {
    const named = (ts: number, name: string, phase: string, ct: number, t: number, alphaOn: "CT" | "T"): Shot => ({
      ts,
      name,
      phase,
      ct,
      t,
      round: { phase: "over" },
      ctName: alphaOn === "CT" ? "Alpha" : "Beta",
      tName: alphaOn === "CT" ? "Beta" : "Alpha",
    });
    const cursor = newGsiCursor({ sourceId: "s", matchId: "m", bestOf: 3, team1Name: "Beta" });
    const { events, issues } = run(
      [
        named(1, "de_nuke", "live", 0, 0, "CT"),
        named(2, "de_nuke", "gameover", 1, 0, "CT"), // Alpha (team 2) wins map 1
        named(3, "de_ancient", "live", 0, 0, "T"),
        named(4, "de_ancient", "gameover", 0, 1, "T"), // Alpha wins map 2: the series
        named(5, "de_mirage", "live", 0, 0, "CT"), // after the match: not part of it
      ],
      cursor,
    );
    expect(issues).toEqual([]);
    expectContract(events);
    expect(events.filter((e) => e.type === "map_start").map((e) => e.payload)).toEqual([
      { mapNumber: 1, mapName: "de_nuke", startingSide: "T", maxRounds: 24, overtimeMaxRounds: 6 },
      { mapNumber: 2, mapName: "de_ancient", startingSide: "CT", maxRounds: 24, overtimeMaxRounds: 6 },
    ]);
    expect(events.at(-1)).toMatchObject({ type: "match_end", teamId: 2 });
    expect(fold(events).mapsWon).toEqual([0, 2]);
  });

  it("a restart to 0:0 starts the map again; a stale body with lower scores is ignored", () => {
    const { events, issues } = run([
      { ts: 1, phase: "live", ct: 0, t: 0, round: { phase: "live" } },
      { ts: 2, phase: "live", ct: 1, t: 0, round: { phase: "over" } },
      { ts: 3, phase: "live", ct: 2, t: 0, round: { phase: "over" } },
      { ts: 3, phase: "live", ct: 1, t: 0, round: { phase: "freezetime" } }, // same second, older state
      { ts: 4, phase: "live", ct: 0, t: 0, round: { phase: "freezetime" } }, // mp_restartgame
      { ts: 5, phase: "live", ct: 0, t: 1, round: { phase: "over" } },
    ]);
    expect(issues).toEqual(["scores went down without a restart: stale body ignored"]);
    expect(events.filter((e) => e.type === "map_start").map((e) => e.payload!.mapNumber)).toEqual([1, 1]);
    expect(fold(events).roundScore).toEqual([0, 1]);
  });

  it("a body replayed within the same second is recognised, not read as a new restart", () => {
    const restartAt2: Shot = { ts: 2, phase: "live", ct: 0, t: 0, round: { phase: "freezetime" } };
    const { events } = run([
      { ts: 1, phase: "live", ct: 0, t: 0, round: { phase: "live" } },
      restartAt2, // mp_restartgame in round 1: back to freeze time at 0:0
      { ts: 2, phase: "live", ct: 0, t: 0, round: { phase: "live" } },
      restartAt2, // the client resends it: same second, same body
    ]);
    expect(events.filter((e) => e.type === "map_start")).toHaveLength(2);
  });

  it("a late body from an earlier second is superseded, not read as a restart to 0:0", () => {
    const { events, issues } = run([
      { ts: 1, phase: "live", ct: 0, t: 0, round: { phase: "live" } },
      { ts: 3, phase: "live", ct: 1, t: 0, round: { phase: "over", win_team: "CT" } },
      { ts: 2, phase: "live", ct: 0, t: 0, round: { phase: "live", bomb: "planted" } }, // delivered late
    ]);
    expect(events.map((e) => e.type)).toEqual(["match_start", "map_start", "round_start", "round_end"]);
    expect(issues).toEqual(["older than the last processed body: superseded, ignored"]);
  });

  it("rounds missed between two bodies still count, with an issue", () => {
    const { events, issues } = run([
      { ts: 1, phase: "live", ct: 0, t: 0, round: { phase: "live" } },
      { ts: 9, phase: "live", ct: 2, t: 1, round: { phase: "live" } },
    ]);
    expectContract(events);
    expect(issues).toEqual(["3 rounds ended since the last body: their order is unknown"]);
    expect(fold(events).roundScore).toEqual([2, 1]);
    expect(fold(events).round).toBe(4);
  });

  it("garbage bodies are rejected with issues, never thrown, and change nothing", () => {
    const rng = seededRng("gsi-garbage");
    const cursor = run(halfTime(true).slice(0, 4)).cursor;
    const junk: unknown[] = [
      null,
      42,
      "map",
      [],
      [body(halfTime(true)[4]!)],
      { map: 5 },
      { map: { name: 7 } },
      { provider: { timestamp: "soon" }, map: { name: "de_nuke" } },
      { provider: { timestamp: -1 } },
      { map: { name: "de_nuke", phase: "live", team_ct: { score: -1 }, team_t: { score: 0 } } },
      { map: { name: "x".repeat(300) } },
      { round: { phase: { nested: true } } },
      { auth: { token: 12 } },
    ];
    for (let i = 0; i < 200; i++) {
      const pick = (): unknown => [null, rng.int(-5, 5), "live", true, [], {}, { score: "1" }][rng.int(0, 6)];
      junk.push({ map: { name: pick(), phase: pick(), team_ct: pick(), team_t: pick() }, round: pick() });
    }
    for (const j of junk) {
      const r = parseGsiPost(j, cursor);
      expect(r.events).toEqual([]);
      if (r.cursor !== cursor) expect(r.cursor).toEqual(cursor); // accepted but meaningless: no change
    }
    for (const j of junk.slice(0, 13)) expect(parseGsiPost(j, cursor).issues.length).toBeGreaterThan(0);
    // After all that, the next real body carries on where the match was.
    const next = parseGsiPost(body(halfTime(true)[4]!), cursor);
    expect(next.events.map((e) => e.type)).toEqual(["round_start"]);
  });

  it("gsiToken reads only a string token", () => {
    expect(gsiToken({ auth: { token: "abc" } })).toBe("abc");
    expect(gsiToken({ auth: { token: 1 } })).toBeNull();
    expect(gsiToken({ auth: null })).toBeNull();
    expect(gsiToken("auth")).toBeNull();
    expect(gsiToken({ auth: { token: "x".repeat(257) } })).toBeNull();
  });
});

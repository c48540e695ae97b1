// The CS2 server-log adapter on the shared real log (../shared/data/cs, read at test time), replayed in
// batches the way a server POSTs them, and on synthetic input: garbage, retried and overlapping batches.
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
import { type Cs2LogCursor, newCs2LogCursor, parseCs2LogBatch, parseLogLine, sideSwapsBefore } from "./parse";

const LOG = join(WYSCOUT_DATA_DIR, "../cs/server-logs/nuel-2018-overpass.log.gz");
const fileLines = () =>
  gunzipSync(readFileSync(LOG))
    .toString("utf8")
    .split("\n")
    .filter((l) => l !== "");

/** The file form as a server streams it over HTTP: no "L ", milliseconds, " - " before the event. */
const httpForm = (line: string) => line.replace(/^L (\d\d\/\d\d\/\d{4} - \d\d:\d\d:\d\d): /, "$1.000 - ");

function replay(batches: string[][], cursor: Cs2LogCursor): { events: MatchEvent[]; cursor: Cs2LogCursor } {
  const events: MatchEvent[] = [];
  for (const batch of batches) {
    const r = parseCs2LogBatch(batch.join("\n"), cursor);
    events.push(...r.events);
    cursor = r.cursor;
  }
  return { events, cursor };
}

/** The map as it finally counts: the events from the last map_start on (a restart starts it again). */
function finalMap(events: MatchEvent[]): MatchEvent[] {
  const lastStart = events.map((e) => e.type).lastIndexOf("map_start");
  return events.slice(lastStart);
}

const fold = (events: MatchEvent[]) => events.reduce<Cs2State>(cs2.applyEvent, cs2.initialState());

describe("cs2-log adapter on the real server log", () => {
  const lines = fileLines();
  const gameOver = lines.find((l) => l.includes("Game Over:"))!;
  const [ct, t] = /score (\d+):(\d+)/.exec(gameOver)!.slice(1).map(Number) as [number, number];

  for (const [form, toForm] of [
    ["file", (l: string) => l],
    ["HTTP", httpForm],
  ] as const) {
    it(`ends at the server's Game Over score, in the ${form} form and random batches`, () => {
      const rng = seededRng("cs2-log-batches", form);
      const batches: string[][] = [];
      for (let i = 0; i < lines.length; ) {
        const n = rng.int(1, 400);
        batches.push(lines.slice(i, i + n).map(toForm));
        i += n;
      }
      const { events, cursor } = replay(batches, newCs2LogCursor({ sourceId: "src-log", matchId: "cs-log-1" }));
      for (const e of events) {
        const parsed = parseEvent(e, new Date("2030-01-01T00:00:00Z"));
        if (!parsed.ok) throw new Error(`${JSON.stringify(e)} ${JSON.stringify(parsed.issues)}`);
      }
      expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
      const state = fold(events);
      // The server's last line is CT:T; team 1 (Warwick) ended the map on CT.
      expect(cursor.team1Name).toBe("Warwick Stretchyboiz");
      expect(state.mapResults).toEqual([{ number: 1, name: "de_overpass", roundScore: [ct, t], winner: 2 }]);
      expect(state.winner).toBe(2);
      expect(state.status).toBe("finished");
      // No round from before the restart: the final map has rounds 1..30 once each, from 16:01:13 on.
      const map = finalMap(events);
      expect(map[0]!.timestamp).toBe("2018-02-24T16:01:13.000Z");
      const rounds = map.filter((e) => e.type === "round_end").map((e) => e.payload!.round);
      expect(rounds).toEqual(Array.from({ length: ct + t }, (_, i) => i + 1));
      // Half-time after 15 rounds (MR15 from the server_cvar lines): round 16 is won by the side that had T.
      expect(cursor.rules.maxRounds).toBe(30);
      expect(map[0]!.payload).toMatchObject({ maxRounds: 30, overtimeMaxRounds: 6 });
      // The reducer follows the server's MR15: rounds 13–15 on the first-half sides, the swap before 16.
      const sideAt = new Map<number, string>();
      let s = cs2.initialState();
      for (const e of events) {
        s = cs2.applyEvent(s, e);
        if (e.type === "round_start" && s.currentMap !== null) sideAt.set(s.round, s.currentMap.team1Side);
      }
      const start = s.mapResults.length === 1 ? (map[0]!.payload!.startingSide as string) : "";
      const swapped = start === "CT" ? "T" : "CT";
      expect([12, 13, 14, 15, 16, 30].map((r) => sideAt.get(r))).toEqual([
        start,
        start,
        start,
        start,
        swapped,
        swapped,
      ]);
      // The restart was announced: the rounds of the first start were withdrawn by a map_restart.
      expect(events.filter((e) => e.type === "map_restart").length).toBeGreaterThanOrEqual(1);
      // Nothing after Game Over (post-match play on the same server).
      expect(events.at(-1)!.type).toBe("match_end");
      expect(events.some((e) => Date.parse(e.timestamp) > Date.parse("2018-02-24T17:02:28Z"))).toBe(false);
    });
  }

  it("a retried batch and overlapping batches add nothing: same events as one pass", () => {
    const once = replay([lines], newCs2LogCursor({ sourceId: "s", matchId: "m" })).events;
    const rng = seededRng("overlap");
    const batches: string[][] = [];
    for (let i = 0; i < lines.length; ) {
      const n = rng.int(1, 300);
      const back = rng.int(0, Math.min(i, 50)); // the server resends some lines it already sent
      batches.push(lines.slice(i - back, i + n));
      if (rng.chance(0.2)) batches.push(lines.slice(i - back, i + n)); // and sometimes the whole batch
      i += n;
    }
    const { events } = replay(batches, newCs2LogCursor({ sourceId: "s", matchId: "m" }));
    expect(events).toEqual(once);
  });
});

describe("cs2-log adapter on synthetic input", () => {
  const at = (s: number) => `L 03/01/2026 - 20:00:${String(s).padStart(2, "0")}: `;
  const script = [
    `${at(0)}server_cvar: "mp_maxrounds" "4"`,
    `${at(1)}World triggered "Match_Start" on "de_nuke"`,
    `${at(1)}Team playing "CT": Alpha`,
    `${at(1)}Team playing "TERRORIST": Beta`,
    `${at(2)}World triggered "Round_Start"`,
    `${at(3)}"a1<2><STEAM_1:0:1><CT>" [1 2 3] killed "b1<3><STEAM_1:0:2><TERRORIST>" [4 5 6] with "ak47" (headshot)`,
    `${at(4)}Team "CT" triggered "SFUI_Notice_CTs_Win" (CT "1") (T "0")`,
    `${at(5)}World triggered "Round_Start"`,
    `${at(6)}"b1<3><STEAM_1:0:2><TERRORIST>" triggered "Planted_The_Bomb" at bombsite A`,
    `${at(7)}Team "TERRORIST" triggered "SFUI_Notice_Target_Bombed" (CT "1") (T "1")`,
  ];

  it("emits contract events; garbage lines are reported, never thrown", () => {
    const r = parseCs2LogBatch(
      ["garbage", "", ...script, "L 99/99/9999 nonsense", "\u0000\u0001"].join("\n"),
      newCs2LogCursor({ sourceId: "s", matchId: "m" }),
    );
    expect(r.events.map((e) => e.type)).toEqual([
      "match_start",
      "map_start",
      "round_start",
      "kill",
      "round_end",
      "round_start",
      "bomb_planted",
      "round_end",
    ]);
    expect(r.events[3]).toMatchObject({
      teamId: 1,
      playerId: "STEAM_1:0:1",
      payload: { round: 1, victimPlayerId: "STEAM_1:0:2", weapon: "ak47", headshot: true },
    });
    expect(r.events[6]).toMatchObject({ teamId: 2, payload: { round: 2, site: "A" } });
    expect(r.events[7]).toMatchObject({ teamId: 2, payload: { round: 2, reason: "bomb_exploded" } });
    expect(r.issues.map((i) => i.at)).toEqual(["1", "13", "14"]);
    for (const e of r.events) expect(parseEvent(e, new Date("2030-01-01T00:00:00Z")).ok).toBe(true);
  });

  it("a restart after played rounds starts the map again; sides follow the server's mp_maxrounds", () => {
    const restart = [
      `${at(8)}World triggered "Restart_Round_(1_second)"`,
      `${at(9)}World triggered "Match_Start" on "de_nuke"`,
      `${at(9)}Team playing "TERRORIST": Alpha`,
      `${at(10)}World triggered "Round_Start"`,
      `${at(11)}Team "CT" triggered "SFUI_Notice_CTs_Win" (CT "1") (T "0")`,
      `${at(12)}World triggered "Round_Start"`,
      `${at(13)}Team "CT" triggered "SFUI_Notice_CTs_Win" (CT "2") (T "0")`,
      // MR2 halves: from round 3 Alpha (team 1, started T) is CT; the scores swap sides with the teams.
      `${at(14)}World triggered "Round_Start"`,
      `${at(15)}Team "CT" triggered "SFUI_Notice_CTs_Win" (CT "1") (T "2")`,
      `${at(16)}Game Over: competitive mg_active de_nuke score 1:2 after 1 min`,
    ];
    const r = parseCs2LogBatch([...script, ...restart].join("\n"), newCs2LogCursor({ sourceId: "s", matchId: "m" }));
    expect(r.issues).toEqual([]);
    const map = finalMap(r.events);
    expect(map[0]!.payload).toEqual({
      mapNumber: 1,
      mapName: "de_nuke",
      startingSide: "T",
      maxRounds: 4,
      overtimeMaxRounds: 6,
    });
    expect(map.filter((e) => e.type === "map_restart")).toHaveLength(0);
    expect(r.events.filter((e) => e.type === "map_restart")).toHaveLength(1);
    expect(map.filter((e) => e.type === "round_end").map((e) => e.teamId)).toEqual([2, 2, 1]);
    expect(fold(r.events).mapResults[0]).toMatchObject({ roundScore: [1, 2], winner: 2 });
    expect(r.events.at(-1)).toMatchObject({ type: "match_end", teamId: 2 });
  });

  it("parses both line forms to the same instant and text", () => {
    expect(parseLogLine('L 02/24/2018 - 16:01:13: World triggered "Round_Start"')).toEqual({
      at: Date.UTC(2018, 1, 24, 16, 1, 13),
      text: 'World triggered "Round_Start"',
    });
    expect(parseLogLine('02/24/2018 - 16:01:13.250 - World triggered "Round_Start"')).toEqual({
      at: Date.UTC(2018, 1, 24, 16, 1, 13, 250),
      text: 'World triggered "Round_Start"',
    });
    expect(parseLogLine("16:01:13 Round_Start")).toBeNull();
  });

  it("sides: MR15 swaps after 15, MR12 after 12, overtime halves pair up", () => {
    const mr15 = { maxRounds: 30, overtimeEnabled: true, overtimeMaxRounds: 6 };
    expect([15, 16, 30, 31, 33, 34, 36, 37, 39, 40].map((r) => sideSwapsBefore(r, mr15))).toEqual([
      0, 1, 1, 1, 1, 2, 2, 2, 2, 3,
    ]);
    const mr12 = { maxRounds: 24, overtimeEnabled: false, overtimeMaxRounds: 6 };
    expect([12, 13, 24, 25, 40].map((r) => sideSwapsBefore(r, mr12))).toEqual([0, 1, 1, 1, 1]);
  });
});

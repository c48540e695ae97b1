// The Wyscout adapter on the real shared data (read from ../shared/data/wyscout at test time) and on
// synthetic inputs. The 115-match check folds every match through the football reducer and compares with
// the metadata's official result.
import { describe, expect, it } from "vitest";
import { readWyscoutMatch, readWyscoutMeta, wyIdOf, wyscoutMatchFiles } from "../../../dev/simulator/wyscout-data";
import { parseEvent } from "../../contract/event";
import { football } from "../../sports/football";
import type { FootballState } from "../../sports/football/state";
import { wyscoutEvents, wyscoutOfficial } from "./parse";

const pair = (p: readonly number[]) => p.join(":");

describe("wyscout adapter on the 115 real matches", () => {
  it("every match folds to its official score, shoot-out and cards per team", async () => {
    const meta = await readWyscoutMeta();
    const files = await wyscoutMatchFiles();
    expect(files).toHaveLength(115);
    const mismatches: string[] = [];
    let events = 0;
    for (const [i, path] of files.entries()) {
      const file = await readWyscoutMatch(path);
      const wyId = wyIdOf(file)!;
      const m = meta.get(wyId);
      if (m === undefined) {
        mismatches.push(`${wyId}: no metadata`);
        continue;
      }
      const replay = wyscoutEvents(file, { matchId: `wy-${wyId}`, meta: m });
      expect(replay.issues).toEqual([]);
      events += replay.events.length;
      // Every event of a few matches through the contract (all of them would only repeat the same shapes).
      if (i % 23 === 0) {
        for (const e of replay.events) {
          const parsed = parseEvent(e, new Date("2030-01-01T00:00:00Z"));
          if (!parsed.ok) throw new Error(`${e.type} ${JSON.stringify(parsed.issues)}`);
        }
      }
      const state = replay.events.reduce<FootballState>(football.applyEvent, football.initialState());
      const official = wyscoutOfficial(m, replay.teams);
      const checks: [string, readonly number[], readonly number[]][] = [
        ["score", state.score, official.score],
        ["shoot-out", state.penaltyShootout, official.penaltyShootout],
        ["yellow cards", state.yellowCards, official.yellowCards],
        ["red cards", state.redCards, official.redCards],
      ];
      for (const [what, got, want] of checks)
        if (pair(got) !== pair(want))
          mismatches.push(`${wyId} ${m.label}: ${what} ${pair(got)}, official ${pair(want)}`);
      expect(state.status).toBe("finished");
      // seq runs 1..n in timestamp order.
      expect(replay.events.map((e) => e.seq)).toEqual(replay.events.map((_, k) => k + 1));
    }
    if (mismatches.length > 0) console.log(mismatches.join("\n"));
    expect(mismatches).toEqual([]);
    expect(events).toBeGreaterThan(100_000);
  }, 120_000);
});

const ev = (
  id: number,
  eventName: string,
  subEventName: string,
  teamId: number,
  matchPeriod: string,
  eventSec: number,
  tags: number[] = [],
) => ({
  id,
  eventName,
  subEventName,
  teamId,
  playerId: id * 10,
  matchPeriod,
  eventSec,
  tags: tags.map((t) => ({ id: t })),
});

describe("wyscout adapter on synthetic input", () => {
  const file = {
    teams: { "10": {}, "20": {} },
    events: [
      ev(3, "Shot", "Shot", 20, "2H", 60, [101, 1801]),
      ev(1, "Pass", "Simple pass", 10, "1H", 5),
      ev(2, "Others on the ball", "Clearance", 10, "1H", 600, [102]),
      ev(4, "Foul", "Foul", 20, "2H", 120, [1702]),
      ev(5, "Foul", "Late card foul", 20, "2H", 900, [1703]),
      ev(6, "Free Kick", "Penalty", 10, "P", 10, [101]),
      ev(7, "Duel", "Air duel", 10, "1H", 30),
    ],
  };

  it("orders by period and eventSec, credits own goals to the other team, turns tags into cards", () => {
    const { events, teams, issues } = wyscoutEvents(file, { matchId: "wy-test" });
    expect(issues).toEqual([]);
    expect(teams).toEqual([10, 20]);
    expect(events.map((e) => e.type)).toEqual([
      "match_start",
      "period_start",
      "pass",
      "goal",
      "period_end",
      "period_start",
      "shot",
      "goal",
      "foul",
      "yellow_card",
      "foul",
      "red_card",
      "period_end",
      "period_start",
      "goal",
      "period_end",
      "match_end",
    ]);
    const ownGoal = events[3]!;
    expect(ownGoal).toMatchObject({ teamId: 2, payload: { minute: 10, ownGoal: true } });
    expect(ownGoal.playerId).toBeUndefined();
    for (const e of events) expect(parseEvent(e, new Date("2030-01-01T00:00:00Z")).ok).toBe(true);
    const state = events.reduce<FootballState>(football.applyEvent, football.initialState());
    expect(state.score).toEqual([0, 2]);
    expect(state.penaltyShootout).toEqual([1, 0]);
    expect(state.yellowCards).toEqual([0, 1]);
    expect(state.redCards).toEqual([0, 1]);
    // Timestamps never go backwards and the second half starts after a break.
    const ts = events.map((e) => Date.parse(e.timestamp));
    expect(ts).toEqual([...ts].sort((a, b) => a - b));
  });

  it("the same file gives the same eventIds; another matchId gives others", () => {
    const a = wyscoutEvents(file, { matchId: "wy-a" }).events.map((e) => e.eventId);
    expect(wyscoutEvents(file, { matchId: "wy-a" }).events.map((e) => e.eventId)).toEqual(a);
    expect(new Set(a).size).toBe(a.length);
    const b = wyscoutEvents(file, { matchId: "wy-b" }).events.map((e) => e.eventId);
    expect(b.some((id) => a.includes(id))).toBe(false);
  });

  it("reports malformed events and files instead of throwing", () => {
    expect(wyscoutEvents(null, { matchId: "x" }).issues[0]?.at).toBe("events");
    expect(wyscoutEvents({ events: "no" }, { matchId: "x" }).events).toEqual([]);
    const r = wyscoutEvents(
      { events: [ev(1, "Pass", "Simple pass", 10, "1H", 1), { id: "x" }, ev(2, "Pass", "", 10, "9H", 1)] },
      { matchId: "x" },
    );
    expect(r.issues.map((i) => i.at)).toEqual(["events.1", "events.2"]);
    expect(r.events.filter((e) => e.type === "pass")).toHaveLength(1);
  });
});

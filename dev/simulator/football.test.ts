import { describe, expect, it } from "vitest";
import { parseEvent } from "../../shared/contract/event";
import { seededRng } from "../../shared/random";
import { football } from "../../shared/sports/football";
import type { FootballState } from "../../shared/sports/football/state";
import type { MatchEvent } from "../../shared/sports/sport";
import { expectedGoals, type FootballSimOptions, simulateFootball } from "./football";

const KICKOFF = new Date("2025-05-03T15:00:00Z");
const NOW = new Date("2025-05-05T00:00:00Z");
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** Ratings spread like international football: mostly 1500–2000. */
function options(seed: number): FootballSimOptions {
  const rng = seededRng("test-ratings", seed);
  return {
    matchId: `test-football-${seed}`,
    seed,
    team1Rating: Math.round(rng.normal(1750, 150)),
    team2Rating: Math.round(rng.normal(1750, 150)),
    kickoff: KICKOFF,
    neutral: rng.chance(0.2),
  };
}

const count = (events: MatchEvent[], type: string, team?: 1 | 2) =>
  events.filter((e) => e.type === type && (team === undefined || e.teamId === team)).length;

const finalState = (events: MatchEvent[]): FootballState =>
  events.reduce((s, e) => football.applyEvent(s, e), football.initialState()) as FootballState;

describe("simulateFootball", () => {
  it("is deterministic: same options, same events (ids included); another seed, another match", () => {
    const a = simulateFootball(options(7));
    expect(simulateFootball(options(7))).toEqual(a);
    const b = simulateFootball({ ...options(7), seed: 8 });
    expect(b.map((e) => e.eventId)).not.toEqual(a.map((e) => e.eventId));
  });

  it("produces events that pass the contract (many seeds)", () => {
    for (let seed = 1; seed <= 25; seed++) {
      for (const e of simulateFootball(options(seed))) {
        const result = parseEvent(e, NOW);
        if (!result.ok) throw new Error(`seed ${seed}: ${JSON.stringify(e)} → ${JSON.stringify(result.issues)}`);
      }
    }
  });

  it("numbers events 1..N in time order with unique UUID v4 ids", () => {
    for (let seed = 1; seed <= 10; seed++) {
      const events = simulateFootball(options(seed));
      expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
      for (let i = 1; i < events.length; i++)
        expect(Date.parse(events[i]!.timestamp)).toBeGreaterThanOrEqual(Date.parse(events[i - 1]!.timestamp));
      expect(events.every((e) => UUID_V4.test(e.eventId))).toBe(true);
      expect(new Set(events.map((e) => e.eventId)).size).toBe(events.length);
    }
  });

  it("has the shape of a match: two halves with stoppage time, a half-time break, minutes in range", () => {
    const events = simulateFootball(options(3));
    const lifecycle = events.filter((e) => ["match_start", "period_start", "period_end", "match_end"].includes(e.type));
    expect(lifecycle.map((e) => `${e.type}:${e.payload?.period ?? ""}`)).toEqual([
      "match_start:",
      "period_start:1",
      "period_end:1",
      "period_start:2",
      "period_end:2",
      "match_end:",
    ]);
    const at = (i: number) => Date.parse(lifecycle[i]!.timestamp);
    expect(at(0)).toBe(KICKOFF.getTime());
    expect(at(2) - at(1)).toBeGreaterThanOrEqual(46 * 60_000); // 45 + at least a minute of stoppage
    expect(at(3) - at(2)).toBe(15 * 60_000);
    expect(at(4) - at(3)).toBeGreaterThanOrEqual(47 * 60_000);
    // Everything in play happens inside a half, at minutes 1–45 / 46–90.
    const halfOf = (e: MatchEvent) => (Date.parse(e.timestamp) < at(2) ? 1 : 2);
    for (const e of events.filter((e) => e.teamId !== undefined)) {
      const minute = e.payload?.minute as number;
      const [first, last] = halfOf(e) === 1 ? [1, 45] : [46, 90];
      expect(minute).toBeGreaterThanOrEqual(first);
      expect(minute).toBeLessThanOrEqual(last);
      expect(Date.parse(e.timestamp)).toBeGreaterThan(halfOf(e) === 1 ? at(1) : at(3));
      expect(Date.parse(e.timestamp)).toBeLessThan(halfOf(e) === 1 ? at(2) : at(4));
    }
  });

  it("scores a plausible number of goals: 200 seeds average in [2, 3.5], home side ahead", () => {
    let goals = 0;
    const perTeam = [0, 0];
    for (let seed = 1; seed <= 200; seed++) {
      const events = simulateFootball({ ...options(seed), team1Rating: 1750, team2Rating: 1750, neutral: false });
      goals += count(events, "goal");
      perTeam[0]! += count(events, "goal", 1);
      perTeam[1]! += count(events, "goal", 2);
    }
    expect(goals / 200).toBeGreaterThanOrEqual(2);
    expect(goals / 200).toBeLessThanOrEqual(3.5);
    expect(perTeam[0]!).toBeGreaterThan(perTeam[1]!);

    let mixed = 0;
    for (let seed = 1; seed <= 200; seed++) mixed += count(simulateFootball(options(seed)), "goal");
    expect(mixed / 200).toBeGreaterThanOrEqual(2);
    expect(mixed / 200).toBeLessThanOrEqual(3.5);
  });

  it("turns team strength into goals", () => {
    expect(expectedGoals(1750, 1750, true)).toEqual([1.3, 1.3]);
    const [home, away] = expectedGoals(1750, 1750, false);
    expect(home).toBeGreaterThan(1.3);
    expect(away).toBeLessThan(1.3);
    let strong = 0;
    let weak = 0;
    for (let seed = 1; seed <= 100; seed++) {
      const events = simulateFootball({ ...options(seed), team1Rating: 2000, team2Rating: 1600, neutral: true });
      strong += count(events, "goal", 1);
      weak += count(events, "goal", 2);
    }
    expect(strong).toBeGreaterThan(2 * weak);
  });

  it("has realistic match statistics on average", () => {
    const n = 100;
    const sum: Record<string, number> = {};
    let maxSubs = 0;
    for (let seed = 1; seed <= n; seed++) {
      const events = simulateFootball(options(seed));
      for (const e of events) sum[e.type] = (sum[e.type] ?? 0) + 1;
      for (const team of [1, 2] as const) maxSubs = Math.max(maxSubs, count(events, "substitution", team));
    }
    const perTeam = (type: string) => (sum[type] ?? 0) / n / 2;
    expect(perTeam("shot")).toBeGreaterThan(9);
    expect(perTeam("shot")).toBeLessThan(15);
    expect(perTeam("pass")).toBeGreaterThan(300);
    expect(perTeam("pass")).toBeLessThan(700);
    expect(perTeam("yellow_card")).toBeGreaterThan(1.3);
    expect(perTeam("yellow_card")).toBeLessThan(2.8);
    expect(perTeam("red_card")).toBeLessThan(0.25);
    expect(perTeam("corner")).toBeGreaterThan(3);
    expect(perTeam("foul")).toBeGreaterThan(8);
    expect(perTeam("free_kick")).toBeGreaterThan(perTeam("foul")); // fouls and offsides both give free kicks
    expect(perTeam("offside")).toBeGreaterThan(0.5);
    expect(perTeam("interception")).toBeGreaterThan(5);
    expect(perTeam("substitution")).toBeGreaterThanOrEqual(3);
    expect(maxSubs).toBeLessThanOrEqual(5);
  });

  it("makes every goal (except own goals) the last shot of its scorer, on target", () => {
    for (let seed = 1; seed <= 50; seed++) {
      const events = simulateFootball(options(seed));
      events.forEach((e, i) => {
        if (e.type !== "goal" || e.payload?.ownGoal === true) return;
        const shot = events
          .slice(0, i)
          .reverse()
          .find((s) => s.type === "shot" && s.teamId === e.teamId && s.playerId === e.playerId);
        expect(shot?.payload?.onTarget).toBe(true);
        expect(Date.parse(e.timestamp) - Date.parse(shot!.timestamp)).toBeLessThanOrEqual(2_000);
      });
      const state = finalState(events);
      expect(state.status).toBe("finished");
      expect(state.score).toEqual([count(events, "goal", 1), count(events, "goal", 2)]);
      const ownGoals = (team: 1 | 2) =>
        events.filter((e) => e.type === "goal" && e.teamId === team && e.payload?.ownGoal === true).length;
      expect(state.shotsOnTarget[0]).toBeGreaterThanOrEqual(state.score[0] - ownGoals(1));
      expect(state.shotsOnTarget[1]).toBeGreaterThanOrEqual(state.score[1] - ownGoals(2));
    }
  });

  it("keeps the squads consistent: substitutions in the 2nd half only, players off stay off", () => {
    for (let seed = 1; seed <= 50; seed++) {
      const events = simulateFootball(options(seed));
      const gone = new Set<string>();
      const cameOn = new Set<string>();
      for (const e of events) {
        if (e.playerId !== undefined && e.type !== "substitution")
          expect(gone.has(e.playerId), `${seed}: ${e.type} by ${e.playerId}`).toBe(false);
        if (e.type === "substitution") {
          expect(e.payload!.minute as number).toBeGreaterThanOrEqual(46);
          const { playerIn, playerOut } = e.payload as { playerIn: string; playerOut: string };
          expect(gone.has(playerOut) || cameOn.has(playerIn)).toBe(false);
          gone.add(playerOut);
          cameOn.add(playerIn);
        }
        if (e.type === "red_card") gone.add(e.playerId!);
      }
    }
  });
});

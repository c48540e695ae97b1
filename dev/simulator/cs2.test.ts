import { describe, expect, it } from "vitest";
import { parseEvent } from "../../shared/contract/event";
import { seededRng } from "../../shared/random";
import { cs2 } from "../../shared/sports/cs2";
import type { Side } from "../../shared/sports/cs2/events";
import { team1SideForRound } from "../../shared/sports/cs2/sides";
import type { Cs2State } from "../../shared/sports/cs2/state";
import type { MatchEvent, Pair, TeamSide } from "../../shared/sports/sport";
import { ACTIVE_DUTY_MAPS, type Cs2SimOptions, mapWinner, roundWinProbability, simulateCs2 } from "./cs2";

const START = new Date("2025-06-01T16:00:00Z");
const NOW = new Date("2025-06-02T12:00:00Z");
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function options(seed: number, bestOf: 1 | 3 | 5 = ([1, 3, 5] as const)[seed % 3]!): Cs2SimOptions {
  const rng = seededRng("test-ratings", seed);
  return {
    matchId: `test-cs2-${seed}`,
    seed,
    bestOf,
    team1Rating: Math.round(rng.normal(1600, 150)),
    team2Rating: Math.round(rng.normal(1600, 150)),
    start: START,
  };
}

interface RoundRecord {
  map: number;
  round: number;
  team1Side: Side;
  equipment: Pair;
  events: MatchEvent[];
  winner: TeamSide;
  reason: string;
}

/** Splits a series into rounds, with team 1's side from the map's starting side. */
function roundsOf(events: MatchEvent[]): RoundRecord[] {
  const rounds: RoundRecord[] = [];
  let startingSide: Side = "CT";
  let map = 0;
  let current: RoundRecord | undefined;
  for (const e of events) {
    const p = e.payload as Record<string, unknown>;
    if (e.type === "map_start") {
      startingSide = p.startingSide as Side;
      map = p.mapNumber as number;
    } else if (e.type === "round_start") {
      const eq = p.equipmentValue as { team1: number; team2: number };
      const round = p.round as number;
      current = {
        map,
        round,
        team1Side: team1SideForRound(startingSide, round),
        equipment: [eq.team1, eq.team2],
        events: [],
        winner: 1,
        reason: "",
      };
    } else if (current !== undefined) {
      current.events.push(e);
      if (e.type === "round_end") {
        current.winner = e.teamId!;
        current.reason = p.reason as string;
        rounds.push(current);
        current = undefined;
      }
    }
  }
  return rounds;
}

const teamOfPlayer = (id: string): TeamSide => (id.startsWith("team1-") ? 1 : 2);

describe("simulateCs2", () => {
  it("is deterministic: same options, same events (ids included); another seed, another series", () => {
    const a = simulateCs2(options(5));
    expect(simulateCs2(options(5))).toEqual(a);
    expect(simulateCs2({ ...options(5), seed: 6 }).map((e) => e.eventId)).not.toEqual(a.map((e) => e.eventId));
  });

  it("produces events that pass the contract (many seeds, every format)", () => {
    for (let seed = 1; seed <= 40; seed++) {
      for (const e of simulateCs2(options(seed))) {
        const result = parseEvent(e, NOW);
        if (!result.ok) throw new Error(`seed ${seed}: ${JSON.stringify(e)} → ${JSON.stringify(result.issues)}`);
      }
    }
  });

  it("numbers events 1..N in time order with unique UUID v4 ids", () => {
    for (let seed = 1; seed <= 20; seed++) {
      const events = simulateCs2(options(seed));
      expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
      for (let i = 1; i < events.length; i++)
        expect(Date.parse(events[i]!.timestamp)).toBeGreaterThanOrEqual(Date.parse(events[i - 1]!.timestamp));
      expect(events.every((e) => UUID_V4.test(e.eventId))).toBe(true);
      expect(new Set(events.map((e) => e.eventId)).size).toBe(events.length);
    }
  });

  it("plays a series of the right length: maps from the pool, winner of the majority", () => {
    for (let seed = 1; seed <= 60; seed++) {
      const o = options(seed);
      const events = simulateCs2(o);
      expect(events[0]).toMatchObject({ type: "match_start", payload: { bestOf: o.bestOf } });
      const maps = events
        .filter((e) => e.type === "map_start")
        .map((e) => e.payload as { mapNumber: number; mapName: string });
      const winners = events.filter((e) => e.type === "map_end").map((e) => e.teamId!);
      const needed = Math.ceil(o.bestOf / 2);
      const won = (t: TeamSide) => winners.filter((w) => w === t).length;
      expect(Math.max(won(1), won(2))).toBe(needed);
      expect(maps.map((m) => m.mapNumber)).toEqual(maps.map((_, i) => i + 1));
      expect(new Set(maps.map((m) => m.mapName)).size).toBe(maps.length);
      for (const m of maps) expect(ACTIVE_DUTY_MAPS).toContain(m.mapName);
      const end = events[events.length - 1]!;
      expect(end.type).toBe("match_end");
      expect(end.teamId).toBe(won(1) > won(2) ? 1 : 2);

      const state = events.reduce((s, e) => cs2.applyEvent(s, e), cs2.initialState()) as Cs2State;
      expect(state.status).toBe("finished");
      expect(state.mapsWon).toEqual([won(1), won(2)]);
    }
  });

  it("plays the maps in the order given, filling up from the pool", () => {
    const events = simulateCs2({ ...options(2, 5), maps: ["Nuke", "Mirage"] });
    const names = events.filter((e) => e.type === "map_start").map((e) => e.payload!.mapName);
    expect(names.slice(0, 2)).toEqual(["Nuke", "Mirage"]);
  });

  it("ends each map at 13 or by the overtime rules, at the first round that decides it", () => {
    let overtimes = 0;
    for (let seed = 1; seed <= 80; seed++) {
      const rounds = roundsOf(simulateCs2(options(seed)));
      for (const map of new Set(rounds.map((r) => r.map))) {
        const played = rounds.filter((r) => r.map === map);
        expect(played.map((r) => r.round)).toEqual(played.map((_, i) => i + 1));
        const score: Pair = [0, 0];
        played.forEach((r, i) => {
          score[r.winner === 1 ? 0 : 1]++;
          const last = i === played.length - 1;
          expect(mapWinner(score) !== null, `map ${map} at ${score.join("-")}`).toBe(last);
        });
        const [hi, lo] = [Math.max(...score), Math.min(...score)];
        const regulation = hi === 13 && lo <= 11;
        const overtime = hi >= 16 && (hi - 16) % 3 === 0 && lo >= hi - 4 && lo <= hi - 2;
        expect(regulation || overtime, `final ${hi}-${lo}`).toBe(true);
        if (overtime) overtimes++;
      }
    }
    expect(overtimes).toBeGreaterThan(0);
  });

  it("decides maps by the CS2 rules (mapWinner)", () => {
    expect(mapWinner([13, 11])).toBe(1);
    expect(mapWinner([0, 13])).toBe(2);
    expect(mapWinner([13, 12])).toBeNull(); // only reachable in overtime, which needs 16
    expect(mapWinner([12, 12])).toBeNull();
    expect(mapWinner([16, 14])).toBe(1);
    expect(mapWinner([12, 16])).toBe(2);
    expect(mapWinner([15, 15])).toBeNull(); // 3-3 in the overtime: another one
    expect(mapWinner([18, 15])).toBeNull();
    expect(mapWinner([19, 17])).toBe(1);
    expect(mapWinner([17, 19])).toBe(2);
  });

  it("tells bomb stories consistent with the sides and the round result", () => {
    for (let seed = 1; seed <= 40; seed++) {
      for (const r of roundsOf(simulateCs2(options(seed)))) {
        const tTeam: TeamSide = r.team1Side === "T" ? 1 : 2;
        const ctTeam: TeamSide = tTeam === 1 ? 2 : 1;
        const plant = r.events.find((e) => e.type === "bomb_planted");
        const defuse = r.events.find((e) => e.type === "bomb_defused");
        if (plant) expect(plant.teamId).toBe(tTeam);
        if (defuse) expect(defuse.teamId).toBe(ctTeam);
        expect(r.events.filter((e) => e.type === "bomb_planted").length).toBeLessThanOrEqual(1);
        if (defuse) expect(plant).toBeDefined();
        if (plant && defuse) expect(Date.parse(defuse.timestamp)).toBeGreaterThan(Date.parse(plant.timestamp));
        switch (r.reason) {
          case "bomb_exploded":
            expect(r.winner).toBe(tTeam);
            expect(plant).toBeDefined();
            expect(defuse).toBeUndefined();
            break;
          case "bomb_defused":
            expect(r.winner).toBe(ctTeam);
            expect(defuse).toBeDefined();
            break;
          case "time":
            expect(r.winner).toBe(ctTeam);
            expect(plant).toBeUndefined();
            break;
          case "elimination":
            expect(defuse).toBeUndefined();
            break;
          default:
            throw new Error(`unexpected reason ${r.reason}`);
        }

        // Kills: killer and victim on opposite teams, nobody dies twice, the planter/defuser was alive.
        const dead = new Set<string>();
        for (const e of r.events) {
          if (e.type === "kill") {
            const victim = (e.payload as { victimPlayerId: string }).victimPlayerId;
            expect(teamOfPlayer(victim)).not.toBe(e.teamId);
            expect(teamOfPlayer(e.playerId!)).toBe(e.teamId);
            expect(dead.has(victim)).toBe(false);
            expect(dead.has(e.playerId!)).toBe(false);
            dead.add(victim);
          } else if (e.type === "bomb_planted" || e.type === "bomb_defused") {
            expect(dead.has(e.playerId!)).toBe(false);
          }
        }
        const deaths = (t: TeamSide) => [...dead].filter((p) => teamOfPlayer(p) === t).length;
        const loser: TeamSide = r.winner === 1 ? 2 : 1;
        expect(deaths(r.winner)).toBeLessThan(5);
        if (r.reason === "elimination") expect(deaths(loser)).toBe(5);
      }
    }
  });

  it("runs an economy: pistol rounds cheap, full buys dear, a big equipment edge wins most rounds", () => {
    const rounds = Array.from({ length: 60 }, (_, i) => roundsOf(simulateCs2(options(i + 1)))).flat();
    for (const r of rounds.filter((r) => r.round === 1 || r.round === 13)) {
      expect(r.equipment[0]).toBeLessThanOrEqual(5 * 1000);
      expect(r.equipment[1]).toBeLessThanOrEqual(5 * 1000);
    }
    const full = rounds.filter((r) => r.round > 3 && r.round !== 13).flatMap((r) => r.equipment);
    expect(full.filter((v) => v >= 20_000).length / full.length).toBeGreaterThan(0.4);

    const lopsided = rounds.filter((r) => r.equipment[0] > 2 * r.equipment[1] || r.equipment[1] > 2 * r.equipment[0]);
    const richWins = lopsided.filter((r) => (r.equipment[0] > r.equipment[1] ? 1 : 2) === r.winner).length;
    expect(lopsided.length).toBeGreaterThan(100);
    expect(richWins / lopsided.length).toBeGreaterThan(0.7);
  });

  it("draws round winners from roundWinProbability (calibrated) and rewards rating", () => {
    const rounds = Array.from({ length: 80 }, (_, i) => {
      const o = options(i + 1);
      return roundsOf(simulateCs2(o)).map((r) => ({ ...r, rating: [o.team1Rating, o.team2Rating] as Pair }));
    }).flat();
    const expected = rounds.reduce((s, r) => s + roundWinProbability(r.equipment, r.rating, r.team1Side), 0);
    const actual = rounds.filter((r) => r.winner === 1).length;
    expect(Math.abs(actual - expected) / rounds.length).toBeLessThan(0.02);

    expect(roundWinProbability([25_000, 25_000], [1600, 1600], "CT")).toBeGreaterThan(0.5);
    expect(roundWinProbability([25_000, 25_000], [1800, 1600], "T")).toBeGreaterThan(0.55);
    expect(roundWinProbability([5_000, 25_000], [1600, 1600], "CT")).toBeLessThan(0.2);

    let favourite = 0;
    for (let seed = 1; seed <= 60; seed++) {
      const events = simulateCs2({ ...options(seed, 3), team1Rating: 1800, team2Rating: 1550 });
      if (events[events.length - 1]!.teamId === 1) favourite++;
    }
    expect(favourite / 60).toBeGreaterThan(0.7);
  });

  it("has plausible kill statistics: 5-9 kills a round, headshots around 45%", () => {
    const events = Array.from({ length: 30 }, (_, i) => simulateCs2(options(i + 1))).flat();
    const kills = events.filter((e) => e.type === "kill");
    const rounds = events.filter((e) => e.type === "round_end").length;
    const headshots = kills.filter((e) => e.payload?.headshot === true).length / kills.length;
    expect(kills.length / rounds).toBeGreaterThan(5);
    expect(kills.length / rounds).toBeLessThan(9);
    expect(headshots).toBeGreaterThan(0.35);
    expect(headshots).toBeLessThan(0.55);
  });
});

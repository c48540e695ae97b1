// The map recursion follows the map's own format (map_start's maxRounds / overtimeMaxRounds), checked against an
// independent brute force over rounds, for MR15 with overtime and MR12 without.
import { describe, expect, it } from "vitest";
import type { TeamStrength } from "../sport";
import { cs2Features } from "./index";
import { CS2_MODEL_PARAMS, type Cs2Features, createCs2Predictor, mapResult } from "./model";
import { type Cs2MapFormat, team1SideForRound } from "./sides";
import { initialCs2State } from "./state";

const sig = (x: number): number => 1 / (1 + Math.exp(-x));

/** P(team 1 wins the map from a–b), round by round, with per-side round probabilities. */
function bruteMap(a: number, b: number, pCt: number, pT: number, firstHalfCt: boolean, f: Cs2MapFormat): number {
  const half = f.maxRounds / 2;
  const otHalf = f.overtimeMaxRounds / 2;
  const memo = new Map<string, number>();
  const rec = (x: number, y: number): number => {
    if (x + y < 2 * half || x < half || y < half) {
      if (x === half + 1) return 1;
      if (y === half + 1) return 0;
    } else if (f.overtimeMaxRounds === 0) {
      return 0.5; // half–half without overtime: a draw
    } else if (x + y > 2 * half) {
      const set = Math.floor((x + y - 2 * half - 1) / (2 * otHalf));
      if (set > 60) return 0.5;
      if (x - half - otHalf * set === otHalf + 1) return 1;
      if (y - half - otHalf * set === otHalf + 1) return 0;
    }
    const k = `${x}:${y}`;
    const m = memo.get(k);
    if (m !== undefined) return m;
    const ct = team1SideForRound(firstHalfCt ? "CT" : "T", x + y + 1, f) === "CT";
    const p = ct ? pCt : pT;
    const v = p * rec(x + 1, y) + (1 - p) * rec(x, y + 1);
    memo.set(k, v);
    return v;
  };
  return rec(a, b);
}

describe("cs2 model: the map's format", () => {
  // Independent future rounds (no economy dependence), so the brute force below is the exact reference.
  const { ctAdvantage, ratingCoef } = CS2_MODEL_PARAMS.future;
  const pr = createCs2Predictor({ ...CS2_MODEL_PARAMS, future: { ctAdvantage, ratingCoef } });
  const fitted = createCs2Predictor(CS2_MODEL_PARAMS);
  const base: Cs2Features = {
    bestOf: 1,
    mapsWon: [0, 0],
    roundScore: [0, 0],
    team1Side: "CT",
    equipmentValue: [20000, 20000],
    alive: [5, 5],
    bomb: "none",
    rating: [1650, 1600],
  };

  for (const format of [
    { maxRounds: 30, overtimeMaxRounds: 6 },
    { maxRounds: 24, overtimeMaxRounds: 0 },
    { maxRounds: 16, overtimeMaxRounds: 4 },
  ]) {
    it(`computes the map exactly for MR${format.maxRounds / 2}, overtime ${format.overtimeMaxRounds}`, () => {
      const fut = CS2_MODEL_PARAMS.future;
      const r = (fut.ratingCoef * 50) / 400;
      const pCt = sig(fut.ctAdvantage + r);
      const pT = sig(-fut.ctAdvantage + r);
      const h = format.maxRounds / 2;
      for (const [a, b, side] of [
        [0, 0, "CT"],
        [h - 1, h - 1, "T"],
        [h, h - 2, "CT"],
        [h - 2, h, "T"],
        [h + 1, h + 1, "CT"],
      ] as [number, number, "CT" | "T"][]) {
        if (format.overtimeMaxRounds === 0 && a + b >= 2 * h) continue;
        const p = pr({ ...base, roundScore: [a, b], team1Side: side, ...format });
        const n = a + b + 1;
        const firstHalfCt = (team1SideForRound("CT", n, format) === "CT") === (side === "CT");
        const expected =
          p.pRound * bruteMap(a + 1, b, pCt, pT, firstHalfCt, format) +
          (1 - p.pRound) * bruteMap(a, b + 1, pCt, pT, firstHalfCt, format);
        expect(p.pMap).toBeCloseTo(expected, 9);
      }
    });
  }

  it("MR15: 13 rounds do not win the map, 16 do; the default (MR12) is unchanged", () => {
    const mr15 = { maxRounds: 30, overtimeMaxRounds: 6 };
    expect(mapResult(13, 2, mr15)).toBe(0);
    expect(mapResult(16, 2, mr15)).toBe(1);
    expect(mapResult(13, 2)).toBe(1);
    const at13 = pr({ ...base, roundScore: [13, 2], ...mr15 });
    expect(at13.pMap).toBeGreaterThan(0.9);
    expect(at13.pMap).toBeLessThan(1);
    expect(fitted({ ...base, roundScore: [5, 3], maxRounds: 24, overtimeMaxRounds: 6 })).toEqual(
      fitted({ ...base, roundScore: [5, 3] }),
    );
    // With the fitted economy dependence too, MR15 at 13–2 is not yet won.
    expect(fitted({ ...base, roundScore: [13, 2], ...mr15 }).pMap).toBeLessThan(1);
  });

  it("the features carry the live map's format from map_start", () => {
    const state = initialCs2State();
    const strength: TeamStrength = { rating: [1500, 1500], neutral: true };
    expect(cs2Features(state, strength).maxRounds).toBeUndefined();
    const mr15 = {
      ...state,
      currentMap: {
        number: 1,
        name: "de_overpass",
        team1Side: "CT" as const,
        team1StartingSide: "CT" as const,
        maxRounds: 30,
        overtimeMaxRounds: 6,
      },
    };
    expect(cs2Features(mr15, strength)).toMatchObject({ maxRounds: 30, overtimeMaxRounds: 6 });
  });
});

import { describe, expect, it } from "vitest";
import {
  ELO_HOME_ADVANTAGE,
  ELO_START,
  eloDifference,
  eloUpdate,
  expectedResult,
  kFactor,
  marginMultiplier,
  tournamentClass,
} from "./elo";

describe("World Football Elo", () => {
  it("uses the K rules by tournament", () => {
    expect(kFactor("FIFA World Cup")).toBe(60);
    for (const t of [
      "UEFA Euro",
      "Copa América",
      "African Cup of Nations",
      "AFC Asian Cup",
      "Gold Cup",
      "Confederations Cup",
    ])
      expect(kFactor(t)).toBe(50);
    for (const t of [
      "FIFA World Cup qualification",
      "UEFA Euro qualification",
      "African Cup of Nations qualification",
      "AFC Asian Cup qualification",
      "UEFA Nations League",
    ])
      expect(kFactor(t)).toBe(40);
    for (const t of ["CECAFA Cup", "Island Games", "King's Cup", "COSAFA Cup qualification"])
      expect(kFactor(t)).toBe(30);
    expect(kFactor("Friendly")).toBe(20);
    expect(tournamentClass("Friendly")).toBe("friendly");
  });

  it("scales K by the goal margin", () => {
    expect(marginMultiplier(0)).toBe(1);
    expect(marginMultiplier(1)).toBe(1);
    expect(marginMultiplier(-2)).toBe(1.5);
    expect(marginMultiplier(3)).toBe(14 / 8);
    expect(marginMultiplier(4)).toBe(15 / 8);
    expect(marginMultiplier(-7)).toBe(18 / 8);
  });

  it("computes the expected result with the home advantage", () => {
    expect(ELO_START).toBe(1500);
    expect(expectedResult(0)).toBe(0.5);
    expect(expectedResult(400)).toBeCloseTo(10 / 11, 12);
    expect(expectedResult(-400)).toBeCloseTo(1 / 11, 12);
    expect(eloDifference(1500, 1500, false)).toBe(ELO_HOME_ADVANTAGE);
    expect(eloDifference(1500, 1500, true)).toBe(0);
  });

  it("updates ratings (zero-sum) as the published examples", () => {
    // equal teams on neutral ground, friendly, 1–0: ΔR = 20 · 1 · (1 − 0.5) = 10
    expect(eloUpdate({ ratings: [1500, 1500], score: [1, 0], neutral: true, tournament: "Friendly" })).toEqual([
      1510, 1490,
    ]);
    // World Cup finals, 3–0 win by the home side rated equal: We = 1/(10^(−100/400)+1)
    const we = 1 / (10 ** (-100 / 400) + 1);
    const [h, a] = eloUpdate({ ratings: [1800, 1800], score: [3, 0], neutral: false, tournament: "FIFA World Cup" });
    expect(h).toBeCloseTo(1800 + 60 * 1.75 * (1 - we), 10);
    expect(a).toBeCloseTo(1800 - 60 * 1.75 * (1 - we), 10);
    // a draw moves ratings towards each other; a shoot-out counts as a draw
    const [x, y] = eloUpdate({
      ratings: [1900, 1700],
      score: [1, 1],
      neutral: true,
      tournament: "UEFA Euro",
      shootout: true,
    });
    expect(x).toBeLessThan(1900);
    expect(y).toBeGreaterThan(1700);
    expect(x + y).toBeCloseTo(3600, 10);
    // an explicit K
    expect(eloUpdate({ ratings: [1500, 1500], score: [0, 2], neutral: true, tournament: 30 })).toEqual([
      1477.5, 1522.5,
    ]);
  });
});

import { describe, expect, it } from "vitest";
import { sideSwapsBefore, team1SideForRound } from "./sides";

describe("team1SideForRound", () => {
  const sides = (start: "CT" | "T", to: number) =>
    Array.from({ length: to }, (_, i) => team1SideForRound(start, i + 1));

  it("keeps the starting side for the first half and swaps for the second (MR12)", () => {
    const s = sides("CT", 24);
    expect(s.slice(0, 12).every((x) => x === "CT")).toBe(true);
    expect(s.slice(12, 24).every((x) => x === "T")).toBe(true);
    expect(sides("T", 13).at(-1)).toBe("CT");
  });

  it("keeps the second-half side into overtime and swaps at each overtime half time", () => {
    // rounds 25..48: four overtimes of two 3-round halves
    const ot = sides("CT", 48).slice(24).join(",");
    const half = (x: string) => [x, x, x].join(",");
    expect(ot).toBe(
      [half("T"), half("CT"), half("CT"), half("T"), half("T"), half("CT"), half("CT"), half("T")].join(","),
    );
  });

  it("counts half-time swaps", () => {
    expect([1, 12, 13, 24, 25, 27, 28, 30, 31, 33, 34, 37, 40].map((r) => sideSwapsBefore(r))).toEqual([
      0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 4,
    ]);
  });

  it("follows the map's format: MR15 swaps after 15, no overtime keeps the second half", () => {
    const mr15 = { maxRounds: 30, overtimeMaxRounds: 6 };
    expect([13, 15, 16, 30, 31, 33, 34].map((r) => team1SideForRound("CT", r, mr15))).toEqual([
      "CT",
      "CT",
      "T",
      "T",
      "T",
      "T",
      "CT",
    ]);
    expect(team1SideForRound("CT", 40, { maxRounds: 24, overtimeMaxRounds: 0 })).toBe("T");
  });
});

import { describe, expect, it } from "vitest";
import { guessPoints, outcomeOf, parseGuess, provisionalPoints, rankEntries } from "./scoring";

describe("guess points", () => {
  it("gives 3 for the exact score, 1 for the right outcome, 0 otherwise (football)", () => {
    expect(guessPoints({ home: 2, away: 1 }, { home: 2, away: 1 })).toBe(3);
    expect(guessPoints({ home: 3, away: 0 }, { home: 2, away: 1 })).toBe(1);
    expect(guessPoints({ home: 1, away: 1 }, { home: 0, away: 0 })).toBe(1);
    expect(guessPoints({ home: 0, away: 2 }, { home: 2, away: 1 })).toBe(0);
    expect(guessPoints({ home: 1, away: 1 }, { home: 2, away: 1 })).toBe(0);
  });

  it("applies a game's own scoring", () => {
    expect(guessPoints({ home: 2, away: 1 }, { home: 2, away: 1 }, { exact: 5, outcome: 2 })).toBe(5);
    expect(guessPoints({ home: 1, away: 0 }, { home: 2, away: 1 }, { exact: 5, outcome: 2 })).toBe(2);
  });

  it("scores a CS2 series by maps: the exact maps score, else the series winner", () => {
    // best of 3 won 2-1 by team 2
    expect(guessPoints({ home: 1, away: 2 }, { home: 1, away: 2 })).toBe(3);
    expect(guessPoints({ home: 0, away: 2 }, { home: 1, away: 2 })).toBe(1);
    expect(guessPoints({ home: 2, away: 1 }, { home: 1, away: 2 })).toBe(0);
    expect(outcomeOf({ home: 1, away: 0 })).toBe("home");
  });
});

describe("provisional points", () => {
  it("scores each distinct guessed score once against the current score", () => {
    const groups = [
      { home: 1, away: 0, guesses: 40 },
      { home: 2, away: 0, guesses: 25 },
      { home: 0, away: 0, guesses: 10 },
      { home: 0, away: 1, guesses: 5 },
    ];
    expect(provisionalPoints(groups, { home: 1, away: 0 }).map((g) => g.points)).toEqual([3, 1, 0, 0]);
    expect(provisionalPoints(groups, { home: 0, away: 0 }).map((g) => [g.guesses, g.points])).toEqual([
      [40, 0],
      [25, 0],
      [10, 3],
      [5, 0],
    ]);
  });
});

describe("guess validation", () => {
  it("names every bad field of an item", () => {
    const r = parseGuess({ fanId: "", matchId: "m 1", home: -1, away: 1.5, extra: true });
    expect(r.ok).toBe(false);
    const paths = r.ok ? [] : r.issues.map((i) => i.path).sort();
    expect(paths).toEqual(["away", "extra", "fanId", "home", "matchId"]);
    const missing = parseGuess({ fanId: "f" });
    expect(missing.ok ? [] : missing.issues).toEqual([
      { path: "matchId", message: "is required" },
      { path: "home", message: "is required" },
      { path: "away", message: "is required" },
    ]);
    expect(parseGuess([1]).ok).toBe(false);
    expect(parseGuess({ fanId: "x".repeat(64), matchId: "m", home: 0, away: 99 }).ok).toBe(true);
    expect(parseGuess({ fanId: "x".repeat(65), matchId: "m", home: 0, away: 100 }).ok).toBe(false);
  });
});

describe("leaderboard ranks", () => {
  it("shares a rank within a tie and skips after it", () => {
    const ranked = rankEntries(
      [{ points: 9 }, { points: 7 }, { points: 7 }, { points: 3 }, { points: 3 }, { points: 1 }],
      1,
      0,
    );
    expect(ranked.map((r) => r.rank)).toEqual([1, 2, 2, 4, 4, 6]);
  });

  it("continues a page that starts inside a tie", () => {
    // positions 10..12; the fan at position 10 ties with fans above it, ranked 8
    expect(rankEntries([{ points: 5 }, { points: 5 }, { points: 4 }], 8, 10).map((r) => r.rank)).toEqual([8, 8, 13]);
  });
});

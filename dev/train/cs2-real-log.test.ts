import { describe, expect, it } from "vitest";
import { probabilityPath, realLogEvents } from "./cs2-real-log";

describe("the CS2 model on the real server log", () => {
  it("follows the counted map round by round to the server's Game Over score", () => {
    const { points, final } = probabilityPath(realLogEvents());
    expect(final).toEqual([14, 16]);
    const ends = points.filter((p) => p.at === "end");
    expect(ends.map((p) => p.round)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    for (const p of points) expect(p.pTeam1).toBeGreaterThanOrEqual(0);
    for (const p of points) expect(p.pTeam1).toBeLessThanOrEqual(1);
    // Decided: team 2 won the map.
    expect(ends.at(-1)?.pTeam1).toBe(0);
    // Level at 13:13, the model is near even; one round from defeat, it is well below.
    expect(ends.find((p) => p.score[0] === 13 && p.score[1] === 13)?.pTeam1).toBeGreaterThan(0.3);
    expect(ends.find((p) => p.score[0] === 13 && p.score[1] === 15)?.pTeam1).toBeLessThan(0.3);
  });
});

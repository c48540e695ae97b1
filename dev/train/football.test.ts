// Held-out checks of the shipped football model on the real data (skipped only when the data is absent).
import { describe, expect, it } from "vitest";
import { footballWinProbability } from "../../shared/sports/football/model";
import { footballDataAvailable, inPlayMatches, loadFootballMatches } from "./football-data";
import { outcomeOf, ScoreAccumulator } from "./metrics";

describe.skipIf(!footballDataAvailable())("football model on the held-out data (2019–2021)", () => {
  const all = footballDataAvailable() ? loadFootballMatches() : [];
  const holdout = inPlayMatches(all).filter((m) => m.year >= 2019);
  const state = (m: (typeof holdout)[number], minute: number): [number, number] => {
    const s: [number, number] = [0, 0];
    for (const g of m.goals) if (g.minute <= minute) s[g.team - 1] = s[g.team - 1]! + 1;
    return s;
  };

  it("selects the held-out slice and computes plausible Elo ratings", () => {
    expect(holdout.length).toBeGreaterThan(1400);
    const last = new Map<string, number>();
    for (const m of all) {
      last.set(m.home, m.elo[0]);
      last.set(m.away, m.elo[1]);
    }
    const top = [...last.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 10)
      .map(([t]) => t);
    expect(top).toContain("Brazil");
    expect(top).toContain("France");
    // every scored match's 90-minute score is consistent with its goal list
    for (const m of holdout) expect(m.score90[0] + m.score90[1]).toBeLessThanOrEqual(m.score[0] + m.score[1]);
  });

  it("is calibrated in the large and sharpens through the match", () => {
    let lastRps = Number.POSITIVE_INFINITY;
    for (const minute of [0, 15, 30, 45, 60, 75, 85]) {
      const acc = new ScoreAccumulator();
      const pred = [0, 0, 0];
      const obs = [0, 0, 0];
      for (const m of holdout) {
        const p = footballWinProbability({
          minute,
          score: state(m, minute),
          redCards: [0, 0],
          elo: m.elo,
          neutral: m.neutral,
        });
        const o = outcomeOf(m.score90);
        acc.add(p, o);
        for (let k = 0; k < 3; k++) pred[k] = pred[k]! + p[k]! / holdout.length;
        obs[o] = obs[o]! + 1 / holdout.length;
      }
      for (let k = 0; k < 3; k++) expect(Math.abs(pred[k]! - obs[k]!)).toBeLessThan(0.04);
      const r = acc.result();
      expect(r.rps).toBeLessThan(lastRps);
      lastRps = r.rps;
      if (minute === 0) expect(r.rps).toBeLessThan(0.15);
      if (minute === 85) expect(r.rps).toBeLessThan(0.045);
    }
  });
});

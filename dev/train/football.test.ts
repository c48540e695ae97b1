// Checks of the football training pipeline and the shipped model on the real data (skipped only when the data is absent).
import { describe, expect, it } from "vitest";
import { FOOTBALL_MODEL_VERSION, footballWinProbability } from "../../shared/sports/football/model";
import { clusterMean, DATA_TO_YEAR, MODEL_FAMILY, TRAIN_FROM_YEAR, toSamples } from "./football";
import { footballDataAvailable, inPlayMatches, loadFootballMatches } from "./football-data";
import { outcomeOf, ScoreAccumulator } from "./metrics";

describe("clusterMean (standard errors of the validation tables)", () => {
  it("is the plain mean and standard error when every match has one snapshot", () => {
    const v = [1, 2, 3, 4];
    const r = clusterMean(v, [1, 1, 1, 1]);
    expect(r.mean).toBeCloseTo(2.5, 12);
    // sample s.d. of 1..4 is sqrt(5/3); SE = sd/sqrt(4)
    expect(r.se).toBeCloseTo(Math.sqrt(5 / 3) / 2, 12);
  });

  it("weights matches by their number of snapshots, skips matches without any, and pairs differences", () => {
    // match 1: two snapshots summing to 2 (mean 1); match 2: one snapshot of 4; match 3: none
    const r = clusterMean([2, 4, 0], [2, 1, 0]);
    expect(r.mean).toBeCloseTo(2, 12);
    // residuals 2 − 2·2 = −2, 4 − 2 = 2 → √(8·2/1)/3
    expect(r.se).toBeCloseTo(Math.sqrt(16) / 3, 12);
    const d = clusterMean([3, 5], [1, 1], [1, 2]);
    expect(d.mean).toBeCloseTo(2.5, 12);
  });
});

describe.skipIf(!footballDataAvailable())("football data and the shipped model", () => {
  const all = footballDataAvailable() ? loadFootballMatches() : [];

  it("records the fit's data window in the model version", () => {
    expect(FOOTBALL_MODEL_VERSION).toBe(`${MODEL_FAMILY}+${TRAIN_FROM_YEAR}-${DATA_TO_YEAR}`);
  });

  it("identifies knockout matches that went to extra time, and who went through", () => {
    const { samples, shootouts } = toSamples(all);
    const et = samples.filter((s) => s.extraTime);
    expect(et.length).toBeGreaterThan(150);
    for (const s of et) {
      expect(s.score90[0]).toBe(s.score90[1]); // only a level score at 90 goes to extra time
      expect(s.goals.every((g) => g.minute <= 120)).toBe(true);
    }
    // the winner is known for (almost) every one: extra-time goals or the shoot-out file
    expect(et.filter((s) => s.advanced1 !== null).length).toBeGreaterThan(0.95 * et.length);
    // a match decided in extra time has its winner's extra-time goals
    for (const s of et.filter((x) => x.advanced1 !== null && x.goals.length > 0)) {
      const last = s.goals.filter((g) => g.minute > 90);
      if (last.length === 0) continue;
      const lead = last.reduce((d, g) => d + (g.team === 1 ? 1 : -1), 0);
      if (lead !== 0) expect(s.advanced1).toBe(lead > 0);
    }
    expect(shootouts.length).toBeGreaterThan(500);
    // group matches level at 90 are not knockouts
    expect(samples.filter((s) => !s.extraTime && s.score90[0] === s.score90[1]).length).toBeGreaterThan(1000);
  });

  it("is calibrated in the large on 2019–2021 and sharpens through the match (in-sample: the final fit uses all years)", () => {
    const recent = inPlayMatches(all).filter((m) => m.year >= 2019);
    expect(recent.length).toBeGreaterThan(1400);
    const state = (m: (typeof recent)[number], minute: number): [number, number] => {
      const s: [number, number] = [0, 0];
      for (const g of m.goals) if (g.minute <= minute) s[g.team - 1] = s[g.team - 1]! + 1;
      return s;
    };
    let lastRps = Number.POSITIVE_INFINITY;
    for (const minute of [0, 15, 30, 45, 60, 75, 85]) {
      const acc = new ScoreAccumulator();
      const pred = [0, 0, 0];
      const obs = [0, 0, 0];
      for (const m of recent) {
        const p = footballWinProbability({
          minute,
          score: state(m, minute),
          redCards: [0, 0],
          elo: m.elo,
          neutral: m.neutral,
        });
        const o = outcomeOf(m.score90);
        acc.add(p, o);
        for (let k = 0; k < 3; k++) pred[k] = pred[k]! + p[k]! / recent.length;
        obs[o] = obs[o]! + 1 / recent.length;
      }
      for (let k = 0; k < 3; k++) expect(Math.abs(pred[k]! - obs[k]!)).toBeLessThan(0.04);
      const r = acc.result();
      expect(r.rps).toBeLessThan(lastRps);
      lastRps = r.rps;
    }
  });
});

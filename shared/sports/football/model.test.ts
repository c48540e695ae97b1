import { describe, expect, it } from "vitest";
import { seededRng } from "../../random";
import {
  createFootballPredictor,
  FOOTBALL_MODEL_PARAMS,
  FOOTBALL_MODEL_VERSION,
  type FootballFeatures,
  footballWinProbability,
} from "./model";

const P = footballWinProbability;
const state = (o: Partial<FootballFeatures> = {}): FootballFeatures => ({
  minute: 0,
  score: [0, 0],
  redCards: [0, 0],
  elo: [1800, 1800],
  neutral: false,
  ...o,
});

const rng = (seed: number): (() => number) => seededRng(seed).next;

function randomState(r: () => number): FootballFeatures {
  return {
    minute: Math.floor(r() * 91) + (r() < 0.3 ? r() : 0),
    score: [Math.floor(r() * 4), Math.floor(r() * 4)],
    redCards: [r() < 0.15 ? 1 : 0, r() < 0.15 ? 1 : 0],
    elo: [900 + r() * 1500, 900 + r() * 1500],
    neutral: r() < 0.3,
  };
}

describe("football model", () => {
  it("has a version and parameters that satisfy the monotonicity constraints", () => {
    expect(FOOTBALL_MODEL_VERSION).toMatch(/^football-inplay-/);
    const p = FOOTBALL_MODEL_PARAMS;
    expect(p.profile).toHaveLength(91);
    expect(p.profile.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    expect(p.rate.homeAttack).toBeGreaterThanOrEqual(0);
    expect(p.rate.homeDefence).toBeGreaterThanOrEqual(0);
    expect(
      p.rate.slope - 2 * Math.abs(p.rate.quad) * (p.rate.maxEloDiff / 400) - Math.abs(p.rate.level) / 2,
    ).toBeGreaterThanOrEqual(0);
    expect(p.redCard.own).toBeLessThan(1);
    expect(p.redCard.opponent).toBeGreaterThan(1);
  });

  it("returns probabilities in [0, 1] that sum to 1", () => {
    const r = rng(1);
    for (let i = 0; i < 3000; i++) {
      const p = P(randomState(r));
      for (const v of p) {
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThanOrEqual(1);
      }
      expect(p[0] + p[1] + p[2]).toBeCloseTo(1, 12);
    }
  });

  it("handles extreme and odd inputs", () => {
    for (const s of [
      state({ minute: -5 }),
      state({ minute: 120 }),
      state({ minute: Number.NaN }),
      state({ score: [12, 0], minute: 10 }),
      state({ redCards: [5, 0] }),
      state({ elo: [2500, 800] }),
    ]) {
      const p = P(s);
      expect(p.every((v) => Number.isFinite(v) && v >= 0 && v <= 1)).toBe(true);
      expect(p[0] + p[1] + p[2]).toBeCloseTo(1, 12);
    }
  });

  it("is symmetric on neutral ground with equal Elo and equal score", () => {
    for (const minute of [0, 13.5, 45, 60, 89])
      for (const score of [
        [0, 0],
        [1, 1],
        [2, 2],
      ] as [number, number][])
        for (const redCards of [
          [0, 0],
          [1, 1],
        ] as [number, number][]) {
          const p = P(state({ minute, score, redCards, neutral: true, elo: [1700, 1700] }));
          expect(p[0]).toBeCloseTo(p[2], 12);
        }
  });

  it("swapping the teams on neutral ground swaps the probabilities", () => {
    const r = rng(2);
    for (let i = 0; i < 500; i++) {
      const s = { ...randomState(r), neutral: true };
      const p = P(s);
      const q = P({
        ...s,
        score: [s.score[1], s.score[0]],
        redCards: [s.redCards[1], s.redCards[0]],
        elo: [s.elo[1], s.elo[0]],
      });
      expect(p[0]).toBeCloseTo(q[2], 10);
      expect(p[1]).toBeCloseTo(q[1], 10);
    }
  });

  it("favours the home side at equal Elo", () => {
    const p = P(state());
    expect(p[0]).toBeGreaterThan(p[2]);
  });

  it("is monotone: goals, Elo and red cards (many random states)", () => {
    const r = rng(3);
    const eps = 1e-12;
    for (let i = 0; i < 2000; i++) {
      const s = randomState(r);
      const p = P(s);
      const moreGoals = P({ ...s, score: [s.score[0] + 1, s.score[1]] });
      expect(moreGoals[0]).toBeGreaterThanOrEqual(p[0] - eps);
      const opponentScores = P({ ...s, score: [s.score[0], s.score[1] + 1] });
      expect(opponentScores[0]).toBeLessThanOrEqual(p[0] + eps);
      const higherElo = P({ ...s, elo: [s.elo[0] + 25 + r() * 200, s.elo[1]] });
      expect(higherElo[0]).toBeGreaterThanOrEqual(p[0] - eps);
      const opponentHigherElo = P({ ...s, elo: [s.elo[0], s.elo[1] + 25 + r() * 200] });
      expect(opponentHigherElo[0]).toBeLessThanOrEqual(p[0] + eps);
      const red = P({ ...s, redCards: [s.redCards[0] + 1, s.redCards[1]] });
      expect(red[0]).toBeLessThanOrEqual(p[0] + eps);
      const opponentRed = P({ ...s, redCards: [s.redCards[0], s.redCards[1] + 1] });
      expect(opponentRed[0]).toBeGreaterThanOrEqual(p[0] - eps);
      const home = P({ ...s, neutral: false });
      const neutral = P({ ...s, neutral: true });
      expect(home[0]).toBeGreaterThanOrEqual(neutral[0] - eps);
    }
  });

  it("a red card changes the outlook noticeably", () => {
    const p = P(state({ minute: 20, neutral: true }));
    const red = P(state({ minute: 20, neutral: true, redCards: [1, 0] }));
    expect(p[0] - red[0]).toBeGreaterThan(0.08);
  });

  it("converges late in the game", () => {
    expect(P(state({ minute: 90, score: [2, 0] }))[0]).toBe(1);
    expect(P(state({ minute: 90, score: [1, 1] }))[1]).toBe(1);
    expect(P(state({ minute: 89, score: [2, 0], elo: [1500, 1900] }))[0]).toBeGreaterThan(0.98);
    expect(P(state({ minute: 85, score: [0, 2] }))[2]).toBeGreaterThan(0.95);
    // a lead is worth more the later it is
    // (within 1e-3: early on, the fitted extra push of a trailing team can outweigh the time that has run down)
    let last = 0;
    for (let m = 0; m <= 90; m += 5) {
      const v = P(state({ minute: m, score: [1, 0] }))[0];
      expect(v).toBeGreaterThanOrEqual(last - 1e-3);
      last = v;
    }
    expect(P(state({ minute: 80, score: [1, 0] }))[0]).toBeGreaterThan(
      P(state({ minute: 20, score: [1, 0] }))[0] + 0.05,
    );
    // and a level score makes the draw likelier as time runs out
    expect(P(state({ minute: 80, score: [0, 0] }))[1]).toBeGreaterThan(P(state({ minute: 10, score: [0, 0] }))[1]);
  });

  it("pre-match numbers are plausible", () => {
    const even = P(state({ neutral: true }));
    expect(even[1]).toBeGreaterThan(0.2);
    expect(even[1]).toBeLessThan(0.35);
    const mismatch = P(state({ elo: [2100, 1500] }));
    expect(mismatch[0]).toBeGreaterThan(0.85);
  });

  it("is calibrated against simulations of its own goal process", () => {
    // Independent re-implementation of the process the model propagates: per minute bin, each team scores
    // Poisson(μ) goals with μ = λ·w(t)·exp(level[g] + trend[g]·t/90) (g = own goal difference clamped to ±2).
    const params = FOOTBALL_MODEL_PARAMS;
    const xMax = params.rate.maxEloDiff / 400;
    const predict = createFootballPredictor({ ...params, drawInflation: 0 });
    const r = rng(4);
    const poisson = (mu: number): number => {
      let k = 0;
      let p = Math.exp(-mu);
      let s = p;
      const u = r();
      while (u > s && k < 20) {
        k++;
        p = (p * mu) / k;
        s += p;
      }
      return k;
    };
    const cases: FootballFeatures[] = [
      state({ neutral: true }),
      state({ elo: [1950, 1700], minute: 30, score: [0, 1] }),
      state({ elo: [1600, 1800], minute: 60, score: [1, 1], neutral: true }),
    ];
    for (const s of cases) {
      const x = (s.elo[0] - s.elo[1]) / 400;
      const z = ((s.elo[0] + s.elo[1]) / 2 - 1500) / 400;
      const base = params.rate.intercept + params.rate.quad * Math.min(x * x, xMax * xMax) + params.rate.level * z;
      const home = s.neutral ? 0 : 1;
      const lam = [
        Math.exp(base + params.rate.slope * x + home * params.rate.homeAttack),
        Math.exp(base - params.rate.slope * x - home * params.rate.homeDefence),
      ];
      const N = 20000;
      const counts = [0, 0, 0];
      for (let i = 0; i < N; i++) {
        let g1 = s.score[0];
        let g2 = s.score[1];
        for (let t = Math.floor(s.minute) + 1; t <= 90; t++) {
          const d = Math.max(-2, Math.min(2, g1 - g2));
          const m1 = Math.exp(params.stateEffect.level[d + 2]! + params.stateEffect.trend[d + 2]! * (t / 90));
          const m2 = Math.exp(params.stateEffect.level[2 - d]! + params.stateEffect.trend[2 - d]! * (t / 90));
          g1 += poisson(lam[0]! * params.profile[t]! * m1);
          g2 += poisson(lam[1]! * params.profile[t]! * m2);
        }
        counts[g1 > g2 ? 0 : g1 === g2 ? 1 : 2]!++;
      }
      const p = predict(s);
      for (let k = 0; k < 3; k++) {
        const freq = counts[k]! / N;
        const se = Math.sqrt((p[k]! * (1 - p[k]!)) / N);
        expect(Math.abs(freq - p[k]!)).toBeLessThan(4 * se + 0.004);
      }
    }
  });

  it("is fast enough", () => {
    const r = rng(5);
    const states = Array.from({ length: 2000 }, () => randomState(r));
    for (const s of states) P(s); // warm-up
    const t0 = performance.now();
    for (let k = 0; k < 5; k++) for (const s of states) P(s);
    const micros = ((performance.now() - t0) * 1000) / (5 * states.length);
    expect(micros).toBeLessThan(200); // generous in CI; the bench reports the real figure
  });
});

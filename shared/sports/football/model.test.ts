import { describe, expect, it } from "vitest";
import { seededRng } from "../../random";
import { type FootballStrength, football, footballWinProbabilityOf } from "./index";
import {
  createFootballPredictor,
  FOOTBALL_MODEL_PARAMS,
  FOOTBALL_MODEL_VERSION,
  type FootballFeatures,
  footballPrediction,
  footballWinProbability,
} from "./model";
import { type FootballState, initialFootballState } from "./state";

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

describe("football model: knockout matches (extra time, shoot-out)", () => {
  const ko = (o: Partial<FootballFeatures> = {}) => footballPrediction(state({ knockout: true, ...o }));

  it("has fitted extra-time and shoot-out parameters", () => {
    const k = FOOTBALL_MODEL_PARAMS.knockout;
    // extra time is played at a lower goal rate than regulation (fitted ≈ 0.65), the stronger side and the home side
    // win shoot-outs somewhat more often (not the placeholders 1 / 0 / 0)
    expect(k.extraTimeRate).toBeGreaterThan(0.4);
    expect(k.extraTimeRate).toBeLessThan(0.9);
    expect(k.shootoutSlope).toBeGreaterThan(0.1);
    expect(k.shootoutSlope).toBeLessThan(1.5);
    expect(Math.abs(k.shootoutHome)).toBeLessThan(1);
  });

  it("without knockout there is no advance probability and the result is unchanged", () => {
    const f = state({ minute: 30, score: [1, 0] });
    expect(footballPrediction(f).advance).toBeUndefined();
    expect(ko({ minute: 30, score: [1, 0] }).result).toEqual(footballWinProbability(f));
  });

  it("advance probabilities sum to 1, lie in [0, 1] and are at least the 90-minute win probability", () => {
    const r = rng(7);
    for (let i = 0; i < 3000; i++) {
      const f = { ...randomState(r), knockout: true };
      if (r() < 0.3) f.minute = 90 + r() * 30; // extra time
      const { result, advance } = footballPrediction(f);
      expect(advance).toBeDefined();
      const [a1, a2] = advance!;
      expect(a1 + a2).toBeCloseTo(1, 12);
      for (const v of [a1, a2]) {
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThanOrEqual(1);
      }
      expect(a1).toBeGreaterThanOrEqual(result[0] - 1e-12);
      expect(a2).toBeGreaterThanOrEqual(result[2] - 1e-12);
      expect(a1).toBeLessThanOrEqual(result[0] + result[1] + 1e-12);
    }
  });

  it("at full time level the 90-minute result is a draw and going through comes from extra time and the shoot-out", () => {
    const strong = ko({ minute: 90, score: [1, 1], elo: [2000, 1700], neutral: true });
    expect(strong.result).toEqual([0, 1, 0]);
    expect(strong.advance![0]).toBeGreaterThan(0.5);
    expect(strong.advance![0]).toBeLessThan(0.8); // extra time is short, the shoot-out close to a coin flip
    const even = ko({ minute: 90, score: [0, 0], elo: [1800, 1800], neutral: true });
    expect(even.advance![0]).toBeCloseTo(0.5, 10);
    // decided at 90: no extra time
    expect(ko({ minute: 90, score: [2, 1] }).advance).toEqual([1, 0]);
  });

  it("in extra time the 90-minute result is a draw, the leader's chance rises with time and only the shoot-out is left at 120", () => {
    let last = 0;
    for (const minute of [91, 100, 105, 110, 115, 119.5]) {
      const p = ko({ minute, score: [2, 1], elo: [1800, 1800], neutral: true });
      expect(p.result).toEqual([0, 1, 0]);
      expect(p.advance![0]).toBeGreaterThan(last);
      last = p.advance![0];
    }
    const k = FOOTBALL_MODEL_PARAMS.knockout;
    const shoot = 1 / (1 + Math.exp(-(k.shootoutSlope * 0.5)));
    expect(ko({ minute: 120, score: [1, 1], elo: [1900, 1700], neutral: true }).advance![0]).toBeCloseTo(shoot, 12);
  });

  it("is monotone in the score and Elo for going through", () => {
    const r = rng(11);
    for (let i = 0; i < 1000; i++) {
      const f = { ...randomState(r), knockout: true };
      if (r() < 0.3) f.minute = 90 + r() * 30;
      const base = footballPrediction(f).advance![0];
      const more = footballPrediction({ ...f, score: [f.score[0] + 1, f.score[1]] }).advance![0];
      const stronger = footballPrediction({ ...f, elo: [f.elo[0] + 100, f.elo[1]] }).advance![0];
      expect(more).toBeGreaterThanOrEqual(base - 1e-9);
      expect(stronger).toBeGreaterThanOrEqual(base - 1e-9);
    }
  });
});

describe("football sport module: knockout wiring", () => {
  const live = (o: Partial<FootballState>): FootballState => ({
    ...initialFootballState(),
    status: "live",
    period: 2,
    ...o,
  });
  const strength = { rating: [1800, 1750] as [number, number], neutral: true };

  it("publishes advance probabilities only for knockout matches", () => {
    const s = live({ minute: 70, score: [1, 1] });
    const league = footballWinProbabilityOf(s, strength);
    expect(league.pAdvanceTeam1).toBeUndefined();
    // through the sport module, as the room calls it (TeamStrength gains `knockout` from the match metadata)
    const cupStrength: FootballStrength = { ...strength, knockout: true };
    const cup = football.winProbability(s, cupStrength);
    expect(cup.pTeam1).toBe(league.pTeam1);
    expect(cup.pAdvanceTeam1! + cup.pAdvanceTeam2!).toBeCloseTo(1, 12);
    expect(cup.pAdvanceTeam1!).toBeGreaterThan(cup.pTeam1);
  });

  it("in extra time the 90-minute result is a draw; after the shoot-out the winner goes through", () => {
    const et = footballWinProbabilityOf(live({ period: 3, minute: 100, score: [2, 1] }), {
      ...strength,
      knockout: true,
    });
    expect([et.pTeam1, et.pDraw, et.pTeam2]).toEqual([0, 1, 0]);
    expect(et.pAdvanceTeam1!).toBeGreaterThan(0.6);
    // extra time started but no event with a minute yet: still extra time, not a decided match
    const etStart = footballWinProbabilityOf(live({ period: 3, minute: 90, score: [1, 1] }), {
      ...strength,
      knockout: true,
    });
    expect(etStart.pAdvanceTeam1!).toBeGreaterThan(0.3);
    expect(etStart.pAdvanceTeam1!).toBeLessThan(0.7);
    const done = footballWinProbabilityOf(
      live({ status: "finished", period: 5, minute: 120, score: [1, 1], penaltyShootout: [3, 4] }),
      { ...strength, knockout: true },
    );
    expect(done).toMatchObject({ pTeam1: 0, pDraw: 1, pTeam2: 0, pAdvanceTeam1: 0, pAdvanceTeam2: 1 });
    const won90 = footballWinProbabilityOf(live({ status: "finished", period: 2, minute: 90, score: [2, 0] }), {
      ...strength,
      knockout: true,
    });
    expect(won90).toMatchObject({ pTeam1: 1, pDraw: 0, pAdvanceTeam1: 1, pAdvanceTeam2: 0 });
  });
});

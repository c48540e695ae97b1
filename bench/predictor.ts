// Micro-benchmark of the win-probability predictors: µs per prediction over many varied states
// (warm-up, then the median of several timed runs). Standalone: `npx tsx bench/predictor.ts` prints JSON.

import { seededRng } from "../shared/random";
import { type Cs2Features, cs2WinProbability } from "../shared/sports/cs2/model";
import { type FootballFeatures, footballPrediction, footballWinProbability } from "../shared/sports/football/model";

export interface PredictorBench {
  footballMicros: number;
  /** Knockout matches: the 90-minute result plus the advance probabilities (extra time, shoot-out). */
  footballKnockoutMicros: number;
  cs2Micros: number;
  footballRunsMicros: number[];
  cs2RunsMicros: number[];
  states: number;
  runs: number;
}

const rng = (seed: number): (() => number) => seededRng(seed).next;

export function footballStates(n: number, seed = 1): FootballFeatures[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => ({
    minute: r() * 90, // uniform over the match (kick-off states are the slowest)
    score: [Math.floor(r() * 4), Math.floor(r() * 4)],
    redCards: [r() < 0.1 ? 1 : 0, r() < 0.1 ? 1 : 0],
    elo: [1200 + r() * 1000, 1200 + r() * 1000],
    neutral: r() < 0.3,
  }));
}

/** Knockout states: the same mix, a third of them in extra time (minutes 90–120). */
export function footballKnockoutStates(n: number, seed = 3): FootballFeatures[] {
  const r = rng(seed);
  return footballStates(n, seed).map((s) => ({
    ...s,
    knockout: true,
    ...(r() < 1 / 3 ? { minute: 90 + r() * 30, score: [s.score[0], s.score[0]] as [number, number] } : {}),
  }));
}

export function cs2States(n: number, seed = 2): Cs2Features[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => {
    const bestOf = ([1, 3, 5] as const)[Math.floor(r() * 3)]!;
    const need = (bestOf + 1) / 2;
    return {
      bestOf,
      mapsWon: bestOf === 1 ? [0, 0] : [Math.floor(r() * need), Math.floor(r() * need)],
      roundScore:
        r() < 0.1 ? [12 + Math.floor(r() * 3), 12 + Math.floor(r() * 3)] : [Math.floor(r() * 13), Math.floor(r() * 13)],
      team1Side: r() < 0.5 ? "CT" : "T",
      equipmentValue: [Math.floor(r() * 30000), Math.floor(r() * 30000)],
      alive: [1 + Math.floor(r() * 5), 1 + Math.floor(r() * 5)],
      bomb: r() < 0.8 ? "none" : r() < 0.9 ? "planted" : "defused",
      rating: [1300 + r() * 600, 1300 + r() * 600], // continuous ratings: exercises the DP-table cache misses too
    };
  });
}

function timeRuns<T>(states: T[], f: (s: T) => unknown, runs: number): number[] {
  let sink = 0;
  const sinkOf = (v: unknown): number =>
    Array.isArray(v)
      ? (v[0] as number)
      : ((v as { pMatch?: number }).pMatch ?? (v as { advance?: number[] }).advance?.[0] ?? 0);
  for (let i = 0; i < 2; i++) for (const s of states) sink += sinkOf(f(s)); // warm-up (JIT)
  const out: number[] = [];
  for (let k = 0; k < runs; k++) {
    const t0 = performance.now();
    for (const s of states) sink += sinkOf(f(s));
    out.push(((performance.now() - t0) * 1000) / states.length);
  }
  if (sink === Number.NEGATIVE_INFINITY) console.log(sink); // keep the results alive
  return out;
}

const median = (xs: number[]): number => {
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export function benchPredictors(opts: { states?: number; runs?: number } = {}): PredictorBench {
  const n = opts.states ?? 20000;
  const runs = opts.runs ?? 7;
  const fb = timeRuns(footballStates(n), footballWinProbability, runs);
  const ko = timeRuns(footballKnockoutStates(n), footballPrediction, runs);
  const cs = timeRuns(cs2States(n), cs2WinProbability, runs);
  const round = (v: number): number => Math.round(v * 1000) / 1000;
  return {
    footballMicros: round(median(fb)),
    footballKnockoutMicros: round(median(ko)),
    cs2Micros: round(median(cs)),
    footballRunsMicros: fb.map(round),
    cs2RunsMicros: cs.map(round),
    states: n,
    runs,
  };
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  console.log(JSON.stringify(benchPredictors(), null, 2));
}

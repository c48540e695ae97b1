// CS2 model parameters. Until real round data is available the round coefficients are documented priors
// (see docs/models.md); this script only calibrates the rating coefficient so that, for a map not yet started, the
// model's map-win probability matches the Elo expectation 1/(1 + 10^(−Δ/400)) of the rating difference Δ, then
// writes shared/sports/cs2/model-params.json and prints example probabilities.
//
//   npx tsx dev/train/cs2.ts [--dry-run]
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createCs2Predictor, type Cs2Features, type Cs2ModelParams } from "../../shared/sports/cs2/model";
import { PROJECT_ROOT } from "./football-data";
import { goldenSection } from "./optim";

export const PRIORS: Cs2ModelParams = {
  version: "cs2-live-2026.11.1",
  status: "prior",
  round: {
    ctAdvantage: 0.15, // CT side wins ≈ 53.7% of otherwise even rounds
    equipmentCoef: 1.1, // per unit of ln((eq1 + 1000)/(eq2 + 1000))
    equipmentOffset: 1000,
    aliveLogRatioCoef: 2.2, // per unit of ln(alive1/alive2): 5v4 ≈ +0.49, 2v1 ≈ +1.52 logits
    bombPlantedTAdvantage: 1.2, // logits towards the T side once the bomb is planted
    ratingCoef: 0, // calibrated below
    plantedTEliminatedCtWin: 0.85, // T side dead after the plant: the CT side still has to defuse in time
  },
  future: { ctAdvantage: 0.15, ratingCoef: 0 },
};

const level = (rating: [number, number], team1Side: "CT" | "T" = "CT"): Cs2Features => ({
  bestOf: 1,
  mapsWon: [0, 0],
  roundScore: [0, 0],
  team1Side,
  equipmentValue: [4000, 4000],
  alive: [5, 5],
  bomb: "none",
  rating,
});

export function calibrate(): Cs2ModelParams {
  const with_ = (k: number): Cs2ModelParams => ({ ...PRIORS, round: { ...PRIORS.round, ratingCoef: k }, future: { ...PRIORS.future, ratingCoef: k } });
  const loss = (k: number): number => {
    const pr = createCs2Predictor(with_(k));
    let l = 0;
    for (let d = 25; d <= 400; d += 25) {
      const map = 0.5 * (pr(level([1500 + d, 1500], "CT")).pMap + pr(level([1500 + d, 1500], "T")).pMap);
      const elo = 1 / (1 + Math.pow(10, -d / 400));
      l += (map - elo) ** 2;
    }
    return l;
  };
  const k = goldenSection(loss, 0, 2, 1e-7);
  return with_(Number(k.toFixed(5)));
}

function main(): void {
  const params = calibrate();
  console.log(`rating coefficient (logit per 400 rating points, per round): ${params.future.ratingCoef}`);
  const pr = createCs2Predictor(params);
  const rows: [string, Cs2Features][] = [
    ["0–0, pistol round, equal teams, team 1 CT", level([1600, 1600])],
    ["0–0, team 1 rated +100", level([1700, 1600])],
    ["6–6, team 1 CT full buy vs T eco", { ...level([1600, 1600]), roundScore: [6, 6], equipmentValue: [25000, 5000] }],
    ["6–6, team 1 T, bomb planted, 3v2", { ...level([1600, 1600]), roundScore: [6, 6], team1Side: "T", equipmentValue: [12000, 9000], alive: [3, 2], bomb: "planted" }],
    ["11–12, team 1 CT, equal buys", { ...level([1600, 1600]), roundScore: [11, 12], equipmentValue: [24000, 24000] }],
    ["12–12 (overtime next), team 1 T", { ...level([1600, 1600]), roundScore: [12, 12], team1Side: "T", equipmentValue: [20000, 20000] }],
    ["bo3, maps 1–0, live map 3–10", { ...level([1600, 1600]), bestOf: 3, mapsWon: [1, 0], roundScore: [3, 10], equipmentValue: [20000, 20000] }],
  ];
  console.log("| state | pRound | pMap | pMatch |\n| --- | ---: | ---: | ---: |");
  for (const [name, s] of rows) {
    const p = pr(s);
    console.log(`| ${name} | ${p.pRound.toFixed(3)} | ${p.pMap.toFixed(3)} | ${p.pMatch.toFixed(3)} |`);
  }
  for (const d of [50, 100, 200, 400]) {
    const map = 0.5 * (pr(level([1500 + d, 1500], "CT")).pMap + pr(level([1500 + d, 1500], "T")).pMap);
    console.log(`Δ=${d}: map ${map.toFixed(4)} vs Elo ${(1 / (1 + Math.pow(10, -d / 400))).toFixed(4)}`);
  }
  if (process.argv.includes("--dry-run")) return;
  writeFileSync(join(PROJECT_ROOT, "shared/sports/cs2/model-params.json"), JSON.stringify(params, null, 1) + "\n");
  console.log("wrote shared/sports/cs2/model-params.json");
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) main();

// CS2 series simulator: best-of-1/3/5, MR12 maps (first to 13; at 12-12 overtimes of 6 rounds, first to 4
// in the overtime, repeated at 3-3) with a team economy, kills, bomb plants/defuses and round-end reasons.
// PURE and deterministic: the same options give the same events, eventIds included.
//
// Each round's winner is drawn from roundWinProbability (equipment ratio, rating difference, CT edge), so the
// generated data can be used to fit a round model; the kill/bomb story is then written to agree with the
// winner and the reason. The economy follows the CS2 rules closely enough to produce realistic
// pistol / eco / force / full-buy cycles: round rewards, loss bonus (one step down per win), plant bonus,
// kill rewards, saved weapons of survivors, money reset at each half and overtime half.

import { type Rng, seededRng } from "../../shared/random";
import type { Side } from "../../shared/sports/cs2/events";
import { team1SideForRound } from "../../shared/sports/cs2/sides";
import type { MatchEvent, Pair, TeamSide } from "../../shared/sports/sport";
import { type DraftEvent, toMatchEvents } from "./draft-events";

export interface Cs2SimOptions {
  matchId: string;
  seed: number | string;
  bestOf: 1 | 3 | 5;
  /** Elo-style team ratings. */
  team1Rating: number;
  team2Rating: number;
  /** When the series starts: match_start; every later timestamp follows the simulated clock. */
  start: Date;
  /** Maps in play order (the veto's result); missing ones are drawn from the active duty pool. */
  maps?: readonly string[];
}

/** Active duty map pool (2025). */
export const ACTIVE_DUTY_MAPS: readonly string[] = ["Ancient", "Anubis", "Dust2", "Inferno", "Mirage", "Nuke", "Train"];

export type BuyType = "pistol" | "eco" | "force" | "full";

const PLAYERS = 5;
const FREEZE_MS = 20_000;
const ROUND_MS = 115_000;
const BOMB_MS = 40_000;
const ROUND_RESTART_MS = 7_000;
const HALF_TIME_MS = 30_000;
const MAP_BREAK_MS = 6 * 60_000;

const START_MONEY = 800;
const OVERTIME_MONEY = 12_500;
const MAX_MONEY = 16_000;
const DEFAULT_PISTOL_VALUE = 200;
/** Per player: rifle, armour and helmet, utility (and a defuse kit on CT). */
const FULL_BUY: Record<Side, number> = { CT: 5_200, T: 4_700 };

/** Round model: logit p(team 1) = 1.1·ln(eq1/eq2) + 0.6·(r1 − r2)/400 ± 0.08 (CT edge). */
const EQUIPMENT_COEF = 1.1;
const RATING_COEF = 0.6;
const CT_EDGE = 0.08;

/** Probability that team 1 wins a round, given both teams' equipment value and rating and team 1's side. */
export function roundWinProbability(equipment: Pair, rating: Pair, team1Side: Side): number {
  const logit =
    EQUIPMENT_COEF * Math.log(Math.max(1, equipment[0]) / Math.max(1, equipment[1])) +
    (RATING_COEF * (rating[0] - rating[1])) / 400 +
    (team1Side === "CT" ? CT_EDGE : -CT_EDGE);
  return 1 / (1 + Math.exp(-logit));
}

/**
 * The map's winner once the round score is final, else null. Regulation: 13 against at most 11.
 * Overtime n starts at 12+3(n−1) all and is won at 4 more rounds with the opponent 0–2 rounds into it.
 */
export function mapWinner(score: Pair): TeamSide | null {
  const [a, b] = score;
  const hi = Math.max(a, b);
  const lo = Math.min(a, b);
  const final = (hi === 13 && lo <= 11) || (hi >= 16 && (hi - 16) % 3 === 0 && lo >= hi - 4 && lo <= hi - 2);
  if (!final) return null;
  return a > b ? 1 : 2;
}

/** Rounds after which money resets and weapons are lost: each half and each overtime half. */
const startsHalf = (round: number) => round === 1 || round === 13 || (round > 24 && (round - 25) % 3 === 0);
const isPistolRound = (round: number) => round === 1 || round === 13;
const lossBonus = (lossCount: number) => 1400 + 500 * (Math.min(5, Math.max(1, lossCount)) - 1);
const other = (team: TeamSide): TeamSide => (team === 1 ? 2 : 1);
/** A team's position in a Pair. */
const index = (team: TeamSide) => (team - 1) as 0 | 1;
const playerId = (team: TeamSide, n: number) => `team${team}-p${n}`;

interface Economy {
  /** Whole team's money (5 players pooled). */
  money: number;
  /** Value of the weapons survivors carry into the next round. */
  carried: number;
  survivors: number;
  lossCount: number;
}

interface Buy {
  type: BuyType;
  equipment: number;
}

/** Buy decision at freeze-time: full buy when affordable, else save if saving buys next round, else force. */
function buy(eco: Economy, side: Side, round: number, rng: Rng): Buy {
  if (isPistolRound(round)) {
    const spend = Math.min(eco.money, PLAYERS * rng.int(550, 800));
    eco.money -= spend;
    return { type: "pistol", equipment: PLAYERS * DEFAULT_PISTOL_VALUE + spend };
  }
  const base = eco.carried + (PLAYERS - eco.survivors) * DEFAULT_PISTOL_VALUE;
  const needFull = Math.max(0, PLAYERS * FULL_BUY[side] - base);
  const lastOfHalf = startsHalf(round + 1);
  let type: BuyType;
  let spend: number;
  if (eco.money >= 0.85 * needFull) {
    type = "full";
    spend = Math.min(eco.money, needFull + PLAYERS * rng.int(0, 300));
  } else if (!lastOfHalf && eco.money + PLAYERS * lossBonus(eco.lossCount + 1) >= 0.85 * needFull) {
    type = "eco";
    spend = Math.min(eco.money, PLAYERS * rng.int(0, 400));
  } else if (lastOfHalf || eco.money >= PLAYERS * 2_000) {
    type = "force";
    spend = Math.min(eco.money, Math.round(eco.money * rng.between(0.8, 1)), PLAYERS * 3_800);
  } else {
    type = "eco";
    spend = Math.min(eco.money, PLAYERS * rng.int(0, 400));
  }
  eco.money -= spend;
  return { type, equipment: base + spend };
}

interface Weapon {
  name: string;
  reward: number;
  headshot: number;
}

const W = (name: string, reward: number, headshot: number): Weapon => ({ name, reward, headshot });
const PISTOLS: Record<Side, Weapon[]> = {
  T: [W("glock", 300, 0.5), W("glock", 300, 0.5), W("p250", 300, 0.55), W("tec9", 300, 0.5), W("deagle", 300, 0.6)],
  CT: [
    W("usp_silencer", 300, 0.6),
    W("usp_silencer", 300, 0.6),
    W("p250", 300, 0.55),
    W("fiveseven", 300, 0.5),
    W("deagle", 300, 0.6),
  ],
};
const FORCE: Record<Side, Weapon[]> = {
  T: [W("galilar", 300, 0.45), W("mac10", 600, 0.4), W("ak47", 300, 0.5), W("ssg08", 300, 0.6), W("deagle", 300, 0.6)],
  CT: [W("famas", 300, 0.45), W("mp9", 600, 0.4), W("ump45", 600, 0.4), W("ssg08", 300, 0.6), W("deagle", 300, 0.6)],
};
const FULL: Record<Side, Weapon[]> = {
  T: [W("ak47", 300, 0.5), W("ak47", 300, 0.5), W("ak47", 300, 0.5), W("awp", 100, 0.1), W("galilar", 300, 0.45)],
  CT: [
    W("m4a1_silencer", 300, 0.5),
    W("m4a1", 300, 0.5),
    W("m4a1_silencer", 300, 0.5),
    W("awp", 100, 0.1),
    W("ak47", 300, 0.5),
  ],
};
const UTILITY = [W("hegrenade", 300, 0), W("inferno", 300, 0), W("knife", 1_500, 0)];

function weaponFor(buyType: BuyType, side: Side, rng: Rng): Weapon {
  if (rng.chance(0.03)) return rng.pick(UTILITY);
  const pool = buyType === "full" ? FULL : buyType === "force" ? FORCE : PISTOLS;
  return rng.pick(pool[side]);
}

type Story = "elimination" | "elimination_after_plant" | "bomb_exploded" | "bomb_defused" | "time";

interface RoundOutcome {
  drafts: DraftEvent[];
  /** Live time of the round's last event (round_end), ms after round_start. */
  lengthMs: number;
  deaths: Pair;
  kills: Pair;
  killRewards: Pair;
  planted: boolean;
  reason: "elimination" | "bomb_exploded" | "bomb_defused" | "time";
}

interface RoundSetup {
  round: number;
  startMs: number;
  winner: TeamSide;
  team1Side: Side;
  buys: [Buy, Buy];
}

/** Writes the kills and the bomb story of a round whose winner is already decided. */
function playRound(setup: RoundSetup, rng: Rng): RoundOutcome {
  const { round, startMs, winner } = setup;
  const loser = other(winner);
  const tTeam: TeamSide = setup.team1Side === "T" ? 1 : 2;
  const ctTeam = other(tTeam);
  const sideOf = (team: TeamSide): Side => (team === tTeam ? "T" : "CT");

  const story: Story =
    winner === tTeam
      ? (["elimination", "elimination_after_plant", "bomb_exploded"] as const)[rng.weighted([0.35, 0.2, 0.45])]!
      : (["elimination", "bomb_defused", "time"] as const)[rng.weighted([0.6, 0.27, 0.13])]!;
  const planted = story === "elimination_after_plant" || story === "bomb_exploded" || story === "bomb_defused";

  // The winner always keeps at least one player alive; losers who save (time, lost retake) keep some too.
  let winnerDeaths = 0;
  for (let i = 0; i < PLAYERS - 1; i++) if (rng.chance(0.35)) winnerDeaths++;
  const loserDeaths =
    story === "bomb_exploded" || story === "time"
      ? rng.int(1, PLAYERS - 1)
      : story === "bomb_defused" && rng.chance(0.4)
        ? rng.int(1, PLAYERS - 1)
        : PLAYERS;

  // Victim order. Once the loser's last player is dead nobody is left to kill the winner's, so a wiped-out
  // loser dies last.
  const victims = rng.shuffle([
    ...Array<TeamSide>(winnerDeaths).fill(winner),
    ...Array<TeamSide>(loserDeaths).fill(loser),
  ]);
  if (loserDeaths === PLAYERS && victims[victims.length - 1] !== loser) {
    const i = victims.lastIndexOf(loser);
    [victims[i], victims[victims.length - 1]] = [victims[victims.length - 1]!, victims[i]!];
  }

  // Bomb clock: plant time, and when the round ends.
  const plantMs = planted ? rng.between(35_000, 95_000) : 0;
  let endMs: number;
  switch (story) {
    case "bomb_exploded":
      endMs = plantMs + BOMB_MS;
      break;
    case "bomb_defused":
      endMs = plantMs + rng.between(7_000, BOMB_MS - 2_000);
      break;
    case "elimination_after_plant":
      endMs = plantMs + rng.between(5_000, BOMB_MS - 2_000);
      break;
    case "time":
      endMs = ROUND_MS;
      break;
    case "elimination":
      endMs = rng.between(25_000, ROUND_MS - 3_000);
      break;
  }

  // How many kills happen before the plant: at least one T must still be alive to plant, and a round that
  // ends by elimination after the plant needs its last kill after it.
  let beforePlant = victims.length;
  if (planted) {
    const valid: number[] = [];
    for (let s = 0; s <= victims.length; s++) {
      const tDead = victims.slice(0, s).filter((v) => v === tTeam).length;
      if (tDead >= PLAYERS) continue;
      if (story === "elimination_after_plant" && s === victims.length) continue;
      valid.push(s);
    }
    beforePlant = rng.pick(valid);
  }
  const times = [
    ...Array.from({ length: beforePlant }, () => rng.between(4_000, (planted ? plantMs : endMs) - 1_000)).sort(
      (a, b) => a - b,
    ),
    ...Array.from({ length: victims.length - beforePlant }, () => rng.between(plantMs + 1_000, endMs - 500)).sort(
      (a, b) => a - b,
    ),
  ];
  // An elimination ends with its last kill.
  if (story === "elimination" || story === "elimination_after_plant") endMs = times[times.length - 1]! + 250;

  const drafts: DraftEvent[] = [];
  const alive: Record<TeamSide, number[]> = { 1: [1, 2, 3, 4, 5], 2: [1, 2, 3, 4, 5] };
  const deaths: Pair = [0, 0];
  const kills: Pair = [0, 0];
  const killRewards: Pair = [0, 0];
  const bombEvent = (type: "bomb_planted" | "bomb_defused", atMs: number) => {
    const team = type === "bomb_planted" ? tTeam : ctTeam;
    const payload: Record<string, unknown> =
      type === "bomb_planted" ? { round, site: rng.pick(["A", "B"]) } : { round };
    drafts.push({ atMs: startMs + atMs, type, teamId: team, playerId: playerId(team, rng.pick(alive[team])), payload });
  };

  victims.forEach((victimTeam, i) => {
    if (planted && i === beforePlant) bombEvent("bomb_planted", plantMs);
    const killerTeam = other(victimTeam);
    const weapon = weaponFor(setup.buys[index(killerTeam)].type, sideOf(killerTeam), rng);
    const victim = rng.pick(alive[victimTeam]);
    alive[victimTeam] = alive[victimTeam].filter((p) => p !== victim);
    deaths[index(victimTeam)]++;
    kills[index(killerTeam)]++;
    killRewards[index(killerTeam)] += weapon.reward;
    drafts.push({
      atMs: startMs + times[i]!,
      type: "kill",
      teamId: killerTeam,
      playerId: playerId(killerTeam, rng.pick(alive[killerTeam])),
      payload: {
        round,
        victimPlayerId: playerId(victimTeam, victim),
        weapon: weapon.name,
        headshot: rng.chance(weapon.headshot),
      },
    });
  });
  if (planted && beforePlant === victims.length) bombEvent("bomb_planted", plantMs);
  if (story === "bomb_defused") bombEvent("bomb_defused", endMs);

  const reason = story === "elimination_after_plant" ? "elimination" : story;
  drafts.push({ atMs: startMs + endMs, type: "round_end", teamId: winner, payload: { round, reason } });
  return { drafts, lengthMs: endMs, deaths, kills, killRewards, planted, reason };
}

/** Round reward per player of the winning team, by reason. */
const winReward = (reason: RoundOutcome["reason"]) =>
  reason === "bomb_exploded" || reason === "bomb_defused" ? 3_500 : 3_250;

interface MapResult {
  drafts: DraftEvent[];
  endMs: number;
  winner: TeamSide;
}

function playMap(mapNumber: number, mapName: string, startMs: number, rating: Pair, rng: Rng): MapResult {
  const startingSide: Side = rng.chance(0.5) ? "CT" : "T";
  const drafts: DraftEvent[] = [{ atMs: startMs, type: "map_start", payload: { mapNumber, mapName, startingSide } }];
  const economy: [Economy, Economy] = [
    { money: 0, carried: 0, survivors: 0, lossCount: 1 },
    { money: 0, carried: 0, survivors: 0, lossCount: 1 },
  ];
  const score: Pair = [0, 0];
  let clock = startMs;
  let winner: TeamSide | null = null;

  for (let round = 1; winner === null; round++) {
    const team1Side = team1SideForRound(startingSide, round);
    const sides: [Side, Side] = [team1Side, team1Side === "CT" ? "T" : "CT"];
    if (startsHalf(round)) {
      if (round > 1) clock += HALF_TIME_MS;
      for (const eco of economy) {
        eco.money = PLAYERS * (round > 24 ? OVERTIME_MONEY : START_MONEY);
        eco.carried = 0;
        eco.survivors = 0;
        eco.lossCount = 1;
      }
    }
    const buys: [Buy, Buy] = [buy(economy[0], sides[0], round, rng), buy(economy[1], sides[1], round, rng)];
    const p1 = roundWinProbability([buys[0].equipment, buys[1].equipment], rating, team1Side);
    const roundWinner: TeamSide = rng.chance(p1) ? 1 : 2;

    const liveFrom = clock + FREEZE_MS;
    drafts.push({
      atMs: liveFrom,
      type: "round_start",
      payload: { round, equipmentValue: { team1: buys[0].equipment, team2: buys[1].equipment } },
    });
    const outcome = playRound({ round, startMs: liveFrom, winner: roundWinner, team1Side, buys }, rng);
    drafts.push(...outcome.drafts);
    clock = liveFrom + outcome.lengthMs + ROUND_RESTART_MS;

    ([1, 2] as const).forEach((team) => {
      const eco = economy[index(team)];
      const won = team === roundWinner;
      const side = sides[index(team)];
      let income = outcome.killRewards[index(team)];
      if (won) {
        income += PLAYERS * winReward(outcome.reason);
        eco.lossCount = Math.max(0, eco.lossCount - 1);
      } else {
        eco.lossCount = Math.min(5, eco.lossCount + 1);
        income += PLAYERS * lossBonus(eco.lossCount) + (side === "T" && outcome.planted ? PLAYERS * 800 : 0);
      }
      eco.money = Math.min(PLAYERS * MAX_MONEY, eco.money + income);
      // Survivors keep their weapons (minus the utility they threw).
      eco.survivors = PLAYERS - outcome.deaths[index(team)];
      eco.carried = Math.round((eco.survivors * buys[index(team)].equipment * 0.85) / PLAYERS);
    });
    score[index(roundWinner)]++;
    winner = mapWinner(score);
  }
  drafts.push({ atMs: clock - ROUND_RESTART_MS + 1_000, type: "map_end", teamId: winner, payload: { mapNumber } });
  return { drafts, endMs: clock, winner };
}

export function simulateCs2(options: Cs2SimOptions): MatchEvent[] {
  const { matchId, seed, bestOf, start } = options;
  const rng = seededRng("cs2", seed, matchId);
  const rating: Pair = [options.team1Rating, options.team2Rating];
  const pool = rng.shuffle(ACTIVE_DUTY_MAPS.filter((m) => !(options.maps ?? []).includes(m)));
  const maps = [...(options.maps ?? []), ...pool].slice(0, bestOf);

  const drafts: DraftEvent[] = [{ atMs: 0, type: "match_start", payload: { bestOf } }];
  const mapsWon: Pair = [0, 0];
  const needed = Math.ceil(bestOf / 2);
  let clock = 1_000;
  for (let mapNumber = 1; mapsWon[0] < needed && mapsWon[1] < needed; mapNumber++) {
    const map = playMap(mapNumber, maps[mapNumber - 1] ?? rng.pick(ACTIVE_DUTY_MAPS), clock, rating, rng);
    drafts.push(...map.drafts);
    mapsWon[index(map.winner)]++;
    clock = map.endMs + MAP_BREAK_MS;
  }
  const last = drafts[drafts.length - 1]!.atMs;
  drafts.push({ atMs: last + 1_000, type: "match_end", teamId: mapsWon[0] > mapsWon[1] ? 1 : 2, payload: {} });

  return toMatchEvents(drafts, { matchId, sport: "cs2", start, ids: seededRng("cs2-ids", seed, matchId) });
}

// Which side team 1 plays in a given round. Sides swap only at half-times: after half the regulation rounds
// (round 12 in CS2's default MR12, 15 in MR15), and in the middle of each overtime. An overtime does NOT
// start with a swap: teams keep the side of the half before it, so the overtime halves pair up
// (S | N N | S S | N N …). The format comes from the map's `map_start` (the server's own mp_maxrounds and
// mp_overtime_maxrounds); without it, CS2's competitive default.
import type { Side } from "./events";

export interface Cs2MapFormat {
  /** Rounds in regulation (mp_maxrounds): 24 = MR12, 30 = MR15. */
  maxRounds: number;
  /** Rounds per overtime, both halves (mp_overtime_maxrounds); 0 = no overtime (a tie is a draw). */
  overtimeMaxRounds: number;
}

export const HALF_ROUNDS = 12;
export const REGULATION_ROUNDS = 2 * HALF_ROUNDS;
export const OVERTIME_HALF_ROUNDS = 3;
export const DEFAULT_MAP_FORMAT: Cs2MapFormat = {
  maxRounds: REGULATION_ROUNDS,
  overtimeMaxRounds: 2 * OVERTIME_HALF_ROUNDS,
};

/** Half-time swaps that happened before `round` (1-based) was played. */
export function sideSwapsBefore(round: number, format: Cs2MapFormat = DEFAULT_MAP_FORMAT): number {
  const half = Math.max(1, Math.floor(format.maxRounds / 2));
  if (round <= half) return 0;
  if (round <= 2 * half || format.overtimeMaxRounds <= 0) return 1;
  const overtimeHalfRounds = Math.max(1, Math.floor(format.overtimeMaxRounds / 2));
  const overtimeHalf = Math.floor((round - 2 * half - 1) / overtimeHalfRounds); // 0-based
  // Overtime halves 1, 3, 5, … each follow an overtime half-time.
  return 1 + Math.floor((overtimeHalf + 1) / 2);
}

export function team1SideForRound(startingSide: Side, round: number, format: Cs2MapFormat = DEFAULT_MAP_FORMAT): Side {
  if (sideSwapsBefore(round, format) % 2 === 0) return startingSide;
  return startingSide === "CT" ? "T" : "CT";
}

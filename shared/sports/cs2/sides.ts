// Which side team 1 plays in a given round. CS2 (MR12) swaps sides only at half-times: after
// round 12, and in the middle of each 6-round overtime. An overtime does NOT start with a swap:
// teams keep the side of the half before it, so the overtime halves pair up (S | N N | S S | N N …).
import type { Side } from "./events";

export const HALF_ROUNDS = 12;
export const REGULATION_ROUNDS = 2 * HALF_ROUNDS;
export const OVERTIME_HALF_ROUNDS = 3;

/** Half-time swaps that happened before `round` (1-based) was played. */
export function sideSwapsBefore(round: number): number {
  if (round <= HALF_ROUNDS) return 0;
  if (round <= REGULATION_ROUNDS) return 1;
  const overtimeHalf = Math.floor((round - REGULATION_ROUNDS - 1) / OVERTIME_HALF_ROUNDS); // 0-based
  // Overtime halves 1, 3, 5, … each follow an overtime half-time.
  return 1 + Math.floor((overtimeHalf + 1) / 2);
}

export function team1SideForRound(startingSide: Side, round: number): Side {
  if (sideSwapsBefore(round) % 2 === 0) return startingSide;
  return startingSide === "CT" ? "T" : "CT";
}

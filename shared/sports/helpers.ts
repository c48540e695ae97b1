// Small pure helpers the sport reducers share.
import type { Pair, TeamSide } from "./sport";

/** The pair with the team's count one higher. */
export function bump(pair: Pair, team: TeamSide): Pair {
  return team === 1 ? [pair[0] + 1, pair[1]] : [pair[0], pair[1] + 1];
}

export const otherTeam = (team: TeamSide): TeamSide => (team === 1 ? 2 : 1);

/**
 * A new list with `item` appended, keeping at most the last `max` items: every per-match list in a
 * sport's state is capped, because the state travels in every frame and feeds are not trusted.
 */
export function appendCapped<T>(list: readonly T[], item: T, max: number): T[] {
  const next = list.length >= max ? list.slice(list.length - max + 1) : list.slice();
  next.push(item);
  return next;
}

// The live score of a tenant's match, for provisional points, from its room: remembered in the isolate
// for LIVE_SCORE_TTL_MS, so fans reading their standings during a big match cost each room at most one
// call per isolate per second, not one per read (a fan with guesses on ten live matches would otherwise
// wake ten rooms on every read). Only answers are kept, never a pending call: workerd does not let one
// request wait on another's I/O.
import { rememberNewest } from "../isolate-cache";
import { roomName } from "../tenants/tenant";

export const LIVE_SCORE_TTL_MS = 1_000;
const MAX_REMEMBERED = 1_000;

export interface LiveScore {
  home: number;
  away: number;
}

/** The rooms, by name: the MATCH_ROOM binding. */
export interface RoomsByName<Id> {
  idFromName(name: string): Id;
  get(id: Id): { getState(): Promise<{ state: { score: readonly number[] } } | null> };
}

const remembered = new Map<string, { at: number; score: LiveScore | null }>();

/** The match's current score, or null (no events yet, or the room unreachable: no provisional points). */
export async function liveScore<Id>(
  env: { MATCH_ROOM: RoomsByName<Id> },
  tenantId: string,
  matchId: string,
  now = Date.now(),
): Promise<LiveScore | null> {
  const room = roomName(tenantId, matchId);
  const hit = remembered.get(room);
  if (hit && now - hit.at < LIVE_SCORE_TTL_MS) return hit.score;
  let score: LiveScore | null = null;
  try {
    const view = await env.MATCH_ROOM.get(env.MATCH_ROOM.idFromName(room)).getState();
    score = view ? { home: view.state.score[0] ?? 0, away: view.state.score[1] ?? 0 } : null;
  } catch {
    score = null;
  }
  // The matches being read stay.
  rememberNewest(remembered, room, { at: now, score }, MAX_REMEMBERED);
  return score;
}

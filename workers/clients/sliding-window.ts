// A client's budget (a sliding one-minute window) taken inside our own Lua scripts, so that a request which
// needs Redis anyway costs one command: the ingest admission (workers/ingest/dedup.ts) and the game's board
// reads (workers/games/leaderboard.ts). The keys and the arithmetic are @upstash/ratelimit's slidingWindow,
// which meters the other requests (workers/api/rate-limit.ts), so both spend the same window: a counter
// per window (`{prefix}:{identifier}:{window number}`) and, as used, the previous window's count weighted
// by the part of it still inside the last minute, rounded down, plus this one's.
import type { Redis } from "@upstash/redis/cloudflare";
import { runScript } from "./redis";

export interface RateBudget {
  /** The sliding window's counter key prefix and client, e.g. mp:rl:ingest + client id. */
  prefix: string;
  identifier: string;
  limit: number;
  cost: number;
  windowMs: number;
}

/** This window's counter key and the previous one's at `now`, and when this window ends (epoch ms). */
export function windowAt(budget: RateBudget, now: number): { keys: [string, string]; resetMs: number } {
  const window = Math.floor(now / budget.windowMs);
  const id = `${budget.prefix}:${budget.identifier}`;
  return { keys: [`${id}:${window}`, `${id}:${window - 1}`], resetMs: (window + 1) * budget.windowMs };
}

/**
 * The window in Lua, to put at the head of a script: what is used of it, and the spending of `cost`
 * (a first spend sets the counter to outlive the next window, as @upstash/ratelimit does). A script that
 * checks `used + cost > limit` before it spends takes a cost whole or refuses it whole; at a cost of 1
 * this is @upstash/ratelimit's own check.
 */
export const SLIDING_WINDOW_LUA = `local function windowUsed(current, previous, now, window)
  local c = tonumber(redis.call('GET', current) or '0')
  local p = tonumber(redis.call('GET', previous) or '0')
  return math.floor((1 - (now % window) / window) * p) + c
end
local function windowSpend(current, cost, window)
  if redis.call('INCRBY', current, cost) == cost then redis.call('PEXPIRE', current, window * 2 + 1000) end
end
`;

/**
 * `script` behind the budget: KEYS and ARGV are the script's own followed by the window's two keys and
 * limit, now, window ms, cost (so the script must not count its KEYS or ARGV). Refused: {0, remaining},
 * and the script does not run; taken: {1, remaining, the script's reply}.
 */
export function meteredScript(script: string): string {
  return `${SLIDING_WINDOW_LUA}local nk, na = #KEYS, #ARGV
local limit, now, window, cost = tonumber(ARGV[na - 3]), tonumber(ARGV[na - 2]), tonumber(ARGV[na - 1]), tonumber(ARGV[na])
local used = windowUsed(KEYS[nk - 1], KEYS[nk], now, window)
if used + cost > limit then return {0, math.max(0, limit - used)} end
windowSpend(KEYS[nk - 1], cost, window)
local function body()
${script}
end
return {1, limit - used - cost, body()}`;
}

/** What is left of the window after a command, and when it ends. */
export interface WindowState {
  remaining: number;
  resetMs: number;
}

/** A read that took its budget in the same command: refused, it read nothing. `rate` is null when unmetered. */
export type Metered<T> = { allowed: false; rate: WindowState } | { allowed: true; rate: WindowState | null; value: T };

const metered = new Map<string, string>();

/** Runs `script` in one command, behind `budget` when there is one (null: unmetered, the script alone). */
export async function runMetered(
  redis: Redis,
  script: string,
  keys: string[],
  args: string[],
  budget: RateBudget | null,
  now = Date.now(),
): Promise<Metered<unknown>> {
  if (!budget) return { allowed: true, rate: null, value: await runScript(redis, script, keys, args) };
  let wrapped = metered.get(script);
  if (wrapped === undefined) {
    wrapped = meteredScript(script);
    metered.set(script, wrapped);
  }
  const window = windowAt(budget, now);
  const reply = await runScript(
    redis,
    wrapped,
    [...keys, ...window.keys],
    [...args, String(budget.limit), String(now), String(budget.windowMs), String(budget.cost)],
  );
  if (!Array.isArray(reply) || reply.length < 2)
    throw new Error(`unexpected reply to a metered script (${typeof reply})`);
  const rate = { remaining: Number(reply[1]), resetMs: window.resetMs };
  return Number(reply[0]) === 1 ? { allowed: true, rate, value: reply[2] } : { allowed: false, rate };
}

/** The read's value shaped by `shape`, the verdict as it was. */
export const mapMetered = <T, U>(read: Metered<T>, shape: (value: T) => U): Metered<U> =>
  read.allowed ? { ...read, value: shape(read.value) } : read;

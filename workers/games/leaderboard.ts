// The game's leaderboard in Redis: one sorted set per game whose member is the fanId and whose score is
// -points (ascending order = points descending, then fanId ascending by bytes: the documented tie
// order), and a small meta hash, which also holds the settlement state of the totals last written (so a
// page computed from an older state, when several matches settle at once, never overwrites a newer
// one). Keys carry the game's tenant (the default tenant keeps the bare game id), so a read names the
// caller's tenant and another tenant's game reads as an empty board. Writes and reads are Lua scripts
// over bounded inputs (≤ WRITE_CHUNK fans, ≤ 100 entries), one round trip each, none long; a read takes
// the client's read budget in the same script (runMetered), so it costs no round trip of its own.
import type { Redis } from "@upstash/redis/cloudflare";
import { pointsOfBoardScore, rankEntries } from "../../shared/games/scoring";
import { runScript, runScriptCalls, upstashRedis } from "../clients/redis";
import { type Metered, mapMetered, type RateBudget, runMetered } from "../clients/sliding-window";
import type { Env } from "../env";
import type { FanTotals } from "../stores/postgres/games";
import { DEFAULT_TENANT } from "../tenants/tenant";

/**
 * Fans per script call: one ZADD of 1,000 runs in about a millisecond inside Redis, so a settlement's
 * writes never hold Redis (and the reads queued behind them) for long.
 */
export const WRITE_CHUNK = 1_000;

/** A tenant's game, as the leaderboard's keys name it. */
export interface BoardRef {
  tenantId: string;
  gameId: string;
}

const prefix = ({ tenantId, gameId }: BoardRef) =>
  tenantId === DEFAULT_TENANT ? `mp:game:${gameId}` : `mp:game:${tenantId}/${gameId}`;
const boardKey = (b: BoardRef) => `${prefix(b)}:board`;
const metaKey = (b: BoardRef) => `${prefix(b)}:meta`;
const chainsKey = (b: BoardRef, passId: string) => `${prefix(b)}:pass:${passId}`;
/** A settlement pass's chain marks outlive it (retries included) and then expire. */
const CHAINS_TTL_SECONDS = 7 * 86_400;

/** Fan ids and scores must come back as the strings they are ("007" is not 7). */
export function openLeaderboardRedis(
  env: Pick<Env, "UPSTASH_REDIS_REST_URL" | "UPSTASH_REDIS_REST_TOKEN">,
  timeoutMs = 2_000,
): Redis {
  return upstashRedis(env, { timeoutMs, automaticDeserialization: false });
}

// KEYS: board, meta. ARGV: the totals' settlement state, then fanId, points pairs. Totals computed from
// an older state than the one last written are refused whole (-1 - the state held): the writer computes
// them again from the newer state. One ZADD for the chunk, not one per fan.
const WRITE_SCRIPT = `local held = tonumber(redis.call('HGET', KEYS[2], 'state') or '-1')
local state = tonumber(ARGV[1])
if state < held then return -1 - held end
if state > held then redis.call('HSET', KEYS[2], 'state', ARGV[1]) end
local scores = {}
for i = 2, #ARGV, 2 do
  scores[#scores + 1] = -tonumber(ARGV[i + 1])
  scores[#scores + 1] = ARGV[i]
end
if #scores > 0 then redis.call('ZADD', KEYS[1], unpack(scores)) end
return #scores / 2`;

// KEYS: board, meta. ARGV: limit, cursor fanId or ''. Returns {start, strictly better than the first
// entry, fans, page, {settledMatches, updatedAt}}: the whole read in one round trip.
const PAGE_SCRIPT = `local meta = redis.call('HMGET', KEYS[2], 'settledMatches', 'updatedAt')
local start = 0
if ARGV[2] ~= '' then
  local r = redis.call('ZRANK', KEYS[1], ARGV[2])
  if not r then return {-1, 0, 0, {}, meta} end
  start = r + 1
end
local page = redis.call('ZRANGE', KEYS[1], start, start + tonumber(ARGV[1]) - 1, 'WITHSCORES')
local better = 0
if #page > 0 then better = redis.call('ZCOUNT', KEYS[1], '-inf', '(' .. page[2]) end
return {start, better, redis.call('ZCARD', KEYS[1]), page, meta}`;

// KEYS: a pass's chain marks. ARGV: chain, guesses it settled, chains, ttl. Returns the guesses of
// every chain once all have marked, else -1. Marking twice (a retry) changes nothing.
const CHAIN_SCRIPT = `redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[4]))
if redis.call('HLEN', KEYS[1]) < tonumber(ARGV[3]) then return -1 end
local n = 0
for _, v in ipairs(redis.call('HVALS', KEYS[1])) do n = n + tonumber(v) end
return n`;

// ARGV: fanId, how many entries either side. Returns {position or -1, fans, aroundStart, better, around}.
const FAN_SCRIPT = `local r = redis.call('ZRANK', KEYS[1], ARGV[1])
local card = redis.call('ZCARD', KEYS[1])
if not r then return {-1, card, 0, 0, {}} end
local s = math.max(0, r - tonumber(ARGV[2]))
local around = redis.call('ZRANGE', KEYS[1], s, r + tonumber(ARGV[2]), 'WITHSCORES')
local better = redis.call('ZCOUNT', KEYS[1], '-inf', '(' .. around[2])
return {r, card, s, better, around}`;

/**
 * Writes fans' totals (fanId, points pairs) computed from settlement state `state`, in chunks of
 * WRITE_CHUNK fans, all in one round trip. Redis runs each chunk alone for about a millisecond, so a
 * read queued behind a page's write waits for at most its five chunks. Returns the fans written, or the
 * newer state the board already holds when it refused them (`staleAgainst`): compute them again.
 */
export async function writeTotals(
  redis: Redis,
  board: BoardRef,
  state: number,
  totals: FanTotals,
): Promise<{ written: number; staleAgainst?: number }> {
  if (totals.length === 0) return { written: 0 };
  const keys = [boardKey(board), metaKey(board)];
  const calls: { keys: string[]; args: string[] }[] = [];
  for (let i = 0; i < totals.length; i += WRITE_CHUNK * 2)
    calls.push({ keys, args: [String(state), ...totals.slice(i, i + WRITE_CHUNK * 2)] });
  let written = 0;
  let staleAgainst: number | undefined;
  for (const reply of await runScriptCalls(redis, WRITE_SCRIPT, calls)) {
    const n = Number(reply);
    if (n < 0) staleAgainst = Math.max(staleAgainst ?? 0, -1 - n);
    else written += n;
  }
  return staleAgainst === undefined ? { written } : { written, staleAgainst };
}

/**
 * Puts fans on the board at 0 points unless they are on it already (ZADD NX: a fan's total is never
 * lowered): a fan enters the game's board with their first guess, so settlement writes only the fans
 * whose points move. Chunks of WRITE_CHUNK, one round trip.
 */
export async function enterFans(redis: Redis, board: BoardRef, fanIds: readonly string[]): Promise<void> {
  if (fanIds.length === 0) return;
  const pipeline = redis.pipeline();
  for (let i = 0; i < fanIds.length; i += WRITE_CHUNK) {
    const [first, ...rest] = fanIds.slice(i, i + WRITE_CHUNK).map((member) => ({ score: 0, member }));
    pipeline.zadd(boardKey(board), { nx: true }, first!, ...rest);
  }
  await pipeline.exec();
}

export async function writeMeta(redis: Redis, board: BoardRef, settledMatches: number): Promise<void> {
  await redis.hset(metaKey(board), { settledMatches: String(settledMatches), updatedAt: new Date().toISOString() });
}

/**
 * Marks one chain of a settlement pass done, after its last leaderboard write. Returns the guesses
 * walked by all chains once every chain has marked (the caller then finishes the pass), or null while
 * others still run.
 */
export async function markChainDone(
  redis: Redis,
  board: BoardRef,
  passId: string,
  chain: { index: number; of: number },
  guesses: number,
): Promise<number | null> {
  const n = Number(
    await runScript(
      redis,
      CHAIN_SCRIPT,
      [chainsKey(board, passId)],
      [String(chain.index), String(guesses), String(chain.of), String(CHAINS_TTL_SECONDS)],
    ),
  );
  return n < 0 ? null : n;
}

export interface BoardEntry {
  rank: number;
  fanId: string;
  points: number;
}

function entriesOf(flat: unknown): { fanId: string; points: number }[] {
  const list = Array.isArray(flat) ? flat : [];
  const out: { fanId: string; points: number }[] = [];
  for (let i = 0; i + 1 < list.length; i += 2)
    out.push({ fanId: String(list[i]), points: pointsOfBoardScore(Number(list[i + 1])) });
  return out;
}

export interface BoardPage {
  entries: BoardEntry[];
  fans: number;
  /** Position (0-based) of the first entry. */
  start: number;
  /** False when the cursor names a fan not on the board. */
  cursorKnown: boolean;
  settledMatches: number;
  updatedAt: string | null;
}

/** A page of the board, behind `budget` when there is one (refused: nothing read). */
export async function readPage(
  redis: Redis,
  board: BoardRef,
  limit: number,
  cursor: string | null,
  budget: RateBudget | null = null,
): Promise<Metered<BoardPage>> {
  const keys = [boardKey(board), metaKey(board)];
  return mapMetered(await runMetered(redis, PAGE_SCRIPT, keys, [String(limit), cursor ?? ""], budget), pageOf);
}

function pageOf(reply: unknown): BoardPage {
  const [start, better, fans, page, meta] = reply as [number, number, number, unknown, unknown];
  const [settled, updatedAt] = Array.isArray(meta) ? meta : [null, null];
  const entries = entriesOf(page);
  return {
    entries: rankEntries(entries, Number(better) + 1, Number(start)),
    fans: Number(fans),
    start: Number(start),
    cursorKnown: Number(start) >= 0,
    settledMatches: Number(settled ?? 0),
    updatedAt: typeof updatedAt === "string" ? updatedAt : null,
  };
}

export interface FanStanding {
  rank: number;
  points: number;
  around: BoardEntry[];
}

/** A fan's standing (null: not on the board), behind `budget` when there is one (refused: nothing read). */
export async function readFan(
  redis: Redis,
  board: BoardRef,
  fanId: string,
  budget: RateBudget | null = null,
  side = 2,
): Promise<Metered<FanStanding | null>> {
  const read = await runMetered(redis, FAN_SCRIPT, [boardKey(board)], [fanId, String(side)], budget);
  return mapMetered(read, (reply) => standingOf(reply, fanId));
}

function standingOf(value: unknown, fanId: string): FanStanding | null {
  const reply = value as [number, number, number, number, unknown];
  if (Number(reply[0]) < 0) return null;
  const around = rankEntries(entriesOf(reply[4]), Number(reply[3]) + 1, Number(reply[2]));
  const me = around.find((e) => e.fanId === fanId)!;
  return { rank: me.rank, points: me.points, around: around.filter((e) => e.fanId !== fanId) };
}

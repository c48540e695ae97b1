// The game's leaderboard in Redis: one sorted set per game whose member is the fanId and whose score is
// -points (ascending order = points descending, then fanId ascending by bytes: the documented tie
// order), a hash of each fan's total version (so a late write of an older total never overwrites a
// newer one when several matches settle at once), and a small meta hash. Writes and reads are Lua
// scripts over bounded inputs (≤ WRITE_CHUNK fans, ≤ 100 entries), one round trip each, none long.
import { Redis } from "@upstash/redis/cloudflare";
import { pointsOfBoardScore, rankEntries } from "../../shared/games/scoring";
import { runScript } from "../clients/redis";
import type { Env } from "../env";
import type { FanTotal } from "../stores/postgres/games";

/** Fans per script call: 5,000 × (HGET, ZADD, HSET) runs in a few milliseconds inside Redis. */
export const WRITE_CHUNK = 5_000;

const boardKey = (gameId: string) => `mp:game:${gameId}:board`;
const versionKey = (gameId: string) => `mp:game:${gameId}:ver`;
const metaKey = (gameId: string) => `mp:game:${gameId}:meta`;

/** Fan ids and scores must come back as the strings they are ("007" is not 7). */
export function openLeaderboardRedis(
  env: Pick<Env, "UPSTASH_REDIS_REST_URL" | "UPSTASH_REDIS_REST_TOKEN">,
  timeoutMs = 2_000,
): Redis {
  return new Redis({
    url: env.UPSTASH_REDIS_REST_URL,
    token: env.UPSTASH_REDIS_REST_TOKEN,
    retry: { retries: 1, backoff: () => 20 },
    signal: () => AbortSignal.timeout(timeoutMs),
    enableTelemetry: false,
    automaticDeserialization: false,
  });
}

// ARGV: fanId, points, version triples. A total is written only when newer than the one Redis holds.
const WRITE_SCRIPT = `local n = 0
for i = 1, #ARGV, 3 do
  local fan, version = ARGV[i], tonumber(ARGV[i + 2])
  local held = tonumber(redis.call('HGET', KEYS[2], fan) or '-1')
  if version > held then
    redis.call('ZADD', KEYS[1], -tonumber(ARGV[i + 1]), fan)
    redis.call('HSET', KEYS[2], fan, version)
    n = n + 1
  end
end
return n`;

// ARGV: limit, cursor fanId or ''. Returns {start, strictly better than the first entry, fans, page}.
const PAGE_SCRIPT = `local start = 0
if ARGV[2] ~= '' then
  local r = redis.call('ZRANK', KEYS[1], ARGV[2])
  if not r then return {-1, 0, 0, {}} end
  start = r + 1
end
local page = redis.call('ZRANGE', KEYS[1], start, start + tonumber(ARGV[1]) - 1, 'WITHSCORES')
local better = 0
if #page > 0 then better = redis.call('ZCOUNT', KEYS[1], '-inf', '(' .. page[2]) end
return {start, better, redis.call('ZCARD', KEYS[1]), page}`;

// ARGV: fanId, how many entries either side. Returns {position or -1, fans, aroundStart, better, around}.
const FAN_SCRIPT = `local r = redis.call('ZRANK', KEYS[1], ARGV[1])
local card = redis.call('ZCARD', KEYS[1])
if not r then return {-1, card, 0, 0, {}} end
local s = math.max(0, r - tonumber(ARGV[2]))
local around = redis.call('ZRANGE', KEYS[1], s, r + tonumber(ARGV[2]), 'WITHSCORES')
local better = redis.call('ZCOUNT', KEYS[1], '-inf', '(' .. around[2])
return {r, card, s, better, around}`;

/** Writes fans' absolute totals (idempotent; older versions ignored), in chunks of WRITE_CHUNK. */
export async function writeTotals(redis: Redis, gameId: string, totals: readonly FanTotal[]): Promise<number> {
  let written = 0;
  for (let i = 0; i < totals.length; i += WRITE_CHUNK) {
    const args: string[] = [];
    for (const t of totals.slice(i, i + WRITE_CHUNK)) args.push(t.fanId, String(t.points), String(t.version));
    written += Number(await runScript(redis, WRITE_SCRIPT, [boardKey(gameId), versionKey(gameId)], args));
  }
  return written;
}

export async function writeMeta(redis: Redis, gameId: string, settledMatches: number): Promise<void> {
  await redis.hset(metaKey(gameId), { settledMatches: String(settledMatches), updatedAt: new Date().toISOString() });
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

export async function readPage(redis: Redis, gameId: string, limit: number, cursor: string | null): Promise<BoardPage> {
  const [reply, meta] = await Promise.all([
    runScript(redis, PAGE_SCRIPT, [boardKey(gameId)], [String(limit), cursor ?? ""]),
    // Without automatic deserialization HMGET answers the raw list of values, in field order.
    redis.hmget(metaKey(gameId), "settledMatches", "updatedAt") as Promise<unknown>,
  ]);
  const [settled, updatedAt] = Array.isArray(meta) ? meta : [null, null];
  const [start, better, fans, page] = reply as [number, number, number, unknown];
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

export async function readFan(redis: Redis, gameId: string, fanId: string, side = 2): Promise<FanStanding | null> {
  const reply = (await runScript(redis, FAN_SCRIPT, [boardKey(gameId)], [fanId, String(side)])) as [
    number,
    number,
    number,
    number,
    unknown,
  ];
  if (Number(reply[0]) < 0) return null;
  const around = rankEntries(entriesOf(reply[4]), Number(reply[3]) + 1, Number(reply[2]));
  const me = around.find((e) => e.fanId === fanId)!;
  return { rank: me.rank, points: me.points, around: around.filter((e) => e.fanId !== fanId) };
}

// Sends event streams to a running platform (POST /v1/events) and runs the live demo feed of `npm start`.
// I/O lives here; the generators stay pure.
//
// Pacing: with `speed`, an event is released once (its source-time offset from the first event) / speed
// has elapsed since the stream started, and everything due is sent together; with `rate`, events go as
// fast as possible but at most `rate` per second; with neither, batches go back to back. One request is
// in flight at a time, so events reach the API in the order given.

import { seededRng } from "../../shared/random";
import type { MatchEvent } from "../../shared/sports/sport";
import { simulateCs2 } from "./cs2";
import { simulateFootball } from "./football";

/** The API accepts at most 1,000 events per request. */
export const MAX_BATCH = 1_000;

export interface FeedStats {
  /** Events handed to the API (each counted once, however often it was retried). */
  sent: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  /** Events given up on after the retries (network errors, 5xx, 429) or refused with another status. */
  errors: number;
  requests: number;
  retries: number;
  elapsedMs: number;
  /** The first few rejections as the API reported them, for diagnosis. */
  rejections: { eventId?: string; issues?: unknown }[];
  lastError?: string;
}

export interface StreamOptions {
  baseUrl: string;
  apiKey: string;
  /** Sent in this order; for paced streams of several matches, merge them first (mergeByTime). */
  events: readonly MatchEvent[];
  /** Real pace scaled up: 60 plays an hour of source time in a minute. */
  speed?: number;
  /** As fast as possible, capped at this many events per second. */
  rate?: number;
  /** Events per request, at most 1,000. Default 500. */
  batchSize?: number;
  /** Request body: a JSON array (default) or NDJSON. */
  format?: "json" | "ndjson";
  /** Paced streams: source-time gaps longer than this shrink to it (days between replayed matchdays). */
  maxGapMs?: number;
  /** Rewrite each event's timestamp to the wall-clock moment it is released, as a live source would. */
  restamp?: boolean;
  /** Retries per request for network errors, 5xx and 429. Default 8. */
  maxRetries?: number;
  /** Called after every request. */
  onProgress?: (stats: FeedStats) => void;
  signal?: AbortSignal;
}

/** The API refused the key (401/403): retrying or continuing cannot help. */
export class FeedAuthError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "FeedAuthError";
  }
}

/** Interleaves several matches' streams by timestamp; equal timestamps keep their per-stream order. */
export function mergeByTime(streams: readonly (readonly MatchEvent[])[]): MatchEvent[] {
  const all = streams.flatMap((events, s) =>
    events.map((event, i) => ({ event, s, i, t: Date.parse(event.timestamp) })),
  );
  all.sort((a, b) => a.t - b.t || a.s - b.s || a.i - b.i);
  return all.map((x) => x.event);
}

/** Wall-clock release offsets (ms after the stream starts) for a paced stream. */
export function releaseOffsets(events: readonly MatchEvent[], speed: number, maxGapMs = Infinity): number[] {
  const offsets: number[] = [];
  let source = 0;
  let previous: number | undefined;
  for (const e of events) {
    const t = Date.parse(e.timestamp);
    // Unparsable or backwards timestamps release with the previous event.
    if (Number.isFinite(t)) {
      if (previous !== undefined) source += Math.min(maxGapMs, Math.max(0, t - previous));
      previous = previous === undefined ? t : Math.max(previous, t);
    }
    offsets.push(source / speed);
  }
  return offsets;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** Retry-After in ms (delta-seconds or an HTTP date), capped at a minute; undefined when absent. */
function retryAfterMs(header: string | null): number | undefined {
  if (header === null || header.trim() === "") return undefined;
  const seconds = Number(header);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - Date.now();
  return Number.isFinite(ms) ? Math.min(60_000, Math.max(0, ms)) : undefined;
}

const retryable = (status: number) => status === 429 || status >= 500;

function describe(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    return cause instanceof Error ? `${err.message}: ${cause.message}` : err.message;
  }
  return String(err);
}

export async function streamEvents(options: StreamOptions): Promise<FeedStats> {
  const { events, speed, rate, signal } = options;
  if (speed !== undefined && !(speed > 0)) throw new RangeError("speed must be > 0");
  if (rate !== undefined && !(rate > 0)) throw new RangeError("rate must be > 0");
  const url = `${options.baseUrl.replace(/\/+$/, "")}/v1/events`;
  const format = options.format ?? "json";
  const maxRetries = options.maxRetries ?? 8;
  let batchSize = Math.max(1, Math.min(MAX_BATCH, Math.floor(options.batchSize ?? 500)));
  // A low rate with big batches would send in bursts; keep about four requests a second instead.
  if (rate !== undefined) batchSize = Math.min(batchSize, Math.max(1, Math.ceil(rate / 4)));

  const stats: FeedStats = {
    sent: 0,
    accepted: 0,
    duplicates: 0,
    rejected: 0,
    errors: 0,
    requests: 0,
    retries: 0,
    elapsedMs: 0,
    rejections: [],
  };
  const started = performance.now();
  const startedAt = Date.now();
  const progress = () => {
    stats.elapsedMs = performance.now() - started;
    options.onProgress?.({ ...stats, rejections: [...stats.rejections] });
  };
  const noteRejections = (list: unknown, fallback: number) => {
    const rejected = Array.isArray(list) ? (list as { eventId?: string; issues?: unknown }[]) : [];
    stats.rejected += Array.isArray(list) ? rejected.length : fallback;
    for (const r of rejected)
      if (stats.rejections.length < 5) stats.rejections.push({ eventId: r.eventId, issues: r.issues });
  };

  const post = async (batch: readonly MatchEvent[]): Promise<void> => {
    const body = format === "ndjson" ? `${batch.map((e) => JSON.stringify(e)).join("\n")}\n` : JSON.stringify(batch);
    for (let attempt = 0; ; attempt++) {
      if (signal?.aborted) return;
      let wait: number | undefined;
      let failure: string;
      // A signal per request: fetch leaves its abort listener on the signal it is given, and a long
      // stream would pile thousands of them onto the caller's.
      const request = new AbortController();
      const abort = () => request.abort();
      signal?.addEventListener("abort", abort, { once: true });
      try {
        stats.requests++;
        const res = await fetch(url, {
          method: "POST",
          headers: {
            authorization: `Bearer ${options.apiKey}`,
            "content-type": format === "ndjson" ? "application/x-ndjson" : "application/json",
          },
          body,
          signal: request.signal,
        });
        const text = await res.text();
        const json = (() => {
          try {
            return JSON.parse(text) as Record<string, unknown>;
          } catch {
            return undefined;
          }
        })();
        if (res.ok) {
          stats.accepted += Number(json?.accepted ?? 0);
          stats.duplicates += Number(json?.duplicates ?? 0);
          noteRejections(json?.rejected, 0);
          return;
        }
        const error = (json?.error ?? {}) as { code?: string; message?: string; rejected?: unknown };
        failure = `HTTP ${res.status}${error.code ? ` ${error.code}` : ""}${error.message ? `: ${error.message}` : ""}`;
        if (res.status === 401 || res.status === 403)
          throw new FeedAuthError(res.status, `${url} refused the API key (${failure})`);
        if (res.status === 413 && batch.length > 1) {
          // Too big for one request: halve it.
          const half = Math.ceil(batch.length / 2);
          await post(batch.slice(0, half));
          await post(batch.slice(half));
          return;
        }
        if (res.status === 400) {
          // Nothing in the batch was valid (or the body was unreadable): each event counts as rejected.
          noteRejections(error.rejected, batch.length);
          stats.lastError = failure;
          return;
        }
        if (!retryable(res.status)) {
          stats.errors += batch.length;
          stats.lastError = failure;
          return;
        }
        wait = retryAfterMs(res.headers.get("retry-after"));
      } catch (err) {
        if (err instanceof FeedAuthError) throw err;
        if (signal?.aborted) return;
        failure = describe(err);
      } finally {
        signal?.removeEventListener("abort", abort);
      }
      stats.lastError = failure;
      if (attempt >= maxRetries) {
        stats.errors += batch.length;
        return;
      }
      stats.retries++;
      // Exponential backoff with jitter, unless the server said when to come back.
      await sleep(wait ?? Math.min(10_000, 250 * 2 ** attempt) * (0.5 + Math.random() / 2), signal);
    }
  };

  const offsets = speed === undefined ? undefined : releaseOffsets(events, speed, options.maxGapMs);
  const restamp = (e: MatchEvent, i: number): MatchEvent =>
    options.restamp ? { ...e, timestamp: new Date(offsets ? startedAt + offsets[i]! : Date.now()).toISOString() } : e;

  let i = 0;
  while (i < events.length && !signal?.aborted) {
    if (offsets !== undefined) {
      await sleep(offsets[i]! - (performance.now() - started), signal);
      if (signal?.aborted) break;
    } else if (rate !== undefined) {
      await sleep((stats.sent / rate) * 1000 - (performance.now() - started), signal);
      if (signal?.aborted) break;
    }
    const now = performance.now() - started;
    let end = i + 1;
    while (end < events.length && end - i < batchSize && (offsets === undefined || offsets[end]! <= now)) end++;
    const batch = events.slice(i, end).map((e, k) => restamp(e, i + k));
    stats.sent += batch.length;
    await post(batch);
    progress();
    i = end;
  }
  stats.elapsedMs = performance.now() - started;
  return stats;
}

export interface DemoMatch {
  matchId: string;
  sport: "football" | "cs2";
}

export interface DemoFeedOptions {
  baseUrl: string;
  apiKey: string;
  log: (message: string) => void;
  /** Concurrent football matches. Default 2. */
  football?: number;
  /** Concurrent CS2 series. Default 2. */
  cs2?: number;
  /** Default 10: the 90 minutes in about 10 minutes, half-time shortened to 18 s. */
  footballSpeed?: number;
  /** Default 25: a round every 3–5 seconds. */
  cs2Speed?: number;
  /** Part of every matchId; default: the start time in base 36, so each run's ids are new. */
  runId?: string;
  /**
   * A real match to play first in the first football slot instead of a simulated one (e.g. a Wyscout
   * replay), with its team names; a knockout when it is one. Later matches in that slot are simulated.
   */
  realFootball?: { matchId: string; events: MatchEvent[]; teamNames: [string, string]; knockout?: boolean };
}

export interface DemoFeed {
  /** The matches being played right now (a slot moves on to a new match when its match ends). */
  readonly matches: DemoMatch[];
  stop(): Promise<void>;
}

/** Source-time breaks (half-time, between maps) shrink to this before the speed-up. */
const DEMO_MAX_GAP_MS = 3 * 60_000;
const DEMO_PAUSE_MS = 15_000;

const DEMO_TEAM_NAMES: Record<DemoMatch["sport"], readonly string[]> = {
  football: [
    "Northbridge FC",
    "Harbour City",
    "Riverside United",
    "Ashford Athletic",
    "Kingsport Rovers",
    "Eastgate Town",
  ],
  cs2: ["Team Apex", "Nightfall", "Vector Five", "Red Harbor", "Polar Esports", "Ironclad"],
};

/**
 * Registers the match and its two teams (with the ratings the simulator plays them at) through the
 * admin API, so the room's predictions use those ratings and the match shows in GET /v1/matches.
 */
async function registerDemoMatch(
  base: string,
  apiKey: string,
  match: DemoMatch,
  ratings: [number, number],
  real?: { teamNames: [string, string]; knockout?: boolean },
): Promise<void> {
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    if (!res.ok && res.status !== 409) throw new Error(`POST ${path}: ${res.status} ${await res.text()}`);
  };
  const names = DEMO_TEAM_NAMES[match.sport];
  const teamIds = [1, 2].map((side) => `${match.matchId}-t${side}`);
  const n = Number(match.matchId.split("-").pop()) || 0;
  for (const [i, id] of teamIds.entries()) {
    const name = real?.teamNames[i] ?? names[(2 * n + i) % names.length];
    await post("/v1/teams", { id, sport: match.sport, name, rating: ratings[i] });
  }
  await post("/v1/matches", {
    id: match.matchId,
    sport: match.sport,
    team1Id: teamIds[0],
    team2Id: teamIds[1],
    // A minute ahead: fans' guesses are taken until the first live event or the scheduled start.
    startsAt: new Date(Date.now() + 60_000).toISOString(),
    tournament: "Matchpulse demo",
    neutral: real !== undefined,
    ...(real?.knockout ? { knockout: true } : {}),
    ...(match.sport === "cs2" ? { bestOf: 3 } : {}),
  });
}

/** Simulated fans per demo football match: enough for a leaderboard with ties and movement. */
export const DEMO_FANS = 3_000;

/**
 * Fans' guesses of a football match: scores drawn around the teams' ratings (a Poisson per team), seeded, so
 * a rerun guesses the same. Pure.
 */
export function demoGuesses(
  matchId: string,
  ratings: [number, number],
  fans = DEMO_FANS,
): { fanId: string; matchId: string; home: number; away: number }[] {
  const rng = seededRng("demo-guesses", matchId);
  const edge = (ratings[0] - ratings[1]) / 400;
  const means = [1.4 * 10 ** (edge / 4), 1.1 * 10 ** (-edge / 4)];
  return Array.from({ length: fans }, (_, i) => ({
    fanId: `fan-${String(i + 1).padStart(5, "0")}`,
    matchId,
    home: Math.min(9, rng.poisson(means[0]!)),
    away: Math.min(9, rng.poisson(means[1]!)),
  }));
}

/**
 * A prediction game over one demo football match, with DEMO_FANS guesses posted before kickoff, so a
 * newcomer sees a leaderboard settle at the final whistle. Returns the game's leaderboard path.
 */
async function startDemoGame(base: string, apiKey: string, match: DemoMatch, ratings: [number, number]) {
  const call = async (path: string, body: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`POST ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as { id?: string; accepted?: number };
  };
  const game = await call("/v1/games", { name: `Demo predictions ${match.matchId}`, matchIds: [match.matchId] });
  const sent = await call(`/v1/games/${game.id}/guesses`, demoGuesses(match.matchId, ratings));
  return { path: `/v1/games/${game.id}/leaderboard`, guesses: sent.accepted ?? 0 };
}

/**
 * Plays a few matches concurrently at a watchable pace and starts a new match in a slot when one ends.
 * matchIds are `demo-<sport>-<runId>-<n>` (n counts up per sport), so a rerun never collides with the
 * previous run's events. Timestamps are restamped to the wall clock. Returns at once.
 */
export async function runDemoFeed(options: DemoFeedOptions): Promise<DemoFeed> {
  const { baseUrl, apiKey, log } = options;
  const runId = options.runId ?? Date.now().toString(36);
  const controller = new AbortController();
  const signal = controller.signal;
  const counters = { football: 0, cs2: 0 };
  const current: DemoMatch[] = [];
  const base = baseUrl.replace(/\/+$/, "");

  const nextMatch = (
    sport: DemoMatch["sport"],
  ): { match: DemoMatch; events: MatchEvent[]; ratings: [number, number] } => {
    const n = ++counters[sport];
    const matchId = `demo-${sport}-${runId}-${n}`;
    const rng = seededRng("demo", runId, matchId);
    const rating = () => Math.round(rng.normal(sport === "football" ? 1750 : 1600, 150));
    const ratings: [number, number] = [rating(), rating()];
    const events =
      sport === "football"
        ? simulateFootball({
            matchId,
            seed: runId,
            team1Rating: ratings[0],
            team2Rating: ratings[1],
            kickoff: new Date(),
          })
        : simulateCs2({
            matchId,
            seed: runId,
            bestOf: 3,
            team1Rating: ratings[0],
            team2Rating: ratings[1],
            start: new Date(),
          });
    return { match: { matchId, sport }, events, ratings };
  };

  type Next = ReturnType<typeof nextMatch> & { real?: { teamNames: [string, string]; knockout?: boolean } };
  const slot = async (index: number, sport: DemoMatch["sport"], first: Next) => {
    let next: Next = first;
    while (!signal.aborted) {
      current[index] = next.match;
      try {
        await registerDemoMatch(base, apiKey, next.match, next.ratings, next.real).catch((err: unknown) =>
          log(`demo: could not register ${next.match.matchId} (predictions use default ratings): ${describe(err)}`),
        );
        if (sport === "football")
          await startDemoGame(base, apiKey, next.match, next.ratings).then(
            (game) => log(`demo: ${game.guesses} fans guessed ${next.match.matchId}; leaderboard: ${base}${game.path}`),
            (err: unknown) => log(`demo: no prediction game for ${next.match.matchId}: ${describe(err)}`),
          );
        const stats = await streamEvents({
          baseUrl,
          apiKey,
          events: next.events,
          speed: sport === "football" ? (options.footballSpeed ?? 10) : (options.cs2Speed ?? 25),
          maxGapMs: DEMO_MAX_GAP_MS,
          restamp: true,
          signal,
        });
        if (signal.aborted) break;
        const trouble =
          stats.errors + stats.rejected > 0
            ? `, ${stats.errors} errors, ${stats.rejected} rejected (${stats.lastError ?? "see rejections"})`
            : "";
        log(`demo: ${next.match.matchId} finished: ${stats.accepted} accepted${trouble}`);
      } catch (err) {
        // A refused key will not fix itself: stop this slot rather than spin.
        log(`demo: ${next.match.matchId} stopped: ${describe(err)}`);
        return;
      }
      await sleep(DEMO_PAUSE_MS, signal);
      if (signal.aborted) break;
      next = nextMatch(sport);
      log(`demo: next ${sport} match ${next.match.matchId}: ${base}/v1/matches/${next.match.matchId}/state`);
    }
  };

  const sports: DemoMatch["sport"][] = [
    ...Array<DemoMatch["sport"]>(options.football ?? 2).fill("football"),
    ...Array<DemoMatch["sport"]>(options.cs2 ?? 2).fill("cs2"),
  ];
  // Generate every first match before any await, so `matches` is complete when this returns.
  const real = options.realFootball;
  const firsts: Next[] = sports.map((sport, i) =>
    real && sport === "football" && i === 0
      ? {
          match: { matchId: real.matchId, sport },
          events: real.events,
          ratings: [1500, 1500] as [number, number],
          real: { teamNames: real.teamNames, ...(real.knockout ? { knockout: true } : {}) },
        }
      : nextMatch(sport),
  );
  for (const [i, f] of firsts.entries()) current[i] = f.match;
  const loops = sports.map((sport, i) => slot(i, sport, firsts[i]!));

  return {
    get matches() {
      return [...current];
    },
    async stop() {
      controller.abort();
      await Promise.allSettled(loops);
    },
  };
}

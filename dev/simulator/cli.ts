// Match simulator CLI: generate synthetic matches as NDJSON, stream them (or a file) to a running platform,
// or replay the real international football results. Run: npx tsx dev/simulator/cli.ts <command> [options]
import { createWriteStream } from "node:fs";
import { readFile } from "node:fs/promises";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { seededRng } from "../../shared/random";
import { WYSCOUT_CREDIT } from "../../shared/sources/wyscout/parse";
import type { MatchEvent } from "../../shared/sports/sport";
import { simulateCs2 } from "./cs2";
import { FeedAuthError, type FeedStats, MAX_BATCH, mergeByTime, streamEvents } from "./feed";
import { simulateFootball } from "./football";
import { readFootballData, replayFootball } from "./replay-football";
import { replayWyscoutFile } from "./replay-wyscout";

export const USAGE = `Usage: npx tsx dev/simulator/cli.ts <command> [options]

Commands
  generate         --sport football|cs2 [--matches N] [--seed S] [--best-of 1|3|5] [--start ISO] [--out file.ndjson]
                   Synthetic matches as NDJSON (stdout unless --out), all kicking off at --start (default: now).
  stream           --url URL --key KEY (--sport football|cs2 [--matches N] [--seed S] [--best-of N] [--start ISO]
                   | --in file.ndjson) [--speed X | --rate N] [--batch N] [--ndjson] [--restamp]
  replay-football  --url URL --key KEY [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--speed X | --rate N] [--batch N]
                   [--results file.csv] [--goals file.csv] [--include-incomplete] [--max-gap MINUTES] [--ndjson]
                   Real results (../shared/data/football by default); every match kicks off at 15:00 UTC.
  replay-wyscout   <match.json[.gz]> --match-id ID [--matches matches_*.json] [--out file.ndjson | --url URL --key KEY]
                   [--start ISO|now] [--speed X | --rate N] [--batch N] [--ndjson]
                   A real match of the Wyscout public data (${WYSCOUT_CREDIT}) in source order, at real pace
                   (--speed 1), sped up, or as fast as possible; NDJSON on stdout without --out or --url.
                   Kick-off at the metadata's date unless --start (the event log keeps 2 years by timestamp).
  replay           --in file.ndjson --url URL --key KEY [--speed X | --rate N] [--batch N] [--ndjson] [--restamp]

Options
  --matches N      matches to generate (default 1)          --seed S        seed (default 1); same seed, same events
  --speed X        real pace sped up X times (60: an hour a minute)
  --rate N         as fast as possible, at most N events/s  (neither: as fast as the API takes them)
  --batch N        events per request, 1-${MAX_BATCH} (default 500)   --ndjson        send NDJSON instead of JSON arrays
  --restamp        set each event's timestamp to when it is sent
  --max-gap M      paced replays: idle gaps (days between matchdays) shrink to M source minutes (default 10)
  --key            or the MATCHPULSE_API_KEY environment variable

eventIds derive from the seed and matchId (matchId sim-<sport>-<seed>-<n>), so streaming the same seed twice
shows up as duplicates; use another --seed for new matches.`;

class UsageError extends Error {}

export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  signal?: AbortSignal;
}

const options = {
  sport: { type: "string" },
  matches: { type: "string" },
  seed: { type: "string" },
  "best-of": { type: "string" },
  start: { type: "string" },
  out: { type: "string" },
  url: { type: "string" },
  key: { type: "string" },
  in: { type: "string" },
  speed: { type: "string" },
  rate: { type: "string" },
  batch: { type: "string" },
  ndjson: { type: "boolean" },
  restamp: { type: "boolean" },
  from: { type: "string" },
  to: { type: "string" },
  results: { type: "string" },
  goals: { type: "string" },
  "include-incomplete": { type: "boolean" },
  "max-gap": { type: "string" },
  "match-id": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

type Flags = ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>["values"];

const COMMAND_FLAGS: Record<string, readonly (keyof Flags)[]> = {
  generate: ["sport", "matches", "seed", "best-of", "start", "out"],
  stream: [
    "url",
    "key",
    "sport",
    "matches",
    "seed",
    "best-of",
    "start",
    "in",
    "speed",
    "rate",
    "batch",
    "ndjson",
    "restamp",
  ],
  "replay-football": [
    "url",
    "key",
    "from",
    "to",
    "speed",
    "rate",
    "batch",
    "results",
    "goals",
    "include-incomplete",
    "max-gap",
    "ndjson",
  ],
  replay: ["url", "key", "in", "speed", "rate", "batch", "ndjson", "restamp"],
  "replay-wyscout": ["match-id", "start", "matches", "out", "url", "key", "speed", "rate", "batch", "ndjson"],
};

function positiveNumber(flag: string, value: string | undefined, integer = false): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new UsageError(`--${flag} must be a positive ${integer ? "integer" : "number"}, got "${value}"`);
  }
  return n;
}

function isoDate(flag: string, value: string | undefined): string | undefined {
  if (value !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(value))
    throw new UsageError(`--${flag} must be YYYY-MM-DD, got "${value}"`);
  return value;
}

/** The synthetic matches of generate/stream: sim-<sport>-<seed>-<n>, ratings drawn from the seed. */
function generateMatches(flags: Flags): MatchEvent[] {
  const sport = flags.sport;
  if (sport !== "football" && sport !== "cs2")
    throw new UsageError(`--sport must be football or cs2${sport ? `, got "${sport}"` : ""}`);
  const matches = positiveNumber("matches", flags.matches, true) ?? 1;
  const seed = flags.seed ?? "1";
  const bestOf = Number(flags["best-of"] ?? 3);
  if (bestOf !== 1 && bestOf !== 3 && bestOf !== 5)
    throw new UsageError(`--best-of must be 1, 3 or 5, got "${flags["best-of"]}"`);
  if (flags["best-of"] !== undefined && sport !== "cs2") throw new UsageError("--best-of is for --sport cs2");
  const start = flags.start === undefined ? new Date(Math.floor(Date.now() / 1000) * 1000) : new Date(flags.start);
  if (Number.isNaN(start.getTime())) throw new UsageError(`--start must be an ISO date-time, got "${flags.start}"`);

  const streams: MatchEvent[][] = [];
  for (let n = 1; n <= matches; n++) {
    const matchId = `sim-${sport}-${seed}-${n}`.slice(0, 64);
    const rng = seededRng("ratings", seed, n);
    const rating = () => Math.round(rng.normal(sport === "football" ? 1750 : 1600, sport === "football" ? 200 : 150));
    streams.push(
      sport === "football"
        ? simulateFootball({ matchId, seed, team1Rating: rating(), team2Rating: rating(), kickoff: start })
        : simulateCs2({ matchId, seed, bestOf, team1Rating: rating(), team2Rating: rating(), start }),
    );
  }
  return mergeByTime(streams);
}

async function readNdjson(path: string): Promise<MatchEvent[]> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new UsageError(`cannot read --in ${path}: ${(err as Error).message}`);
  }
  const events: MatchEvent[] = [];
  text.split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    try {
      // Sent as they are: the API is the judge of validity.
      events.push(JSON.parse(line) as MatchEvent);
    } catch {
      throw new UsageError(`${path} line ${i + 1} is not valid JSON`);
    }
  });
  return events;
}

async function writeNdjson(events: readonly MatchEvent[], out: NodeJS.WritableStream): Promise<void> {
  const CHUNK = 1_000;
  for (let i = 0; i < events.length; i += CHUNK) {
    const text = events
      .slice(i, i + CHUNK)
      .map((e) => `${JSON.stringify(e)}\n`)
      .join("");
    // Respect backpressure: a pipe to `head` or a slow disk must not buffer the whole run.
    if (!out.write(text)) await new Promise<void>((resolve) => out.once("drain", resolve));
  }
}

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

function progressLine(s: FeedStats, total: number): string {
  const perSecond = s.elapsedMs > 0 ? (s.sent * 1000) / s.elapsedMs : 0;
  const problems =
    s.errors > 0 || s.retries > 0
      ? ` · errors ${fmt(s.errors)} · retries ${fmt(s.retries)}${s.lastError ? ` (last: ${s.lastError})` : ""}`
      : "";
  return `[simulator] ${fmt(s.sent)}/${fmt(total)} sent · ${fmt(perSecond)}/s · accepted ${fmt(s.accepted)} · duplicates ${fmt(s.duplicates)} · rejected ${fmt(s.rejected)}${problems}`;
}

async function send(events: MatchEvent[], flags: Flags, io: CliIo, maxGapMs?: number): Promise<number> {
  const baseUrl = flags.url;
  const apiKey = flags.key ?? io.env.MATCHPULSE_API_KEY;
  if (!baseUrl) throw new UsageError("--url is required (e.g. --url http://127.0.0.1:8787)");
  if (!/^https?:\/\//.test(baseUrl))
    throw new UsageError(`--url must start with http:// or https://, got "${baseUrl}"`);
  if (!apiKey) throw new UsageError("--key is required (or set MATCHPULSE_API_KEY)");
  const speed = positiveNumber("speed", flags.speed);
  const rate = positiveNumber("rate", flags.rate);
  if (speed !== undefined && rate !== undefined) throw new UsageError("use either --speed or --rate, not both");
  const batchSize = positiveNumber("batch", flags.batch, true);
  if (batchSize !== undefined && batchSize > MAX_BATCH) throw new UsageError(`--batch must be at most ${MAX_BATCH}`);

  let latest: FeedStats | undefined;
  const timer = setInterval(() => latest && io.stderr.write(`${progressLine(latest, events.length)}\n`), 1000);
  try {
    const stats = await streamEvents({
      baseUrl,
      apiKey,
      events,
      speed,
      rate,
      batchSize,
      format: flags.ndjson ? "ndjson" : "json",
      maxGapMs,
      restamp: flags.restamp ?? false,
      onProgress: (s) => (latest = s),
      signal: io.signal,
    });
    io.stderr.write(`${progressLine(stats, events.length)} · done in ${(stats.elapsedMs / 1000).toFixed(1)} s\n`);
    for (const r of stats.rejections)
      io.stderr.write(`[simulator] rejected ${r.eventId ?? "(no eventId)"}: ${JSON.stringify(r.issues)}\n`);
    if (io.signal?.aborted) return 130; // stopped with Ctrl-C
    return stats.errors + stats.rejected > 0 ? 1 : 0;
  } catch (err) {
    if (err instanceof FeedAuthError) {
      io.stderr.write(`[simulator] ${err.message}\n`);
      return 1;
    }
    throw err;
  } finally {
    clearInterval(timer);
  }
}

async function run(argv: string[], io: CliIo): Promise<number> {
  let parsed: ReturnType<
    typeof parseArgs<{ args: string[]; options: typeof options; allowPositionals: true; strict: true }>
  >;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values: flags, positionals } = parsed;
  const [command, ...extra] = positionals;
  if (flags.help || command === undefined || command === "help") {
    (flags.help || command === "help" ? io.stdout : io.stderr).write(`${USAGE}\n`);
    return flags.help || command === "help" ? 0 : 2;
  }
  const allowed = COMMAND_FLAGS[command];
  if (allowed === undefined) throw new UsageError(`unknown command "${command}"`);
  // replay-wyscout takes the match file as its one positional argument.
  const positional = command === "replay-wyscout" ? extra.shift() : undefined;
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  for (const flag of Object.keys(flags) as (keyof Flags)[]) {
    if (flag !== "help" && !allowed.includes(flag)) throw new UsageError(`--${flag} is not an option of ${command}`);
  }

  switch (command) {
    case "generate": {
      const events = generateMatches(flags);
      if (flags.out === undefined) {
        await writeNdjson(events, io.stdout);
        return 0;
      }
      const file = createWriteStream(flags.out);
      await writeNdjson(events, file);
      await new Promise<void>((resolve, reject) => file.end((err?: Error | null) => (err ? reject(err) : resolve())));
      io.stderr.write(`[simulator] wrote ${fmt(events.length)} events to ${flags.out}\n`);
      return 0;
    }
    case "stream": {
      if ((flags.in === undefined) === (flags.sport === undefined))
        throw new UsageError("stream needs either --sport or --in");
      if (flags.in !== undefined && (flags.matches ?? flags.seed ?? flags["best-of"] ?? flags.start) !== undefined) {
        throw new UsageError("--matches, --seed, --best-of and --start generate matches; they do not apply to --in");
      }
      const events = flags.in !== undefined ? await readNdjson(flags.in) : generateMatches(flags);
      return send(events, flags, io);
    }
    case "replay": {
      if (flags.in === undefined) throw new UsageError("replay needs --in file.ndjson");
      return send(await readNdjson(flags.in), flags, io);
    }
    case "replay-wyscout": {
      if (positional === undefined) throw new UsageError("replay-wyscout needs a match file (matches/<wyId>.json.gz)");
      const matchId = flags["match-id"];
      if (matchId === undefined) throw new UsageError("replay-wyscout needs --match-id");
      if (flags.out !== undefined && flags.url !== undefined)
        throw new UsageError("use either --out or --url, not both");
      let replay: Awaited<ReturnType<typeof replayWyscoutFile>>;
      try {
        replay = await replayWyscoutFile(
          positional,
          matchId,
          flags.matches === undefined ? undefined : [flags.matches],
        );
      } catch (err) {
        throw new UsageError(`cannot replay ${positional}: ${(err as Error).message}`);
      }
      io.stderr.write(
        `[simulator] ${replay.meta?.label ?? `Wyscout match ${replay.wyId}`}: ${fmt(replay.events.length)} events · source: ${WYSCOUT_CREDIT}\n`,
      );
      for (const issue of replay.issues) io.stderr.write(`[simulator] skipped ${issue.at}: ${issue.message}\n`);
      if (flags.url !== undefined) return send(replay.events, flags, io);
      if (flags.out === undefined) {
        await writeNdjson(replay.events, io.stdout);
        return 0;
      }
      const file = createWriteStream(flags.out);
      await writeNdjson(replay.events, file);
      await new Promise<void>((resolve, reject) => file.end((err?: Error | null) => (err ? reject(err) : resolve())));
      io.stderr.write(`[simulator] wrote ${fmt(replay.events.length)} events to ${flags.out}\n`);
      return 0;
    }
    case "replay-football": {
      const from = isoDate("from", flags.from);
      const to = isoDate("to", flags.to);
      const maxGap = positiveNumber("max-gap", flags["max-gap"]) ?? 10;
      let data: Awaited<ReturnType<typeof readFootballData>>;
      try {
        data = await readFootballData({ results: flags.results, goals: flags.goals });
      } catch (err) {
        throw new UsageError(`cannot read the football data: ${(err as Error).message}`);
      }
      const matches = replayFootball(data.results, data.goals, {
        from,
        to,
        includeIncomplete: flags["include-incomplete"] ?? false,
      });
      io.stderr.write(
        `[simulator] ${fmt(matches.length)} matches${flags["include-incomplete"] ? "" : " with complete goal data"}\n`,
      );
      if (matches.length === 0) return 0;
      return send(mergeByTime(matches.map((m) => m.events)), flags, io, maxGap * 60_000);
    }
  }
  return 2;
}

/** Exit code: 0 ok, 1 some events failed or were rejected, 2 usage error, 130 stopped with Ctrl-C. */
export async function main(
  argv: string[],
  io: CliIo = { stdout: process.stdout, stderr: process.stderr, env: process.env },
): Promise<number> {
  try {
    return await run(argv, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`error: ${err.message}\n(npx tsx dev/simulator/cli.ts --help for usage)\n`);
      return 2;
    }
    io.stderr.write(`[simulator] failed: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  // `generate … | head` closes the pipe early: that is not an error.
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(0);
    throw err;
  });
  const controller = new AbortController();
  // First Ctrl-C stops sending and prints the totals; a second one exits at once.
  process.once("SIGINT", () => {
    controller.abort();
    process.once("SIGINT", () => process.exit(130));
  });
  process.exitCode = await main(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    signal: controller.signal,
  });
}

import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseEvent } from "../../shared/contract/event";
import type { MatchEvent } from "../../shared/sports/sport";
import { main } from "./cli";

let dir: string;
let server: Server;
let baseUrl: string;
let posted: { auth?: string; events: MatchEvent[] }[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "matchpulse-sim-"));
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString("utf8")));
    req.on("end", () => {
      const events = JSON.parse(body) as MatchEvent[];
      posted.push({ auth: req.headers.authorization, events });
      res.writeHead(202, { "content-type": "application/json" });
      res.end(JSON.stringify({ accepted: events.length, duplicates: 0, rejected: [] }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rm(dir, { recursive: true, force: true });
});

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (c: Buffer) => (out += c.toString("utf8")));
  stderr.on("data", (c: Buffer) => (err += c.toString("utf8")));
  const code = await main(argv, { stdout, stderr, env: {} });
  return { code, stdout: out, stderr: err };
}

const lines = (ndjson: string) =>
  ndjson
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as MatchEvent);

describe("cli usage errors exit 2", () => {
  it.each([
    [[]],
    [["bogus"]],
    [["generate"]],
    [["generate", "--sport", "hockey"]],
    [["generate", "--sport", "cs2", "--best-of", "2"]],
    [["generate", "--sport", "football", "--best-of", "3"]],
    [["generate", "--sport", "football", "--matches", "0"]],
    [["generate", "--sport", "football", "--start", "yesterday"]],
    [["generate", "--sport", "football", "--unknown"]],
    [["generate", "--sport", "football", "--url", "http://x"]],
    [["stream", "--url", "http://x", "--key", "k"]],
    [["stream", "--sport", "cs2", "--key", "k"]],
    [["stream", "--sport", "cs2", "--url", "http://x"]],
    [["stream", "--sport", "cs2", "--url", "ftp://x", "--key", "k"]],
    [["stream", "--sport", "cs2", "--url", "http://x", "--key", "k", "--speed", "60", "--rate", "10"]],
    [["stream", "--sport", "cs2", "--url", "http://x", "--key", "k", "--batch", "5000"]],
    [["stream", "--in", "x.ndjson", "--sport", "cs2", "--url", "http://x", "--key", "k"]],
    [["replay", "--url", "http://x", "--key", "k"]],
    [["replay-football", "--url", "http://x", "--key", "k", "--from", "2021"]],
  ])("%j", async (argv) => {
    const { code, stderr } = await cli(...argv);
    expect(code).toBe(2);
    expect(stderr).toMatch(/error:|Usage:/);
  });

  it("prints the usage with --help and exits 0", async () => {
    const { code, stdout } = await cli("--help");
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage:/);
  });
});

describe("cli generate", () => {
  it("writes deterministic NDJSON for a seed and start, matches interleaved by time", async () => {
    const args = [
      "generate",
      "--sport",
      "cs2",
      "--matches",
      "2",
      "--seed",
      "42",
      "--best-of",
      "1",
      "--start",
      "2025-03-01T18:00:00Z",
    ];
    const a = await cli(...args);
    const b = await cli(...args);
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    const events = lines(a.stdout);
    expect(new Set(events.map((e) => e.matchId))).toEqual(new Set(["sim-cs2-42-1", "sim-cs2-42-2"]));
    for (let i = 1; i < events.length; i++)
      expect(Date.parse(events[i]!.timestamp)).toBeGreaterThanOrEqual(Date.parse(events[i - 1]!.timestamp));
    expect(events.every((e) => parseEvent(e, new Date("2025-03-03T00:00:00Z")).ok)).toBe(true);
  });

  it("writes to --out", async () => {
    const out = join(dir, "football.ndjson");
    const { code, stderr } = await cli("generate", "--sport", "football", "--seed", "1", "--out", out);
    expect(code).toBe(0);
    expect(stderr).toMatch(/wrote .* events/);
    const events = lines(await readFile(out, "utf8"));
    expect(events[0]!.type).toBe("match_start");
    expect(events.at(-1)!.type).toBe("match_end");
  });
});

describe("cli stream / replay / replay-football", () => {
  it("streams generated matches to the API", async () => {
    posted = [];
    const { code, stderr } = await cli(
      "stream",
      "--url",
      baseUrl,
      "--key",
      "cli-key",
      "--sport",
      "football",
      "--matches",
      "2",
      "--seed",
      "9",
      "--batch",
      "300",
    );
    expect(code).toBe(0);
    expect(stderr).toMatch(/accepted [\d,]+ · duplicates 0 · rejected 0/);
    expect(posted.every((p) => p.auth === "Bearer cli-key" && p.events.length <= 300)).toBe(true);
    expect(new Set(posted.flatMap((p) => p.events.map((e) => e.matchId)))).toEqual(
      new Set(["sim-football-9-1", "sim-football-9-2"]),
    );
  });

  it("replays an NDJSON file as it is", async () => {
    const file = join(dir, "in.ndjson");
    await cli("generate", "--sport", "cs2", "--seed", "3", "--best-of", "1", "--out", file);
    const expected = lines(await readFile(file, "utf8"));
    posted = [];
    const { code } = await cli("replay", "--in", file, "--url", baseUrl, "--key", "k", "--rate", "100000");
    expect(code).toBe(0);
    expect(posted.flatMap((p) => p.events)).toEqual(expected);
  });

  it("reports a malformed NDJSON line as a usage error", async () => {
    const file = join(dir, "bad.ndjson");
    await writeFile(file, '{"a":1}\nnot json\n');
    const { code, stderr } = await cli("replay", "--in", file, "--url", baseUrl, "--key", "k");
    expect(code).toBe(2);
    expect(stderr).toMatch(/line 2 is not valid JSON/);
  });

  it("replays football results from given CSV files", async () => {
    const results = join(dir, "results.csv");
    const goals = join(dir, "goals.csv");
    await writeFile(
      results,
      "date,home_team,away_team,home_score,away_score,tournament,city,country,neutral\n" +
        "2021-06-11,Turkey,Italy,0,3,UEFA Euro,Rome,Italy,TRUE\n2021-07-11,Italy,England,1,1,UEFA Euro,London,England,TRUE\n",
    );
    await writeFile(
      goals,
      "date,home_team,away_team,team,scorer,minute,own_goal,penalty\n" +
        "2021-06-11,Turkey,Italy,Italy,Merih Demiral,53,TRUE,FALSE\n2021-06-11,Turkey,Italy,Italy,Ciro Immobile,66,FALSE,FALSE\n" +
        "2021-06-11,Turkey,Italy,Italy,Lorenzo Insigne,79,FALSE,FALSE\n2021-07-11,Italy,England,England,Luke Shaw,2,FALSE,FALSE\n" +
        "2021-07-11,Italy,England,Italy,Leonardo Bonucci,67,FALSE,FALSE\n",
    );
    posted = [];
    const { code, stderr } = await cli(
      "replay-football",
      "--url",
      baseUrl,
      "--key",
      "k",
      "--results",
      results,
      "--goals",
      goals,
      "--from",
      "2021-07-01",
    );
    expect(code).toBe(0);
    expect(stderr).toMatch(/1 matches with complete goal data/);
    const events = posted.flatMap((p) => p.events);
    expect(new Set(events.map((e) => e.matchId))).toEqual(new Set(["fb-2021-07-11-Italy-England"]));
    expect(events.filter((e) => e.type === "goal").map((e) => e.teamId)).toEqual([2, 1]);
  });
});

// replay-wyscout through the CLI: a real match file from ../shared/data/wyscout to NDJSON, and the
// failure paths (missing file, truncated JSON, a match absent from the metadata).
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { parseEvent } from "../../shared/contract/event";
import { main } from "./cli";
import { WYSCOUT_DATA_DIR } from "./wyscout-data";

const FINAL = join(WYSCOUT_DATA_DIR, "matches/2058017.json.gz");
const WORLD_CUP = join(WYSCOUT_DATA_DIR, "matches_World_Cup.json");
const EURO = join(WYSCOUT_DATA_DIR, "matches_European_Championship.json");

async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (d) => (out += d));
  stderr.on("data", (d) => (err += d));
  const code = await main(argv, { stdout, stderr, env: {} });
  return { code, stdout: out, stderr: err };
}

describe("simulate replay-wyscout", () => {
  it("writes the 2018 final as contract events with the official score, crediting the source", async () => {
    const dir = await mkdtemp(join(tmpdir(), "wyscout-"));
    const out = join(dir, "final.ndjson");
    const r = await run(["replay-wyscout", FINAL, "--match-id", "wy-final", "--matches", WORLD_CUP, "--out", out]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("France - Croatia");
    expect(r.stderr).toContain("CC BY 4.0");
    const events = (await readFile(out, "utf8"))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    for (const e of events) expect(parseEvent(e, new Date("2030-01-01T00:00:00Z")).ok).toBe(true);
    const goals = events.filter((e) => e.type === "goal");
    expect([goals.filter((g) => g.teamId === 1).length, goals.filter((g) => g.teamId === 2).length]).toEqual([4, 2]);
    expect(goals.filter((g) => g.payload.ownGoal).length).toBe(1); // Mandžukić's own goal
    expect(goals.filter((g) => g.payload.penalty).length).toBe(1);
    expect(events.filter((e) => e.type === "substitution").length).toBe(5); // as the metadata lists them (3 + 2)
    expect(events[0].timestamp).toBe("2018-07-15T15:00:00.000Z");
  });

  it("fails with a usage error on a missing file, truncated JSON, or a match absent from --matches", async () => {
    expect((await run(["replay-wyscout", "/nonexistent.json", "--match-id", "x"])).code).toBe(2);
    const dir = await mkdtemp(join(tmpdir(), "wyscout-"));
    const truncated = join(dir, "t.json");
    await writeFile(truncated, '{"events": [{"id": 1, "eventName": "Pa');
    const t = await run(["replay-wyscout", truncated, "--match-id", "x"]);
    expect(t.code).toBe(2);
    expect(t.stderr).toContain("cannot replay");
    expect((await run(["replay-wyscout", FINAL, "--match-id", "x", "--matches", EURO])).code).toBe(2);
    expect((await run(["replay-wyscout", FINAL])).code).toBe(2);
  });
});

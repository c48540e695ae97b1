import { spawnSync } from "node:child_process";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { CS2_MODEL_VERSION, cs2WinProbability } from "../shared/sports/cs2/model";
import { FOOTBALL_MODEL_VERSION, footballPrediction, footballWinProbability } from "../shared/sports/football/model";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const run = (args: string[], input: string) =>
  spawnSync("npx", ["tsx", "dev/predict.ts", ...args], {
    cwd: root,
    input,
    encoding: "utf8",
    timeout: 120_000,
    maxBuffer: 256 * 1024 * 1024,
  });
const lines = (out: string): Record<string, unknown>[] =>
  out
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe("predict CLI", () => {
  it("answers football states line by line, with error lines for bad input", () => {
    const input = [
      JSON.stringify({ id: "a", minute: 57, score: [1, 0], redCards: [0, 0], elo: [1912, 1850], neutral: false }),
      "{not json",
      JSON.stringify({ id: "b", minute: 10, score: [0, 0], elo: [1500, 1600] }), // defaults for redCards/neutral
      "",
      JSON.stringify({ id: "c", minute: 30, score: [0, "1"], elo: [1500, 1600] }),
      JSON.stringify({ minute: 30, score: [0, 1], elo: [1500, 1600] }),
      JSON.stringify({ id: "d", minute: 90, score: [2, 0], elo: [1500, 1600], neutral: true }),
    ].join("\n");
    const r = run(["football"], `${input}\n`);
    expect(r.status).toBe(0);
    const out = lines(r.stdout);
    expect(out).toHaveLength(6);
    expect(out[0]).toEqual({
      id: "a",
      p: footballWinProbability({ minute: 57, score: [1, 0], redCards: [0, 0], elo: [1912, 1850], neutral: false }),
      modelVersion: FOOTBALL_MODEL_VERSION,
    });
    expect(out[1]).toMatchObject({ line: 2 });
    expect(String(out[1]!.error)).toMatch(/invalid JSON/);
    expect(out[2]).toEqual({
      id: "b",
      p: footballWinProbability({ minute: 10, score: [0, 0], redCards: [0, 0], elo: [1500, 1600], neutral: false }),
      modelVersion: FOOTBALL_MODEL_VERSION,
    });
    expect(out[3]).toMatchObject({ line: 5 });
    expect(String(out[3]!.error)).toMatch(/score/);
    expect(out[4]).toMatchObject({ line: 6 });
    expect(String(out[4]!.error)).toMatch(/id/);
    expect(out[5]).toMatchObject({ id: "d", p: [1, 0, 0] });
    const p = out[0]!.p as number[];
    expect(p[0]! + p[1]! + p[2]!).toBeCloseTo(1, 12);
  });

  it("answers knockout football states with advance probabilities (extra time included)", () => {
    const input = [
      JSON.stringify({ id: 1, minute: 60, score: [0, 0], elo: [1700, 1800], neutral: true, knockout: true }),
      JSON.stringify({ id: 2, minute: 105, score: [1, 1], elo: [1700, 1800], neutral: true, knockout: true }),
      JSON.stringify({ id: 3, minute: 60, score: [0, 0], elo: [1700, 1800], knockout: "yes" }),
    ].join("\n");
    const r = run(["football"], input);
    const out = lines(r.stdout);
    const p1 = footballPrediction({
      minute: 60,
      score: [0, 0],
      redCards: [0, 0],
      elo: [1700, 1800],
      neutral: true,
      knockout: true,
    });
    expect(out[0]).toEqual({ id: 1, p: p1.result, advance: p1.advance, modelVersion: FOOTBALL_MODEL_VERSION });
    expect(out[1]).toMatchObject({ id: 2, p: [0, 1, 0] });
    const a = out[1]!.advance as number[];
    expect(a[0]! + a[1]!).toBeCloseTo(1, 12);
    expect(a[1]).toBeGreaterThan(0.5);
    expect(out[2]).toMatchObject({ line: 3 });
    expect(String(out[2]!.error)).toMatch(/knockout/);
  });

  it("answers CS2 states", () => {
    const state = {
      bestOf: 3 as const,
      mapsWon: [1, 0] as [number, number],
      roundScore: [7, 5] as [number, number],
      team1Side: "CT" as const,
      equipmentValue: [22000, 9000] as [number, number],
      alive: [5, 4] as [number, number],
      bomb: "none" as const,
      rating: [1650, 1600] as [number, number],
    };
    const r = run(
      ["cs2"],
      `${JSON.stringify({ id: "x", ...state })}\n${JSON.stringify({ id: "y", ...state, bestOf: 2 })}\n`,
    );
    expect(r.status).toBe(0);
    const out = lines(r.stdout);
    const p = cs2WinProbability(state);
    expect(out[0]).toEqual({
      id: "x",
      p: [p.pMatch, 1 - p.pMatch],
      pRound: p.pRound,
      pMap: p.pMap,
      modelVersion: CS2_MODEL_VERSION,
    });
    expect(out[1]).toMatchObject({ line: 2 });
    expect(String(out[1]!.error)).toMatch(/bestOf/);
  });

  it("exits 2 with usage for an unknown sport", () => {
    const r = run(["tennis"], "");
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/usage/);
    expect(r.stdout).toBe("");
  });

  it("streams a large input", () => {
    const n = 20000;
    const input = Array.from({ length: n }, (_, i) =>
      JSON.stringify({ id: i, minute: i % 91, score: [i % 3, i % 2], elo: [1500 + (i % 400), 1700] }),
    ).join("\n");
    const r = run(["football"], input);
    expect(r.status).toBe(0);
    const out = lines(r.stdout);
    expect(out).toHaveLength(n);
    expect(out[n - 1]!.id).toBe(n - 1);
  });
});

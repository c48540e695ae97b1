import { describe, expect, it } from "vitest";
import { LIVE_SCORE_TTL_MS, liveScore, type RoomsByName } from "./live-score";

/** Rooms that count their calls; `score` per room name, a thrown error for "down". */
function rooms(scores: Record<string, number[] | "down" | null>) {
  const calls: string[] = [];
  const binding: RoomsByName<string> = {
    idFromName: (name) => name,
    get: (name) => ({
      getState: async () => {
        calls.push(name);
        const score = scores[name];
        if (score === "down") throw new Error("room unreachable");
        return score ? { state: { score } } : null;
      },
    }),
  };
  return { env: { MATCH_ROOM: binding }, calls };
}

describe("liveScore", () => {
  it("asks a room once per isolate per LIVE_SCORE_TTL_MS, however many reads", async () => {
    const { env, calls } = rooms({ "t1/m1": [2, 1] });
    const t0 = 1_000_000;
    for (let i = 0; i < 50; i++) expect(await liveScore(env, "t1", "m1", t0 + i)).toEqual({ home: 2, away: 1 });
    expect(calls).toEqual(["t1/m1"]);
    await liveScore(env, "t1", "m1", t0 + LIVE_SCORE_TTL_MS);
    expect(calls).toHaveLength(2);
  });

  it("keeps tenants apart and remembers a room without events or unreachable as no score", async () => {
    const { env, calls } = rooms({ m2: [0, 0], "t2/m2": null, "t3/m2": "down" });
    const t0 = 2_000_000;
    expect(await liveScore(env, "default", "m2", t0)).toEqual({ home: 0, away: 0 });
    expect(await liveScore(env, "t2", "m2", t0)).toBeNull();
    expect(await liveScore(env, "t3", "m2", t0)).toBeNull();
    expect(await liveScore(env, "t3", "m2", t0 + 1)).toBeNull();
    expect(calls).toEqual(["m2", "t2/m2", "t3/m2"]);
  });

  it("holds a bounded number of matches, dropping the oldest", async () => {
    const scores = Object.fromEntries(Array.from({ length: 1_001 }, (_, i) => [`t4/m${i}`, [i, 0]]));
    const { env, calls } = rooms(scores);
    const t0 = 3_000_000;
    for (let i = 0; i <= 1_000; i++) await liveScore(env, "t4", `m${i}`, t0);
    await liveScore(env, "t4", "m1000", t0 + 1); // the newest is still held
    await liveScore(env, "t4", "m0", t0 + 1); // the oldest was dropped
    expect(calls.filter((c) => c === "t4/m1000")).toHaveLength(1);
    expect(calls.filter((c) => c === "t4/m0")).toHaveLength(2);
  });
});

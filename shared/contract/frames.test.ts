import { describe, expect, it } from "vitest";
import { football } from "../sports/football";
import type { MatchEvent } from "../sports/sport";
import { closeCodes, closeReasons, type FootballStateView, type LiveFrame, liveFrameSchema } from "./frames";

describe("live frames", () => {
  it("has the WebSocket close codes and reasons", () => {
    expect(closeCodes).toEqual({ goingAway: 1001, unauthorized: 4001, slowConsumer: 4008 });
    expect(closeReasons[closeCodes.slowConsumer]).toBe("too slow: resume with ?since=");
    // WebSocket close reasons must fit in 123 bytes
    for (const r of Object.values(closeReasons)) expect(new TextEncoder().encode(r).length).toBeLessThanOrEqual(123);
  });

  it("describes the frames a room sends", () => {
    const event: MatchEvent = {
      eventId: "3f2b8c1e-9a4d-4e7b-8c2a-1d5e6f7a8b9c",
      matchId: "m1",
      sport: "football",
      type: "goal",
      timestamp: "2026-03-01T15:00:00Z",
      teamId: 1,
      payload: { minute: 3 },
    };
    const live = football.applyEvent(football.initialState(), event);
    const state: FootballStateView = {
      ...live,
      matchId: "m1",
      sport: "football",
      seq: 1,
      lastSeq: 0,
      eventsApplied: 1,
      gaps: [],
      updatedAt: "2026-03-01T15:00:01.000Z",
    };
    const p = football.winProbability(live, { rating: [1500, 1500], neutral: false });
    const frame: LiveFrame<typeof live> = {
      type: "update",
      seq: 1,
      event,
      state,
      prediction: { ...p, at: state.updatedAt! },
    };
    expect(liveFrameSchema.safeParse(JSON.parse(JSON.stringify(frame))).success).toBe(true);
    const snapshot = { ...frame, type: "snapshot", event: null, prediction: null, resumed: false };
    expect(liveFrameSchema.safeParse(snapshot).success).toBe(true);
    expect(liveFrameSchema.safeParse({ ...frame, type: "delta" }).success).toBe(false);
  });
});

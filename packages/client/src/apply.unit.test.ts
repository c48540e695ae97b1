import { describe, expect, it } from "vitest";
import { event, snapshot, update } from "../test/frames";
import { applyFrame, frameEvents, isServerFrame } from "./apply";

describe("applyFrame", () => {
  it("a snapshot always replaces the state, flagged as the server flagged it", () => {
    expect(applyFrame(null, snapshot(4))).toEqual({ kind: "snapshot", seq: 4, resumed: undefined });
    // Resuming from 900 got a fresh start at 3: the state is replaced even though its seq is lower.
    expect(applyFrame(900, snapshot(3, false))).toEqual({ kind: "snapshot", seq: 3, resumed: false });
  });

  it("an update after the last seq delivers its event", () => {
    expect(applyFrame(4, update(5))).toEqual({ kind: "update", seq: 5, events: [event(5)] });
  });

  it("a batched frame delivers its events in order, only those after the last seq", () => {
    expect(applyFrame(4, update(5, 8))).toEqual({ kind: "update", seq: 8, events: [5, 6, 7, 8].map(event) });
    // Overlapping a frame already applied (e.g. a resume racing a live frame): 7 and 8 only.
    expect(applyFrame(6, update(5, 8))).toEqual({ kind: "update", seq: 8, events: [event(7), event(8)] });
  });

  it("a frame at or below the last seq is a repeat: nothing is delivered twice", () => {
    expect(applyFrame(8, update(8))).toEqual({ kind: "repeat" });
    expect(applyFrame(8, update(5, 7))).toEqual({ kind: "repeat" });
  });

  it("a frame that starts after a missing update is a gap (resume), not a skip", () => {
    expect(applyFrame(4, update(6))).toEqual({ kind: "gap", lastSeq: 4, firstSeq: 6 });
    expect(applyFrame(4, update(7, 9))).toEqual({ kind: "gap", lastSeq: 4, firstSeq: 7 });
  });

  it("without a base, the first update is taken whole", () => {
    expect(applyFrame(null, update(3, 4))).toEqual({ kind: "update", seq: 4, events: [event(3), event(4)] });
  });

  it("numbers a frame's events back from its seq", () => {
    expect(frameEvents(update(10, 12)).map((e) => e.seq)).toEqual([10, 11, 12]);
    expect(frameEvents(snapshot(3))).toEqual([]);
  });
});

describe("isServerFrame", () => {
  it("accepts frames and rejects other JSON", () => {
    expect(isServerFrame(update(1))).toBe(true);
    expect(isServerFrame(snapshot(0))).toBe(true);
    expect(isServerFrame({ ...update(2), type: "correction" })).toBe(true);
    for (const value of [
      null,
      "pong",
      3,
      { type: "update" },
      { type: "hello", seq: 1, state: {} },
      { type: "update", seq: 1.5, state: {} },
    ])
      expect(isServerFrame(value)).toBe(false);
  });
});

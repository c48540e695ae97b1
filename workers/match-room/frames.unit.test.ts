// The broadcast helpers, pure: update and snapshot frames, coalescing, and the slow-client rule.
import { describe, expect, it } from "vitest";
import { eventsOf, serverFrameSchema } from "../../shared/contract/live-protocol";
import { football } from "../../shared/sports/football";
import { seqPass } from "../../shared/testing/events";
import { MAX_UNACKED, tooFarBehind } from "./broadcast";
import { coalesce, MAX_FRAME_EVENTS, snapshotFrame, updateFrame } from "./frames";
import { DEFAULT_STRENGTH, newRecord, type RoomRecord } from "./record";

const recordAt = (seq: number): RoomRecord => ({
  ...newRecord("m", football, DEFAULT_STRENGTH),
  seq,
  eventsApplied: seq,
});
const wire = (f: unknown) => serverFrameSchema.parse(JSON.parse(JSON.stringify(f)));

describe("frames", () => {
  it("an update of one event has no batch fields; of several, fromSeq and every event", () => {
    const [a, b] = [seqPass("m", 1), seqPass("m", 2)];
    const one = wire(updateFrame(recordAt(1), [a], 1));
    expect(one).not.toHaveProperty("events");
    expect(one).toMatchObject({ v: 1, type: "update", seq: 1, event: a });
    const two = wire(updateFrame(recordAt(2), [a, b], 1));
    expect(two).toMatchObject({ seq: 2, fromSeq: 1, event: b });
    expect(eventsOf(two)).toEqual([a, b]);
    expect(() => updateFrame(recordAt(0), [], 1)).toThrow();
  });

  it("snapshots carry resumed:false only when asked", () => {
    expect(wire(snapshotFrame(recordAt(3)))).not.toHaveProperty("resumed");
    expect(wire(snapshotFrame(recordAt(3), false))).toMatchObject({ type: "snapshot", seq: 3, resumed: false });
  });

  it("coalesces consecutive updates into one frame with the last state and every event in order", () => {
    const events = [1, 2, 3, 4].map((s) => seqPass("m", s));
    const frames = [
      updateFrame(recordAt(1), [events[0]!], 1),
      updateFrame(recordAt(3), [events[1]!, events[2]!], 2),
      updateFrame(recordAt(4), [events[3]!], 4),
    ];
    const out = coalesce(frames);
    expect(out).toHaveLength(1);
    expect(wire(out[0])).toMatchObject({ seq: 4, fromSeq: 1, state: { eventsApplied: 4 } });
    expect(eventsOf(wire(out[0]))).toEqual(events);
    expect(coalesce([frames[0]!])).toEqual([frames[0]]);
    expect(coalesce([])).toEqual([]);
  });

  it("never coalesces beyond MAX_FRAME_EVENTS events in one frame", () => {
    const frames = Array.from({ length: MAX_FRAME_EVENTS + 10 }, (_, i) =>
      updateFrame(recordAt(i + 1), [seqPass("m", i + 1)], i + 1),
    );
    const out = coalesce(frames);
    expect(out.map((f) => eventsOf(f).length)).toEqual([MAX_FRAME_EVENTS, 10]);
    expect(out.map((f) => f.seq)).toEqual([MAX_FRAME_EVENTS, MAX_FRAME_EVENTS + 10]);
  });

  it("judges only acknowledging clients, and only beyond the history's depth", () => {
    expect(tooFarBehind(null, 1_000_000)).toBe(false);
    expect(tooFarBehind(10, 10 + MAX_UNACKED)).toBe(false);
    expect(tooFarBehind(10, 11 + MAX_UNACKED)).toBe(true);
  });
});

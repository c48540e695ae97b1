// The room's fold, pure: what one delivery does to the record, the rows to persist and the frames.
import { describe, expect, it } from "vitest";
import { serverFrameSchema } from "../../shared/contract/live-protocol";
import { football } from "../../shared/sports/football";
import { seqPass } from "../../shared/testing/events";
import { foldDelivery } from "./fold";
import { MAX_FRAME_EVENTS } from "./frames";
import { DEFAULT_STRENGTH, newRecord } from "./record";
import { MAX_SEQ_AHEAD, planDelivery } from "./sequencer";

const NOW = Date.parse("2026-03-01T15:00:00Z");

describe("foldDelivery", () => {
  it("applies the plan in order, counts, predicts per event, and leaves the input record as it was", () => {
    const record = newRecord("m", football, DEFAULT_STRENGTH);
    const before = structuredClone(record);
    const goal = { ...seqPass("m", 2), type: "goal" };
    const plan = planDelivery(record.sequencing, [seqPass("m", 1), goal, seqPass("m", 3)], [], false);
    const { record: next, rows, frames } = foldDelivery(record, football, plan, new Set([goal.eventId]), NOW);
    expect(record).toEqual(before);
    expect(next).toMatchObject({ seq: 3, lastSeq: 3, eventsApplied: 3, lateEvents: 0, seqErrors: 0 });
    expect(next.sportState.score).toEqual([1, 0]);
    expect(next.sequencing.nextSeq).toBe(4);
    expect(rows.map((r) => [r.updateSeq, r.wasHeld])).toEqual([
      [1, false],
      [2, true],
      [3, false],
    ]);
    expect(rows[1]!.prediction).toMatchObject({ seq: 2, eventType: "goal", pDraw: expect.any(Number) });
    expect(next.prediction?.at).toBe(new Date(NOW).toISOString());
    expect(frames).toHaveLength(1);
    expect(serverFrameSchema.parse(JSON.parse(JSON.stringify(frames[0])))).toMatchObject({ seq: 3, fromSeq: 1 });
  });

  it("splits a large delivery into frames of at most MAX_FRAME_EVENTS events, each with its own state", () => {
    const record = newRecord("m", football, DEFAULT_STRENGTH);
    const events = Array.from({ length: 2 * MAX_FRAME_EVENTS + 5 }, (_, i) => seqPass("m", i + 1));
    const plan = planDelivery(record.sequencing, events, [], false);
    const { frames } = foldDelivery(record, football, plan, new Set(), NOW);
    expect(frames.map((f) => ("events" in f ? f.events.length : 1))).toEqual([MAX_FRAME_EVENTS, MAX_FRAME_EVENTS, 5]);
    expect(frames.map((f) => ["fromSeq" in f ? f.fromSeq : f.seq, f.seq, f.state.eventsApplied])).toEqual([
      [1, MAX_FRAME_EVENTS, MAX_FRAME_EVENTS],
      [MAX_FRAME_EVENTS + 1, 2 * MAX_FRAME_EVENTS, 2 * MAX_FRAME_EVENTS],
      [2 * MAX_FRAME_EVENTS + 1, 2 * MAX_FRAME_EVENTS + 5, 2 * MAX_FRAME_EVENTS + 5],
    ]);
  });

  it("counts a wild seq as a source error without moving lastSeq or the cursor", () => {
    const record = newRecord("m", football, DEFAULT_STRENGTH);
    const wild = seqPass("m", 4_000_000_000);
    const plan = planDelivery(record.sequencing, [seqPass("m", 1), wild, seqPass("m", 2)], [], false);
    const { record: next } = foldDelivery(record, football, plan, new Set(), NOW);
    expect(next).toMatchObject({ eventsApplied: 3, lastSeq: 2, seqErrors: 1, sequencing: { nextSeq: 3, gaps: [] } });
    expect(MAX_SEQ_AHEAD).toBe(10_000);
  });

  it("an empty plan changes nothing and announces nothing", () => {
    const record = newRecord("m", football, DEFAULT_STRENGTH);
    const {
      record: next,
      rows,
      frames,
    } = foldDelivery(record, football, planDelivery(record.sequencing, [], [], true), new Set(), NOW);
    expect(next).toEqual(record);
    expect(rows).toEqual([]);
    expect(frames).toEqual([]);
  });
});

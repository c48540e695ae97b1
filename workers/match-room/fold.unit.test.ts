// The room's fold, pure: what one delivery does to the record, the rows to persist and the frames.
import { describe, expect, it } from "vitest";
import { serverFrameSchema } from "../../shared/contract/live-protocol";
import { seededRng } from "../../shared/random";
import type { FootballState } from "../../shared/sports/football";
import { football } from "../../shared/sports/football";
import type { MatchEvent } from "../../shared/sports/sport";
import { footballEvent, seqPass, testEventId } from "../../shared/testing/events";
import { foldDelivery } from "./fold";
import { MAX_FRAME_EVENTS, type RoomFrame } from "./frames";
import { insertEntry, type LogEntry } from "./log";
import { DEFAULT_STRENGTH, newRecord } from "./record";
import { MAX_SEQ_AHEAD, planDelivery } from "./sequencer";

const NOW = Date.parse("2026-03-01T15:00:00Z");
const noLog = () => [];

describe("foldDelivery", () => {
  it("applies the plan in order, counts, predicts per event, and leaves the input record as it was", () => {
    const record = newRecord("m", football, DEFAULT_STRENGTH);
    const before = structuredClone(record);
    const goal = { ...seqPass("m", 2), type: "goal" };
    const plan = planDelivery(record.sequencing, [seqPass("m", 1), goal, seqPass("m", 3)], [], false);
    const { record: next, rows, frames } = foldDelivery(record, football, plan, new Set([goal.eventId]), NOW, noLog);
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
    const { frames } = foldDelivery(record, football, plan, new Set(), NOW, noLog);
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
    const { record: next } = foldDelivery(record, football, plan, new Set(), NOW, noLog);
    expect(next).toMatchObject({ eventsApplied: 3, lastSeq: 2, seqErrors: 1, sequencing: { nextSeq: 3, gaps: [] } });
    expect(MAX_SEQ_AHEAD).toBe(10_000);
  });

  it("an empty plan changes nothing and announces nothing", () => {
    const record = newRecord("m", football, DEFAULT_STRENGTH);
    const {
      record: next,
      rows,
      frames,
    } = foldDelivery(record, football, planDelivery(record.sequencing, [], [], true), new Set(), NOW, noLog);
    expect(next).toEqual(record);
    expect(rows).toEqual([]);
    expect(frames).toEqual([]);
  });
});

/** The log as the store keeps it, for folds over several deliveries. */
function logStore() {
  let stored: LogEntry[] = [];
  return {
    load: () => stored.map((e) => ({ ...e })),
    write(entries: LogEntry[]) {
      for (const e of entries) stored = insertEntry(stored, e);
    },
  };
}

/** A room fed deliveries through the sequencer and the fold, as the Durable Object does (held events released at once). */
function room() {
  let record = newRecord("m", football, DEFAULT_STRENGTH);
  let held: MatchEvent[] = [];
  const log = logStore();
  const frames: RoomFrame[] = [];
  return {
    deliver(events: MatchEvent[], releaseAll = false) {
      const plan = planDelivery(record.sequencing, events, held, releaseAll);
      const folded = foldDelivery(record, football, plan, new Set(held.map((e) => e.eventId)), NOW, log.load);
      log.write(folded.logAppends);
      held = plan.hold;
      record = folded.record;
      frames.push(...folded.frames);
      return folded;
    },
    get record() {
      return record;
    },
    frames,
  };
}

const goal = (seq: number, teamId: 1 | 2, minute: number) =>
  footballEvent("m", "goal", { eventId: testEventId(), seq, teamId, payload: { minute } });
const retract = (seq: number, target: MatchEvent, reason = "var_no_goal") =>
  footballEvent("m", "retract", { eventId: testEventId(), seq, payload: { targetEventId: target.eventId, reason } });
const amend = (seq: number, target: MatchEvent, changes: Record<string, unknown>) =>
  footballEvent("m", "amend", { eventId: testEventId(), seq, payload: { targetEventId: target.eventId, changes } });

describe("foldDelivery with corrections", () => {
  it("a retracted goal comes off the score, announced by a correction frame after the updates before it", () => {
    const r = room();
    const g = goal(2, 1, 30);
    r.deliver([seqPass("m", 1), g, goal(3, 2, 40)]);
    const folded = r.deliver([seqPass("m", 4), retract(5, g), seqPass("m", 6)]);
    expect(r.record.sportState.score).toEqual([0, 1]);
    expect(folded.frames.map((f) => [f.type, f.seq])).toEqual([
      ["update", 4],
      ["correction", 5],
      ["update", 6],
    ]);
    const correction = serverFrameSchema.parse(JSON.parse(JSON.stringify(folded.frames[1])));
    expect(correction).toMatchObject({
      type: "correction",
      correction: { kind: "retract", targetEventId: g.eventId, reason: "var_no_goal" },
      state: { score: [0, 1] },
    });
    expect(folded.frames[0]!.state.score).toEqual([1, 1]);
    expect(folded.rows.map((row) => row.prediction.eventType)).toEqual(["pass", "retract", "pass"]);
  });

  it("an amendment re-credits a goal; a second amendment builds on the first", () => {
    const r = room();
    const g = goal(1, 1, 30);
    r.deliver([g]);
    r.deliver([amend(2, g, { teamId: 2 })]);
    expect(r.record.sportState.score).toEqual([0, 1]);
    r.deliver([amend(3, g, { payload: { minute: 35 } })]);
    expect(r.record.sportState).toMatchObject({ score: [0, 1], minute: 35 });
  });

  it("ignores corrections of unknown events, retracted ones, and amendments the target's type rejects", () => {
    const r = room();
    const g = goal(1, 1, 30);
    r.deliver([g]);
    const ghost = goal(99, 2, 1);
    const f1 = r.deliver([retract(2, ghost), amend(3, g, { payload: { minute: 500 } })]);
    expect(f1.ignored.map((i) => i.why)).toEqual([
      "target event not applied (yet)",
      "amended payload is invalid for the target's type",
    ]);
    r.deliver([retract(4, g)]);
    const f2 = r.deliver([retract(5, g)]);
    expect(f2.ignored.map((i) => i.why)).toEqual(["target already retracted"]);
    expect(r.record.sportState.score).toEqual([0, 0]);
    expect(r.record.eventsApplied).toBe(5);
  });

  it("a correction that arrives before its target (no seqs) takes effect when the target arrives", () => {
    const r = room();
    const g = footballEvent("m", "goal", { eventId: testEventId(), teamId: 1, payload: { minute: 10 } });
    const early = r.deliver([
      footballEvent("m", "retract", { eventId: testEventId(), payload: { targetEventId: g.eventId, reason: "x" } }),
    ]);
    expect(early.ignored.map((i) => i.why)).toEqual(["target event not applied (yet)"]);
    expect(r.record.log.pendingTargets).toEqual([g.eventId]);
    r.deliver([g]);
    expect(r.record.sportState.score).toEqual([0, 0]);
    expect(r.record.log.pendingTargets).toEqual([]);
  });

  it("a late event takes its place in source order: the state is that of in-order delivery", () => {
    const events = [1, 2, 3, 4].map((s) => seqPass("m", s, s % 2 ? 1 : 2));
    const inOrder = room();
    inOrder.deliver(events);
    const late = room();
    late.deliver([events[0]!, events[2]!, events[3]!]);
    late.deliver([], true); // the hold passes: seq 2 becomes a gap
    late.deliver([events[1]!]);
    expect(late.record.sequencing.gaps).toEqual([]);
    expect(late.record.lateEvents).toBe(1);
    expect(late.record.sportState).toEqual(inOrder.record.sportState);
  });

  it("any interleaving of late events, duplicates, retractions and amendments ends in the corrected feed's state", () => {
    for (let seed = 1; seed <= 25; seed++) {
      const rng = seededRng("fold-corrections", seed);
      const rand = () => rng.next();
      const feed: MatchEvent[] = [];
      const goals: MatchEvent[] = [];
      for (let seq = 1; seq <= 60; seq++) {
        const roll = rand();
        if (roll < 0.2) {
          const g = goal(seq, rand() < 0.5 ? 1 : 2, seq);
          goals.push(g);
          feed.push(g);
        } else if (roll < 0.3 && goals.length > 0) {
          const target = goals[Math.floor(rand() * goals.length)]!;
          feed.push(rand() < 0.5 ? retract(seq, target) : amend(seq, target, { teamId: target.teamId === 1 ? 2 : 1 }));
        } else feed.push(seqPass("m", seq, rand() < 0.5 ? 1 : 2));
      }
      const inOrder = room();
      inOrder.deliver(feed);
      const shuffled = room();
      const mixed = [...feed, ...feed.slice(10, 20)].sort(() => rand() - 0.5);
      const seen = new Set<string>();
      for (let i = 0; i < mixed.length; i += 7) {
        const fresh = mixed.slice(i, i + 7).filter((e) => !seen.has(e.eventId) && seen.add(e.eventId));
        shuffled.deliver(fresh, rand() < 0.3);
      }
      shuffled.deliver([], true);
      const { lastEvents: _a, ...expected } = inOrder.record.sportState as FootballState;
      const { lastEvents: _b, ...actual } = shuffled.record.sportState as FootballState;
      expect(actual, `seed ${seed}`).toEqual(expected);
    }
  });
});

import { describe, expect, it } from "vitest";
import type { MatchEvent } from "../../shared/sports/sport";
import { initialSequencing, MAX_GAPS, MAX_SEQ_AHEAD, planDelivery, removeFromGaps } from "./sequencer";

const ev = (seq?: number, id = `e${seq ?? Math.random()}`): MatchEvent => ({
  eventId: id,
  matchId: "m1",
  sport: "football",
  type: "pass",
  timestamp: "2026-01-01T00:00:00Z",
  ...(seq === undefined ? {} : { seq }),
});
const seqs = (d: ReturnType<typeof planDelivery>) => d.apply.map((a) => a.event.seq);

describe("planDelivery", () => {
  it("applies in-order events at once", () => {
    const d = planDelivery(initialSequencing(), [ev(1), ev(2), ev(3)], [], false);
    expect(seqs(d)).toEqual([1, 2, 3]);
    expect(d.hold).toEqual([]);
    expect(d.sequencing).toEqual({ nextSeq: 4, gaps: [] });
  });

  it("holds events ahead of a gap and drains them when it fills", () => {
    const first = planDelivery(initialSequencing(), [ev(3), ev(2)], [], false);
    expect(first.apply).toEqual([]);
    expect(first.hold.map((e) => e.seq).sort()).toEqual([2, 3]);
    const second = planDelivery(first.sequencing, [ev(1)], first.hold, false);
    expect(seqs(second)).toEqual([1, 2, 3]);
    expect(second.hold).toEqual([]);
  });

  it("applies events without seq in arrival order", () => {
    const d = planDelivery(initialSequencing(), [ev(undefined, "a"), ev(2), ev(undefined, "b")], [], false);
    expect(d.apply.map((a) => a.event.eventId)).toEqual(["a", "b"]);
    expect(d.hold.map((e) => e.seq)).toEqual([2]);
  });

  it("on release records the gap, and a late event fills it once without replay", () => {
    const held = planDelivery(initialSequencing(), [ev(1), ev(4), ev(5)], [], false);
    expect(seqs(held)).toEqual([1]);
    const released = planDelivery(held.sequencing, [], held.hold, true);
    expect(seqs(released)).toEqual([4, 5]);
    expect(released.sequencing).toEqual({ nextSeq: 6, gaps: [{ from: 2, to: 3 }] });
    const late = planDelivery(released.sequencing, [ev(3)], [], false);
    expect(late.apply).toEqual([{ event: expect.objectContaining({ seq: 3 }), late: true }]);
    expect(late.sequencing.gaps).toEqual([{ from: 2, to: 2 }]);
  });

  it("gives the same order for any arrival order once released", () => {
    const events = Array.from({ length: 30 }, (_, i) => ev(i + 1));
    const shuffled = [...events].sort(() => Math.random() - 0.5);
    let state = initialSequencing();
    let hold: MatchEvent[] = [];
    const applied: number[] = [];
    for (let i = 0; i < shuffled.length; i += 7) {
      const d = planDelivery(state, shuffled.slice(i, i + 7), hold, false);
      applied.push(...d.apply.map((a) => a.event.seq!));
      state = d.sequencing;
      hold = d.hold;
    }
    expect(applied).toEqual(events.map((e) => e.seq));
    expect(state.gaps).toEqual([]);
  });
});

describe("removeFromGaps", () => {
  it("splits a range around the filled seq", () => {
    expect(removeFromGaps([{ from: 2, to: 6 }], 4)).toEqual([
      { from: 2, to: 3 },
      { from: 5, to: 6 },
    ]);
    expect(removeFromGaps([{ from: 2, to: 2 }], 2)).toEqual([]);
  });
});

describe("planDelivery with wild seqs (a source error)", () => {
  it("applies a seq far ahead of the cursor at once, without moving the cursor, and keeps ordering later events", () => {
    // After seq 1 the cursor is at 2: anything more than MAX_SEQ_AHEAD beyond it is wild.
    const wildSeq = 2 + MAX_SEQ_AHEAD + 1;
    const first = planDelivery(initialSequencing(), [ev(1), ev(wildSeq), ev(3)], [], false);
    expect(first.apply.map((a) => [a.event.seq, a.wild ?? false])).toEqual([
      [1, false],
      [wildSeq, true],
    ]);
    expect(first.sequencing).toEqual({ nextSeq: 2, gaps: [] });
    expect(first.hold.map((e) => e.seq)).toEqual([3]);
    const second = planDelivery(first.sequencing, [ev(2)], first.hold, false);
    expect(seqs(second)).toEqual([2, 3]);
    expect(second.apply.every((a) => !a.late)).toBe(true);
  });

  it("a seq just within the bound is still held as a gap", () => {
    const d = planDelivery(initialSequencing(), [ev(1 + MAX_SEQ_AHEAD)], [], false);
    expect(d.apply).toEqual([]);
    expect(d.hold).toHaveLength(1);
  });

  it("keeps at most MAX_GAPS gap ranges, counting the ones it forgets", () => {
    const events = Array.from({ length: MAX_GAPS + 50 }, (_, i) => ev(2 * i + 2));
    const d = planDelivery(initialSequencing(), events, [], true);
    expect(d.sequencing.gaps).toHaveLength(MAX_GAPS);
    expect(d.sequencing.forgottenGaps).toBe(50);
    expect(d.sequencing.gaps.at(-1)).toEqual({ from: 2 * (MAX_GAPS + 50) - 1, to: 2 * (MAX_GAPS + 50) - 1 });
  });
});

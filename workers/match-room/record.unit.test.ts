// The persisted record: versioned, upcast on load, and shown with a bounded summary of its gaps.
import { describe, expect, it } from "vitest";
import { GAPS_IN_VIEW } from "../../shared/contract/live-protocol";
import { sportOf } from "../../shared/sports";
import { football } from "../../shared/sports/football";
import { DEFAULT_STRENGTH, newRecord, RECORD_VERSION, stateView, upcastRecord } from "./record";
import { versionOneRecord } from "./record-v1.fixture";

describe("room record", () => {
  it("upcasts a version-1 record: live becomes sportState, fields added since start at their initial value", () => {
    const r = upcastRecord(JSON.parse(JSON.stringify(versionOneRecord)), sportOf);
    expect(r).toMatchObject({ version: RECORD_VERSION, matchId: "old-1", seq: 2, seqErrors: 0 });
    expect(r?.sportState).toEqual({ ...football.initialState(), status: "live", period: 1, minute: 12, score: [1, 0] });
    expect(r?.strength).toEqual({ rating: [1600, 1500], neutral: true });
    expect(r).not.toHaveProperty("live");
  });

  it("reads a current record back unchanged, and refuses what is not a record of a known sport", () => {
    const current = { ...newRecord("m", football, DEFAULT_STRENGTH), seq: 4 };
    expect(upcastRecord(JSON.parse(JSON.stringify(current)), sportOf)).toEqual(current);
    expect(upcastRecord({ ...versionOneRecord, sport: "tennis" }, sportOf)).toBeNull();
    expect(upcastRecord("nope", sportOf)).toBeNull();
  });

  it("a state with thousands of gaps shows the oldest few and counts the rest", () => {
    const gaps = Array.from({ length: 5_000 }, (_, i) => ({ from: 2 * i + 1, to: 2 * i + 1 }));
    const record = { ...newRecord("m", football, DEFAULT_STRENGTH), sequencing: { nextSeq: 10_001, gaps } };
    const view = stateView(record);
    expect(view.gaps).toEqual(gaps.slice(0, GAPS_IN_VIEW));
    expect(view).toMatchObject({ gapCount: 5_000, missingSeqs: 5_000 });
    expect(JSON.stringify(view).length).toBeLessThan(3_000);
    expect(stateView(newRecord("m", football, DEFAULT_STRENGTH))).not.toHaveProperty("gapCount");
  });
});

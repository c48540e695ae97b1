import { describe, expect, it } from "vitest";
import { classify, type RelayPolicy, relayIndex, relayTarget, replayFrom } from "./plan";

const p: RelayPolicy = { threshold: 100, perRelay: 50, maxRelays: 8 };

describe("relay plan", () => {
  it("promotes at the threshold, grows per relay's worth, is capped", () => {
    expect(relayTarget(99, 0, p)).toBe(0);
    expect(relayTarget(100, 0, p)).toBe(2);
    expect(relayTarget(260, 2, p)).toBe(6);
    expect(relayTarget(100_000, 6, p)).toBe(8);
  });

  it("retires with hysteresis: no flapping at a boundary, all gone under half the threshold", () => {
    expect(relayTarget(240, 6, p)).toBe(6); // 240 > 5 * 50 * 0.75
    expect(relayTarget(150, 6, p)).toBe(3);
    expect(relayTarget(60, 3, p)).toBe(2);
    expect(relayTarget(49, 2, p)).toBe(0);
  });

  it("spreads connections evenly over the relays", () => {
    const counts = new Array(4).fill(0);
    for (let i = 0; i < 4_000; i++) counts[relayIndex(crypto.randomUUID(), 4)]++;
    for (const c of counts) expect(c).toBeGreaterThan(850);
  });

  it("classifies frames after the last seq: repeat, next, gap", () => {
    expect(classify(null, { fromSeq: 7, seq: 9 })).toBe("next");
    expect(classify(9, { fromSeq: 8, seq: 9 })).toBe("repeat");
    expect(classify(9, { fromSeq: 10, seq: 12 })).toBe("next");
    expect(classify(9, { fromSeq: 11, seq: 12 })).toBe("gap");
  });

  it("replays from its buffer only when the buffer reaches back to since + 1", () => {
    const buffer = [
      { fromSeq: 3, seq: 5, text: "a" },
      { fromSeq: 6, seq: 6, text: "b" },
      { fromSeq: 7, seq: 9, text: "c" },
    ];
    expect(replayFrom(buffer, 5)?.map((f) => f.text)).toEqual(["b", "c"]);
    expect(replayFrom(buffer, 2)?.map((f) => f.text)).toEqual(["a", "b", "c"]);
    expect(replayFrom(buffer, 1)).toBeNull();
    expect(replayFrom(buffer, 4)).toBeNull(); // inside a batch: the room builds the frame
    expect(replayFrom(buffer, 9)).toBeNull();
  });
});

import { describe, expect, it } from "vitest";
import { seededRng } from "../../../shared/random";
import { backoffCeiling, defaultBackoff, reconnectDelay } from "./backoff";

describe("reconnectDelay", () => {
  it("the ceiling grows by the factor per attempt and stops at the cap", () => {
    const b = { minMs: 1_000, maxMs: 10_000, factor: 2, jitter: 1 };
    expect([0, 1, 2, 3, 4, 10].map((a) => backoffCeiling(a, b))).toEqual([1_000, 2_000, 4_000, 8_000, 10_000, 10_000]);
  });

  it("full jitter: the delay is anywhere in (0, ceiling]; no jitter: exactly the ceiling", () => {
    const b = { minMs: 1_000, maxMs: 10_000, factor: 2, jitter: 1 };
    expect(reconnectDelay(2, b, () => 0)).toBe(4_000);
    expect(reconnectDelay(2, b, () => 0.999)).toBeCloseTo(4, 0);
    expect(reconnectDelay(2, { ...b, jitter: 0 }, () => 0.7)).toBe(4_000);
    expect(reconnectDelay(2, { ...b, jitter: 0.5 }, () => 0.5)).toBe(3_000);
  });

  it("a deploy that drops 1,000 sockets: their first reconnects spread evenly over the first window", () => {
    const rng = seededRng("backoff-spread");
    const delays = Array.from({ length: 1_000 }, () => reconnectDelay(0, defaultBackoff, () => rng.next()));
    const window = defaultBackoff.minMs;
    expect(Math.max(...delays)).toBeLessThanOrEqual(window);
    expect(window).toBeGreaterThanOrEqual(2_000);
    // No second of the window takes more than its share (plus sampling noise).
    const perSecond = new Map<number, number>();
    for (const d of delays) perSecond.set(Math.floor(d / 1_000), (perSecond.get(Math.floor(d / 1_000)) ?? 0) + 1);
    for (const count of perSecond.values()) expect(count).toBeLessThan((1_000 * 1_000) / window + 60);
    // Ten equal slices each hold 10% ± 3%: uniform, not clumped at either end.
    const slices = Array.from({ length: 10 }, () => 0);
    for (const d of delays) slices[Math.min(9, Math.floor((d / window) * 10))]!++;
    for (const count of slices) {
      expect(count).toBeGreaterThan(70);
      expect(count).toBeLessThan(130);
    }
  });

  it("later attempts spread over their own, wider windows, never past the cap", () => {
    const rng = seededRng("backoff-cap");
    const delays = Array.from({ length: 1_000 }, () => reconnectDelay(20, defaultBackoff, () => rng.next()));
    expect(Math.max(...delays)).toBeLessThanOrEqual(defaultBackoff.maxMs);
    expect(delays.filter((d) => d > defaultBackoff.maxMs / 2).length).toBeGreaterThan(400);
  });
});

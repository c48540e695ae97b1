import { describe, expect, it } from "vitest";
import { counter, histogram, MAX_SERIES_PER_METRIC, oneOf, renderMetrics } from "./metrics";

describe("metric series stay bounded", () => {
  it("collapse label sets beyond the cap into one 'other' series", () => {
    const c = counter("test_bounded_total", "test");
    const h = histogram("test_bounded_seconds", "test", [1]);
    for (let i = 0; i < MAX_SERIES_PER_METRIC + 500; i++) {
      c.inc({ field: `f${i}` });
      h.observe(0.5, { field: `f${i}` });
    }
    const lines = renderMetrics().split("\n");
    expect(lines.filter((l) => l.startsWith("test_bounded_total{"))).toHaveLength(MAX_SERIES_PER_METRIC + 1);
    expect(lines).toContain('test_bounded_total{field="other"} 500');
    expect(lines.filter((l) => l.startsWith("test_bounded_seconds_count{"))).toHaveLength(MAX_SERIES_PER_METRIC + 1);
  });

  it("oneOf keeps known values and names the rest 'other'", () => {
    expect(oneOf("GET", new Set(["GET"]))).toBe("GET");
    expect(oneOf("PROPFIND", ["GET", "POST"])).toBe("other");
  });
});

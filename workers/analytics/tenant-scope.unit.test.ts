// Every analytics read is within one tenant: the raw tables are named only in corrected-events.ts, whose
// scopedQuery binds the tenant; every other module builds its SQL from the tenant's sources.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { scopedQuery } from "./corrected-events";
import { cs2RoundsQuery } from "./cs2-rounds";
import { matchActivityQuery } from "./match-activity";
import { matchMetricsQuery } from "./match-metrics";
import { predictionSeriesQuery } from "./prediction-series";
import { timelineQuery } from "./timeline";

const folder = join(import.meta.dirname);
const TABLES = /\b(FROM|JOIN)\s+(events|predictions|events_per_match|latest_predictions|dead_letters)\b/i;

/** The code without its line comments (which may well say "from events"). */
const withoutComments = (text: string) =>
  text
    .split("\n")
    .filter((line) => !/^\s*(\/\/|\*|\/\*)/.test(line))
    .join("\n");

describe("analytics tenant scope", () => {
  it("names the raw tables only in corrected-events.ts", () => {
    const offenders = readdirSync(folder)
      .filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts") && f !== "corrected-events.ts")
      .filter((f) => TABLES.test(withoutComments(readFileSync(join(folder, f), "utf8"))));
    expect(offenders).toEqual([]);
  });

  it("binds the tenant in every query, and every table read filters on it", () => {
    const window = { fromMs: 0, toMs: 1, afterSeq: 0, limit: 10 };
    for (const q of [
      matchMetricsQuery("t1", "m"),
      timelineQuery("t1", "m", "1m"),
      cs2RoundsQuery("t1", "m"),
      predictionSeriesQuery("t1", "m", window),
      matchActivityQuery("t1", ["m"]),
    ]) {
      expect(q.params.tenantId).toBe("t1");
      const reads = q.query.match(/\bFROM\s+(events|predictions|events_per_match|latest_predictions)\b[^)]*/gi) ?? [];
      expect(reads.length).toBeGreaterThan(0);
      for (const read of reads) expect(read).toContain("tenant_id = {tenantId:String}");
    }
  });

  it("takes only event type names into the text of a typed read", () => {
    expect(scopedQuery("t1", (f) => f.correctedEvents(["kill", "round_end"]), {}).query).toContain(
      "events.type IN ('kill', 'round_end')",
    );
    for (const types of [[], ["kill') OR ('1'='1"], ["retract"], ["amend"]])
      expect(() => scopedQuery("t1", (f) => f.correctedEvents(types), {})).toThrow(/not a list of match event types/);
  });

  it("refuses a tenantId passed as a query's own parameter", () => {
    expect(() => scopedQuery("t1", () => "SELECT 1", { tenantId: "t2" })).toThrow(/bound by scopedQuery/);
  });
});

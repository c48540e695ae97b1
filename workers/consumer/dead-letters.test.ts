// The isolating writer on its own: a fake insert that refuses blocks containing a poison row, as
// ClickHouse does, and the consumer's choice of rows to forward.
import { ClickHouseError } from "@clickhouse/client-web";
import { describe, expect, it } from "vitest";
import type { ApplyResult, EventsMessage } from "../queue/messages";
import { acceptedRows } from "./consume-events";
import { fromBase64, storableText, toBase64, writeIsolated } from "./dead-letters";

const refusal = (code: string) => new ClickHouseError({ message: `Code: ${code}. DB::Exception: bad row`, code });

function fakeTable(poison: Set<number>, error: () => Error = () => refusal("27")) {
  const stored: number[] = [];
  let inserts = 0;
  const insert = async (rows: number[]) => {
    inserts++;
    if (rows.some((r) => poison.has(r))) throw error();
    stored.push(...rows);
  };
  return { stored, insert, inserts: () => inserts };
}

describe("writeIsolated", () => {
  it("writes a clean batch with one insert", async () => {
    const t = fakeTable(new Set());
    const out = await writeIsolated([1, 2, 3], t.insert);
    expect(out).toMatchObject({ written: 3, refused: [], inserts: 1 });
  });

  it("isolates one poison row among 1,000 in about 2·log2(n) inserts and writes the rest", async () => {
    const rows = Array.from({ length: 1000 }, (_, i) => i);
    const t = fakeTable(new Set([637]));
    const out = await writeIsolated(rows, t.insert);
    expect(out.written).toBe(999);
    expect(out.refused.map((r) => r.row)).toEqual([637]);
    expect(t.stored.sort((a, b) => a - b)).toEqual(rows.filter((r) => r !== 637));
    expect(out.inserts).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(1000)) + 1);
  });

  it("rethrows a network failure: the rows are not at fault, the batch is retried", async () => {
    const t = fakeTable(new Set([1]), () => new TypeError("fetch failed"));
    await expect(writeIsolated([0, 1, 2], t.insert)).rejects.toThrow("fetch failed");
  });

  it("rethrows when every row is refused for a reason that is not about data (ClickHouse unwell, not the rows)", async () => {
    const t = fakeTable(new Set([0, 1, 2]), () => refusal("241")); // MEMORY_LIMIT_EXCEEDED
    await expect(writeIsolated([0, 1, 2], t.insert)).rejects.toThrow(ClickHouseError);
  });

  it("quarantines a row refused for its data even when it is alone", async () => {
    const t = fakeTable(new Set([5]));
    const out = await writeIsolated([5], t.insert);
    expect(out.refused.map((r) => r.row)).toEqual([5]);
  });
});

describe("dead-letter encoding", () => {
  it("round-trips a row with a lone surrogate through ASCII base64", () => {
    const row = { event_id: "e", player_id: "\ud800x" };
    const b64 = toBase64(row);
    expect(b64).toMatch(/^[A-Za-z0-9+/=]+$/);
    expect(fromBase64(b64)).toEqual(row);
    expect(storableText("a\udc00b")).toBe("a\ufffdb");
  });
});

describe("acceptedRows", () => {
  const message = (matchId: string, ids: string[]): EventsMessage => ({
    kind: "events",
    v: 1,
    matchId,
    requestId: "r",
    acceptedAt: 0,
    events: ids.map((eventId) => ({
      eventId,
      matchId,
      sport: "football",
      type: "pass",
      timestamp: "2026-01-01T00:00:00Z",
    })),
  });
  const ok = (rejectedIds?: string[]): PromiseSettledResult<{ result: Pick<ApplyResult, "rejectedIds"> }> => ({
    status: "fulfilled",
    value: { result: { rejectedIds } },
  });

  it("forwards rows only for matches whose room call succeeded, minus the events the room rejected", () => {
    const byMatch = new Map([
      ["a", [{ body: message("a", ["a1", "a2"]) }]],
      ["b", [{ body: message("b", ["b1"]) }]],
      ["c", [{ body: message("c", ["c1", "c2"]) }]],
    ]);
    const rows = acceptedRows(byMatch, [ok(), { status: "rejected", reason: new Error("room down") }, ok(["c2"])]);
    expect(rows.map((r) => r.event_id)).toEqual(["a1", "a2", "c1"]);
  });
});

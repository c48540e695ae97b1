import { describe, expect, it } from "vitest";
import type { MatchEvent } from "../../shared/sports/sport";
import { MAX_BATCH_BYTES, MAX_BATCH_MESSAGES, MAX_MESSAGE_BYTES, packEvents, toSendBatches } from "./pack";

const event = (matchId: string, i: number, payloadBytes = 20): MatchEvent => ({
  eventId: crypto.randomUUID(),
  matchId,
  sport: "football",
  type: "pass",
  timestamp: "2026-01-01T00:00:00Z",
  seq: i + 1,
  teamId: 1,
  payload: { minute: 1, note: "x".repeat(payloadBytes) },
});
const bytes = (v: unknown) => new TextEncoder().encode(JSON.stringify(v)).byteLength;

describe("packEvents", () => {
  it("groups by match, keeps order, and keeps every message under the size limit", () => {
    const events = Array.from({ length: 1000 }, (_, i) => event(`m${i % 3}`, i, 700));
    const packed = packEvents(events, { requestId: "r", acceptedAt: 1 });
    for (const p of packed) {
      expect(bytes(p.message)).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
      expect(p.bytes).toBeGreaterThanOrEqual(bytes(p.message));
      expect(new Set(p.message.events.map((e) => e.matchId))).toEqual(new Set([p.message.matchId]));
    }
    const m0 = packed.filter((p) => p.message.matchId === "m0").flatMap((p) => p.message.events);
    expect(m0.map((e) => e.seq)).toEqual(events.filter((e) => e.matchId === "m0").map((e) => e.seq));
    expect(packed.reduce((n, p) => n + p.message.events.length, 0)).toBe(1000);
  });
});

describe("toSendBatches", () => {
  it("respects the message count and byte limits of one sendBatch", () => {
    const many = packEvents(
      Array.from({ length: 250 }, (_, i) => event(`m${i}`, i)),
      { requestId: "r", acceptedAt: 1 },
    );
    expect(toSendBatches(many).map((b) => b.length)).toEqual([MAX_BATCH_MESSAGES, MAX_BATCH_MESSAGES, 50]);
    const big = packEvents(
      Array.from({ length: 800 }, (_, i) => event("big", i, 700)),
      { requestId: "r", acceptedAt: 1 },
    );
    for (const batch of toSendBatches(big)) expect(bytes(batch)).toBeLessThanOrEqual(MAX_BATCH_BYTES);
  });

  it("names the tenant in its messages, except the default tenant's (which read as before tenants)", () => {
    const events = [event("m", 0), event("m", 1)];
    const [own] = packEvents(events, { requestId: "r", acceptedAt: 1, tenantId: "acme" });
    expect(own?.message.tenantId).toBe("acme");
    expect(own?.bytes).toBeGreaterThanOrEqual(bytes(own?.message));
    const [legacy] = packEvents(events, { requestId: "r", acceptedAt: 1, tenantId: "default" });
    expect(legacy && "tenantId" in legacy.message).toBe(false);
    expect(legacy?.message).toEqual(packEvents(events, { requestId: "r", acceptedAt: 1 })[0]?.message);
  });
});

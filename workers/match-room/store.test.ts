// RoomStore against a real Durable Object's SQLite: the multi-row writes keep the bound-parameter limit
// and write what one statement per event would, and the in-memory mirrors (outbox, held count) agree
// with SQLite, also after they are dropped.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { MatchEvent } from "../../shared/sports/sport";
import type { AppliedRow } from "./fold";
import type { PublishedPrediction } from "./rpc";
import { HISTORY_LIMIT, RoomStore } from "./store";

const ev = (i: number, seq?: number): MatchEvent => ({
  eventId: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
  matchId: "m",
  sport: "football",
  type: "pass",
  timestamp: "2026-01-01T00:00:00Z",
  ...(seq === undefined ? {} : { seq }),
});
const prediction = (seq: number, e: MatchEvent): PublishedPrediction => ({
  matchId: "m",
  sport: "football",
  seq,
  eventId: e.eventId,
  eventType: e.type,
  pTeam1: 0.4,
  pDraw: 0.3,
  pTeam2: 0.3,
  modelVersion: "v",
  at: "2026-01-01T00:00:00.000Z",
});
const rows = (from: number, to: number): AppliedRow[] =>
  Array.from({ length: to - from + 1 }, (_, k) => {
    const seq = from + k;
    const e = ev(seq, seq);
    return { event: e, updateSeq: seq, wasHeld: false, prediction: prediction(seq, e) };
  });

async function withStore(name: string, work: (store: RoomStore, sql: SqlStorage) => void): Promise<void> {
  const stub = env.MATCH_ROOM.get(env.MATCH_ROOM.idFromName(`store-test-${name}-${crypto.randomUUID()}`));
  await runInDurableObject(stub, (_instance, state) => {
    const store = new RoomStore(state.storage.sql);
    store.ensureSchema();
    work(store, state.storage.sql);
  });
}

const column = <T extends SqlStorageValue>(sql: SqlStorage, query: string): T[] =>
  sql
    .exec<Record<string, T>>(query)
    .toArray()
    .map((r) => Object.values(r)[0]!);

describe("RoomStore", () => {
  it("writes every applied event, its prediction and its history entry, in statements within the parameter limit", async () => {
    await withStore("record", (store, sql) => {
      store.recordApplied(rows(1, 250));
      expect(column<number>(sql, "SELECT COUNT(*) FROM applied")).toEqual([250]);
      expect(column<number>(sql, "SELECT update_seq FROM applied ORDER BY update_seq")).toEqual(
        Array.from({ length: 250 }, (_, i) => i + 1),
      );
      expect(column<number>(sql, "SELECT seq FROM prediction_outbox ORDER BY seq")).toEqual(
        Array.from({ length: 250 }, (_, i) => i + 1),
      );
      expect(JSON.parse(column<string>(sql, "SELECT event FROM history WHERE seq = 7")[0]!)).toEqual(ev(7, 7));
      expect(
        store.knownIds([ev(5).eventId, ev(999).eventId, ...Array.from({ length: 150 }, (_, i) => ev(i + 1).eventId)])
          .size,
      ).toBe(150);
    });
  });

  it("trims history as appending one update at a time would", async () => {
    await withStore("trim", (store, sql) => {
      store.recordApplied(rows(1, 1_150));
      store.recordApplied(rows(1_151, 2_230));
      // One by one: the trim at seq 2200 keeps seq > 1200.
      expect(column<number>(sql, "SELECT MIN(seq) FROM history")).toEqual([2_200 - HISTORY_LIMIT + 1]);
      expect(column<number>(sql, "SELECT MAX(seq) FROM history")).toEqual([2_230]);
      expect(store.historySince(2_225, 2_230)!.map((e) => e.seq)).toEqual([2_226, 2_227, 2_228, 2_229, 2_230]);
    });
  });

  it("keeps the outbox mirror equal to SQLite through confirmations, reloads and delayed writes", async () => {
    await withStore("outbox", (store, sql) => {
      store.recordApplied(rows(1, 5));
      expect(store.pendingPredictions().map((p) => p.seq)).toEqual([1, 2, 3, 4, 5]);
      store.confirmPredictions(3, 1_000);
      expect(store.pendingPredictions().map((p) => p.seq)).toEqual([4, 5]);
      // Written later, with a delivery, once old enough.
      store.flushConfirmations(500, 1_100);
      expect(column<number>(sql, "SELECT seq FROM prediction_outbox ORDER BY seq")).toEqual([1, 2, 3, 4, 5]);
      store.recordApplied(rows(6, 7));
      store.forgetCaches();
      // A reload writes the pending confirmation first, so confirmed predictions never come back.
      expect(store.pendingPredictions().map((p) => p.seq)).toEqual([4, 5, 6, 7]);
      expect(column<number>(sql, "SELECT seq FROM prediction_outbox ORDER BY seq")).toEqual([4, 5, 6, 7]);
      store.confirmPredictions(7, 2_000);
      store.flushConfirmations(500, 2_600);
      expect(column<number>(sql, "SELECT COUNT(*) FROM prediction_outbox")).toEqual([0]);
      expect(store.hasUnwrittenConfirmations()).toBe(false);
      expect(store.pendingPredictions(2)).toEqual([]);
    });
  });

  it("counts held events and releases them with the delivery that applies them", async () => {
    await withStore("held", (store, sql) => {
      expect(store.heldEventCount()).toBe(0);
      expect(store.heldEvents()).toEqual([]);
      store.holdAll([ev(3, 3), ev(4, 4)], new Set(), 1_000);
      expect(store.heldEventCount()).toBe(2);
      store.holdAll([ev(3, 3), ev(4, 4), ev(6, 6)], new Set([ev(3).eventId, ev(4).eventId]), 2_000);
      expect(column<number>(sql, "SELECT held_at FROM held ORDER BY seq")).toEqual([1_000, 1_000, 2_000]);
      expect(store.oldestHeldAt()).toBe(1_000);
      expect(store.knownIds([ev(6).eventId, ev(7).eventId])).toEqual(new Set([ev(6).eventId]));
      const [r3, r4] = rows(3, 4);
      store.recordApplied([
        { ...r3!, wasHeld: true },
        { ...r4!, wasHeld: true },
      ]);
      store.holdAll([ev(6, 6)], new Set([ev(3).eventId, ev(4).eventId, ev(6).eventId]), 3_000);
      expect(store.heldEventCount()).toBe(1);
      store.forgetCaches();
      expect(store.heldEventCount()).toBe(1);
      expect(store.heldEvents().map((e) => e.seq)).toEqual([6]);
    });
  });
});

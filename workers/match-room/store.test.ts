// RoomStore against a real Durable Object's SQLite: the multi-row writes keep the bound-parameter limit
// and write one row per applied event (counted by the cursors), the in-memory mirrors (outbox, held
// count) agree with SQLite, also after they are dropped, and rooms from before `entries` move into it.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { sportOf } from "../../shared/sports";
import type { MatchEvent } from "../../shared/sports/sport";
import type { PublishedPrediction } from "../queue/messages";
import type { AppliedRow } from "./fold";
import { DEFAULT_STRENGTH, newRecord } from "./record";
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
  it("writes one row per applied event (no index row besides), in statements within the parameter limit", async () => {
    await withStore("record", (store, sql) => {
      const before = store.sqlRows.rowsWritten;
      store.recordApplied(rows(1, 250));
      expect(store.sqlRows.rowsWritten - before).toBe(250);
      expect(column<number>(sql, "SELECT COUNT(*) FROM entries")).toEqual([250]);
      expect(column<number>(sql, "SELECT seq FROM entries ORDER BY seq")).toEqual(
        Array.from({ length: 250 }, (_, i) => i + 1),
      );
      expect(store.pendingPredictions().map((p) => p.seq)).toEqual(Array.from({ length: 250 }, (_, i) => i + 1));
      expect(JSON.parse(column<string>(sql, "SELECT body FROM entries WHERE seq = 7")[0]!)).toEqual(ev(7, 7));
      expect(
        store.knownIds([ev(5).eventId, ev(999).eventId, ...Array.from({ length: 150 }, (_, i) => ev(i + 1).eventId)])
          .size,
      ).toBe(150);
    });
  });

  it("rewrites the record in place: one row written per save", async () => {
    await withStore("record-row", (store) => {
      const record = newRecord("m", sportOf("football")!, DEFAULT_STRENGTH);
      store.saveRecord(record);
      const before = store.sqlRows.rowsWritten;
      store.saveRecord({ ...record, seq: 1 });
      store.saveRecord({ ...record, seq: 2 });
      expect(store.sqlRows.rowsWritten - before).toBe(2);
    });
  });

  it("resumes from the entries: the events after `since`, or null past the history's depth", async () => {
    await withStore("history", (store) => {
      store.recordApplied(rows(1, 1_150));
      store.recordApplied(rows(1_151, 2_230));
      expect(store.historySince(2_225, 2_230)!.map((e) => e.seq)).toEqual([2_226, 2_227, 2_228, 2_229, 2_230]);
      expect(store.historySince(2_230 - HISTORY_LIMIT, 2_230)).toHaveLength(HISTORY_LIMIT);
      expect(store.historySince(2_229 - HISTORY_LIMIT, 2_230)).toBeNull();
      expect(store.historySince(2_230, 2_230)).toEqual([]);
    });
  });

  it("keeps the outbox mirror equal to SQLite through confirmations and reloads; the confirmed seq rides in the record", async () => {
    const name = `store-test-outbox-${crypto.randomUUID()}`;
    const stub = env.MATCH_ROOM.get(env.MATCH_ROOM.idFromName(name));
    await runInDurableObject(stub, (_instance, state) => {
      const store = new RoomStore(state.storage.sql);
      store.ensureSchema();
      store.recordApplied(rows(1, 5));
      expect(store.pendingPredictions().map((p) => p.seq)).toEqual([1, 2, 3, 4, 5]);
      store.confirmPredictions(3);
      expect(store.pendingPredictions().map((p) => p.seq)).toEqual([4, 5]);
      store.recordApplied(rows(6, 7));
      store.forgetCaches();
      expect(store.pendingPredictions().map((p) => p.seq)).toEqual([4, 5, 6, 7]);
      // Not yet written: a store opened now (a restart) sends them all again.
      const restarted = new RoomStore(state.storage.sql);
      expect(restarted.pendingPredictions().map((p) => p.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
      store.confirmPredictions(5);
      store.saveRecord(newRecord("m", sportOf("football")!, DEFAULT_STRENGTH));
      const reopened = new RoomStore(state.storage.sql);
      reopened.loadRecord(sportOf);
      expect(reopened.pendingPredictions().map((p) => p.seq)).toEqual([6, 7]);
      expect(reopened.pendingPredictions(1).map((p) => p.seq)).toEqual([6]);
    });
  });

  it("moves a room from before `entries` (applied, log, history, outbox) into it once", async () => {
    const stub = env.MATCH_ROOM.get(env.MATCH_ROOM.idFromName(`store-test-legacy-${crypto.randomUUID()}`));
    await runInDurableObject(stub, (_instance, state) => {
      const sql = state.storage.sql;
      sql.exec(`CREATE TABLE room (key TEXT PRIMARY KEY, value TEXT NOT NULL)`);
      sql.exec(`CREATE TABLE applied (event_id TEXT PRIMARY KEY, seq INTEGER, update_seq INTEGER NOT NULL)`);
      sql.exec(
        `CREATE TABLE held (event_id TEXT PRIMARY KEY, seq INTEGER NOT NULL, held_at INTEGER NOT NULL, body TEXT NOT NULL)`,
      );
      sql.exec(`CREATE TABLE history (seq INTEGER PRIMARY KEY, event TEXT NOT NULL)`);
      sql.exec(`CREATE TABLE prediction_outbox (seq INTEGER PRIMARY KEY, body TEXT NOT NULL)`);
      sql.exec(`CREATE TABLE log (ord REAL PRIMARY KEY, body TEXT NOT NULL)`);
      for (let i = 1; i <= 4; i++) {
        sql.exec(`INSERT INTO applied VALUES (?, ?, ?)`, ev(i).eventId, i, i);
        // The log starts at 2 (event 1 predates it), the history was trimmed to 3 and 4.
        if (i >= 2) sql.exec(`INSERT INTO log VALUES (?, ?)`, i, JSON.stringify(ev(i, i)));
        if (i >= 3) sql.exec(`INSERT INTO history VALUES (?, ?)`, i, JSON.stringify(ev(i, i)));
      }
      sql.exec(`INSERT INTO prediction_outbox VALUES (4, ?)`, JSON.stringify(prediction(4, ev(4, 4))));
      const store = new RoomStore(sql);
      expect(column<string>(sql, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")).toEqual(
        expect.arrayContaining(["entries", "held", "room"]),
      );
      for (const t of ["applied", "log", "history", "prediction_outbox"])
        expect(column<number>(sql, `SELECT COUNT(*) FROM sqlite_master WHERE name = '${t}'`)).toEqual([0]);
      expect(store.knownIds([1, 2, 3, 4, 5].map((i) => ev(i).eventId)).size).toBe(4);
      expect(store.loadLog().map((e) => e.event.seq)).toEqual([2, 3, 4]);
      expect(store.historySince(2, 4)!.map((e) => e.seq)).toEqual([3, 4]);
      expect(store.historySince(0, 4)).toBeNull();
      expect(store.pendingPredictions().map((p) => p.seq)).toEqual([4]);
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

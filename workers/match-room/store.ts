// The room's SQLite storage: the live record, one row per applied event (its id, update seq, place in the
// event log, body and prediction), and events held ahead of a seq gap.
//
// What it costs: Durable Object SQLite bills every row written, index rows included (about a thousand
// times a row read). So an applied event writes exactly one row — `entries` is keyed by event id
// WITHOUT ROWID, so that key is the dedup lookup and there is no second index — and a delivery rewrites
// the record once (an UPDATE in place: its key's index is untouched). The same row serves as the applied
// id, the event log, the resume history (read by scanning: resumes are rare and reads are cheap) and the
// prediction outbox (predictions after the confirmed seq, which rides in the record's row). Rows read
// and written are counted from the cursors (`sqlRows`, and the matchpulse_room_sqlite_rows_total metric).

// Nothing is created until the first write (`ensureSchema`): reading a match that has no events leaves
// no database behind.
import type { MatchEvent, SportModule } from "../../shared/sports/sport";
import { metrics } from "../observability/metrics";
import type { PublishedPrediction } from "../queue/messages";
import type { AppliedRow } from "./fold";
import type { LogEntry } from "./log";
import { type RoomRecord, upcastRecord } from "./record";

export const HISTORY_LIMIT = 1_000;
export const OUTBOX_LIMIT = 1_000;
/** Up to this many unconfirmed predictions are also kept in memory. */
const OUTBOX_CACHE_MAX = 4 * OUTBOX_LIMIT;

/** SQLite in Durable Objects takes at most 100 bound parameters per statement. */
export const MAX_BOUND_PARAMETERS = 100;

type SqlValue = string | number | null;

/** Rows read and written by this store's statements since the object started. */
export interface SqlRowCounts {
  rowsRead: number;
  rowsWritten: number;
}

let rowsReadMetric: { inc(by?: number): void } | undefined;
let rowsWrittenMetric: { inc(by?: number): void } | undefined;

export class RoomStore {
  // In-memory mirrors of what this object's SQLite holds, so the hot path does not read back what it
  // just wrote. Every write goes through this class; `forgetCaches` drops them after a rolled-back
  // transaction, and they reload from SQLite on next use.
  /** The unconfirmed predictions, oldest first (null: not loaded). */
  private outbox: PublishedPrediction[] | null = null;
  /** How many events are held behind a gap (null: not loaded). */
  private heldCount: number | null = null;
  /** Predictions up to this update seq are in the analytics store (written with the next record). */
  private confirmedUpTo = 0;
  private readonly valuesText = new Map<string, string>();
  readonly sqlRows: SqlRowCounts = { rowsRead: 0, rowsWritten: 0 };

  /** Whether the tables exist (a room that never had an event has none). */
  private hasSchema: boolean;

  constructor(private readonly sql: SqlStorage) {
    this.hasSchema = this.tableExists("room");
    if (this.hasSchema && !this.tableExists("entries")) this.migrateLegacyTables();
  }

  private tableExists(name: string): boolean {
    return (
      this.run<{ n: number }>(`SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = ?`, name)[0]!.n >
      0
    );
  }

  /** Every statement goes through here: runs it to completion and counts the rows its cursor reports. */
  private run<T extends Record<string, SqlStorageValue>>(query: string, ...params: SqlValue[]): T[] {
    return this.counted<T>(query, params).rows;
  }

  private counted<T extends Record<string, SqlStorageValue>>(
    query: string,
    params: SqlValue[],
  ): { rows: T[]; written: number } {
    const cursor = this.sql.exec<T>(query, ...params);
    const rows = cursor.toArray();
    const read = cursor.rowsRead;
    const written = cursor.rowsWritten;
    this.sqlRows.rowsRead += read;
    this.sqlRows.rowsWritten += written;
    rowsReadMetric ??= metrics.roomSqlRows.with({ op: "read" });
    rowsWrittenMetric ??= metrics.roomSqlRows.with({ op: "written" });
    if (read > 0) rowsReadMetric.inc(read);
    if (written > 0) rowsWrittenMetric.inc(written);
    return { rows, written };
  }

  private static readonly ENTRIES_TABLE = `CREATE TABLE IF NOT EXISTS entries (
    event_id TEXT PRIMARY KEY, seq INTEGER NOT NULL, ord REAL, body TEXT, prediction TEXT) WITHOUT ROWID`;

  /** Creates the tables; called before the first write. */
  ensureSchema(): void {
    if (this.hasSchema) return;
    this.run(`CREATE TABLE IF NOT EXISTS room (key TEXT PRIMARY KEY, value TEXT NOT NULL)`);
    // `seq`: the room's update seq; `ord`: the place in the event log (null: not logged, a room from
    // before the log); `prediction`: the update's published prediction.
    this.run(RoomStore.ENTRIES_TABLE);
    this.run(
      `CREATE TABLE IF NOT EXISTS held (event_id TEXT PRIMARY KEY, seq INTEGER NOT NULL, held_at INTEGER NOT NULL, body TEXT NOT NULL)`,
    );
    this.hasSchema = true;
  }

  /**
   * Rooms written before `entries` kept applied ids, the log, the history and the outbox in four tables:
   * their rows move into `entries` once (a body the trimmed history and an incomplete log both lack stays
   * null: such an update can no longer be resumed, as before), in one transaction with the drops.
   */
  private migrateLegacyTables(): void {
    this.run(RoomStore.ENTRIES_TABLE);
    if (this.tableExists("applied")) {
      const has = (t: string) => this.tableExists(t);
      const log = has("log") ? "(SELECT ord, body, json_extract(body, '$.eventId') AS event_id FROM log)" : null;
      this.run(
        `INSERT OR IGNORE INTO entries (event_id, seq, ord, body, prediction)
         SELECT a.event_id, a.update_seq, ${log ? "l.ord" : "NULL"}, COALESCE(${log ? "l.body, " : ""}${has("history") ? "h.event, " : ""}NULL),
                ${has("prediction_outbox") ? "o.body" : "NULL"}
         FROM applied a
         ${log ? `LEFT JOIN ${log} l ON l.event_id = a.event_id` : ""}
         ${has("history") ? "LEFT JOIN history h ON h.seq = a.update_seq" : ""}
         ${has("prediction_outbox") ? "LEFT JOIN prediction_outbox o ON o.seq = a.update_seq" : ""}`,
      );
    }
    for (const t of ["applied", "log", "history", "prediction_outbox"]) this.run(`DROP TABLE IF EXISTS ${t}`);
    this.run(
      `CREATE TABLE IF NOT EXISTS held (event_id TEXT PRIMARY KEY, seq INTEGER NOT NULL, held_at INTEGER NOT NULL, body TEXT NOT NULL)`,
    );
  }

  /** After a rolled-back transaction: the mirrors may hold writes SQLite no longer has. */
  forgetCaches(): void {
    this.outbox = null;
    this.heldCount = null;
  }

  /** `VALUES (?,?),(?,?)…` for `rows` rows of `columns` placeholders (memoised: a handful of shapes recur). */
  private values(columns: number, rows: number): string {
    const key = `${columns}x${rows}`;
    let text = this.valuesText.get(key);
    if (text === undefined) {
      const one = `(${new Array(columns).fill("?").join(",")})`;
      text = `VALUES ${new Array(rows).fill(one).join(",")}`;
      this.valuesText.set(key, text);
    }
    return text;
  }

  /** `head VALUES …` over `rows`, as few statements as the bound-parameter limit allows. */
  private insertRows(head: string, columns: number, rows: SqlValue[][]): void {
    const perStatement = Math.floor(MAX_BOUND_PARAMETERS / columns);
    for (let i = 0; i < rows.length; i += perStatement) {
      const chunk = rows.length <= perStatement ? rows : rows.slice(i, i + perStatement);
      this.run(`${head} ${this.values(columns, chunk.length)}`, ...chunk.flat());
    }
  }

  /** New predictions join the in-memory outbox (their rows are already in `entries`). */
  private queuePredictions(entries: PublishedPrediction[]): void {
    const outbox = this.outbox;
    if (outbox === null || entries.length === 0) return;
    if (outbox.length + entries.length > OUTBOX_CACHE_MAX) {
      this.outbox = null;
      return;
    }
    // Update seqs only grow, so new entries go at the end; anything else reloads from SQLite.
    for (const e of entries) {
      const last = outbox[outbox.length - 1];
      if (last === undefined || last.seq < e.seq) outbox.push(e);
      else {
        this.outbox = null;
        return;
      }
    }
  }

  /** Predictions the consumer has not confirmed yet, oldest first. */
  pendingPredictions(limit = OUTBOX_LIMIT): PublishedPrediction[] {
    if (this.outbox !== null) return this.outbox.slice(0, limit);
    if (!this.hasSchema) return [];
    // A scan (no index on seq: an index row per event would cost more than this rare read).
    const rows = this.run<{ prediction: string }>(
      `SELECT prediction FROM entries WHERE seq > ? AND prediction IS NOT NULL`,
      this.confirmedUpTo,
    )
      .map((r) => JSON.parse(r.prediction) as PublishedPrediction)
      .sort((a, b) => a.seq - b.seq);
    // Mirrored only while it is small (it grows only while the analytics queue refuses batches).
    if (rows.length <= OUTBOX_CACHE_MAX) this.outbox = rows;
    return rows.slice(0, limit);
  }

  /**
   * The consumer wrote the predictions up to this seq: they leave the outbox at once in memory, and in
   * SQLite with the next record write (the confirmed seq rides in the record's row), so a confirmation
   * costs no write of its own. Should the object restart first, they are sent once more and the
   * analytics table collapses the repeat (as after any failed confirmation).
   */
  confirmPredictions(upToSeq: number): void {
    this.confirmedUpTo = Math.max(this.confirmedUpTo, upToSeq);
    if (this.outbox === null) return;
    let drop = 0;
    while (drop < this.outbox.length && this.outbox[drop]!.seq <= upToSeq) drop++;
    if (drop > 0) this.outbox = this.outbox.slice(drop);
  }

  /** The event log (every logged entry), in source order. */
  loadLog(): LogEntry[] {
    if (!this.hasSchema) return [];
    return this.run<{ ord: number; body: string }>(`SELECT ord, body FROM entries WHERE ord IS NOT NULL`)
      .sort((a, b) => a.ord - b.ord)
      .map((r) => ({ ord: r.ord, event: JSON.parse(r.body) as MatchEvent }));
  }

  /** The stored record, of whatever version it was written in, upcast to the current one. */
  loadRecord(sportOf: (name: string) => SportModule | undefined): RoomRecord | null {
    if (!this.hasSchema) return null;
    const row = this.run<{ value: string }>(`SELECT value FROM room WHERE key = 'record'`)[0];
    if (!row) return null;
    const stored: unknown = JSON.parse(row.value);
    if (typeof stored === "object" && stored !== null && "predictionsConfirmed" in stored) {
      const confirmed = stored.predictionsConfirmed;
      if (typeof confirmed === "number") this.confirmedUpTo = Math.max(this.confirmedUpTo, confirmed);
    }
    return upcastRecord(stored, sportOf);
  }

  /**
   * Rewrites the record in place (an UPDATE keeps its key's index row: one row written), with the
   * confirmed prediction seq beside it (the store's, not part of the record: upcastRecord ignores it).
   */
  saveRecord(record: RoomRecord): void {
    const value = JSON.stringify({ ...record, predictionsConfirmed: this.confirmedUpTo });
    if (this.counted(`UPDATE room SET value = ? WHERE key = 'record'`, [value]).written === 0)
      this.run(`INSERT INTO room (key, value) VALUES ('record', ?)`, value);
  }

  /** How many events wait behind a seq gap. */
  heldEventCount(): number {
    this.heldCount ??= this.run<{ n: number }>(`SELECT COUNT(*) AS n FROM held`)[0]!.n;
    return this.heldCount;
  }

  /** Which of these ids the room has applied or is holding (SQLite takes at most 100 bound parameters). */
  knownIds(ids: string[]): Set<string> {
    const known = new Set<string>();
    // With nothing held, only `entries` needs asking, with twice the ids per statement.
    const withHeld = this.heldEventCount() > 0;
    const perStatement = withHeld ? Math.floor(MAX_BOUND_PARAMETERS / 2) : MAX_BOUND_PARAMETERS;
    for (let i = 0; i < ids.length; i += perStatement) {
      const chunk = ids.length <= perStatement ? ids : ids.slice(i, i + perStatement);
      const marks = new Array(chunk.length).fill("?").join(",");
      const rows = withHeld
        ? this.run<{ event_id: string }>(
            `SELECT event_id FROM entries WHERE event_id IN (${marks}) UNION ALL SELECT event_id FROM held WHERE event_id IN (${marks})`,
            ...chunk,
            ...chunk,
          )
        : this.run<{ event_id: string }>(`SELECT event_id FROM entries WHERE event_id IN (${marks})`, ...chunk);
      for (const r of rows) known.add(r.event_id);
    }
    return known;
  }

  /**
   * Everything one delivery writes for its applied events: one `entries` row each (id, update seq, log
   * position from `logged`, body, prediction), and the deletion of the held rows they leave, in
   * multi-row statements.
   */
  recordApplied(rows: AppliedRow[], logged: readonly LogEntry[] = []): void {
    if (rows.length === 0) return;
    const ordOf = new Map<string, number>();
    for (const e of logged) ordOf.set(e.event.eventId, e.ord);
    this.insertRows(
      `INSERT INTO entries (event_id, seq, ord, body, prediction)`,
      5,
      rows.map((r) => [
        r.event.eventId,
        r.updateSeq,
        ordOf.get(r.event.eventId) ?? null,
        JSON.stringify(r.event),
        JSON.stringify(r.prediction),
      ]),
    );
    const released = rows.filter((r) => r.wasHeld).map((r) => r.event.eventId);
    for (let i = 0; i < released.length; i += MAX_BOUND_PARAMETERS) {
      const chunk = released.slice(i, i + MAX_BOUND_PARAMETERS);
      this.run(`DELETE FROM held WHERE event_id IN (${new Array(chunk.length).fill("?").join(",")})`, ...chunk);
    }
    if (released.length > 0 && this.heldCount !== null) this.heldCount -= released.length;
    this.queuePredictions(rows.map((r) => r.prediction));
  }

  /**
   * After a delivery planned with every held event: `events` is the whole set now held. Those not in
   * `alreadyHeld` are inserted; one already held keeps its row and time.
   */
  holdAll(events: MatchEvent[], alreadyHeld: Set<string>, now: number): void {
    const fresh = events.filter((e) => !alreadyHeld.has(e.eventId));
    this.insertRows(
      `INSERT OR IGNORE INTO held (event_id, seq, held_at, body)`,
      4,
      fresh.map((e) => [e.eventId, e.seq!, now, JSON.stringify(e)]),
    );
    this.heldCount = events.length;
  }

  heldEvents(): MatchEvent[] {
    if (this.heldCount === 0) return [];
    const held = this.run<{ body: string }>(`SELECT body FROM held ORDER BY seq`).map(
      (r) => JSON.parse(r.body) as MatchEvent,
    );
    this.heldCount = held.length;
    return held;
  }

  oldestHeldAt(): number | null {
    if (this.heldCount === 0) return null;
    const row = this.run<{ t: number | null }>(`SELECT MIN(held_at) AS t FROM held`)[0];
    return row?.t ?? null;
  }

  /**
   * The events of updates after `since`, in order, or null when that is more than HISTORY_LIMIT updates
   * back or an update's event is no longer known (a room from before `entries`). A scan of the room's
   * entries: a resume is rare next to an applied event, and a row read costs a thousandth of a row written.
   */
  historySince(since: number, current: number): MatchEvent[] | null {
    if (since >= current) return [];
    if (current - since > HISTORY_LIMIT) return null;
    const rows = this.run<{ seq: number; body: string | null }>(`SELECT seq, body FROM entries WHERE seq > ?`, since);
    if (rows.length !== current - since || rows.some((r) => r.body === null)) return null;
    return rows.sort((a, b) => a.seq - b.seq).map((r) => JSON.parse(r.body!) as MatchEvent);
  }
}

// The room's SQLite storage: the live record, applied event ids (authoritative dedup), events held
// ahead of a seq gap, and the bounded history of applied events that resuming clients are sent.

// Nothing is created until the first write (`ensureSchema`): reading a match that has no events leaves
// no database behind.
import type { MatchEvent, SportModule } from "../../shared/sports/sport";
import type { AppliedRow } from "./fold";
import type { LogEntry } from "./log";
import { type RoomRecord, upcastRecord } from "./record";
import type { PublishedPrediction } from "./rpc";

export const HISTORY_LIMIT = 1_000;
export const OUTBOX_LIMIT = 1_000;
/** Up to this many unconfirmed predictions are also kept in memory. */
const OUTBOX_CACHE_MAX = 4 * OUTBOX_LIMIT;

/** SQLite in Durable Objects takes at most 100 bound parameters per statement. */
export const MAX_BOUND_PARAMETERS = 100;

type SqlValue = string | number | null;

export class RoomStore {
  // In-memory mirrors of what this object's SQLite holds, so the hot path does not read back what it
  // just wrote. Every write goes through this class; `forgetCaches` drops them after a rolled-back
  // transaction, and they reload from SQLite on next use.
  /** The unconfirmed predictions, oldest first (null: not loaded). */
  private outbox: PublishedPrediction[] | null = null;
  /** How many events are held behind a gap (null: not loaded). */
  private heldCount: number | null = null;
  /** Confirmed by the consumer, not yet deleted from SQLite (see confirmPredictions), and since when. */
  private confirmedUpTo: number | null = null;
  private confirmedSince: number | null = null;
  private readonly valuesText = new Map<string, string>();

  /** Whether the tables exist (a room that never had an event has none). */
  private hasSchema: boolean;

  constructor(private readonly sql: SqlStorage) {
    this.hasSchema =
      sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'room'`).one()
        .n > 0;
  }

  /** Creates the tables; called before the first write. */
  ensureSchema(): void {
    if (this.hasSchema) return;
    const sql = this.sql;
    sql.exec(`CREATE TABLE IF NOT EXISTS room (key TEXT PRIMARY KEY, value TEXT NOT NULL)`);
    sql.exec(
      `CREATE TABLE IF NOT EXISTS applied (event_id TEXT PRIMARY KEY, seq INTEGER, update_seq INTEGER NOT NULL)`,
    );
    sql.exec(
      `CREATE TABLE IF NOT EXISTS held (event_id TEXT PRIMARY KEY, seq INTEGER NOT NULL, held_at INTEGER NOT NULL, body TEXT NOT NULL)`,
    );
    sql.exec(`CREATE TABLE IF NOT EXISTS history (seq INTEGER PRIMARY KEY, event TEXT NOT NULL)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS prediction_outbox (seq INTEGER PRIMARY KEY, body TEXT NOT NULL)`);
    // The whole event log in source order, corrections included (log.ts).
    sql.exec(`CREATE TABLE IF NOT EXISTS log (ord REAL PRIMARY KEY, body TEXT NOT NULL)`);
    this.hasSchema = true;
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
      this.sql.exec(`${head} ${this.values(columns, chunk.length)}`, ...chunk.flat());
    }
  }

  /** Predictions wait in the outbox until the consumer confirms they are in the analytics store. */
  private queuePredictions(entries: PublishedPrediction[]): void {
    if (entries.length === 0) return;
    this.insertRows(
      `INSERT OR REPLACE INTO prediction_outbox (seq, body)`,
      2,
      entries.map((e) => [e.seq, JSON.stringify(e)]),
    );
    const outbox = this.outbox;
    if (outbox === null) return;
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

  pendingPredictions(limit = OUTBOX_LIMIT): PublishedPrediction[] {
    if (this.outbox !== null) return this.outbox.slice(0, limit);
    this.flushConfirmations();
    const rows = this.sql
      .exec<{ body: string }>(
        `SELECT body FROM prediction_outbox ORDER BY seq LIMIT ?`,
        Math.max(limit, OUTBOX_CACHE_MAX) + 1,
      )
      .toArray()
      .map((r) => JSON.parse(r.body) as PublishedPrediction);
    // Mirrored only while it is small (it grows only while the analytics queue refuses batches).
    if (rows.length <= OUTBOX_CACHE_MAX) this.outbox = rows;
    return rows.slice(0, limit);
  }

  /**
   * The consumer wrote the predictions up to this seq: they leave the outbox at once in memory, and from
   * SQLite later, with a delivery's write (`flushConfirmations`), so a confirmation costs no commit of
   * its own. Should the object restart first, they are sent once more and the analytics table collapses
   * the repeat (as after any failed confirmation).
   */
  confirmPredictions(upToSeq: number, now = Date.now()): void {
    this.confirmedUpTo = Math.max(this.confirmedUpTo ?? upToSeq, upToSeq);
    this.confirmedSince ??= now;
    if (this.outbox === null) return;
    let drop = 0;
    while (drop < this.outbox.length && this.outbox[drop]!.seq <= upToSeq) drop++;
    if (drop > 0) this.outbox = this.outbox.slice(drop);
  }

  hasUnwrittenConfirmations(): boolean {
    return this.confirmedUpTo !== null;
  }

  /**
   * Deletes confirmed predictions from SQLite — all of them, or with `minAgeMs` only once the oldest
   * unwritten confirmation is that old (a busy room then writes them every so often, not every call).
   */
  flushConfirmations(minAgeMs = 0, now = Date.now()): void {
    if (this.confirmedUpTo === null || now - this.confirmedSince! < minAgeMs) return;
    this.sql.exec(`DELETE FROM prediction_outbox WHERE seq <= ?`, this.confirmedUpTo);
    this.confirmedUpTo = null;
    this.confirmedSince = null;
  }

  /** Adds one delivery's entries to the event log. */
  appendLog(entries: LogEntry[]): void {
    this.insertRows(
      `INSERT INTO log (ord, body)`,
      2,
      entries.map((e) => [e.ord, JSON.stringify(e.event)]),
    );
  }

  loadLog(): LogEntry[] {
    if (!this.hasSchema) return [];
    return this.sql
      .exec<{ ord: number; body: string }>(`SELECT ord, body FROM log ORDER BY ord`)
      .toArray()
      .map((r) => ({ ord: r.ord, event: JSON.parse(r.body) as MatchEvent }));
  }

  /** The stored record, of whatever version it was written in, upcast to the current one. */
  loadRecord(sportOf: (name: string) => SportModule | undefined): RoomRecord | null {
    if (!this.hasSchema) return null;
    const row = this.sql.exec<{ value: string }>(`SELECT value FROM room WHERE key = 'record'`).toArray()[0];
    return row ? upcastRecord(JSON.parse(row.value), sportOf) : null;
  }

  saveRecord(record: RoomRecord): void {
    this.sql.exec(`INSERT OR REPLACE INTO room (key, value) VALUES ('record', ?)`, JSON.stringify(record));
  }

  /** How many events wait behind a seq gap. */
  heldEventCount(): number {
    this.heldCount ??= this.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM held`).one().n;
    return this.heldCount;
  }

  /** Which of these ids the room has applied or is holding (SQLite takes at most 100 bound parameters). */
  knownIds(ids: string[]): Set<string> {
    const known = new Set<string>();
    // With nothing held, only `applied` needs asking, with twice the ids per statement.
    const withHeld = this.heldEventCount() > 0;
    const perStatement = withHeld ? Math.floor(MAX_BOUND_PARAMETERS / 2) : MAX_BOUND_PARAMETERS;
    for (let i = 0; i < ids.length; i += perStatement) {
      const chunk = ids.length <= perStatement ? ids : ids.slice(i, i + perStatement);
      const marks = new Array(chunk.length).fill("?").join(",");
      const rows = withHeld
        ? this.sql.exec<{ event_id: string }>(
            `SELECT event_id FROM applied WHERE event_id IN (${marks}) UNION ALL SELECT event_id FROM held WHERE event_id IN (${marks})`,
            ...chunk,
            ...chunk,
          )
        : this.sql.exec<{ event_id: string }>(`SELECT event_id FROM applied WHERE event_id IN (${marks})`, ...chunk);
      for (const r of rows) known.add(r.event_id);
    }
    return known;
  }

  /**
   * Everything one delivery writes for its applied events — applied ids, the held rows they leave,
   * their predictions (outbox) and history — in multi-row statements: the rows one statement per
   * event and table would write, in a handful of statements per delivery.
   */
  recordApplied(rows: AppliedRow[]): void {
    if (rows.length === 0) return;
    this.insertRows(
      `INSERT INTO applied (event_id, seq, update_seq)`,
      3,
      rows.map((r) => [r.event.eventId, r.event.seq ?? null, r.updateSeq]),
    );
    const released = rows.filter((r) => r.wasHeld).map((r) => r.event.eventId);
    for (let i = 0; i < released.length; i += MAX_BOUND_PARAMETERS) {
      const chunk = released.slice(i, i + MAX_BOUND_PARAMETERS);
      this.sql.exec(`DELETE FROM held WHERE event_id IN (${new Array(chunk.length).fill("?").join(",")})`, ...chunk);
    }
    if (released.length > 0 && this.heldCount !== null) this.heldCount -= released.length;
    this.queuePredictions(rows.map((r) => r.prediction));
    this.appendHistoryRows(rows.map((r) => [r.updateSeq, r.event]));
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
    const held = this.sql
      .exec<{ body: string }>(`SELECT body FROM held ORDER BY seq`)
      .toArray()
      .map((r) => JSON.parse(r.body) as MatchEvent);
    this.heldCount = held.length;
    return held;
  }

  oldestHeldAt(): number | null {
    if (this.heldCount === 0) return null;
    const row = this.sql.exec<{ t: number | null }>(`SELECT MIN(held_at) AS t FROM held`).toArray()[0];
    return row?.t ?? null;
  }

  /** Keeps the event of each update (not its state: a resuming client gets the current state once). */
  private appendHistoryRows(entries: [seq: number, event: MatchEvent][]): void {
    if (entries.length === 0) return;
    this.insertRows(
      `INSERT OR REPLACE INTO history (seq, event)`,
      2,
      entries.map(([seq, event]) => [seq, JSON.stringify(event)]),
    );
    // The trim that appending one by one does at every multiple of 100: the last one in the run
    // removes everything the earlier ones would have.
    let trimAt: number | null = null;
    for (const [seq] of entries) if (seq % 100 === 0 && (trimAt === null || seq > trimAt)) trimAt = seq;
    if (trimAt !== null) this.sql.exec(`DELETE FROM history WHERE seq <= ?`, trimAt - HISTORY_LIMIT);
  }

  /** The events of updates after `since`, in order, or null when the history no longer reaches back that far. */
  historySince(since: number, current: number): MatchEvent[] | null {
    if (since >= current) return [];
    const first =
      this.sql.exec<{ seq: number | null }>(`SELECT MIN(seq) AS seq FROM history`).toArray()[0]?.seq ?? null;
    if (first === null || first > since + 1 || current - since > HISTORY_LIMIT) return null;
    return this.sql
      .exec<{ event: string }>(`SELECT event FROM history WHERE seq > ? ORDER BY seq`, since)
      .toArray()
      .map((r) => JSON.parse(r.event) as MatchEvent);
  }
}

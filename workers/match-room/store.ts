// The room's SQLite storage: the live record, applied event ids (authoritative dedup), events held
// ahead of a seq gap, and the bounded history of applied events that resuming clients are sent.
import type { MatchEvent, TeamStrength } from "../../shared/sports/sport";
import type { MatchStateView, PredictionView } from "../../shared/contract/frames";
import type { Sequencing } from "./sequencer";

export const HISTORY_LIMIT = 1_000;
export const OUTBOX_LIMIT = 1_000;

/** One published prediction, as the analytics store records it. */
export interface PublishedPrediction {
  matchId: string;
  sport: string;
  /** Room seq of the update that produced it. */
  seq: number;
  eventId: string;
  eventType: string;
  pTeam1: number;
  pDraw: number | null;
  pTeam2: number;
  modelVersion: string;
  at: string;
}

export interface RoomRecord {
  matchId: string;
  sport: string;
  /** Update counter: +1 per applied event; frames carry it and clients resume from it. */
  seq: number;
  /** Highest source seq applied. */
  lastSeq: number;
  eventsApplied: number;
  lateEvents: number;
  sequencing: Sequencing;
  updatedAt: string | null;
  live: Record<string, unknown>;
  prediction: PredictionView | null;
  strength: TeamStrength;
  /** Set while the strength is a stand-in because the metadata store was unreachable: when to ask again. */
  strengthRetryAt?: number;
}

export class RoomStore {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS room (key TEXT PRIMARY KEY, value TEXT NOT NULL)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS applied (event_id TEXT PRIMARY KEY, seq INTEGER, update_seq INTEGER NOT NULL)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS held (event_id TEXT PRIMARY KEY, seq INTEGER NOT NULL, held_at INTEGER NOT NULL, body TEXT NOT NULL)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS history (seq INTEGER PRIMARY KEY, event TEXT NOT NULL)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS prediction_outbox (seq INTEGER PRIMARY KEY, body TEXT NOT NULL)`);
  }

  /** Predictions wait here until the consumer confirms they are in the analytics store. */
  queuePrediction(entry: PublishedPrediction): void {
    this.sql.exec(`INSERT OR REPLACE INTO prediction_outbox (seq, body) VALUES (?, ?)`, entry.seq, JSON.stringify(entry));
  }

  pendingPredictions(limit = OUTBOX_LIMIT): PublishedPrediction[] {
    return this.sql
      .exec<{ body: string }>(`SELECT body FROM prediction_outbox ORDER BY seq LIMIT ?`, limit)
      .toArray()
      .map((r) => JSON.parse(r.body) as PublishedPrediction);
  }

  confirmPredictions(upToSeq: number): void {
    this.sql.exec(`DELETE FROM prediction_outbox WHERE seq <= ?`, upToSeq);
  }

  loadRecord(): RoomRecord | null {
    const row = this.sql.exec<{ value: string }>(`SELECT value FROM room WHERE key = 'record'`).toArray()[0];
    return row ? (JSON.parse(row.value) as RoomRecord) : null;
  }

  saveRecord(record: RoomRecord): void {
    this.sql.exec(`INSERT OR REPLACE INTO room (key, value) VALUES ('record', ?)`, JSON.stringify(record));
  }

  /** Which of these ids the room has applied or is holding (SQLite takes at most 100 bound parameters). */
  knownIds(ids: string[]): Set<string> {
    const known = new Set<string>();
    for (let i = 0; i < ids.length; i += 45) {
      const chunk = ids.slice(i, i + 45);
      const marks = chunk.map(() => "?").join(",");
      const rows = this.sql.exec<{ event_id: string }>(
        `SELECT event_id FROM applied WHERE event_id IN (${marks}) UNION ALL SELECT event_id FROM held WHERE event_id IN (${marks})`,
        ...chunk,
        ...chunk,
      );
      for (const r of rows) known.add(r.event_id);
    }
    return known;
  }

  markApplied(event: MatchEvent, updateSeq: number, wasHeld: boolean): void {
    this.sql.exec(`INSERT INTO applied (event_id, seq, update_seq) VALUES (?, ?, ?)`, event.eventId, event.seq ?? null, updateSeq);
    if (wasHeld) this.sql.exec(`DELETE FROM held WHERE event_id = ?`, event.eventId);
  }

  hold(event: MatchEvent, now: number): void {
    this.sql.exec(
      `INSERT OR IGNORE INTO held (event_id, seq, held_at, body) VALUES (?, ?, ?, ?)`,
      event.eventId,
      event.seq!,
      now,
      JSON.stringify(event),
    );
  }

  heldEvents(): MatchEvent[] {
    return this.sql.exec<{ body: string }>(`SELECT body FROM held ORDER BY seq`).toArray().map((r) => JSON.parse(r.body) as MatchEvent);
  }

  oldestHeldAt(): number | null {
    const row = this.sql.exec<{ t: number | null }>(`SELECT MIN(held_at) AS t FROM held`).toArray()[0];
    return row?.t ?? null;
  }

  /** Keeps the event of each update (not its state: a resuming client gets the current state once). */
  appendHistory(seq: number, event: MatchEvent): void {
    this.sql.exec(`INSERT OR REPLACE INTO history (seq, event) VALUES (?, ?)`, seq, JSON.stringify(event));
    if (seq % 100 === 0) this.sql.exec(`DELETE FROM history WHERE seq <= ?`, seq - HISTORY_LIMIT);
  }

  /** The events of updates after `since`, in order, or null when the history no longer reaches back that far. */
  historySince(since: number, current: number): MatchEvent[] | null {
    if (since >= current) return [];
    const first = this.sql.exec<{ seq: number | null }>(`SELECT MIN(seq) AS seq FROM history`).toArray()[0]?.seq ?? null;
    if (first === null || first > since + 1 || current - since > HISTORY_LIMIT) return null;
    return this.sql
      .exec<{ event: string }>(`SELECT event FROM history WHERE seq > ? ORDER BY seq`, since)
      .toArray()
      .map((r) => JSON.parse(r.event) as MatchEvent);
  }
}

export function stateView(record: RoomRecord): MatchStateView {
  return {
    ...record.live,
    matchId: record.matchId,
    sport: record.sport,
    seq: record.seq,
    lastSeq: record.lastSeq,
    eventsApplied: record.eventsApplied,
    lateEvents: record.lateEvents,
    gaps: record.sequencing.gaps,
    updatedAt: record.updatedAt,
  } as MatchStateView;
}

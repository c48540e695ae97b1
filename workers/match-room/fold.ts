// The room's fold, pure: a planned delivery (sequencer) applied to the record through the sport's
// reducer and predictor. It returns the next record, the rows to persist and the frames to send; the
// Durable Object persists the rows in one transaction and only then adopts the record, so a rolled-back
// write leaves nothing to undo in memory.
import { isCorrectionType } from "../../shared/sports/corrections";
import type { MatchEvent, SportModule } from "../../shared/sports/sport";
import type { PublishedPrediction } from "../queue/messages";
import { correctionFrame, MAX_FRAME_EVENTS, type RoomFrame, updateFrame } from "./frames";
import { type Correction, insertEntry, type LogEntry, lateOrd, replay, resolveLog } from "./log";
import type { RoomRecord } from "./record";
import type { Delivery } from "./sequencer";

/** One applied event's rows, written together by `RoomStore.recordApplied`. */
export interface AppliedRow {
  event: Delivery["apply"][number]["event"];
  /** The room's update seq for this event. */
  updateSeq: number;
  /** The event was held (ahead of a gap) before: its row in `held` goes. */
  wasHeld: boolean;
  prediction: PublishedPrediction;
}

export interface Folded {
  record: RoomRecord;
  rows: AppliedRow[];
  /** The frames to announce, in order: updates (at most MAX_FRAME_EVENTS events each, with the state after the last) and corrections. */
  frames: RoomFrame[];
  /** Entries to add to the event log. */
  logAppends: LogEntry[];
  /** Corrections that changed nothing (yet), and why. */
  ignored: { eventId: string; why: string }[];
}

/** Correction targets that had not arrived are remembered, up to this many; the log keeps the rest anyway. */
export const MAX_PENDING_TARGETS = 1_000;

export function foldDelivery(
  record: RoomRecord,
  sport: SportModule,
  plan: Delivery,
  heldIds: ReadonlySet<string>,
  now: number,
  /** The stored log; read only when this delivery has a correction, a late event or a pending target. */
  loadLog: () => LogEntry[],
): Folded {
  const next: RoomRecord = { ...record, sequencing: plan.sequencing, log: { ...record.log } };
  const rows: AppliedRow[] = [];
  const frames: RoomFrame[] = [];
  const logAppends: LogEntry[] = [];
  const ignored: Folded["ignored"] = [];
  const pending = new Set(next.log.pendingTargets);
  const needsLog =
    next.log.complete &&
    plan.apply.some((a) => a.late || isCorrectionType(a.event.type) || pending.has(a.event.eventId));
  let log: LogEntry[] | null = needsLog ? loadLog() : null;
  // Every event of one delivery is applied at the same instant.
  const at = new Date(now).toISOString();
  let chunkFrom = next.seq + 1;
  let chunk: MatchEvent[] = [];
  const flushChunk = () => {
    if (chunk.length > 0) frames.push(updateFrame(next, chunk, chunkFrom));
    chunk = [];
    chunkFrom = next.seq + 1;
  };
  const append = (ord: number, event: MatchEvent) => {
    const entry = { ord, event };
    logAppends.push(entry);
    if (log) log = insertEntry(log, entry);
  };
  for (const { event, late, wild } of plan.apply) {
    let correction: Correction | null = null;
    if (log && isCorrectionType(event.type)) {
      append(++next.log.end, event);
      const { events, outcomes } = resolveLog(sport, log);
      const outcome = outcomes.get(event.eventId);
      if (outcome?.ok) {
        flushChunk(); // the updates before it go out with the state before it
        correction = outcome.correction;
        next.sportState = replay(sport, events);
      } else if (outcome) {
        ignored.push({ eventId: event.eventId, why: outcome.why });
        if (outcome.pending && outcome.targetEventId !== null && pending.size < MAX_PENDING_TARGETS)
          pending.add(outcome.targetEventId);
      }
    } else if (log && (pending.has(event.eventId) || (late && event.seq !== undefined))) {
      // A late event takes its place in source order; a corrected one arrives already corrected.
      const ord = late && event.seq !== undefined ? lateOrd(log, event.seq) : null;
      append(ord ?? ++next.log.end, event);
      pending.delete(event.eventId);
      next.sportState = replay(sport, resolveLog(sport, log).events);
    } else {
      if (next.log.complete) append(++next.log.end, event);
      else if (isCorrectionType(event.type)) ignored.push({ eventId: event.eventId, why: "log incomplete" });
      next.sportState = sport.applyEvent(next.sportState, event);
    }
    next.seq++;
    next.eventsApplied++;
    if (late) next.lateEvents++;
    if (wild) next.seqErrors++;
    else if (event.seq !== undefined) next.lastSeq = Math.max(next.lastSeq, event.seq);
    next.updatedAt = at;
    const p = sport.winProbability(next.sportState, next.strength);
    next.prediction = { ...p, at };
    rows.push({
      event,
      updateSeq: next.seq,
      wasHeld: heldIds.has(event.eventId),
      prediction: {
        matchId: next.matchId,
        sport: next.sport,
        seq: next.seq,
        eventId: event.eventId,
        eventType: event.type,
        pTeam1: p.pTeam1,
        pDraw: p.pDraw ?? null,
        pTeam2: p.pTeam2,
        modelVersion: p.modelVersion,
        at,
      },
    });
    if (correction) {
      frames.push(correctionFrame(next, event, correction));
      chunkFrom = next.seq + 1;
      continue;
    }
    chunk.push(event);
    if (chunk.length === MAX_FRAME_EVENTS) flushChunk();
  }
  flushChunk();
  next.log.pendingTargets = [...pending];
  return { record: next, rows, frames, logAppends, ignored };
}

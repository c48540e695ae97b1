// The room's fold, pure: a planned delivery (sequencer) applied to the record through the sport's
// reducer and predictor. It returns the next record, the rows to persist and the frames to send; the
// Durable Object persists the rows in one transaction and only then adopts the record, so a rolled-back
// write leaves nothing to undo in memory.
import type { SportModule } from "../../shared/sports/sport";
import { type LiveUpdate, MAX_FRAME_EVENTS, updateFrame } from "./frames";
import type { RoomRecord } from "./record";
import type { PublishedPrediction } from "./rpc";
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
  /** The updates to announce, each with at most MAX_FRAME_EVENTS events and the state after its last. */
  frames: LiveUpdate[];
}

export function foldDelivery(
  record: RoomRecord,
  sport: SportModule,
  plan: Delivery,
  heldIds: ReadonlySet<string>,
  now: number,
): Folded {
  const next: RoomRecord = { ...record, sequencing: plan.sequencing };
  const rows: AppliedRow[] = [];
  const frames: LiveUpdate[] = [];
  // Every event of one delivery is applied at the same instant.
  const at = new Date(now).toISOString();
  let chunkFrom = next.seq + 1;
  let chunk: AppliedRow["event"][] = [];
  for (const { event, late, wild } of plan.apply) {
    next.sportState = sport.applyEvent(next.sportState, event);
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
    chunk.push(event);
    if (chunk.length === MAX_FRAME_EVENTS) {
      frames.push(updateFrame(next, chunk, chunkFrom));
      chunk = [];
      chunkFrom = next.seq + 1;
    }
  }
  if (chunk.length > 0) frames.push(updateFrame(next, chunk, chunkFrom));
  return { record: next, rows, frames };
}

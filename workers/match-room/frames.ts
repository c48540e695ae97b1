// Building and coalescing the frames the room sends (pure). Every frame is bounded: at most
// MAX_FRAME_EVENTS events, the gaps summarised (record.ts), the sports' lists capped.
import {
  type BatchUpdateFrame,
  type CorrectionFrame,
  PROTOCOL_VERSION,
  type SnapshotFrame,
  type UpdateFrame,
} from "../../shared/contract/live-protocol";
import type { MatchEvent } from "../../shared/sports/sport";
import type { Correction } from "./log";
import { type RoomRecord, stateView } from "./record";
import { HISTORY_LIMIT } from "./store";

/** The most events one frame carries: the history's depth, so a resume always fits in one frame. */
export const MAX_FRAME_EVENTS = HISTORY_LIMIT;

export type LiveUpdate = UpdateFrame | BatchUpdateFrame;
/** What the room broadcasts after a delivery (snapshots go only to a socket that opens). */
export type RoomFrame = LiveUpdate | CorrectionFrame;

/** The frame announcing updates fromSeq..record.seq: one event as `event`, several also as `events`. */
export function updateFrame(record: RoomRecord, events: MatchEvent[], fromSeq: number): LiveUpdate {
  const last = events[events.length - 1];
  if (last === undefined) throw new Error("an update frame needs an event");
  const frame = {
    v: PROTOCOL_VERSION,
    type: "update",
    seq: record.seq,
    event: last,
    state: stateView(record),
    prediction: record.prediction,
  } satisfies UpdateFrame;
  return events.length === 1 ? frame : ({ ...frame, fromSeq, events } satisfies BatchUpdateFrame);
}

/** The frame announcing a correction: which event it corrected, how, and the re-derived state. */
export function correctionFrame(record: RoomRecord, event: MatchEvent, correction: Correction): CorrectionFrame {
  return {
    v: PROTOCOL_VERSION,
    type: "correction",
    seq: record.seq,
    event,
    correction,
    state: stateView(record),
    prediction: record.prediction,
  } satisfies CorrectionFrame;
}

export function snapshotFrame(record: RoomRecord, resumed?: false): SnapshotFrame {
  return {
    v: PROTOCOL_VERSION,
    type: "snapshot",
    seq: record.seq,
    event: null,
    state: stateView(record),
    prediction: record.prediction,
    ...(resumed === false ? { resumed } : {}),
  } satisfies SnapshotFrame;
}

const eventsIn = (f: LiveUpdate): MatchEvent[] => ("events" in f ? f.events : [f.event]);
const fromSeqOf = (f: LiveUpdate): number => ("fromSeq" in f ? f.fromSeq : f.seq);

/**
 * Folds runs of consecutive update frames into as few as MAX_FRAME_EVENTS allows: each carries the state
 * of the last frame it folds, and every event in order. Corrections stay frames of their own, in place.
 */
export function coalesce(frames: RoomFrame[]): RoomFrame[] {
  const out: RoomFrame[] = [];
  let group: LiveUpdate[] = [];
  let count = 0;
  const close = () => {
    const first = group[0];
    const last = group[group.length - 1];
    if (first === undefined || last === undefined) return;
    out.push(
      group.length === 1
        ? first
        : ({ ...last, fromSeq: fromSeqOf(first), events: group.flatMap(eventsIn) } satisfies BatchUpdateFrame),
    );
    group = [];
    count = 0;
  };
  for (const f of frames) {
    if (f.type === "correction") {
      close();
      out.push(f);
      continue;
    }
    const n = eventsIn(f).length;
    if (count > 0 && count + n > MAX_FRAME_EVENTS) close();
    group.push(f);
    count += n;
  }
  close();
  return out;
}

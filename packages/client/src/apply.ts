// Applying live frames to what a client has seen: pure, no I/O. A frame carries the room's whole state,
// so "applying" means deciding which of its events are new, whether the frame comes too late (a repeat)
// or too early (updates are missing: resume from the last seq), and when the state is replaced.
import type { MatchEvent, ServerFrame } from "./protocol";

export type AppliedFrame =
  /** A fresh state: the first frame, or a resume that came too late for the history (`resumed: false`). */
  | { kind: "snapshot"; seq: number; resumed: boolean | undefined }
  /** Updates after the last one seen: `events` are exactly the new ones, in order. */
  | { kind: "update"; seq: number; events: MatchEvent[] }
  /** Nothing new (seq at or below the last seen): drop it, so no update is delivered twice. */
  | { kind: "repeat" }
  /** The frame starts after a missing update: resume with ?since=<lastSeq> instead of skipping events. */
  | { kind: "gap"; lastSeq: number; firstSeq: number };

/** The events a frame announces, each with its room seq (a batched frame holds `fromSeq`..`seq`). */
export function frameEvents(frame: ServerFrame): { seq: number; event: MatchEvent }[] {
  // `in` checks, so this reads the same whether frames are one interface or a union split by type.
  const events =
    "events" in frame && frame.events ? frame.events : "event" in frame && frame.event ? [frame.event] : [];
  // Counted back from `seq`, which every frame has: robust even if a frame's fromSeq disagrees.
  return events.map((event, i) => ({ seq: frame.seq - (events.length - 1 - i), event }));
}

/** What `frame` means to a client whose last applied room seq is `lastSeq` (null: nothing yet). */
export function applyFrame(lastSeq: number | null, frame: ServerFrame): AppliedFrame {
  if (frame.type === "snapshot") return { kind: "snapshot", seq: frame.seq, resumed: frame.resumed };
  if (lastSeq !== null && frame.seq <= lastSeq) return { kind: "repeat" };
  const numbered = frameEvents(frame);
  const firstSeq = numbered[0]?.seq ?? frame.seq;
  if (lastSeq !== null && firstSeq > lastSeq + 1) return { kind: "gap", lastSeq, firstSeq };
  const fresh = lastSeq === null ? numbered : numbered.filter((e) => e.seq > lastSeq);
  return { kind: "update", seq: frame.seq, events: fresh.map((e) => e.event) };
}

/** Whether a parsed message looks like a server frame (the client trusts the server's schema beyond this). */
export function isServerFrame(value: unknown): value is ServerFrame {
  if (typeof value !== "object" || value === null) return false;
  const { type, seq, state } = value as Record<string, unknown>;
  return (
    // A correction frame is applied like an update: it takes a room seq and carries the correcting event.
    (type === "snapshot" || type === "update" || type === "correction") &&
    typeof seq === "number" &&
    Number.isInteger(seq) &&
    typeof state === "object" &&
    state !== null
  );
}

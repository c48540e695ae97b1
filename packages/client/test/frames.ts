// Frames as the room builds them, for the client's pure tests (the integration tests get real ones).
import type { MatchEvent, ServerFrame } from "../src/protocol";

export function event(n: number): MatchEvent {
  return {
    eventId: `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`,
    matchId: "m",
    sport: "football",
    type: "pass",
    timestamp: new Date(Date.UTC(2026, 0, 1, 15, 0, n)).toISOString(),
  };
}

const state = (seq: number) => ({
  matchId: "m",
  sport: "football",
  seq,
  lastSeq: 0,
  eventsApplied: seq,
  gaps: [],
  updatedAt: null,
  status: "live",
  score: [0, 0] as [number, number],
});

export const snapshot = (seq: number, resumed?: false): ServerFrame => ({
  v: 1,
  type: "snapshot",
  seq,
  event: null,
  state: state(seq),
  prediction: null,
  ...(resumed === undefined ? {} : { resumed }),
});

/** An update of room seqs from..to (one event: no events[]; several: a batched frame). */
export function update(from: number, to = from): ServerFrame {
  const events = Array.from({ length: to - from + 1 }, (_, i) => event(from + i));
  const frame = {
    v: 1 as const,
    type: "update" as const,
    seq: to,
    event: events.at(-1)!,
    state: state(to),
    prediction: null,
  };
  return events.length === 1 ? frame : { ...frame, fromSeq: from, events };
}

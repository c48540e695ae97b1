// The match's event log, pure: every applied event, corrections included, in source order. The room's
// state is always the fold of this log: corrections are resolved over the whole log (a retraction or an
// amendment whose target arrives later takes effect when it does), so a correction or a late event
// (lower seq than events already applied) gives exactly the state of in-order delivery of the corrected feed.
import { type CorrectionType, correctionPayloadSchemas, isCorrectionType } from "../../shared/sports/corrections";
import type { BaseSportState, MatchEvent, SportModule } from "../../shared/sports/sport";

export interface LogEntry {
  /** Position in source order. Real-valued: a late event goes between its neighbours. */
  ord: number;
  event: MatchEvent;
}

export interface Correction {
  kind: CorrectionType;
  targetEventId: string;
  reason?: string;
}

/** What one correction did: its effect, or why it had none (`pending`: its target has not arrived). */
export type CorrectionOutcome =
  | { ok: true; correction: Correction }
  | { ok: false; pending: boolean; targetEventId: string | null; why: string };

/**
 * The log with its corrections applied: the events that still count, as amended, in source order, and
 * the outcome of every correction (by the correction's eventId).
 */
export function resolveLog(
  sport: SportModule,
  log: readonly LogEntry[],
): { events: MatchEvent[]; outcomes: Map<string, CorrectionOutcome> } {
  const current = new Map<string, MatchEvent | null>(); // eventId → as amended (null: retracted)
  for (const { event } of log) if (!isCorrectionType(event.type)) current.set(event.eventId, event);
  const outcomes = new Map<string, CorrectionOutcome>();
  for (const { event } of log) {
    const type = event.type;
    if (!isCorrectionType(type)) continue;
    const parsed = correctionPayloadSchemas[type].safeParse(event.payload ?? {});
    if (!parsed.success) {
      outcomes.set(event.eventId, {
        ok: false,
        pending: false,
        targetEventId: null,
        why: "invalid correction payload",
      });
      continue;
    }
    const targetEventId = parsed.data.targetEventId;
    const fail = (why: string, pending = false) =>
      outcomes.set(event.eventId, { ok: false, pending, targetEventId, why });
    const target = current.get(targetEventId);
    if (target === undefined) {
      fail("target event not applied (yet)", true);
      continue;
    }
    if (target === null) {
      fail("target already retracted");
      continue;
    }
    if ("reason" in parsed.data) {
      current.set(targetEventId, null);
      outcomes.set(event.eventId, { ok: true, correction: { kind: type, targetEventId, reason: parsed.data.reason } });
      continue;
    }
    const { teamId, playerId, payload } = parsed.data.changes;
    const amended: MatchEvent = {
      ...target,
      ...(teamId !== undefined ? { teamId } : {}),
      ...(playerId !== undefined ? { playerId } : {}),
      ...(payload !== undefined ? { payload: { ...target.payload, ...payload } } : {}),
    };
    // The amended event must still be one the contract accepts for its type.
    const schema = sport.payloadSchemas[amended.type];
    if (schema !== undefined && !schema.safeParse(amended.payload ?? {}).success) {
      fail("amended payload is invalid for the target's type");
      continue;
    }
    if (amended.teamId === undefined && sport.teamEventTypes.has(amended.type)) {
      fail("amended event lacks its team");
      continue;
    }
    current.set(targetEventId, amended);
    outcomes.set(event.eventId, { ok: true, correction: { kind: type, targetEventId } });
  }
  const events: MatchEvent[] = [];
  for (const { event } of log) {
    const now = isCorrectionType(event.type) ? null : current.get(event.eventId);
    if (now) events.push(now);
  }
  return { events, outcomes };
}

/** The fold of the resolved log. */
export function replay(sport: SportModule, events: readonly MatchEvent[]): BaseSportState {
  let state = sport.initialState();
  for (const e of events) state = sport.applyEvent(state, e);
  return state;
}

/**
 * Where a late event with source seq `seq` goes: just before the first logged event with a higher seq
 * (null: nothing logged comes after it, so it goes at the end).
 */
export function lateOrd(log: readonly LogEntry[], seq: number): number | null {
  const i = log.findIndex((e) => e.event.seq !== undefined && e.event.seq > seq);
  if (i < 0) return null;
  const after = log[i]!.ord;
  const before = i === 0 ? after - 1 : log[i - 1]!.ord;
  return (before + after) / 2;
}

/** Inserts an entry at its `ord`, keeping the log sorted (returns a new array). */
export function insertEntry(log: readonly LogEntry[], entry: LogEntry): LogEntry[] {
  const i = log.findIndex((e) => e.ord > entry.ord);
  return i < 0 ? [...log, entry] : [...log.slice(0, i), entry, ...log.slice(i)];
}

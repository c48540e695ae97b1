// Pure builders of contract-v1 events for tests: deterministic ids (or random ones), a clock that
// advances a second per event, optional seq numbering. No I/O, usable from Node and workerd tests.
import type { MatchEvent } from "../contract/event";

let counter = 0;
let clock = Date.parse("2026-03-01T15:00:00Z");

/** A UUID that is unique within the test run and readable in failures (…-000000000042). */
export function testEventId(n = ++counter): string {
  return `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
}

/** An event of any sport; `extra` overrides any field (seq, teamId, payload, …). */
export function matchEvent(sport: string, matchId: string, type: string, extra: Partial<MatchEvent> = {}): MatchEvent {
  clock += 1000;
  return {
    eventId: crypto.randomUUID(),
    matchId,
    sport,
    type,
    timestamp: new Date(clock).toISOString(),
    ...extra,
  };
}

export const footballEvent = (matchId: string, type: string, extra: Partial<MatchEvent> = {}): MatchEvent =>
  matchEvent("football", matchId, type, extra);

export const cs2Event = (matchId: string, type: string, extra: Partial<MatchEvent> = {}): MatchEvent =>
  matchEvent("cs2", matchId, type, extra);

/** The same events numbered seq 1..n (from `first`), as a source numbers a match. */
export function numbered(events: MatchEvent[], first = 1): MatchEvent[] {
  return events.map((e, i) => ({ ...e, seq: first + i }));
}

/** A pass with a seq: the cheapest football event, for sequencing and fold tests. */
export const seqPass = (matchId: string, seq: number | undefined, teamId: 1 | 2 = 1): MatchEvent =>
  footballEvent(matchId, "pass", {
    eventId: testEventId(),
    teamId,
    payload: { minute: 1 },
    ...(seq === undefined ? {} : { seq }),
  });

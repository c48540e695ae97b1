// One registered source's parsing, independent of where its cursor is kept: the kind picks the adapter,
// the cursor is plain JSON (the SourceSession Durable Object stores it), and each batch's events are
// checked against the contract before they leave (an adapter bug must not poison a queue message).
import { parseEvent } from "../contract/event";
import type { MatchEvent } from "../sports/sport";
import { type GsiCursor, gsiToken, newGsiCursor, parseGsiPost } from "./cs2-gsi/parse";
import { type Cs2LogCursor, newCs2LogCursor, parseCs2LogBatch } from "./cs2-log/parse";
import { pushIssue, type SourceIssue } from "./source";

export const sourceKinds = ["cs2-log", "cs2-gsi"] as const;
export type SourceKind = (typeof sourceKinds)[number];

export interface SourceConfig {
  sourceId: string;
  kind: SourceKind;
  matchId: string;
  bestOf?: 1 | 3 | 5;
  team1Name?: string;
  team2Name?: string;
  /** cs2-log only: the server clock's offset from UTC in minutes (log lines carry no zone). */
  utcOffsetMinutes?: number;
}

export type SourceCursor = { kind: "cs2-log"; log: Cs2LogCursor } | { kind: "cs2-gsi"; gsi: GsiCursor };

export function newSourceCursor(config: SourceConfig): SourceCursor {
  const common = {
    sourceId: config.sourceId,
    matchId: config.matchId,
    ...(config.bestOf === undefined ? {} : { bestOf: config.bestOf }),
    ...(config.team1Name === undefined ? {} : { team1Name: config.team1Name }),
    ...(config.team2Name === undefined ? {} : { team2Name: config.team2Name }),
  };
  if (config.kind === "cs2-gsi") return { kind: "cs2-gsi", gsi: newGsiCursor(common) };
  return {
    kind: "cs2-log",
    log: newCs2LogCursor({
      ...common,
      ...(config.utcOffsetMinutes === undefined ? {} : { utcOffsetMinutes: config.utcOffsetMinutes }),
    }),
  };
}

/** A batch as it arrived: its text, and the parsed JSON body for GSI (whose token is inside it). */
export interface SourceInput {
  text: string;
  /** GSI: the JSON value, or undefined when the text is not JSON. */
  json?: unknown;
}

export function readSourceInput(kind: SourceKind, text: string): SourceInput {
  if (kind !== "cs2-gsi") return { text };
  try {
    return { text, json: JSON.parse(text) as unknown };
  } catch {
    return { text };
  }
}

/** The token a batch carries: GSI's body `auth.token`, else the URL's `?token=` (a server cannot set headers). */
export function batchToken(kind: SourceKind, input: SourceInput, queryToken: string | null): string | null {
  if (kind === "cs2-gsi") return gsiToken(input.json) ?? queryToken;
  return queryToken;
}

export interface ParsedSourceBatch {
  events: MatchEvent[];
  cursor: SourceCursor;
  issues: SourceIssue[];
}

export function parseSourceBatch(input: SourceInput, cursor: SourceCursor, receivedAt: Date): ParsedSourceBatch {
  let parsed: { events: MatchEvent[]; issues: SourceIssue[]; next: SourceCursor };
  if (cursor.kind === "cs2-log") {
    const r = parseCs2LogBatch(input.text, cursor.log);
    parsed = { events: r.events, issues: r.issues, next: { kind: "cs2-log", log: r.cursor } };
  } else if (input.json === undefined) {
    return { events: [], cursor, issues: [{ at: "", message: "not JSON" }] };
  } else {
    const r = parseGsiPost(input.json, cursor.gsi, receivedAt);
    parsed = { events: r.events, issues: r.issues, next: { kind: "cs2-gsi", gsi: r.cursor } };
  }
  const events: MatchEvent[] = [];
  const issues = [...parsed.issues];
  for (const event of parsed.events) {
    const checked = parseEvent(event, receivedAt);
    if (checked.ok) events.push(checked.event);
    else pushIssue(issues, `seq ${event.seq}`, `not a contract event: ${checked.issues[0]?.message ?? "invalid"}`);
  }
  return { events, cursor: parsed.next, issues };
}

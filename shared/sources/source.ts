// What every source adapter returns: contract events plus the problems met on the way (bounded), never
// an exception for bad input, so one bad line or body cannot harm the rest of a batch.
import type { MatchEvent } from "../sports/sport";

export interface SourceIssue {
  /** Line number in the batch (1-based) or a JSON path; "" for the input as a whole. */
  at: string;
  message: string;
}

/** At most this many issues per batch: a stream of garbage must not become a stream of diagnostics. */
export const MAX_ISSUES = 20;

export function pushIssue(issues: SourceIssue[], at: string, message: string): void {
  if (issues.length < MAX_ISSUES) issues.push({ at, message });
}

export interface ParsedBatch<Cursor> {
  events: MatchEvent[];
  cursor: Cursor;
  issues: SourceIssue[];
}

// The one error body every API failure returns: {"error":{"code","message","issues"?}}, and the one table
// that gives each code its HTTP status. Bodies are bounded: an error never echoes more than it must.
import { z } from "zod";
import type { ContractIssue } from "./event";

/** The HTTP status each code goes with; an error code can never go out with another status. */
export const errorStatus = {
  invalid_event: 400,
  invalid_json: 400,
  invalid_request: 400,
  unsupported_media_type: 415,
  payload_too_large: 413,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  guess_locked: 409,
  upgrade_required: 426,
  rate_limited: 429,
  /** A tenant's quota is spent; `quota` names which (eventsPerDay, liveSockets, storedMatches). */
  quota_exceeded: 429,
  queue_unavailable: 503,
  dependency_unavailable: 503,
  internal: 500,
} as const;

export type ErrorCode = keyof typeof errorStatus;
export type ErrorStatusCode = (typeof errorStatus)[ErrorCode];

/** Machine-readable codes; clients branch on these, never on messages. */
export const errorCodes = Object.keys(errorStatus) as [ErrorCode, ...ErrorCode[]];

/** At most this many issues are listed in one error (the rest are counted in `issuesOmitted`). */
export const MAX_ISSUES = 100;
/** Paths and messages echo client input (field names, values); longer ones are cut. */
export const MAX_ECHO_CHARS = 200;

export const contractIssueSchema = z
  .object({
    path: z.string().describe('Dotted path of the field, e.g. "payload.minute"; "" for the whole event.'),
    message: z.string(),
  })
  .meta({ id: "ContractIssue" }) satisfies z.ZodType<ContractIssue>;

// Not strict: routes may add context (e.g. which items of a batch were rejected) without breaking clients.
export const errorBodySchema = z
  .object({
    error: z.object({
      code: z.enum(errorCodes),
      message: z.string(),
      issues: z.array(contractIssueSchema).optional(),
      issuesOmitted: z.int().min(1).optional().describe(`Issues beyond the first ${MAX_ISSUES}, not listed.`),
      rejected: z.array(z.unknown()).optional().describe("POST /v1/events only: the rejected items of a batch."),
      quota: z
        .enum(["eventsPerDay", "liveSockets", "storedMatches"])
        .optional()
        .describe("quota_exceeded only: which of the tenant's quotas is spent."),
    }),
  })
  .meta({ id: "Error", description: "Every API error: branch on `code`, never on `message`." });

export type ErrorBody = z.infer<typeof errorBodySchema>;
export type ErrorDetails = Omit<ErrorBody["error"], "code" | "message">;

/** Cuts an echoed string to MAX_ECHO_CHARS (on a code point boundary). */
export function clip(text: string, max = MAX_ECHO_CHARS): string {
  if (text.length <= max) return text;
  let end = max;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--; // do not split a surrogate pair
  return `${text.slice(0, end)}…`;
}

/** Distinct issues, clipped, at most `max` of them; `omitted` counts what was left out. */
export function boundIssues(
  issues: readonly ContractIssue[],
  max = MAX_ISSUES,
): { issues: ContractIssue[]; omitted: number } {
  const seen = new Set<string>();
  const out: ContractIssue[] = [];
  let omitted = 0;
  for (const issue of issues) {
    const bounded = { path: clip(issue.path), message: clip(issue.message) };
    const key = `${bounded.path}\n${bounded.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (out.length < max) out.push(bounded);
    else omitted++;
  }
  return { issues: out, omitted };
}

export function errorBody(code: ErrorCode, message: string, details: ErrorDetails = {}): ErrorBody {
  const error: ErrorBody["error"] = { code, message: clip(message, 1_000) };
  if (details.issues !== undefined) {
    const bounded = boundIssues(details.issues);
    error.issues = bounded.issues;
    const omitted = bounded.omitted + (details.issuesOmitted ?? 0);
    if (omitted > 0) error.issuesOmitted = omitted;
  }
  if (details.rejected !== undefined) error.rejected = details.rejected;
  if (details.quota !== undefined) error.quota = details.quota;
  return { error };
}

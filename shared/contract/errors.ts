// The one error body every API failure returns: {"error":{"code","message","issues"?}}.
import { z } from "zod";
import type { ContractIssue } from "./event";

/** Machine-readable codes; clients branch on these, never on messages. */
export const errorCodes = [
  "invalid_event",
  "invalid_json",
  "invalid_request",
  "unsupported_media_type",
  "payload_too_large",
  "unauthorized",
  "forbidden",
  "not_found",
  "conflict",
  "guess_locked",
  "upgrade_required",
  "rate_limited",
  "queue_unavailable",
  "dependency_unavailable",
  "internal",
] as const;

export type ErrorCode = (typeof errorCodes)[number];

/** The HTTP status each code goes with, so every route answers a code the same way. */
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
  queue_unavailable: 503,
  dependency_unavailable: 503,
  internal: 500,
} as const satisfies Record<ErrorCode, number>;

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
    }),
  })
  .meta({ id: "ErrorBody", description: "Every API error." });

export type ErrorBody = z.infer<typeof errorBodySchema>;

export function errorBody(code: ErrorCode, message: string, issues?: ContractIssue[]): ErrorBody {
  return { error: issues === undefined ? { code, message } : { code, message, issues } };
}

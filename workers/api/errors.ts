// One error shape for every failure: {"error":{"code","message","issues"?}} with the HTTP status.
import { z } from "@hono/zod-openapi";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ErrorCode as ApiErrorCode } from "../../shared/contract/errors";
import { contractIssueSchema, errorCodes } from "../../shared/contract/errors";
import type { ContractIssue } from "../../shared/contract/event";

export type { ApiErrorCode };

export const apiErrorBodySchema = z
  .object({
    error: z.object({
      code: z.enum(errorCodes),
      message: z.string(),
      issues: z.array(contractIssueSchema).optional(),
      rejected: z.array(z.unknown()).optional().describe("POST /v1/events only: the rejected items of a batch."),
    }),
  })
  .meta({ id: "Error", description: "Every API error: branch on `code`, never on `message`." });

export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: ApiErrorCode,
    message: string,
    readonly details: { issues?: ContractIssue[]; rejected?: unknown[] } = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  toBody() {
    return { error: { code: this.code, message: this.message, ...this.details } };
  }
}

/** Where a failed zod validation came from, as the prefix of each issue's path ("query.limit"). */
const targetPrefix: Record<string, string> = { param: "path", query: "query", json: "body", header: "header" };

/** The validation hook every OpenAPI route shares: a zod failure becomes 400 invalid_request. */
export function validationHook(result: { success: boolean; target: string; error?: z.ZodError }): void {
  if (result.success || !result.error) return;
  const prefix = targetPrefix[result.target] ?? result.target;
  const issues = result.error.issues.map((i) => ({
    path: [prefix, ...i.path.map(String)].join("."),
    message: i.message,
  }));
  const where = prefix === "body" ? "the request body" : `${prefix} parameters`;
  throw new ApiError(
    400,
    "invalid_request",
    `invalid ${where}: ${issues.map((i) => `${i.path} ${i.message}`).join("; ")}`,
    { issues },
  );
}

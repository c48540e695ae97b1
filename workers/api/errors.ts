// ApiError: a code from the contract's table, a message and details; the status comes from the table, so
// a code can never go out with another status. It has Hono's `getResponse()`, so anything that throws it
// (middleware, handlers, validators) answers with the one error body without special-casing.
import type { z } from "@hono/zod-openapi";
import {
  type ErrorCode as ApiErrorCode,
  type ErrorDetails,
  type ErrorStatusCode,
  errorBody,
  errorBodySchema,
  errorStatus,
} from "../../shared/contract/errors";

export type { ApiErrorCode };

/** The error body as the OpenAPI document shows it (component "Error"). */
export const apiErrorBodySchema = errorBodySchema;

export class ApiError extends Error {
  readonly status: ErrorStatusCode;

  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly details: ErrorDetails = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.status = errorStatus[code];
  }

  toBody() {
    return errorBody(this.code, this.message, this.details);
  }

  /** Hono calls this for thrown errors that carry it (as for HTTPException). */
  getResponse(): Response {
    return new Response(JSON.stringify(this.toBody()), {
      status: this.status,
      headers: { "content-type": "application/json", ...this.headers },
    });
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
  const listed = issues.slice(0, 10).map((i) => `${i.path} ${i.message}`);
  throw new ApiError("invalid_request", `invalid ${where}: ${listed.join("; ")}`, { issues });
}

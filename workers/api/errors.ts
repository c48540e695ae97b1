// One error shape for every failure: {"error":{"code","message","issues"?}} with the HTTP status.
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ContractIssue } from "../../shared/contract/event";

export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
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

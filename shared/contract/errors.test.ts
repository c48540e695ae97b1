import { describe, expect, it } from "vitest";
import { errorBody, errorBodySchema, errorCodes, errorStatus } from "./errors";

describe("error bodies", () => {
  it("lists the API's machine-readable codes, each with a status", () => {
    expect(errorCodes).toEqual([
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
    ]);
    for (const code of errorCodes) expect(errorStatus[code]).toBeGreaterThanOrEqual(400);
  });

  it("builds and validates the one error shape", () => {
    const body = errorBody("invalid_event", "event rejected", [{ path: "payload.minute", message: "Too big" }]);
    expect(body).toEqual({
      error: {
        code: "invalid_event",
        message: "event rejected",
        issues: [{ path: "payload.minute", message: "Too big" }],
      },
    });
    expect(errorBody("not_found", "no such match")).toEqual({ error: { code: "not_found", message: "no such match" } });
    expect(errorBodySchema.safeParse(body).success).toBe(true);
    expect(errorBodySchema.safeParse({ error: { code: "teapot", message: "x" } }).success).toBe(false);
  });
});

import { describe, expect, it } from "vitest";
import { boundIssues, errorBody, errorBodySchema, errorCodes, errorStatus, MAX_ECHO_CHARS, MAX_ISSUES } from "./errors";

describe("error bodies", () => {
  it("gives every code one error status, and codes that mean 'retry later' are 503s", () => {
    expect(new Set(errorCodes)).toEqual(new Set(Object.keys(errorStatus)));
    for (const code of errorCodes) {
      expect(errorStatus[code]).toBeGreaterThanOrEqual(400);
      expect(errorStatus[code]).toBeLessThan(600);
    }
    for (const code of errorCodes.filter((c) => c.endsWith("_unavailable"))) expect(errorStatus[code]).toBe(503);
  });

  it("builds and validates the one error shape", () => {
    const body = errorBody("invalid_event", "event rejected", {
      issues: [{ path: "payload.minute", message: "Too big" }],
    });
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

  it("never amplifies: issues are distinct, capped and clipped, and the rest counted", () => {
    const long = "k".repeat(10_000);
    const issues = Array.from({ length: 5_000 }, (_, i) => ({ path: `${i}${long}`, message: "not allowed" }));
    const body = errorBody("invalid_event", "x", { issues: [...issues, ...issues] });
    expect(body.error.issues).toHaveLength(MAX_ISSUES);
    expect(body.error.issuesOmitted).toBe(5_000 - MAX_ISSUES);
    for (const i of body.error.issues ?? []) expect(i.path.length).toBeLessThanOrEqual(MAX_ECHO_CHARS + 1);
    expect(JSON.stringify(body).length).toBeLessThan(30_000);
    expect(
      boundIssues([
        { path: "a", message: "b" },
        { path: "a", message: "b" },
      ]).issues,
    ).toHaveLength(1);
  });
});

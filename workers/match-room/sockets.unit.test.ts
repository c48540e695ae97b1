// The socket lifecycle helpers that need no socket: which close codes are echoed, which errors are teardown.
import { describe, expect, it } from "vitest";
import { clientTag, echoCloseCode, isBenignTeardownError } from "./sockets";

describe("socket lifecycle helpers", () => {
  it("echoes sendable close codes and answers reported-only ones with 1000", () => {
    for (const code of [1000, 1001, 1011, 3000, 4001, 4008, 4999]) expect(echoCloseCode(code)).toBe(code);
    for (const code of [1005, 1006, 1015, 999, 2000, 5000]) expect(echoCloseCode(code)).toBe(1000);
  });

  it("tells a peer that went away from a real error", () => {
    expect(isBenignTeardownError(new Error("WebSocket peer disconnected"))).toBe(true);
    expect(isBenignTeardownError(new Error("Network connection lost."))).toBe(true);
    expect(isBenignTeardownError(new Error("out of memory"))).toBe(false);
  });

  it("tags a client's sockets by its id", () => {
    expect(clientTag("c1")).toBe("client:c1");
  });
});

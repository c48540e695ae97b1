import { describe, expect, it } from "vitest";
import { rememberNewest } from "./isolate-cache";

describe("rememberNewest", () => {
  it("holds at most max entries, dropping the least recently written", () => {
    const cache = new Map<string, number>();
    for (const k of ["a", "b", "c"]) rememberNewest(cache, k, 1, 3);
    rememberNewest(cache, "a", 2, 3); // rewritten: now the newest
    rememberNewest(cache, "d", 1, 3);
    expect([...cache.keys()]).toEqual(["c", "a", "d"]);
    expect(cache.get("a")).toBe(2);
  });
});

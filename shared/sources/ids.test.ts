import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { seededRng } from "../random";
import { sha1, sourceEventId, uuidV5 } from "./ids";

describe("source ids", () => {
  it("sha1 matches node:crypto on random inputs of every padding length", () => {
    const rng = seededRng("sha1");
    for (let n = 0; n < 200; n++) {
      const bytes = Uint8Array.from({ length: n }, () => rng.int(0, 255));
      const expected = createHash("sha1").update(bytes).digest("hex");
      expect(Buffer.from(sha1(bytes)).toString("hex")).toBe(expected);
    }
  });

  it("uuidV5 gives the RFC 9562 test vector (DNS namespace, www.example.com)", () => {
    expect(uuidV5("www.example.com", "6ba7b810-9dad-11d1-80b4-00c04fd430c8")).toBe(
      "2ed6657d-e927-568b-95e1-2665a8aea6a2",
    );
  });

  it("source event ids are stable per position and differ between sources, matches and positions", () => {
    const a = sourceEventId("src-1", "m-1", 1);
    expect(sourceEventId("src-1", "m-1", 1)).toBe(a);
    expect(
      new Set([a, sourceEventId("src-2", "m-1", 1), sourceEventId("src-1", "m-2", 1), sourceEventId("src-1", "m-1", 2)])
        .size,
    ).toBe(4);
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

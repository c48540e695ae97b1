import { describe, expect, it } from "vitest";
import { matchHref, parseLocation, tokenParamFor, viewerMatchIds } from "./location";

describe("parseLocation", () => {
  it("takes the token from the fragment and leaves the route without it", () => {
    expect(parseLocation("", "#token=k1")).toEqual({ route: { view: "list" }, token: "k1", cleanHash: "" });
    expect(parseLocation("", "#/match/demo-1?token=k2")).toEqual({
      route: { view: "match", matchId: "demo-1" },
      token: "k2",
      cleanHash: "#/match/demo-1",
    });
  });

  it("accepts access_token (viewer tokens) and the query string, the fragment winning", () => {
    expect(parseLocation("", "#/match/m?access_token=v").token).toBe("v");
    expect(parseLocation("?token=q", "#/match/m").token).toBe("q");
    expect(parseLocation("?token=q", "#token=f").token).toBe("f");
  });

  it("keeps other fragment parameters and has no token when none is given", () => {
    expect(parseLocation("", "#/match/m?token=k&x=1").cleanHash).toBe("#/match/m?x=1");
    expect(parseLocation("", "#/match/m")).toEqual({
      route: { view: "match", matchId: "m" },
      token: null,
      cleanHash: "#/match/m",
    });
  });

  it("round-trips match ids through matchHref and falls back to the list on anything else", () => {
    const id = "a:b.c_d-e";
    expect(parseLocation("", matchHref(id)).route).toEqual({ view: "match", matchId: id });
    expect(parseLocation("", "#/elsewhere").route).toEqual({ view: "list" });
    expect(parseLocation("", "#/match/%E0%A4%A").route).toEqual({ view: "list" });
    expect(parseLocation("", "").route).toEqual({ view: "list" });
  });
});

describe("viewer tokens in the page", () => {
  const jws = (claims: unknown) =>
    `eyJhbGciOiJIUzI1NiJ9.${btoa(JSON.stringify(claims)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_")}.sig`;

  it("reads the token's matches and sends it as access_token; an API key goes as token", () => {
    const token = jws({ sub: "c1", mid: ["final-1", "semi-2"], exp: 1 });
    expect(viewerMatchIds(token)).toEqual(["final-1", "semi-2"]);
    expect(tokenParamFor(token)).toBe("access_token");
    expect(viewerMatchIds("mp_dev_local_only_key")).toBeNull();
    expect(tokenParamFor("mp_dev_local_only_key")).toBe("token");
    expect(viewerMatchIds(jws({ mid: "not-a-list" }))).toBeNull();
    expect(viewerMatchIds("a.!!!.c")).toBeNull();
  });
});

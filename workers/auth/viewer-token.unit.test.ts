import { describe, expect, it } from "vitest";
import { signViewerToken, ViewerKeysError, verifyViewerToken, viewerKeySet } from "./viewer-token";

const secret = (c: string) => btoa(c.repeat(32));
const oldSet = JSON.stringify({ current: "old", keys: { old: secret("a") } });
const bothOld = JSON.stringify({ current: "old", keys: { old: secret("a"), new: secret("b") } });
const bothNew = JSON.stringify({ current: "new", keys: { old: secret("a"), new: secret("b") } });
const newOnly = JSON.stringify({ current: "new", keys: { new: secret("b") } });
const grant = { clientId: "c1", matchIds: ["m1", "m2"], ttlSeconds: 60 };

describe("viewer token", () => {
  it("round-trips its grant", async () => {
    const keys = viewerKeySet(oldSet);
    const { token, expiresAt } = await signViewerToken(keys, grant);
    expect(await verifyViewerToken(keys, token)).toEqual({ clientId: "c1", matchIds: ["m1", "m2"], expiresAt });
  });

  it("rotation: add a key, switch current, drop the old one once its tokens expired", async () => {
    const before = (await signViewerToken(viewerKeySet(oldSet), grant)).token;
    expect(await verifyViewerToken(viewerKeySet(bothOld), before)).not.toBeNull();
    const after = (await signViewerToken(viewerKeySet(bothNew), grant)).token;
    expect(await verifyViewerToken(viewerKeySet(bothNew), before)).not.toBeNull();
    expect(await verifyViewerToken(viewerKeySet(bothNew), after)).not.toBeNull();
    expect(await verifyViewerToken(viewerKeySet(newOnly), after)).not.toBeNull();
    expect(await verifyViewerToken(viewerKeySet(newOnly), before)).toBeNull();
  });

  it("refuses expired, tampered and unsigned tokens", async () => {
    const keys = viewerKeySet(oldSet);
    const past = Math.floor(Date.now() / 1000) - 3_600;
    expect(await verifyViewerToken(keys, (await signViewerToken(keys, grant, past)).token)).toBeNull();
    const { token } = await signViewerToken(keys, grant);
    const [h, , s] = token.split(".");
    const forged = btoa(
      JSON.stringify({ iss: "matchpulse", sub: "c1", scope: "live:read", mid: ["x"], iat: 1, exp: 9e9 }),
    ).replace(/=+$/, "");
    expect(await verifyViewerToken(keys, `${h}.${forged}.${s}`)).toBeNull();
    const none = `${btoa(JSON.stringify({ alg: "none", typ: "JWT", kid: "old" })).replace(/=+$/, "")}.${forged}.`;
    expect(await verifyViewerToken(keys, none)).toBeNull();
    expect(await verifyViewerToken(keys, "")).toBeNull();
  });

  it("refuses key sets that are malformed, name a missing current key or hold short keys", () => {
    for (const bad of [undefined, "", "{", JSON.stringify({ current: "x", keys: { y: secret("a") } })]) {
      expect(() => viewerKeySet(bad)).toThrow(ViewerKeysError);
    }
    expect(() => viewerKeySet(JSON.stringify({ current: "k", keys: { k: btoa("short") } }))).toThrow(ViewerKeysError);
  });
});

// Viewer tokens end to end: an operator's key mints one, a browser-style request reads /state and /live
// with ?access_token=, and every refused token (other match, expired, tampered, revoked issuer) gets 401
// before the match's room is asked (a room asked about a match without events would answer 404).
import { env, listDurableObjectIds, SELF } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { signViewerToken, viewerKeySet } from "../workers/auth/viewer-token";
import { DEFAULT_SOCKETS_PER_CLIENT } from "../workers/match-room/match-room";
import { BASE, call, createApiKey, eventually, footballEvent, getState, postEvents, uniqueMatchId } from "./fixtures";

let ingestKey: string;
let readKey: string;
let adminKey: string;

beforeAll(async () => {
  ingestKey = await createApiKey(["ingest"]);
  readKey = await createApiKey(["read"]);
  adminKey = await createApiKey(["admin"]);
});

async function mint(key: string, body: unknown): Promise<Response> {
  return call(key, "/v1/viewer-tokens", { body });
}

async function tokenFor(key: string, matchIds: string[], ttlSeconds?: number): Promise<string> {
  const res = await mint(key, { matchIds, ...(ttlSeconds ? { ttlSeconds } : {}) });
  expect(res.status).toBe(201);
  return ((await res.json()) as { token: string }).token;
}

async function matchWithEvents(label: string): Promise<string> {
  const matchId = uniqueMatchId(label);
  expect((await postEvents(ingestKey, footballEvent(matchId, "match_start", { seq: 1 }))).status).toBe(202);
  await eventually(async () => (await getState(readKey, matchId)).status === 200);
  return matchId;
}

const stateWith = (matchId: string, token: string) =>
  SELF.fetch(`${BASE}/v1/matches/${matchId}/state?access_token=${encodeURIComponent(token)}`);
const liveWith = (matchId: string, token: string) =>
  SELF.fetch(`${BASE}/v1/matches/${matchId}/live?access_token=${encodeURIComponent(token)}`, {
    headers: { upgrade: "websocket" },
  });

async function roomExists(matchId: string): Promise<boolean> {
  const id = env.MATCH_ROOM.idFromName(matchId);
  return (await listDurableObjectIds(env.MATCH_ROOM)).some((other) => other.equals(id));
}

async function expect401(res: Response): Promise<void> {
  expect(res.status).toBe(401);
  expect(((await res.json()) as { error: { code: string } }).error.code).toBe("unauthorized");
}

describe("viewer tokens", () => {
  it("a read key mints a token; it reads /state and /live of its match", async () => {
    const matchId = await matchWithEvents("viewer");
    const before = Math.floor(Date.now() / 1000);
    const res = await mint(readKey, { matchIds: [matchId], ttlSeconds: 120 });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { token: string; expiresAt: string };
    const expiresAt = Date.parse(body.expiresAt) / 1000;
    expect(expiresAt).toBeGreaterThanOrEqual(before + 120);
    expect(expiresAt).toBeLessThanOrEqual(before + 122);

    const state = await stateWith(matchId, body.token);
    expect(state.status).toBe(200);
    expect(await state.json()).toMatchObject({ eventsApplied: 1 });

    const live = await liveWith(matchId, body.token);
    expect(live.status).toBe(101);
    const ws = live.webSocket;
    if (!ws) throw new Error("no socket");
    const frames: { type: string; seq: number }[] = [];
    ws.addEventListener("message", (m) => frames.push(JSON.parse(String(m.data))));
    ws.accept();
    await eventually(async () => frames.length >= 1);
    expect(frames[0]).toMatchObject({ type: "snapshot", seq: 1 });
    await postEvents(ingestKey, footballEvent(matchId, "goal", { seq: 2, teamId: 1, payload: { minute: 3 } }));
    await eventually(async () => frames.length >= 2);
    expect(frames[1]).toMatchObject({ type: "update", seq: 2 });
    ws.close(1000, "done");
  });

  it("a page reads its match's metadata and prediction series with the token as a Bearer credential", async () => {
    const matchId = await matchWithEvents("viewer-page");
    const other = await matchWithEvents("viewer-page-other");
    const token = await tokenFor(readKey, [matchId]);
    const bearer = (path: string, t: string) =>
      SELF.fetch(`${BASE}${path}`, { headers: { authorization: `Bearer ${t}` } });
    expect((await bearer(`/v1/matches/${matchId}/state`, token)).status).toBe(200);
    expect((await bearer(`/v1/matches/${matchId}/predictions`, token)).status).toBe(200);
    // Not registered: the metadata route answers 404 to a viewer of that match like to a key.
    expect((await bearer(`/v1/matches/${matchId}`, token)).status).toBe(404);
    await expect401(await bearer(`/v1/matches/${other}/predictions`, token));
    await expect401(await bearer(`/v1/matches/${other}`, token));
    // The directory and analytics beyond the prediction series stay for keys.
    expect((await bearer("/v1/matches", token)).status).toBe(401);
    expect((await bearer(`/v1/matches/${matchId}/metrics`, token)).status).toBe(401);
  });

  it("minting needs the read scope, a bounded TTL and 1-20 valid match ids", async () => {
    const matchId = uniqueMatchId("viewer-mint");
    expect((await mint(ingestKey, { matchIds: [matchId] })).status).toBe(403);
    expect((await mint(adminKey, { matchIds: [matchId] })).status).toBe(403);
    expect((await mint("mp_not_a_key", { matchIds: [matchId] })).status).toBe(401);
    for (const bad of [
      { matchIds: [matchId], ttlSeconds: 3_601 },
      { matchIds: [matchId], ttlSeconds: 5 },
      { matchIds: [] },
      { matchIds: Array.from({ length: 21 }, (_, i) => `${matchId}-${i}`) },
      { matchIds: [".."] },
      { matchIds: [matchId], extra: true },
    ]) {
      const res = await mint(readKey, bad);
      expect(res.status, JSON.stringify(bad)).toBe(400);
    }
  });

  it("a token of another match: 401, and the match's room is never asked", async () => {
    const owned = await matchWithEvents("viewer-own");
    const token = await tokenFor(readKey, [owned]);
    const other = await matchWithEvents("viewer-other");
    await expect401(await stateWith(other, token));
    await expect401(await liveWith(other, token));
    // A match without events: its room would answer 404; the edge answers 401 and no room is created.
    const untouched = uniqueMatchId("viewer-none");
    await expect401(await stateWith(untouched, token));
    await expect401(await liveWith(untouched, token));
    expect(await roomExists(untouched)).toBe(false);
  });

  it("expired, tampered, foreign-key and missing-kid tokens: 401 before any room", async () => {
    const matchId = uniqueMatchId("viewer-bad");
    const keys = viewerKeySet(env.VIEWER_TOKEN_KEYS);
    const clientId = "00000000-0000-0000-0000-000000000000";
    const longAgo = Math.floor(Date.now() / 1000) - 7_200;
    const expired = (await signViewerToken(keys, { clientId, matchIds: [matchId], ttlSeconds: 60 }, longAgo)).token;
    const good = await tokenFor(readKey, [matchId]);
    const [h, p, s] = good.split(".") as [string, string, string];
    const claims = JSON.parse(atob(p.replace(/-/g, "+").replace(/_/g, "/")));
    const widened = btoa(JSON.stringify({ ...claims, mid: [matchId, "someone-else"] }))
      .replace(/\+/g, "-")
      .replace(/\//g, "_")
      .replace(/=+$/, "");
    const foreignKeys = viewerKeySet(
      JSON.stringify({ current: keys.current.kid, keys: { [keys.current.kid]: btoa("x".repeat(32)) } }),
    );
    const foreign = (await signViewerToken(foreignKeys, { clientId, matchIds: [matchId], ttlSeconds: 60 })).token;
    const flipped = `${h}.${p}.${s.slice(0, -2)}${s.endsWith("AA") ? "BB" : "AA"}`;
    for (const token of [expired, `${h}.${widened}.${s}`, flipped, foreign, "not.a.token", "x"]) {
      await expect401(await stateWith(matchId, token));
      await expect401(await liveWith(matchId, token));
    }
    expect(await roomExists(matchId)).toBe(false);
  });

  it("revoking the issuing client ends its tokens within the 5 s key cache bound (open sockets: test/relays.test.ts)", async () => {
    const matchId = await matchWithEvents("viewer-revoke");
    const { client, key } = (await (
      await call(adminKey, "/v1/api-clients", {
        body: { name: "viewer issuer", scopes: ["read"] },
      })
    ).json()) as { client: { id: string }; key: string };
    const token = await tokenFor(key, [matchId]);
    expect((await stateWith(matchId, token)).status).toBe(200);
    expect((await call(adminKey, `/v1/api-clients/${client.id}/revoke`, { method: "POST" })).status).toBe(200);
    const refused = await eventually(async () => {
      const r = await stateWith(matchId, token);
      return r.status === 401 ? r : null;
    }, 6_000);
    await expect401(refused);
    await expect401(await liveWith(matchId, token));
  });

  it("viewers' sockets do not count in the issuing key's socket cap; the key's own sockets still do", async () => {
    const matchId = await matchWithEvents("viewer-cap");
    const operator = await createApiKey(["read"], "operator", { readPerMinute: 10_000 });
    const token = await tokenFor(operator, [matchId]);
    const viewers: WebSocket[] = [];
    for (let i = 0; i <= DEFAULT_SOCKETS_PER_CLIENT; i++) {
      const res = await liveWith(matchId, token);
      expect(res.status).toBe(101);
      const ws = res.webSocket;
      if (!ws) throw new Error("no socket");
      ws.accept();
      viewers.push(ws);
    }
    const byKey = await SELF.fetch(`${BASE}/v1/matches/${matchId}/live?token=${operator}`, {
      headers: { upgrade: "websocket" },
    });
    expect(byKey.status).toBe(101);
    byKey.webSocket?.accept();
    byKey.webSocket?.close(1000, "done");
    for (const ws of viewers) ws.close(1000, "done");
  });

  it("the OpenAPI document lists the route and the access_token parameter", async () => {
    const doc = (await (await SELF.fetch(`${BASE}/v1/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { parameters?: { name: string }[] }>>;
    };
    expect(doc.paths["/v1/viewer-tokens"]?.post).toBeDefined();
    const names = (route: string) => doc.paths[route]?.get?.parameters?.map((p) => p.name) ?? [];
    expect(names("/v1/matches/{matchId}/live")).toContain("access_token");
    expect(names("/v1/matches/{matchId}/state")).toContain("access_token");
  });
});

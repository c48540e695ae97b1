// Bad admin input is the client's fault: 400 invalid_request naming the field, never 503 "retry later".
import { SELF } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { BASE, call, createApiKey, uniqueMatchId } from "./fixtures";

let admin: string;
beforeAll(async () => {
  admin = await createApiKey(["admin", "read"], "admin inputs");
});

async function refused(res: Response): Promise<string[]> {
  const body = (await res.json()) as { error: { code: string; issues?: { path: string }[] } };
  expect(res.status, JSON.stringify(body)).toBe(400);
  expect(body.error.code).toBe("invalid_request");
  return (body.error.issues ?? []).map((i) => i.path);
}

const forged = (position: unknown) =>
  btoa(JSON.stringify(position)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

describe("admin input the metadata store cannot keep", () => {
  it("a NUL or a lone surrogate in a name", async () => {
    const nul = await call(admin, "/v1/teams", {
      body: { id: uniqueMatchId("t"), sport: "football", name: "A\u0000B" },
    });
    expect(await refused(nul)).toEqual(["body.name"]);
    const text = `{"id":"${uniqueMatchId("t")}","sport":"football","name":"x\\ud800"}`;
    const lone = await fetchRaw("/v1/teams", text);
    expect(await refused(lone)).toEqual(["body.name"]);
    const client = await call(admin, "/v1/api-clients", { body: { name: "\u0000", scopes: ["read"] } });
    expect(await refused(client)).toEqual(["body.name"]);
  });

  it("the year 0000, or any start outside 1900–9999", async () => {
    for (const startsAt of ["0000-01-01T00:00:00Z", "1850-06-01T12:00:00Z"]) {
      const res = await call(admin, "/v1/matches", { body: { id: uniqueMatchId("m"), sport: "football", startsAt } });
      expect(await refused(res)).toEqual(["body.startsAt"]);
    }
    expect(await refused(await call(admin, "/v1/matches?from=0000-01-01T00:00:00Z"))).toEqual(["query.from"]);
  });

  it("an empty PATCH", async () => {
    const id = uniqueMatchId("team");
    expect((await call(admin, "/v1/teams", { body: { id, sport: "football", name: "T" } })).status).toBe(201);
    expect(await refused(await call(admin, `/v1/teams/${id}`, { method: "PATCH", body: {} }))).toEqual(["body"]);
    const created = (await (
      await call(admin, "/v1/api-clients", { body: { name: "patched", scopes: ["read"] } })
    ).json()) as { client: { id: string } };
    const res = await call(admin, `/v1/api-clients/${created.client.id}`, { method: "PATCH", body: {} });
    expect(await refused(res)).toEqual(["body"]);
    const matchId = uniqueMatchId("m");
    expect((await call(admin, "/v1/matches", { body: { id: matchId, sport: "cs2" } })).status).toBe(201);
    expect(await refused(await call(admin, `/v1/matches/${matchId}`, { method: "PATCH", body: {} }))).toEqual(["body"]);
  });

  it("a forged cursor", async () => {
    expect(await refused(await call(admin, `/v1/matches?cursor=${forged({ s: "garbage", id: "x" })}`))).toEqual([
      "query.cursor",
    ]);
    expect(await refused(await call(admin, `/v1/api-clients?cursor=${forged({ id: "not-a-uuid" })}`))).toEqual([
      "query.cursor",
    ]);
    expect(await refused(await call(admin, `/v1/teams?cursor=${forged({ id: "a\u0000b" })}`))).toEqual([
      "query.cursor",
    ]);
  });
});

function fetchRaw(path: string, text: string): Promise<Response> {
  return SELF.fetch(`${BASE}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${admin}` },
    body: text,
  });
}

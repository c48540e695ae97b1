// Tenants through the real API and Postgres: the same ids in two tenants never touch each other, a grant
// gives read (never write) and its revocation applies within the key-cache bound, the operator manages
// tenants while a tenant's admin manages only its own clients, the storedMatches quota answers 429, and
// rows written before tenants (every other test's) live in the default tenant.
import { env } from "cloudflare:test";
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { KEY_CACHE_TTL_MS } from "../workers/api/auth";
import { withPostgres } from "../workers/clients/postgres";
import type { Env } from "../workers/env";
import { MATCH_OWNER_TTL_MS, readableOwner } from "../workers/tenants/match-owner";
import { call, createApiKey, eventually, footballEvent, postEvents, uniqueMatchId } from "./fixtures";
import { createTenant, expectStatus, operator, tenantKey } from "./tenant-fixtures";

const json = async <T>(res: Response, status = 200): Promise<T> => JSON.parse(await expectStatus(res, status)) as T;
const uid = (label: string) => `${label}-${crypto.randomUUID().slice(0, 8)}`;

describe("two tenants with the same ids", () => {
  let a: string;
  let b: string;
  const teamId = uid("team");
  const playerId = uid("player");
  const matchId = uid("final");

  beforeAll(async () => {
    const [ta, tb] = await Promise.all([createTenant("same-a"), createTenant("same-b")]);
    [a, b] = [(await tenantKey(ta, ["admin", "read"])).key, (await tenantKey(tb, ["admin", "read"])).key];
    for (const [key, name] of [
      [a, "A"],
      [b, "B"],
    ] as const) {
      await expectStatus(
        await call(key, "/v1/teams", { body: { id: teamId, sport: "football", name: `Team ${name}` } }),
        201,
      );
      await expectStatus(
        await call(key, "/v1/players", { body: { id: playerId, teamId, name: `Player ${name}` } }),
        201,
      );
      await expectStatus(
        await call(key, "/v1/matches", { body: { id: matchId, sport: "football", team1Id: teamId } }),
        201,
      );
    }
  });

  it("each sees its own team, player and match under the shared ids", async () => {
    for (const [key, name] of [
      [a, "A"],
      [b, "B"],
    ] as const) {
      expect((await json<{ name: string }>(await call(key, `/v1/teams/${teamId}`))).name).toBe(`Team ${name}`);
      const match = await json<{ team1: { name: string } }>(await call(key, `/v1/matches/${matchId}`));
      expect(match.team1.name).toBe(`Team ${name}`);
      const players = await json<{ data: { id: string; name: string }[] }>(await call(key, "/v1/players"));
      expect(players.data.map((p) => p.name)).toEqual([`Player ${name}`]);
      const matches = await json<{ data: { id: string }[] }>(await call(key, "/v1/matches"));
      expect(matches.data.map((m) => m.id)).toEqual([matchId]);
    }
  });

  it("a change in one tenant leaves the other's rows as they were", async () => {
    await expectStatus(await call(a, `/v1/teams/${teamId}`, { method: "PATCH", body: { rating: 1900 } }), 200);
    await expectStatus(
      await call(a, `/v1/matches/${matchId}`, { method: "PATCH", body: { venue: "A's ground" } }),
      200,
    );
    await expectStatus(await call(a, `/v1/players/${playerId}`, { method: "PATCH", body: { name: "Moved" } }), 200);
    expect((await json<{ rating: number }>(await call(b, `/v1/teams/${teamId}`))).rating).toBe(1500);
    expect((await json<{ venue: string | null }>(await call(b, `/v1/matches/${matchId}`))).venue).toBeNull();
    const players = await json<{ data: { name: string }[] }>(await call(b, "/v1/players"));
    expect(players.data.map((p) => p.name)).toEqual(["Player B"]);
  });

  it("a match names only its own tenant's teams", async () => {
    const other = await createTenant("same-c");
    const c = (await tenantKey(other, ["admin"])).key;
    const res = await call(c, "/v1/matches", { body: { id: uid("m"), sport: "football", team1Id: teamId } });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain(`no team '${teamId}'`);
  });
});

describe("sharing a match", () => {
  let owner: string;
  let ingest: string;
  let grantee: string;
  let granteeKey: string;
  let granteeAdmin: string;
  const matchId = uniqueMatchId("shared");

  beforeAll(async () => {
    // The owner is the default tenant, whose events reach its rooms today.
    [owner, ingest] = await Promise.all([createApiKey(["admin", "read"]), createApiKey(["ingest"])]);
    grantee = await createTenant("media");
    granteeKey = (await tenantKey(grantee, ["read"])).key;
    granteeAdmin = (await tenantKey(grantee, ["admin"])).key;
    await expectStatus(await call(owner, "/v1/matches", { body: { id: matchId, sport: "football" } }), 201);
    await expectStatus(await postEvents(ingest, footballEvent(matchId, "match_start", { seq: 1 })), 202);
    await eventually(async () => (await call(owner, `/v1/matches/${matchId}/state`)).status === 200);
  });

  it("reads nothing before the grant, reads (never writes) after it, and loses it on revocation", async () => {
    expect((await call(granteeKey, `/v1/matches/${matchId}`)).status).toBe(404);
    expect((await call(granteeKey, `/v1/matches/${matchId}/state`)).status).toBe(404);

    const grant = await json<{ matchId: string; tenantId: string }>(
      await call(owner, `/v1/matches/${matchId}/grants`, { body: { tenantId: grantee } }),
      201,
    );
    expect(grant).toMatchObject({ matchId, tenantId: grantee });
    // A repeat changes nothing.
    await expectStatus(await call(owner, `/v1/matches/${matchId}/grants`, { body: { tenantId: grantee } }), 201);
    const grants = await json<{ data: { tenantId: string }[] }>(await call(owner, `/v1/matches/${matchId}/grants`));
    expect(grants.data.map((g) => g.tenantId)).toEqual([grantee]);

    const seen = await eventually(async () => {
      const res = await call(granteeKey, `/v1/matches/${matchId}`);
      return res.status === 200 ? ((await res.json()) as { id: string; live: unknown }) : null;
    }, KEY_CACHE_TTL_MS + 1_000);
    expect(seen.id).toBe(matchId);
    expect(seen.live).not.toBeNull();
    expect((await call(granteeKey, `/v1/matches/${matchId}/state`)).status).toBe(200);

    // Read only: the grantee's admin cannot change the match, list or revoke its grants.
    expect((await call(granteeAdmin, `/v1/matches/${matchId}`, { method: "PATCH", body: { venue: "x" } })).status).toBe(
      404,
    );
    expect((await call(granteeAdmin, `/v1/matches/${matchId}/grants`)).status).toBe(404);
    expect((await call(granteeAdmin, `/v1/matches/${matchId}/grants/${grantee}`, { method: "DELETE" })).status).toBe(
      404,
    );
    expect((await call(owner, `/v1/matches/${matchId}`)).status).toBe(200);

    await expectStatus(await call(owner, `/v1/matches/${matchId}/grants/${grantee}`, { method: "DELETE" }), 204);
    const revokedAt = Date.now();
    await eventually(
      async () => (await call(granteeKey, `/v1/matches/${matchId}/state`)).status === 404,
      KEY_CACHE_TTL_MS + 1_000,
    );
    expect(Date.now() - revokedAt).toBeLessThanOrEqual(KEY_CACHE_TTL_MS + 1_000);
    expect((await call(granteeKey, `/v1/matches/${matchId}`)).status).toBe(404);
  });

  it("refuses to share another tenant's match, with the own tenant, or with no tenant", async () => {
    const other = await createTenant("sharer");
    const otherAdmin = (await tenantKey(other, ["admin"])).key;
    // Another tenant's match is not found (no existence leak), even by a tenant it was shared with.
    expect((await call(otherAdmin, `/v1/matches/${matchId}/grants`, { body: { tenantId: grantee } })).status).toBe(404);
    const self = await call(owner, `/v1/matches/${matchId}/grants`, { body: { tenantId: "default" } });
    expect(self.status).toBe(400);
    const none = await call(owner, `/v1/matches/${matchId}/grants`, { body: { tenantId: uid("nobody") } });
    expect(none.status).toBe(400);
  });

  it("a viewer token reads a match of another tenant only while it is shared with the issuer's tenant", async () => {
    const minted = await json<{ token: string }>(
      await call(granteeKey, "/v1/viewer-tokens", { body: { matchIds: [matchId] } }),
      201,
    );
    const viewerState = () =>
      call(null, `/v1/matches/${matchId}/state?access_token=${encodeURIComponent(minted.token)}`);
    expect((await viewerState()).status).toBe(404);
    await expectStatus(await call(owner, `/v1/matches/${matchId}/grants`, { body: { tenantId: grantee } }), 201);
    await eventually(async () => (await viewerState()).status === 200, KEY_CACHE_TTL_MS + 1_000);
    await expectStatus(await call(owner, `/v1/matches/${matchId}/grants/${grantee}`, { method: "DELETE" }), 204);
    await eventually(async () => (await viewerState()).status === 404, KEY_CACHE_TTL_MS + 1_000);
  });

  it("the grantee's own match of the same id comes first", async () => {
    await expectStatus(await call(owner, `/v1/matches/${matchId}/grants`, { body: { tenantId: grantee } }), 201);
    await eventually(async () => (await call(granteeKey, `/v1/matches/${matchId}`)).status === 200);
    await expectStatus(
      await call(granteeAdmin, "/v1/matches", { body: { id: matchId, sport: "football", venue: "own" } }),
      201,
    );
    const own = await json<{ venue: string | null; live: unknown }>(await call(granteeKey, `/v1/matches/${matchId}`));
    expect(own.venue).toBe("own");
    expect(own.live).toBeNull();
  });
});

describe("which tenant's match a read names, while Postgres is down", () => {
  it("serves the last answer within the stale bound, else the caller's own tenant (never another's)", async () => {
    const [owner, grantee] = await Promise.all([createTenant("outage-owner"), createTenant("outage-grantee")]);
    const admin = (await tenantKey(owner, ["admin"])).key;
    const matchId = uid("outage");
    await expectStatus(await call(admin, "/v1/matches", { body: { id: matchId, sport: "football" } }), 201);
    await expectStatus(await call(admin, `/v1/matches/${matchId}/grants`, { body: { tenantId: grantee } }), 201);
    // One URL per test run: the breaker is per URL, so other tests' Postgres stays up.
    const down: Env = { ...env, DATABASE_URL: `postgres://postgres@127.0.0.1:9/${crypto.randomUUID()}` };
    const now = Date.now();
    expect(await readableOwner(env, grantee, matchId, now)).toBe(owner);
    // Past the cache bound, Postgres unreachable: the last answer (within the stale-if-error bound).
    expect(await readableOwner(down, grantee, matchId, now + MATCH_OWNER_TTL_MS + 1)).toBe(owner);
    // A match this isolate never resolved: the caller's own tenant, which shows it nothing of another's.
    expect(await readableOwner(down, grantee, uid("unseen"), now)).toBe(grantee);
  });
});

describe("operator and tenant admin", () => {
  it("only the operator creates and changes tenants", async () => {
    const tenant = await createTenant("ops");
    const admin = (await tenantKey(tenant, ["admin"])).key;
    expect((await call(admin, "/v1/tenants", { body: { id: uid("x"), name: "x" } })).status).toBe(403);
    expect((await call(admin, `/v1/tenants/${tenant}`)).status).toBe(403);
    expect((await call(admin, `/v1/tenants/${tenant}`, { method: "PATCH", body: { name: "y" } })).status).toBe(403);
    expect(
      (await call(admin, `/v1/tenants/${tenant}/clients`, { body: { name: "x", scopes: ["admin"] } })).status,
    ).toBe(403);
    const op = await operator();
    const got = await json<{ id: string; quotas: Record<string, unknown> }>(await call(op, `/v1/tenants/${tenant}`));
    expect(got).toMatchObject({ id: tenant, quotas: { eventsPerDay: null, liveSockets: null, storedMatches: null } });
    const bad = await call(op, "/v1/tenants", { body: { id: "Not/Valid", name: "x" } });
    expect(bad.status).toBe(400);
  });

  it("a tenant admin sees and manages only its own tenant's clients, and cannot mint an operator", async () => {
    const [t1, t2] = await Promise.all([createTenant("clients-1"), createTenant("clients-2")]);
    const admin1 = await tenantKey(t1, ["admin"]);
    const admin2 = await tenantKey(t2, ["admin"]);
    const list = await json<{ data: { id: string; tenantId: string }[] }>(await call(admin1.key, "/v1/api-clients"));
    expect(list.data.map((c) => c.id)).toEqual([admin1.clientId]);
    expect(list.data[0]?.tenantId).toBe(t1);

    expect(
      (await call(admin1.key, `/v1/api-clients/${admin2.clientId}`, { method: "PATCH", body: { name: "x" } })).status,
    ).toBe(404);
    expect((await call(admin1.key, `/v1/api-clients/${admin2.clientId}/revoke`, { method: "POST" })).status).toBe(404);
    // admin2's key still works.
    expect((await call(admin2.key, "/v1/api-clients")).status).toBe(200);

    const escalate = await call(admin1.key, "/v1/api-clients", { body: { name: "x", scopes: ["operator"] } });
    expect(escalate.status).toBe(403);
    const raise = await call(admin1.key, `/v1/api-clients/${admin1.clientId}`, {
      method: "PATCH",
      body: { scopes: ["admin", "operator"] },
    });
    expect(raise.status).toBe(403);

    const created = await json<{ client: { tenantId: string }; key: string }>(
      await call(admin1.key, "/v1/api-clients", { body: { name: "reader", scopes: ["read"] } }),
      201,
    );
    expect(created.client.tenantId).toBe(t1);
  });
});

describe("the storedMatches quota", () => {
  it("answers 429 quota_exceeded naming storedMatches, and a raised quota lets the next match in", async () => {
    const tenant = await createTenant("quota", { storedMatches: 1 });
    const admin = (await tenantKey(tenant, ["admin"])).key;
    await expectStatus(await call(admin, "/v1/matches", { body: { id: uid("q1"), sport: "football" } }), 201);
    const over = await call(admin, "/v1/matches", { body: { id: uid("q2"), sport: "football" } });
    expect(over.status).toBe(429);
    expect(((await over.json()) as { error: unknown }).error).toMatchObject({
      code: "quota_exceeded",
      quota: "storedMatches",
    });
    // Concurrent creates cannot pass the quota together.
    await expectStatus(
      await call(await operator(), `/v1/tenants/${tenant}`, {
        method: "PATCH",
        body: { quotas: { storedMatches: 3 } },
      }),
      200,
    );
    const burst = await Promise.all(
      Array.from({ length: 6 }, (_, i) => call(admin, "/v1/matches", { body: { id: uid(`b${i}`), sport: "cs2" } })),
    );
    expect(burst.map((r) => r.status).sort()).toEqual([201, 201, 429, 429, 429, 429]);
    const got = await json<{ usage: { storedMatches: number } }>(await call(await operator(), `/v1/tenants/${tenant}`));
    expect(got.usage.storedMatches).toBe(3);
  });
});

describe("rows from before tenants", () => {
  it("belong to the default tenant: keys made the old way act in it and no row lacks a tenant", async () => {
    const admin = await createApiKey(["admin"]);
    const list = await json<{ data: { tenantId: string }[] }>(await call(admin, "/v1/api-clients?limit=5"));
    expect(new Set(list.data.map((c) => c.tenantId))).toEqual(new Set(["default"]));
    const orphans = await withPostgres(env, ({ db }) =>
      db.execute<{ n: number }>(sql`
        select count(*)::int as n from (
          select tenant_id from matches union all select tenant_id from teams union all
          select tenant_id from players union all select tenant_id from api_clients union all
          select tenant_id from sources union all select tenant_id from games
        ) t where tenant_id not in (select id from tenants)`),
    );
    expect(orphans.rows[0]?.n).toBe(0);
  });
});

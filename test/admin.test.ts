// The management API against the real Postgres: teams, players and matches; API clients with scopes,
// the key shown once, revocation; and the whole client journey from registering a match to reading its
// metrics with keys the API itself issued.
import { SELF } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { BASE, call, createApiKey, eventually, footballEvent, postEvents, uniqueMatchId } from "./fixtures";

let admin: string;
beforeAll(async () => {
  admin = await createApiKey(["admin"], "test admin");
});

const uid = (label: string) => `${label}-${crypto.randomUUID().slice(0, 8)}`;

async function ok<T>(res: Response, status = 200): Promise<T> {
  const body = await res.text();
  expect(res.status, body).toBe(status);
  return JSON.parse(body) as T;
}

async function errorOf(res: Response): Promise<{ status: number; code: string; paths: string[] }> {
  const body = (await res.json()) as { error: { code: string; issues?: { path: string }[] } };
  return { status: res.status, code: body.error.code, paths: (body.error.issues ?? []).map((i) => i.path) };
}

async function allPages<T>(key: string, path: string): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const sep = path.includes("?") ? "&" : "?";
    const res: { data: T[]; nextCursor: string | null } = await ok(
      await call(key, `${path}${cursor ? `${sep}cursor=${cursor}` : ""}`),
    );
    items.push(...res.data);
    cursor = res.nextCursor;
    pages++;
  } while (cursor && pages < 100);
  return { items, pages };
}

interface Team {
  id: string;
  sport: string;
  name: string;
  rating: number;
  createdAt: string;
  updatedAt: string;
}

describe("teams and players", () => {
  it("creates, reads and updates a team; refuses duplicates and invalid bodies", async () => {
    const id = uid("ars");
    const team = await ok<Team>(
      await call(admin, "/v1/teams", {
        body: { id, sport: "football", name: "Arsenal", country: "England", rating: 1810 },
      }),
      201,
    );
    expect(team).toMatchObject({ id, sport: "football", name: "Arsenal", country: "England", rating: 1810 });
    expect(
      await errorOf(await call(admin, "/v1/teams", { body: { id, sport: "football", name: "Again" } })),
    ).toMatchObject({ status: 409, code: "conflict" });
    expect(await errorOf(await call(admin, "/v1/teams", { body: { id: uid("x"), sport: "tennis" } }))).toEqual({
      status: 400,
      code: "invalid_request",
      paths: ["body.sport", "body.name"],
    });
    expect(
      await errorOf(await call(admin, "/v1/teams", { body: { id: uid("x"), sport: "cs2", name: "N", colour: "red" } })),
    ).toMatchObject({ status: 400 });
    const malformed = await SELF.fetch(`${BASE}/v1/teams`, {
      method: "POST",
      headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
      body: "{not json",
    });
    expect(await errorOf(malformed)).toMatchObject({ status: 400, code: "invalid_json" });
    const form = await SELF.fetch(`${BASE}/v1/teams`, {
      method: "POST",
      headers: { authorization: `Bearer ${admin}`, "content-type": "text/plain" },
      body: "x",
    });
    expect(await errorOf(form)).toMatchObject({ status: 415, code: "unsupported_media_type" });

    const updated = await ok<Team>(await call(admin, `/v1/teams/${id}`, { method: "PATCH", body: { rating: 1850.5 } }));
    expect(updated).toMatchObject({ name: "Arsenal", rating: 1850.5 });
    expect(Date.parse(updated.updatedAt)).toBeGreaterThanOrEqual(Date.parse(team.updatedAt));
    expect(await ok<Team>(await call(admin, `/v1/teams/${id}`))).toMatchObject({ rating: 1850.5 });
    expect((await call(admin, `/v1/teams/${uid("nope")}`, { method: "PATCH", body: { rating: 1 } })).status).toBe(404);
    expect((await call(admin, `/v1/teams/${uid("nope")}`)).status).toBe(404);
  });

  it("lists teams by id, page by page, each once", async () => {
    const prefix = uid("page");
    for (let i = 0; i < 5; i++)
      await ok(await call(admin, "/v1/teams", { body: { id: `${prefix}-${i}`, sport: "cs2", name: `T${i}` } }), 201);
    const { items, pages } = await allPages<Team>(admin, "/v1/teams?sport=cs2&limit=2");
    expect(pages).toBeGreaterThanOrEqual(3);
    const ids = items.map((t) => t.id);
    expect(ids).toEqual([...ids].sort());
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.filter((id) => id.startsWith(prefix))).toEqual([0, 1, 2, 3, 4].map((i) => `${prefix}-${i}`));
    expect(items.every((t) => t.sport === "cs2")).toBe(true);
  });

  it("registers players on teams and moves them", async () => {
    const [a, b] = [uid("ta"), uid("tb")];
    for (const id of [a, b])
      await ok(await call(admin, "/v1/teams", { body: { id, sport: "football", name: id } }), 201);
    const p1 = uid("saka");
    expect(
      await ok(
        await call(admin, "/v1/players", { body: { id: p1, teamId: a, name: "Bukayo Saka", position: "RW" } }),
        201,
      ),
    ).toMatchObject({
      id: p1,
      teamId: a,
      position: "RW",
    });
    await ok(await call(admin, "/v1/players", { body: { id: uid("p"), teamId: a, name: "Second" } }), 201);
    expect(
      await errorOf(await call(admin, "/v1/players", { body: { id: uid("p"), teamId: uid("ghost"), name: "X" } })),
    ).toMatchObject({
      status: 400,
      paths: ["body.teamId"],
    });
    const before = await allPages<{ id: string }>(admin, `/v1/players?teamId=${a}&limit=1`);
    expect(before.items).toHaveLength(2);
    expect(before.pages).toBe(2);
    expect(await ok(await call(admin, `/v1/players/${p1}`, { method: "PATCH", body: { teamId: b } }))).toMatchObject({
      teamId: b,
    });
    expect((await allPages<{ id: string }>(admin, `/v1/players?teamId=${b}`)).items.map((p) => p.id)).toEqual([p1]);
  });
});

interface MatchItem {
  id: string;
  sport: string;
  status: string;
  startsAt: string | null;
  team1: { id: string; rating: number } | null;
  team2: { id: string; rating: number } | null;
  activity: {
    lastEventAt: string | null;
    prediction: { seq: number; pTeam1: number; pTeam2: number; modelVersion: string } | null;
  } | null;
}

describe("matches", () => {
  it("a knockout match's predictions carry who goes through; an ordinary match's do not", async () => {
    const cup = uniqueMatchId("cup");
    const league = uniqueMatchId("league");
    const created = await ok<{ knockout: boolean }>(
      await call(admin, "/v1/matches", { body: { id: cup, sport: "football", knockout: true } }),
      201,
    );
    expect(created.knockout).toBe(true);
    await ok(await call(admin, "/v1/matches", { body: { id: league, sport: "football" } }), 201);
    const ingest = await createApiKey(["ingest", "read"], "knockout test");
    for (const id of [cup, league]) {
      const res = await postEvents(ingest, [
        footballEvent(id, "match_start", { seq: 1, payload: {} }),
        footballEvent(id, "goal", { seq: 2, teamId: 1, payload: { minute: 30 } }),
      ]);
      expect(res.status).toBe(202);
    }
    type Prediction = { pTeam1: number; pDraw: number; pTeam2: number; pAdvanceTeam1?: number; pAdvanceTeam2?: number };
    const predictionOf = (id: string) =>
      eventually(async () => {
        const res = await call(ingest, `/v1/matches/${id}/state`);
        if (res.status !== 200) return undefined;
        const body = (await res.json()) as { eventsApplied: number; prediction: Prediction | null };
        return body.eventsApplied === 2 ? body.prediction : undefined;
      });
    const knockout = await predictionOf(cup);
    expect(knockout?.pAdvanceTeam1).toBeGreaterThan(knockout?.pTeam1 ?? 1);
    expect((knockout?.pAdvanceTeam1 ?? 0) + (knockout?.pAdvanceTeam2 ?? 0)).toBeCloseTo(1, 9);
    const ordinary = await predictionOf(league);
    expect(ordinary).toBeDefined();
    expect(ordinary?.pAdvanceTeam1).toBeUndefined();
  });

  it("registers a match with its teams and checks them", async () => {
    const [home, away, other] = [uid("home"), uid("away"), uid("cs")];
    await ok(
      await call(admin, "/v1/teams", { body: { id: home, sport: "football", name: "Home", rating: 1700 } }),
      201,
    );
    await ok(await call(admin, "/v1/teams", { body: { id: away, sport: "football", name: "Away" } }), 201);
    await ok(await call(admin, "/v1/teams", { body: { id: other, sport: "cs2", name: "Navi" } }), 201);
    const id = uniqueMatchId("reg");
    const body = {
      id,
      sport: "football",
      team1Id: home,
      team2Id: away,
      startsAt: "2026-12-01T20:00:00+01:00",
      venue: "Emirates",
      tournament: "EPL",
    };
    const created = await ok<MatchItem & { venue: string; neutral: boolean }>(
      await call(admin, "/v1/matches", { body }),
      201,
    );
    expect(created).toMatchObject({
      id,
      status: "scheduled",
      neutral: false,
      venue: "Emirates",
      startsAt: "2026-12-01T19:00:00.000Z",
      team1: { id: home, name: "Home", rating: 1700 },
      team2: { id: away, rating: 1500 },
    });
    expect(await errorOf(await call(admin, "/v1/matches", { body }))).toMatchObject({ status: 409, code: "conflict" });
    expect(
      await errorOf(await call(admin, "/v1/matches", { body: { ...body, id: uniqueMatchId("x"), team2Id: other } })),
    ).toEqual({
      status: 400,
      code: "invalid_request",
      paths: ["body.team2Id"],
    });
    expect(await errorOf(await call(admin, "/v1/matches", { body: { ...body, id: "not valid!" } }))).toMatchObject({
      paths: ["body.id"],
    });

    const patched = await ok<MatchItem & { venue: string | null; neutral: boolean }>(
      await call(admin, `/v1/matches/${id}`, {
        method: "PATCH",
        body: { venue: null, neutral: true, status: "postponed" },
      }),
    );
    expect(patched).toMatchObject({ venue: null, neutral: true, status: "postponed", team1: { id: home } });
    expect((await call(admin, `/v1/matches/${id}`, { method: "PATCH", body: { sport: "cs2" } })).status).toBe(400);

    const detail = await ok<MatchItem & { live: unknown }>(await call(admin, `/v1/matches/${id}`));
    expect(detail).toMatchObject({ id, activity: { lastEventAt: null, prediction: null }, live: null });
    expect((await call(admin, `/v1/matches/${uniqueMatchId("ghost")}`)).status).toBe(404);
  });

  it("lists matches by start time with filters and cursors", async () => {
    // A window of its own, far in the future, so other tests' matches stay out of it.
    const from = Date.UTC(2040, 0, 1) + Math.floor(Math.random() * 20_000) * 86_400_000;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const id = uniqueMatchId(`list${i}`);
      ids.push(id);
      const sport = i === 3 ? "cs2" : "football";
      await ok(
        await call(admin, "/v1/matches", {
          body: {
            id,
            sport,
            startsAt: new Date(from + (5 - i) * 3_600_000).toISOString(),
            ...(i === 4 ? { status: "cancelled" } : {}),
          },
        }),
        201,
      );
    }
    const window = `from=${new Date(from).toISOString()}&to=${new Date(from + 86_400_000).toISOString()}`;
    const { items, pages } = await allPages<MatchItem>(admin, `/v1/matches?${window}&limit=2`);
    expect(pages).toBe(3);
    expect(items.map((m) => m.id)).toEqual([...ids].reverse()); // earliest start first
    expect(items[0]!.activity).toEqual({ lastEventAt: null, prediction: null });
    expect((await allPages<MatchItem>(admin, `/v1/matches?${window}&sport=cs2`)).items.map((m) => m.id)).toEqual([
      ids[3],
    ]);
    expect((await allPages<MatchItem>(admin, `/v1/matches?${window}&status=cancelled`)).items.map((m) => m.id)).toEqual(
      [ids[4]],
    );
    expect((await call(admin, `/v1/matches?from=yesterday`)).status).toBe(400);
    expect((await call(admin, `/v1/matches?status=paused`)).status).toBe(400);
  });
});

interface Client {
  id: string;
  name: string;
  keyPrefix: string;
  scopes: string[];
  ingestPerMinute: number;
  readPerMinute: number;
  revokedAt: string | null;
}

describe("a client's journey", () => {
  it("registers teams and a match, issues keys, streams events and reads exact numbers", async () => {
    const [strong, weak] = [uid("strong"), uid("weak")];
    await ok(
      await call(admin, "/v1/teams", { body: { id: strong, sport: "football", name: "Strong", rating: 2100 } }),
      201,
    );
    await ok(
      await call(admin, "/v1/teams", { body: { id: weak, sport: "football", name: "Weak", rating: 1200 } }),
      201,
    );
    const matchId = uniqueMatchId("journey");
    await ok(
      await call(admin, "/v1/matches", {
        body: { id: matchId, sport: "football", team1Id: strong, team2Id: weak, startsAt: new Date().toISOString() },
      }),
      201,
    );

    const ingest = await ok<{ client: Client; key: string }>(
      await call(admin, "/v1/api-clients", { body: { name: "feed", scopes: ["ingest"] } }),
      201,
    );
    const reader = await ok<{ client: Client; key: string }>(
      await call(admin, "/v1/api-clients", { body: { name: "dashboard", scopes: ["read"], readPerMinute: 600 } }),
      201,
    );
    expect(ingest.key).toMatch(/^mp_[0-9a-f]{48}$/);
    expect(ingest.client).toMatchObject({
      name: "feed",
      scopes: ["ingest"],
      keyPrefix: ingest.key.slice(0, 10),
      ingestPerMinute: 120000,
      revokedAt: null,
    });
    expect(reader.client.readPerMinute).toBe(600);
    const listed = (await allPages<Client>(admin, "/v1/api-clients?limit=50")).items;
    expect(listed.map((c) => c.id)).toEqual(expect.arrayContaining([ingest.client.id, reader.client.id]));
    expect(JSON.stringify(listed)).not.toContain(ingest.key);

    const now = Date.now();
    const ev = (type: string, seq: number, extra: Record<string, unknown> = {}) => ({
      eventId: crypto.randomUUID(),
      matchId,
      sport: "football",
      type,
      seq,
      timestamp: new Date(now - 60_000 + seq * 1000).toISOString(),
      ...extra,
    });
    const first = [ev("match_start", 1), ev("pass", 2, { teamId: 1, payload: { minute: 1 } })];
    expect(await ok(await postEvents(ingest.key, first), 202)).toMatchObject({ accepted: 2 });

    const live = await eventually(async () => {
      const m = await ok<MatchItem & { live: { eventsApplied: number; score: number[] } | null }>(
        await call(reader.key, `/v1/matches/${matchId}`),
      );
      return m.status === "live" && m.live?.eventsApplied === 2 && m.activity?.prediction ? m : null;
    }, 15_000);
    // The predictor read the registered ratings: the far stronger team 1 is the favourite.
    expect(live.activity!.prediction!.pTeam1).toBeGreaterThan(0.6);
    expect(live.live!.score).toEqual([0, 0]);

    await ok(
      await postEvents(ingest.key, [
        ev("goal", 3, { teamId: 2, payload: { minute: 30 } }),
        ev("match_end", 4, { payload: { minute: 90 } }),
      ]),
      202,
    );
    const metrics = await eventually(async () => {
      const m = await ok<{ totalEvents: number; goals: number; eventsByType: Record<string, number> }>(
        await call(reader.key, `/v1/matches/${matchId}/metrics`),
      ).catch(() => null);
      return m?.totalEvents === 4 ? m : null;
    }, 15_000);
    expect(metrics).toMatchObject({ goals: 1, eventsByType: { match_start: 1, pass: 1, goal: 1, match_end: 1 } });
    const timeline = await ok<{ buckets: { total: number }[] }>(
      await call(reader.key, `/v1/matches/${matchId}/timeline?bucket=5m`),
    );
    expect(timeline.buckets.reduce((n, b) => n + b.total, 0)).toBe(4);
    const series = await eventually(async () => {
      const s = await ok<{ data: { seq: number }[] }>(await call(reader.key, `/v1/matches/${matchId}/predictions`));
      return s.data.length === 4 ? s : null;
    });
    expect(series.data.map((p) => p.seq)).toEqual([1, 2, 3, 4]);
    const finished = await eventually(async () => {
      const m = await ok<MatchItem>(await call(reader.key, `/v1/matches/${matchId}`));
      return m.status === "finished" ? m : null;
    });
    expect(finished.activity).toMatchObject({
      lastEventAt: new Date(now - 60_000 + 4_000).toISOString(),
      prediction: { seq: 4 },
    });
  });
});

describe("keys and scopes", () => {
  it("create → use → revoke → 401, revocation idempotent and listed", async () => {
    const { client, key } = await ok<{ client: Client; key: string }>(
      await call(admin, "/v1/api-clients", { body: { name: "short-lived", scopes: ["read"] } }),
      201,
    );
    expect((await call(key, "/v1/matches?limit=1")).status).toBe(200);
    const revoked = await ok<Client>(await call(admin, `/v1/api-clients/${client.id}/revoke`, { method: "POST" }));
    expect(revoked.revokedAt).not.toBeNull();
    // At once on the instance that revoked it; within the key cache TTL (5 s) everywhere.
    const res = await eventually(async () => {
      const r = await call(key, "/v1/matches?limit=1");
      return r.status === 401 ? r : null;
    }, 6_000);
    expect(await errorOf(res)).toMatchObject({ code: "unauthorized" });
    expect(
      (await ok<Client>(await call(admin, `/v1/api-clients/${client.id}/revoke`, { method: "POST" }))).revokedAt,
    ).toBe(revoked.revokedAt);
    expect((await allPages<Client>(admin, "/v1/api-clients?limit=200")).items.map((c) => c.id)).not.toContain(
      client.id,
    );
    expect(
      (await allPages<Client>(admin, "/v1/api-clients?includeRevoked=true&limit=200")).items.find(
        (c) => c.id === client.id,
      ),
    ).toMatchObject({
      revokedAt: revoked.revokedAt,
    });
    expect((await call(admin, `/v1/api-clients/${crypto.randomUUID()}/revoke`, { method: "POST" })).status).toBe(404);
    expect((await call(admin, "/v1/api-clients/not-a-uuid/revoke", { method: "POST" })).status).toBe(400);
  });

  it("each route answers only the scopes it names", async () => {
    const read = await createApiKey(["read"]);
    const ingest = await createApiKey(["ingest"]);
    const matchId = uniqueMatchId("scopes");
    const cases: [string | null, string, { method?: string; body?: unknown }, number][] = [
      [null, "/v1/matches", {}, 401],
      ["mp_unknown", "/v1/matches", {}, 401],
      [read, "/v1/teams", { body: { id: uid("t"), sport: "cs2", name: "x" } }, 403],
      [read, "/v1/api-clients", {}, 403],
      [read, "/v1/events", { body: [] }, 403],
      [ingest, `/v1/matches/${matchId}/metrics`, {}, 403],
      [ingest, "/v1/matches", {}, 403],
      [admin, "/v1/events", { body: [] }, 403],
      [admin, "/v1/matches?limit=1", {}, 200],
      [admin, `/v1/matches/${matchId}/timeline`, {}, 200],
      [read, "/v1/teams?limit=1", {}, 200],
    ];
    for (const [key, path, init, status] of cases) {
      const res = await call(key, path, init);
      expect(`${path} ${res.status}`).toBe(`${path} ${status}`);
      if (status >= 400)
        expect((await res.json()) as object).toMatchObject({
          error: { code: status === 401 ? "unauthorized" : "forbidden" },
        });
    }
  });

  it("changes a client's scopes and limits", async () => {
    const { client, key } = await ok<{ client: Client; key: string }>(
      await call(admin, "/v1/api-clients", { body: { name: "grows", scopes: ["read"] } }),
      201,
    );
    expect((await call(key, "/v1/api-clients")).status).toBe(403);
    const changed = await ok<Client>(
      await call(admin, `/v1/api-clients/${client.id}`, {
        method: "PATCH",
        body: { scopes: ["read", "admin"], readPerMinute: 1000, name: "grown" },
      }),
    );
    expect(changed).toMatchObject({ name: "grown", scopes: ["read", "admin"], readPerMinute: 1000 });
    const res = await eventually(async () => {
      const r = await call(key, "/v1/api-clients?limit=1");
      return r.status === 200 ? r : null;
    }, 6_000);
    expect(res.headers.get("x-ratelimit-limit")).toBe("1000");
    expect(
      await errorOf(await call(admin, "/v1/api-clients", { body: { name: "x", scopes: ["root"] } })),
    ).toMatchObject({ status: 400, paths: ["body.scopes.0"] });
    expect(await errorOf(await call(admin, "/v1/api-clients", { body: { name: "x", scopes: [] } }))).toMatchObject({
      status: 400,
      paths: ["body.scopes"],
    });
  });
});

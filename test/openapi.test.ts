// /v1/openapi.json describes every route the app serves, and what each route answers matches the zod
// schema it declares for that status, successes and errors alike, against the real stack.
import { SELF } from "cloudflare:test";
import type { z } from "@hono/zod-openapi";
import { beforeAll, describe, expect, it } from "vitest";
import { serverFrameSchema } from "../shared/contract/live-protocol";
import { app } from "../workers/api/app";
import { BASE, call, createApiKey, eventually, postEvents, uniqueMatchId } from "./fixtures";

type Method = "get" | "post" | "patch" | "delete";

interface DeclaredRoute {
  method: Method;
  path: string;
  responses: Record<string, { content?: Record<string, { schema: z.ZodType }> }>;
}

const declared: DeclaredRoute[] = app.openAPIRegistry.definitions.flatMap((d) =>
  d.type === "route" ? [d.route as unknown as DeclaredRoute] : [],
);
const routeKey = (method: string, path: string) => `${method.toUpperCase()} ${path}`;

/** The app's own routing table, in OpenAPI path syntax, without middleware-only entries. */
function servedRoutes(): string[] {
  const seen = new Set<string>();
  for (const r of app.routes) {
    if (r.method === "ALL" || r.path.includes("*")) continue;
    seen.add(routeKey(r.method, r.path.replace(/:([A-Za-z0-9_]+)/g, "{$1}")));
  }
  return [...seen].sort();
}

describe("the OpenAPI document", () => {
  let doc: {
    openapi: string;
    paths: Record<
      string,
      Record<string, { summary?: string; responses: Record<string, { description?: string }>; security?: unknown[] }>
    >;
    components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
  };

  beforeAll(async () => {
    const res = await SELF.fetch(`${BASE}/v1/openapi.json`);
    expect(res.status).toBe(200);
    doc = (await res.json()) as typeof doc;
  });

  it("is OpenAPI 3.1 and lists every route the app serves, and nothing else", () => {
    expect(doc.openapi).toBe("3.1.0");
    const documented = Object.entries(doc.paths)
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => routeKey(m, path)))
      .sort();
    expect(documented).toEqual(servedRoutes());
    expect(documented.length).toBeGreaterThanOrEqual(25);
  });

  it("gives every operation a summary, described responses, and security on /v1 data routes", () => {
    expect(doc.components.securitySchemes).toHaveProperty("bearerAuth");
    expect(doc.components.securitySchemes).toHaveProperty("sourceToken");
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        expect(op.summary, `${method} ${path}`).toBeTruthy();
        for (const [status, r] of Object.entries(op.responses))
          expect(r.description, `${method} ${path} ${status}`).toBeTruthy();
        // A source sends with its own token (a game server cannot set an Authorization header).
        if (path === "/v1/sources/{sourceId}/ingest")
          expect(op.security, `${method} ${path}`).toEqual([{ sourceToken: [] }]);
        else if (path.startsWith("/v1/") && path !== "/v1/openapi.json")
          expect(op.security, `${method} ${path}`).toEqual([{ bearerAuth: [] }]);
      }
    }
  });

  it("resolves every $ref to a component", () => {
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(10);
    for (const ref of new Set(refs)) expect(doc.components.schemas, ref).toHaveProperty(ref);
  });
});

interface Case {
  name: string;
  method: Method;
  /** The route's path template, as declared. */
  route: string;
  url: () => string;
  key: () => string | null;
  body?: () => unknown;
  status: number;
}

describe("responses conform to their declared schemas", () => {
  let admin: string;
  let reader: string;
  let ingest: string;
  let limited: string;
  let teamId: string;
  let playerId: string;
  let matchId: string;
  let cs2MatchId: string;
  let clientId: string;
  let sourceId: string;
  let gamesKey: string;
  let gameId: string;
  let openMatchId: string;
  let operator: string;
  const tenantId = `conf-${crypto.randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    operator = await createApiKey(["operator"]);
    [admin, reader, ingest] = await Promise.all([
      createApiKey(["admin"]),
      createApiKey(["read"]),
      createApiKey(["ingest"]),
    ]);
    limited = await createApiKey(["read"], "one read", { readPerMinute: 1 });
    teamId = `conf-${crypto.randomUUID().slice(0, 8)}`;
    playerId = `${teamId}-p`;
    matchId = uniqueMatchId("conf");
    cs2MatchId = uniqueMatchId("conf-cs2");
    const must = async (res: Response, status: number) => expect(res.status, await res.clone().text()).toBe(status);
    await must(
      await call(admin, "/v1/teams", { body: { id: teamId, sport: "football", name: "Conformance FC" } }),
      201,
    );
    await must(await call(admin, "/v1/players", { body: { id: playerId, teamId, name: "Player" } }), 201);
    await must(
      await call(admin, "/v1/matches", {
        body: { id: matchId, sport: "football", team1Id: teamId, startsAt: new Date().toISOString() },
      }),
      201,
    );
    gamesKey = await createApiKey(["games"]);
    openMatchId = uniqueMatchId("conf-open");
    await must(
      await call(admin, "/v1/matches", {
        body: { id: openMatchId, sport: "football", startsAt: new Date(Date.now() + 3_600_000).toISOString() },
      }),
      201,
    );
    const game = await call(admin, "/v1/games", { body: { name: "conformance", matchIds: [matchId, openMatchId] } });
    await must(game.clone(), 201);
    gameId = ((await game.json()) as { id: string }).id;
    const client = (await (
      await call(admin, "/v1/api-clients", { body: { name: "to revoke", scopes: ["read"] } })
    ).json()) as { client: { id: string } };
    clientId = client.client.id;
    const source = (await (
      await call(admin, "/v1/sources", { body: { kind: "cs2-log", matchId: uniqueMatchId("conf-src") } })
    ).json()) as { id: string };
    sourceId = source.id;

    const t = (s: number) => new Date(Date.now() - 120_000 + s * 1000).toISOString();
    const e = (id: string, sport: string, type: string, s: number, extra: Record<string, unknown> = {}) => ({
      eventId: crypto.randomUUID(),
      matchId: id,
      sport,
      type,
      timestamp: t(s),
      ...extra,
    });
    await must(
      await postEvents(ingest, [
        e(matchId, "football", "match_start", 1),
        e(matchId, "football", "goal", 2, { teamId: 1, payload: { minute: 3 } }),
        e(cs2MatchId, "cs2", "map_start", 1, { payload: { mapNumber: 1, mapName: "de_dust2", startingSide: "T" } }),
        e(cs2MatchId, "cs2", "kill", 2, {
          teamId: 2,
          payload: { round: 1, victimPlayerId: "x", weapon: "awp", headshot: true },
        }),
        e(cs2MatchId, "cs2", "round_end", 3, { teamId: 2, payload: { round: 1, reason: "elimination" } }),
      ]),
      202,
    );
    await eventually(async () => {
      const [fb, cs] = await Promise.all([
        call(reader, `/v1/matches/${matchId}/predictions`).then((r) => r.json() as Promise<{ data: unknown[] }>),
        call(reader, `/v1/matches/${cs2MatchId}/metrics`),
      ]);
      return fb.data.length === 2 && cs.status === 200;
    }, 15_000);
  });

  const cases: Case[] = [
    { name: "liveness", method: "get", route: "/health", url: () => "/health", key: () => null, status: 200 },
    { name: "readiness", method: "get", route: "/ready", url: () => "/ready", key: () => null, status: 200 },
    { name: "prometheus", method: "get", route: "/metrics", url: () => "/metrics", key: () => null, status: 200 },
    {
      name: "document",
      method: "get",
      route: "/v1/openapi.json",
      url: () => "/v1/openapi.json",
      key: () => null,
      status: 200,
    },
    // ingest
    {
      name: "ingest one",
      method: "post",
      route: "/v1/events",
      url: () => "/v1/events",
      key: () => ingest,
      body: () => ({
        eventId: crypto.randomUUID(),
        matchId,
        sport: "football",
        type: "pass",
        timestamp: new Date().toISOString(),
        teamId: 2,
        payload: { minute: 4 },
      }),
      status: 202,
    },
    {
      name: "ingest: nothing valid",
      method: "post",
      route: "/v1/events",
      url: () => "/v1/events",
      key: () => ingest,
      body: () => [{ nope: 1 }],
      status: 400,
    },
    {
      name: "ingest: wrong scope",
      method: "post",
      route: "/v1/events",
      url: () => "/v1/events",
      key: () => reader,
      body: () => [],
      status: 403,
    },
    // matches
    {
      name: "list matches",
      method: "get",
      route: "/v1/matches",
      url: () => "/v1/matches?limit=5",
      key: () => reader,
      status: 200,
    },
    {
      name: "list matches: bad filter",
      method: "get",
      route: "/v1/matches",
      url: () => "/v1/matches?sport=chess",
      key: () => reader,
      status: 400,
    },
    {
      name: "list matches: no key",
      method: "get",
      route: "/v1/matches",
      url: () => "/v1/matches",
      key: () => null,
      status: 401,
    },
    {
      name: "one match",
      method: "get",
      route: "/v1/matches/{matchId}",
      url: () => `/v1/matches/${matchId}`,
      key: () => reader,
      status: 200,
    },
    {
      name: "one match: unknown",
      method: "get",
      route: "/v1/matches/{matchId}",
      url: () => `/v1/matches/${uniqueMatchId("none")}`,
      key: () => reader,
      status: 404,
    },
    {
      name: "create match",
      method: "post",
      route: "/v1/matches",
      url: () => "/v1/matches",
      key: () => admin,
      body: () => ({ id: uniqueMatchId("conf-new"), sport: "cs2", bestOf: 3 }),
      status: 201,
    },
    {
      name: "create match: exists",
      method: "post",
      route: "/v1/matches",
      url: () => "/v1/matches",
      key: () => admin,
      body: () => ({ id: matchId, sport: "football" }),
      status: 409,
    },
    {
      name: "update match",
      method: "patch",
      route: "/v1/matches/{matchId}",
      url: () => `/v1/matches/${matchId}`,
      key: () => admin,
      body: () => ({ venue: "Wembley" }),
      status: 200,
    },
    {
      name: "update match: unknown",
      method: "patch",
      route: "/v1/matches/{matchId}",
      url: () => `/v1/matches/${uniqueMatchId("none")}`,
      key: () => admin,
      body: () => ({ venue: "x" }),
      status: 404,
    },
    {
      name: "live state",
      method: "get",
      route: "/v1/matches/{matchId}/state",
      url: () => `/v1/matches/${matchId}/state`,
      key: () => reader,
      status: 200,
    },
    {
      name: "live state: none yet",
      method: "get",
      route: "/v1/matches/{matchId}/state",
      url: () => `/v1/matches/${uniqueMatchId("n")}/state`,
      key: () => reader,
      status: 404,
    },
    {
      name: "socket without upgrade",
      method: "get",
      route: "/v1/matches/{matchId}/live",
      url: () => `/v1/matches/${matchId}/live`,
      key: () => reader,
      status: 426,
    },
    // analytics
    {
      name: "metrics",
      method: "get",
      route: "/v1/matches/{matchId}/metrics",
      url: () => `/v1/matches/${matchId}/metrics`,
      key: () => reader,
      status: 200,
    },
    {
      name: "metrics cs2",
      method: "get",
      route: "/v1/matches/{matchId}/metrics",
      url: () => `/v1/matches/${cs2MatchId}/metrics`,
      key: () => reader,
      status: 200,
    },
    {
      name: "metrics: wrong scope",
      method: "get",
      route: "/v1/matches/{matchId}/metrics",
      url: () => `/v1/matches/${matchId}/metrics`,
      key: () => ingest,
      status: 403,
    },
    {
      name: "timeline",
      method: "get",
      route: "/v1/matches/{matchId}/timeline",
      url: () => `/v1/matches/${matchId}/timeline?bucket=5m`,
      key: () => reader,
      status: 200,
    },
    {
      name: "timeline: bad bucket",
      method: "get",
      route: "/v1/matches/{matchId}/timeline",
      url: () => `/v1/matches/${matchId}/timeline?bucket=1h`,
      key: () => reader,
      status: 400,
    },
    {
      name: "rounds",
      method: "get",
      route: "/v1/matches/{matchId}/rounds",
      url: () => `/v1/matches/${cs2MatchId}/rounds`,
      key: () => reader,
      status: 200,
    },
    {
      name: "predictions",
      method: "get",
      route: "/v1/matches/{matchId}/predictions",
      url: () => `/v1/matches/${matchId}/predictions?limit=1`,
      key: () => reader,
      status: 200,
    },
    {
      name: "predictions cs2",
      method: "get",
      route: "/v1/matches/{matchId}/predictions",
      url: () => `/v1/matches/${cs2MatchId}/predictions`,
      key: () => reader,
      status: 200,
    },
    // teams and players
    {
      name: "list teams",
      method: "get",
      route: "/v1/teams",
      url: () => "/v1/teams?limit=3",
      key: () => reader,
      status: 200,
    },
    {
      name: "one team",
      method: "get",
      route: "/v1/teams/{teamId}",
      url: () => `/v1/teams/${teamId}`,
      key: () => reader,
      status: 200,
    },
    {
      name: "create team",
      method: "post",
      route: "/v1/teams",
      url: () => "/v1/teams",
      key: () => admin,
      body: () => ({ id: `t-${crypto.randomUUID().slice(0, 8)}`, sport: "cs2", name: "New", rating: 1600 }),
      status: 201,
    },
    {
      name: "create team: invalid",
      method: "post",
      route: "/v1/teams",
      url: () => "/v1/teams",
      key: () => admin,
      body: () => ({ id: "x" }),
      status: 400,
    },
    {
      name: "update team",
      method: "patch",
      route: "/v1/teams/{teamId}",
      url: () => `/v1/teams/${teamId}`,
      key: () => admin,
      body: () => ({ rating: 1650 }),
      status: 200,
    },
    {
      name: "list players",
      method: "get",
      route: "/v1/players",
      url: () => `/v1/players?teamId=${teamId}`,
      key: () => reader,
      status: 200,
    },
    {
      name: "create player",
      method: "post",
      route: "/v1/players",
      url: () => "/v1/players",
      key: () => admin,
      body: () => ({ id: `p-${crypto.randomUUID().slice(0, 8)}`, name: "New" }),
      status: 201,
    },
    {
      name: "update player",
      method: "patch",
      route: "/v1/players/{playerId}",
      url: () => `/v1/players/${playerId}`,
      key: () => admin,
      body: () => ({ position: "GK" }),
      status: 200,
    },
    // api clients
    {
      name: "create client",
      method: "post",
      route: "/v1/api-clients",
      url: () => "/v1/api-clients",
      key: () => admin,
      body: () => ({ name: "c", scopes: ["ingest", "read"], ingestPerMinute: 1000 }),
      status: 201,
    },
    {
      name: "list clients",
      method: "get",
      route: "/v1/api-clients",
      url: () => "/v1/api-clients?limit=2",
      key: () => admin,
      status: 200,
    },
    {
      name: "list clients: wrong scope",
      method: "get",
      route: "/v1/api-clients",
      url: () => "/v1/api-clients",
      key: () => reader,
      status: 403,
    },
    {
      name: "update client",
      method: "patch",
      route: "/v1/api-clients/{clientId}",
      url: () => `/v1/api-clients/${clientId}`,
      key: () => admin,
      body: () => ({ readPerMinute: 50 }),
      status: 200,
    },
    {
      name: "revoke client",
      method: "post",
      route: "/v1/api-clients/{clientId}/revoke",
      url: () => `/v1/api-clients/${clientId}/revoke`,
      key: () => admin,
      status: 200,
    },
    {
      name: "revoke client: unknown",
      method: "post",
      route: "/v1/api-clients/{clientId}/revoke",
      url: () => `/v1/api-clients/${crypto.randomUUID()}/revoke`,
      key: () => admin,
      status: 404,
    },
    // sources
    {
      name: "create source",
      method: "post",
      route: "/v1/sources",
      url: () => "/v1/sources",
      key: () => admin,
      body: () => ({ kind: "cs2-gsi", matchId: uniqueMatchId("conf-src") }),
      status: 201,
    },
    {
      name: "create source: invalid",
      method: "post",
      route: "/v1/sources",
      url: () => "/v1/sources",
      key: () => admin,
      body: () => ({ kind: "csgo", matchId: "m" }),
      status: 400,
    },
    {
      name: "list sources",
      method: "get",
      route: "/v1/sources",
      url: () => "/v1/sources",
      key: () => admin,
      status: 200,
    },
    {
      name: "revoke source",
      method: "post",
      route: "/v1/sources/{sourceId}/revoke",
      url: () => `/v1/sources/${sourceId}/revoke`,
      key: () => admin,
      status: 200,
    },
    {
      name: "source ingest: no token",
      method: "post",
      route: "/v1/sources/{sourceId}/ingest",
      url: () => `/v1/sources/${sourceId}/ingest`,
      key: () => null,
      status: 401,
    },
    // 429 last for its key: the first read spends the budget of one
    {
      name: "within budget",
      method: "get",
      route: "/v1/teams",
      url: () => "/v1/teams?limit=1",
      key: () => limited,
      status: 200,
    },
    // the prediction game
    {
      name: "create game",
      method: "post",
      route: "/v1/games",
      url: () => "/v1/games",
      key: () => admin,
      body: () => ({ name: "g", matchIds: [matchId], scoring: { exact: 5, outcome: 2 } }),
      status: 201,
    },
    {
      name: "create game: unknown match",
      method: "post",
      route: "/v1/games",
      url: () => "/v1/games",
      key: () => admin,
      body: () => ({ name: "g", matchIds: [uniqueMatchId("none")] }),
      status: 400,
    },
    {
      name: "one game",
      method: "get",
      route: "/v1/games/{gameId}",
      url: () => `/v1/games/${gameId}`,
      key: () => reader,
      status: 200,
    },
    {
      name: "one game: unknown",
      method: "get",
      route: "/v1/games/{gameId}",
      url: () => `/v1/games/${crypto.randomUUID()}`,
      key: () => reader,
      status: 404,
    },
    {
      name: "add matches",
      method: "patch",
      route: "/v1/games/{gameId}",
      url: () => `/v1/games/${gameId}`,
      key: () => admin,
      body: () => ({ matchIds: [openMatchId] }),
      status: 200,
    },
    {
      name: "guesses",
      method: "post",
      route: "/v1/games/{gameId}/guesses",
      url: () => `/v1/games/${gameId}/guesses`,
      key: () => gamesKey,
      body: () => [
        { fanId: "fan-1", matchId: openMatchId, home: 1, away: 0 },
        { fanId: "fan-2", matchId: openMatchId, home: -1, away: 0 },
      ],
      status: 202,
    },
    {
      name: "guesses: locked",
      method: "post",
      route: "/v1/games/{gameId}/guesses",
      url: () => `/v1/games/${gameId}/guesses`,
      key: () => gamesKey,
      body: () => [{ fanId: "fan-1", matchId, home: 1, away: 0 }],
      status: 409,
    },
    {
      name: "guesses: nothing valid",
      method: "post",
      route: "/v1/games/{gameId}/guesses",
      url: () => `/v1/games/${gameId}/guesses`,
      key: () => gamesKey,
      body: () => [{ fanId: "fan-1" }],
      status: 400,
    },
    {
      name: "leaderboard",
      method: "get",
      route: "/v1/games/{gameId}/leaderboard",
      url: () => `/v1/games/${gameId}/leaderboard?limit=10`,
      key: () => reader,
      status: 200,
    },
    {
      name: "fan",
      method: "get",
      route: "/v1/games/{gameId}/fans/{fanId}",
      url: () => `/v1/games/${gameId}/fans/fan-1`,
      key: () => reader,
      status: 200,
    },
    {
      name: "settlement (live: provisional points)",
      method: "get",
      route: "/v1/games/{gameId}/matches/{matchId}/settlement",
      url: () => `/v1/games/${gameId}/matches/${matchId}/settlement`,
      key: () => reader,
      status: 200,
    },
    {
      name: "settlement: unknown match",
      method: "get",
      route: "/v1/games/{gameId}/matches/{matchId}/settlement",
      url: () => `/v1/games/${gameId}/matches/${uniqueMatchId("none")}/settlement`,
      key: () => reader,
      status: 404,
    },
    {
      name: "final score",
      method: "post",
      route: "/v1/matches/{matchId}/final-score",
      url: () => `/v1/matches/${uniqueMatchId("none")}/final-score`,
      key: () => admin,
      body: () => ({ home: 2, away: 1 }),
      status: 202,
    },
    {
      name: "final score: wrong scope",
      method: "post",
      route: "/v1/matches/{matchId}/final-score",
      url: () => `/v1/matches/${matchId}/final-score`,
      key: () => reader,
      body: () => ({ home: 2, away: 1 }),
      status: 403,
    },
    {
      name: "viewer token",
      method: "post",
      route: "/v1/viewer-tokens",
      url: () => "/v1/viewer-tokens",
      key: () => reader,
      body: () => ({ matchIds: [matchId], ttlSeconds: 60 }),
      status: 201,
    },
    {
      name: "viewer token: wrong scope",
      method: "post",
      route: "/v1/viewer-tokens",
      url: () => "/v1/viewer-tokens",
      key: () => ingest,
      body: () => ({ matchIds: [matchId] }),
      status: 403,
    },
    {
      name: "viewer token: TTL over the bound",
      method: "post",
      route: "/v1/viewer-tokens",
      url: () => "/v1/viewer-tokens",
      key: () => reader,
      body: () => ({ matchIds: [matchId], ttlSeconds: 86_400 }),
      status: 400,
    },
    // tenants (operator) and match grants (admin of the match's tenant)
    {
      name: "create tenant",
      method: "post",
      route: "/v1/tenants",
      url: () => "/v1/tenants",
      key: () => operator,
      body: () => ({ id: tenantId, name: "Conformance media", quotas: { storedMatches: 10 } }),
      status: 201,
    },
    {
      name: "create tenant: taken id",
      method: "post",
      route: "/v1/tenants",
      url: () => "/v1/tenants",
      key: () => operator,
      body: () => ({ id: tenantId, name: "again" }),
      status: 409,
    },
    {
      name: "create tenant: an admin is no operator",
      method: "post",
      route: "/v1/tenants",
      url: () => "/v1/tenants",
      key: () => admin,
      body: () => ({ id: `x-${tenantId}`, name: "x" }),
      status: 403,
    },
    {
      name: "list tenants",
      method: "get",
      route: "/v1/tenants",
      url: () => "/v1/tenants?limit=2",
      key: () => operator,
      status: 200,
    },
    {
      name: "tenant",
      method: "get",
      route: "/v1/tenants/{tenantId}",
      url: () => `/v1/tenants/${tenantId}`,
      key: () => operator,
      status: 200,
    },
    {
      name: "tenant: unknown",
      method: "get",
      route: "/v1/tenants/{tenantId}",
      url: () => `/v1/tenants/none-${tenantId}`,
      key: () => operator,
      status: 404,
    },
    {
      name: "tenant quotas",
      method: "patch",
      route: "/v1/tenants/{tenantId}",
      url: () => `/v1/tenants/${tenantId}`,
      key: () => operator,
      body: () => ({ quotas: { eventsPerDay: 1000, storedMatches: null } }),
      status: 200,
    },
    {
      name: "own tenant",
      method: "get",
      route: "/v1/tenant",
      url: () => "/v1/tenant",
      key: () => admin,
      status: 200,
    },
    {
      name: "tenant's first client",
      method: "post",
      route: "/v1/tenants/{tenantId}/clients",
      url: () => `/v1/tenants/${tenantId}/clients`,
      key: () => operator,
      body: () => ({ name: "media admin", scopes: ["admin", "read"] }),
      status: 201,
    },
    {
      name: "tenant client: unknown tenant",
      method: "post",
      route: "/v1/tenants/{tenantId}/clients",
      url: () => `/v1/tenants/none-${tenantId}/clients`,
      key: () => operator,
      body: () => ({ name: "x", scopes: ["read"] }),
      status: 404,
    },
    {
      name: "share a match",
      method: "post",
      route: "/v1/matches/{matchId}/grants",
      url: () => `/v1/matches/${matchId}/grants`,
      key: () => admin,
      body: () => ({ tenantId }),
      status: 201,
    },
    {
      name: "share: not a match of the tenant",
      method: "post",
      route: "/v1/matches/{matchId}/grants",
      url: () => `/v1/matches/${uniqueMatchId("none")}/grants`,
      key: () => admin,
      body: () => ({ tenantId }),
      status: 404,
    },
    {
      name: "grants",
      method: "get",
      route: "/v1/matches/{matchId}/grants",
      url: () => `/v1/matches/${matchId}/grants`,
      key: () => admin,
      status: 200,
    },
    {
      name: "shared with the tenant",
      method: "get",
      route: "/v1/shared-matches",
      url: () => "/v1/shared-matches?limit=5",
      key: () => reader,
      status: 200,
    },
    {
      name: "revoke a grant",
      method: "delete",
      route: "/v1/matches/{matchId}/grants/{tenantId}",
      url: () => `/v1/matches/${matchId}/grants/${tenantId}`,
      key: () => admin,
      status: 204,
    },
    {
      name: "revoke a grant: none",
      method: "delete",
      route: "/v1/matches/{matchId}/grants/{tenantId}",
      url: () => `/v1/matches/${matchId}/grants/${tenantId}`,
      key: () => admin,
      status: 404,
    },
    // GraphQL (its own results are checked in test/graphql*.test.ts)
    {
      name: "graphql query",
      method: "post",
      route: "/v1/graphql",
      url: () => "/v1/graphql",
      key: () => reader,
      body: () => ({ query: `{ liveState(matchId: "${matchId}") { seq } }` }),
      status: 200,
    },
    {
      name: "graphql without a key",
      method: "get",
      route: "/v1/graphql",
      url: () => `/v1/graphql?query=${encodeURIComponent("{ teams { nextCursor } }")}`,
      key: () => null,
      status: 401,
    },
    {
      name: "graphql socket without upgrade",
      method: "get",
      route: "/v1/matches/{matchId}/graphql",
      url: () => `/v1/matches/${matchId}/graphql`,
      key: () => reader,
      status: 426,
    },
    {
      name: "over budget",
      method: "get",
      route: "/v1/teams",
      url: () => "/v1/teams?limit=1",
      key: () => limited,
      status: 429,
    },
  ];

  it.each(cases)("$name: $method $route → $status", async (c) => {
    const res = await call(c.key(), c.url(), { method: c.method.toUpperCase(), ...(c.body ? { body: c.body() } : {}) });
    const text = await res.text();
    expect(res.status, text).toBe(c.status);
    const route = declared.find((d) => d.method === c.method && d.path === c.route);
    expect(route, `${c.method} ${c.route} is declared`).toBeDefined();
    const response = route!.responses[String(c.status)];
    expect(response, `${c.method} ${c.route} declares ${c.status}`).toBeDefined();
    const [mediaType, media] = Object.entries(response!.content ?? {})[0] ?? [];
    if (!media) return;
    expect(res.headers.get("content-type") ?? "").toContain(
      mediaType === "text/plain" ? "text/plain" : "application/json",
    );
    const body = mediaType === "text/plain" ? text : (JSON.parse(text) as unknown);
    const parsed = media.schema.safeParse(body);
    expect(
      parsed.success,
      `${c.name}: ${parsed.success ? "" : JSON.stringify(parsed.error.issues.slice(0, 5))}\n${text.slice(0, 500)}`,
    ).toBe(true);
    // Parsing drops undeclared fields: an unchanged body has none.
    expect(parsed.data, `${c.name}: undeclared fields`).toEqual(body);
  });

  it("the WebSocket route upgrades and sends frames of the declared schema", async () => {
    const res = await SELF.fetch(`${BASE}/v1/matches/${matchId}/live?token=${reader}`, {
      headers: { upgrade: "websocket" },
    });
    expect(res.status).toBe(101);
    const ws = res.webSocket!;
    const first = new Promise<string>((resolve) =>
      ws.addEventListener("message", (m) => resolve(m.data as string), { once: true }),
    );
    ws.accept();
    const frame = JSON.parse(await first) as unknown;
    expect(serverFrameSchema.safeParse(frame).success).toBe(true);
    ws.close(1000, "done");
  });

  it("covers every declared route", () => {
    const covered = new Set([
      ...cases.map((c) => routeKey(c.method, c.route)),
      routeKey("get", "/v1/matches/{matchId}/live"),
    ]);
    expect(declared.map((d) => routeKey(d.method, d.path)).filter((k) => !covered.has(k))).toEqual([]);
  });
});

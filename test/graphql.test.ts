// GraphQL queries (POST/GET /v1/graphql) against the real stack: the same answers as the REST routes they
// mirror, the same credentials (no key 401, a viewer token only for its matches), another tenant's key
// getting REST's answer for it, depth and cost limits refusing abusive operations before any read, and
// the read budget spent per REST read an operation makes (429 once spent).
import { env, SELF } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { app } from "../workers/api/app";
import { MAX_DEPTH, MAX_ROOT_FIELDS } from "../workers/graphql/cost";
import { BASE, call, createApiKey, eventually, footballEvent, getState, postEvents, uniqueMatchId } from "./fixtures";
import { otherTenantKey } from "./graphql-fixtures";

interface GraphqlAnswer {
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions?: { code?: string; status?: number } }[];
}

function graphql(credential: string | null, query: string, variables: Record<string, unknown> = {}) {
  return SELF.fetch(`${BASE}/v1/graphql`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json",
      ...(credential ? { authorization: `Bearer ${credential}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
}

async function answer(res: Response): Promise<GraphqlAnswer> {
  return (await res.json()) as GraphqlAnswer;
}

let ingestKey: string;
let readKey: string;
let adminKey: string;
let matchId: string;

beforeAll(async () => {
  ingestKey = await createApiKey(["ingest"]);
  readKey = await createApiKey(["read"]);
  adminKey = await createApiKey(["admin"]);
  matchId = uniqueMatchId("gql");
  expect((await call(adminKey, "/v1/matches", { body: { id: matchId, sport: "football" } })).status).toBe(201);
  const events = [
    footballEvent(matchId, "match_start", { seq: 1 }),
    footballEvent(matchId, "goal", { seq: 2, teamId: 1, payload: { minute: 12 } }),
  ];
  expect((await postEvents(ingestKey, events)).status).toBe(202);
  await eventually(async () => {
    const res = await getState(readKey, matchId);
    return res.status === 200 && ((await res.json()) as { seq: number }).seq === 2;
  });
});

const MATCH_QUERY = `query Match($id: String!) {
  liveState(matchId: $id) { json seq score prediction { pTeam1 pDraw pTeam2 modelVersion at } }
  match(matchId: $id) { id sport status neutral team1 { id } live { seq json } }
  timeline(matchId: $id, bucket: "5m") { matchId bucket buckets { start total byType } }
  predictions(matchId: $id, limit: 10) { matchId nextCursor data { seq pTeam1 pTeam2 pDraw modelVersion at eventId eventType } }
}`;

describe("GraphQL queries", () => {
  it("answer what the REST routes answer", async () => {
    // The analytics store fills within a second or two; compare once the series has both predictions.
    const { gql, rest } = await eventually(async () => {
      const gql = await answer(await graphql(readKey, MATCH_QUERY, { id: matchId }));
      const predictions = gql.data?.predictions as { data: unknown[] } | undefined;
      if (predictions?.data.length !== 2) return undefined;
      const rest = await Promise.all(
        [`/state`, ``, `/timeline?bucket=5m`, `/predictions?limit=10`].map(async (p) =>
          (await call(readKey, `/v1/matches/${matchId}${p}`)).json(),
        ),
      );
      return { gql, rest };
    });
    expect(gql.errors).toBeUndefined();
    const [state, match, timeline, predictions] = rest as Record<string, unknown>[];
    const data = gql.data as Record<string, Record<string, unknown>>;
    expect(data.liveState?.json).toEqual(state);
    expect(data.liveState?.seq).toBe(2);
    expect(data.liveState?.prediction).toEqual(state?.prediction);
    expect(data.match).toMatchObject({ id: matchId, sport: "football", status: match?.status, team1: null });
    expect(data.match?.live).toMatchObject({ seq: 2, json: match?.live });
    expect(data.timeline).toEqual(timeline);
    expect(data.predictions).toEqual(predictions);
  });

  it("give null where REST answers 404, and REST's error code otherwise", async () => {
    const missing = uniqueMatchId("gql-missing");
    const res = await graphql(
      readKey,
      `{ liveState(matchId: "${missing}") { seq } match(matchId: "${missing}") { id } rounds(matchId: "bad id!") { matchId } }`,
    );
    const body = await answer(res);
    expect(body.data?.liveState).toBeNull();
    expect(body.data?.match).toBeNull();
    expect(body.errors?.[0]?.extensions).toMatchObject({ code: "invalid_request", status: 400 });
  });

  it("come with GraphiQL for a browser on the local stack only", async () => {
    const page = await SELF.fetch(`${BASE}/v1/graphql`, { headers: { accept: "text/html" } });
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/GraphiQL/i);
    // Production has no local Postgres bridge (wrangler.toml: NEON_WS_PROXY = ""): no page, the API as ever.
    const production = await app.request(
      "/v1/graphql",
      { headers: { accept: "text/html" } },
      { ...env, NEON_WS_PROXY: "" },
    );
    expect(production.status).toBe(401);
  });

  it("are served over GET too", async () => {
    const query = encodeURIComponent(`{ liveState(matchId: "${matchId}") { seq } }`);
    const res = await SELF.fetch(`${BASE}/v1/graphql?query=${query}`, {
      headers: { authorization: `Bearer ${readKey}`, accept: "application/json" },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ data: { liveState: { seq: 2 } } });
  });
});

describe("GraphQL credentials", () => {
  it("refuse a request without a key (401) and a key without the read scope (403)", async () => {
    const none = await graphql(null, "{ teams { nextCursor } }");
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ error: { code: "unauthorized" } });
    const ingestOnly = await graphql(ingestKey, "{ teams { nextCursor } }");
    expect(ingestOnly.status).toBe(403);
  });

  it("limit a viewer token to its matches and to what REST lets a viewer read", async () => {
    const minted = await call(readKey, "/v1/viewer-tokens", { body: { matchIds: [matchId], ttlSeconds: 120 } });
    const { token } = (await minted.json()) as { token: string };
    const other = uniqueMatchId("gql-other");
    const body = await answer(
      await graphql(
        token,
        `{ mine: liveState(matchId: "${matchId}") { seq } other: liveState(matchId: "${other}") { seq } metrics(matchId: "${matchId}") { totalEvents } }`,
      ),
    );
    expect(body.data?.mine).toEqual({ seq: 2 });
    expect(body.data?.other).toBeNull();
    expect(body.data?.metrics).toBeNull();
    const codes = body.errors?.map((e) => [e.message.length > 0, e.extensions?.code]);
    expect(codes).toEqual([
      [true, "unauthorized"],
      [true, "unauthorized"],
    ]);
    // The same token in the query string, as a browser sends it.
    const res = await SELF.fetch(
      `${BASE}/v1/graphql?access_token=${encodeURIComponent(token)}&query=${encodeURIComponent(`{ liveState(matchId: "${matchId}") { seq } }`)}`,
      { headers: { accept: "application/json" } },
    );
    expect(await res.json()).toEqual({ data: { liveState: { seq: 2 } } });
    const tampered = await graphql(`${token.slice(0, -2)}xx`, "{ teams { nextCursor } }");
    expect(tampered.status).toBe(401);
  });

  it("answer another tenant's match as a nonexistent one (null), as REST does", async () => {
    const key = await otherTenantKey();
    const missing = uniqueMatchId("gql-none");
    const query = (id: string) =>
      `{ liveState(matchId: "${id}") { seq } match(matchId: "${id}") { id } metrics(matchId: "${id}") { totalEvents } timeline(matchId: "${id}") { buckets { total } } predictions(matchId: "${id}") { data { seq } } }`;
    // The owner's view has all of it (the analytics store included), so a null below is the tenant rule.
    await eventually(async () => {
      const mine = await answer(await graphql(readKey, query(matchId)));
      const predictions = mine.data?.predictions as { data: unknown[] } | undefined;
      return mine.data?.metrics !== null && (predictions?.data.length ?? 0) > 0;
    });
    const theirs = await answer(await graphql(key, query(matchId)));
    expect(theirs).toEqual(await answer(await graphql(key, query(missing))));
    expect(theirs).toEqual({
      data: { liveState: null, match: null, metrics: null, timeline: { buckets: [] }, predictions: { data: [] } },
    });
    expect((await call(key, `/v1/matches/${matchId}/state`)).status).toBe(404);
  });
});

describe("GraphQL limits", () => {
  it("refuse an operation nested deeper than the limit, before any read", async () => {
    const nested = (n: number): string => (n === 0 ? "name" : `ofType { ${nested(n - 1)} }`);
    const deep = `{ __schema { types { fields { type { ${nested(MAX_DEPTH)} } } } } }`;
    const key = await createApiKey(["read"], "deep", { readPerMinute: 1 });
    const body = await answer(await graphql(key, `${deep.slice(0, -1)} liveState(matchId: "${matchId}") { seq } }`));
    expect(body.data).toBeUndefined();
    expect(body.errors?.[0]?.message).toMatch(/depth/i);
    // Nothing was charged: the one read this key has still goes through.
    expect((await call(key, "/v1/teams?limit=1")).status).toBe(200);
  });

  it("refuse more root reads than the limit, and a query over the cost limit", async () => {
    const many = Array.from(
      { length: MAX_ROOT_FIELDS + 1 },
      (_, i) => `m${i}: liveState(matchId: "${matchId}") { seq }`,
    );
    const tooMany = await graphql(readKey, `{ ${many.join(" ")} }`);
    expect(tooMany.status).toBe(400);
    expect((await answer(tooMany)).errors?.[0]?.message).toMatch(/at most 20 root fields/);
    const fields = "seq lastSeq eventsApplied lateEvents seqErrors gapCount missingSeqs status score json";
    const wide = Array.from(
      { length: 20 },
      (_, i) =>
        `m${i}: match(matchId: "${matchId}") { live { ${fields} prediction { pTeam1 pTeam2 } gaps { from to } } activity { prediction { seq at pTeam1 pTeam2 } } }`,
    );
    const costly = await answer(await graphql(readKey, `{ ${wide.join(" ")} }`));
    expect(costly.data).toBeUndefined();
    expect(costly.errors?.[0]?.message).toMatch(/Query Cost limit of 1000 exceeded/);
  });

  it("charge one unit of the read budget per REST read, and answer 429 once it is spent", async () => {
    const key = await createApiKey(["read"], "graphql budget", { readPerMinute: 5 });
    const three = `{ a: liveState(matchId: "${matchId}") { seq } b: teams(limit: 1) { nextCursor } ...F } fragment F on Query { c: timeline(matchId: "${matchId}") { matchId } }`;
    const first = await graphql(key, three);
    expect(first.status).toBe(200);
    expect(first.headers.get("x-ratelimit-remaining")).toBe("2");
    // Three more reads do not fit in the two left: refused whole, nothing spent.
    const refused = await graphql(key, three);
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toMatch(/^\d+$/);
    expect((await answer(refused)).errors?.[0]?.extensions?.code).toBe("rate_limited");
    const two = await graphql(key, `{ a: liveState(matchId: "${matchId}") { seq } b: teams(limit: 1) { nextCursor } }`);
    expect(two.status).toBe(200);
    expect(two.headers.get("x-ratelimit-remaining")).toBe("0");
    expect((await call(key, "/v1/teams?limit=1")).status).toBe(429);
  });
});

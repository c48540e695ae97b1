// Per-client rate limits through the real Upstash bridge: separate ingest (per event) and read (per
// request) budgets, 429 with Retry-After and X-RateLimit-* headers, and failing open when Redis is gone.
import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { app } from "../workers/api/app";
import type { Env } from "../workers/env";
import { awayFromWindowEdge, BASE, call, createApiKey, footballEvent, postEvents, uniqueMatchId } from "./fixtures";

const DEAD = "http://127.0.0.1:9";

const limits = (res: Response) => ({
  limit: res.headers.get("x-ratelimit-limit"),
  remaining: res.headers.get("x-ratelimit-remaining"),
});

describe("read budget", () => {
  it("answers 429 with Retry-After once a client spent its reads for the minute", async () => {
    await awayFromWindowEdge();
    const key = await createApiKey(["read"], "limited reader", { readPerMinute: 3 });
    const path = `/v1/matches/${uniqueMatchId("rl")}/timeline`;
    const seen = [];
    for (let i = 0; i < 3; i++) {
      const res = await call(key, path);
      expect(res.status).toBe(200);
      seen.push(limits(res));
    }
    expect(seen).toEqual([
      { limit: "3", remaining: "2" },
      { limit: "3", remaining: "1" },
      { limit: "3", remaining: "0" },
    ]);
    const refused = await call(key, path);
    expect(refused.status).toBe(429);
    expect(await refused.json()).toMatchObject({ error: { code: "rate_limited" } });
    const retryAfter = Number(refused.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(limits(refused)).toEqual({ limit: "3", remaining: "0" });
    const reset = Number(refused.headers.get("x-ratelimit-reset"));
    expect(reset * 1000).toBeGreaterThan(Date.now());
    expect(reset * 1000).toBeLessThanOrEqual(Date.now() + 61_000);
  });

  it("limits each client on its own", async () => {
    await awayFromWindowEdge();
    const a = await createApiKey(["read"], "a", { readPerMinute: 1 });
    const b = await createApiKey(["read"], "b", { readPerMinute: 1 });
    expect((await call(a, "/v1/teams?limit=1")).status).toBe(200);
    expect((await call(a, "/v1/teams?limit=1")).status).toBe(429);
    expect((await call(b, "/v1/teams?limit=1")).status).toBe(200);
  });
});

describe("ingest budget", () => {
  it("counts events, not requests, and leaves the read budget alone", async () => {
    await awayFromWindowEdge();
    const key = await createApiKey(["ingest", "read"], "limited feed", { ingestPerMinute: 5, readPerMinute: 100 });
    const matchId = uniqueMatchId("rl-ingest");
    const batch = (n: number) =>
      Array.from({ length: n }, () => footballEvent(matchId, "pass", { teamId: 1, payload: { minute: 1 } }));
    const first = await postEvents(key, batch(3));
    expect(first.status).toBe(202);
    expect(limits(first)).toEqual({ limit: "5", remaining: "2" });
    // A batch is taken whole or refused whole; a refused one costs nothing, so a smaller one still fits.
    const tooBig = await postEvents(key, batch(3));
    expect(tooBig.status).toBe(429);
    expect(tooBig.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(await tooBig.json()).toMatchObject({ error: { code: "rate_limited" } });
    expect(limits(tooBig)).toEqual({ limit: "5", remaining: "2" });
    const fits = await postEvents(key, batch(2));
    expect(fits.status).toBe(202);
    expect(limits(fits)).toEqual({ limit: "5", remaining: "0" });
    expect((await postEvents(key, batch(1))).status).toBe(429);
    const read = await call(key, `/v1/matches/${matchId}/timeline`);
    expect(read.status).toBe(200);
    expect(limits(read)).toEqual({ limit: "100", remaining: "99" });
  });
});

describe("when Redis is unreachable", () => {
  const noRedis = { ...env, UPSTASH_REDIS_REST_URL: DEAD } as Env;

  it("reads and ingest keep working, unmetered, and the metrics say so", async () => {
    const key = await createApiKey(["ingest", "read"], "during an outage", { readPerMinute: 1, ingestPerMinute: 1 });
    const headers = { authorization: `Bearer ${key}` };
    // The first request finds Redis gone; the next ones do not even ask (the isolate's breaker is open).
    for (let i = 0; i < 3; i++) {
      const started = Date.now();
      const res = await app.request(`${BASE}/v1/teams?limit=1`, { headers }, noRedis);
      expect(res.status).toBe(200);
      expect(res.headers.get("x-ratelimit-limit")).toBeNull();
      expect(Date.now() - started).toBeLessThan(i === 0 ? 2_500 : 500);
    }
    const events = [
      footballEvent(uniqueMatchId("rl-down"), "match_start"),
      footballEvent(uniqueMatchId("rl-down"), "match_start"),
    ];
    const ingest = await app.request(
      `${BASE}/v1/events`,
      { method: "POST", headers: { ...headers, "content-type": "application/json" }, body: JSON.stringify(events) },
      noRedis,
    );
    expect(ingest.status).toBe(202);
    expect(await ingest.json()).toMatchObject({ accepted: 2 });

    const text = await (await SELF.fetch(`${BASE}/metrics`)).text();
    expect(text).toMatch(/^matchpulse_rate_limit_fail_open_total\{budget="read"\} [3-9]\d*$/m);
    expect(text).toMatch(/^matchpulse_rate_limit_fail_open_total\{budget="ingest"\} \d+$/m);
    expect(text).toMatch(/^matchpulse_rate_limited_total\{budget="read"\} \d+$/m);
  });
});

// Dependencies failing soft at the edge: a Postgres outage keeps known keys working from the last good
// answer for a bounded time (unknown keys: 503 with Retry-After); one Redis breaker for the dedup claims
// and the rate limiter; logs that never carry key material or query strings.
import { env, SELF } from "cloudflare:test";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { hashApiKey } from "../workers/api/api-keys";
import type { ApiClient } from "../workers/api/app-env";
import { findClient, forgetClient, KEY_STALE_IF_ERROR_MS, withoutQueryToken } from "../workers/api/auth";
import { ApiError } from "../workers/api/errors";
import { takeBudget } from "../workers/api/rate-limit";
import { withPostgres } from "../workers/clients/postgres";
import type { Env } from "../workers/env";
import { acceptEvents } from "../workers/ingest/accept-events";
import { renderMetrics } from "../workers/observability/metrics";
import { activeClientByKeyHash } from "../workers/stores/postgres/api-clients";
import { BASE, createApiKey, eventually, footballEvent, getState, postEvents, uniqueMatchId } from "./fixtures";

/** Nothing listens on the discard port; a unique path gives each test its own breaker state. */
const deadUrl = (scheme: string) => `${scheme}://127.0.0.1:9/${crypto.randomUUID()}`;
const postgresDown = (): Env => ({ ...env, DATABASE_URL: `postgres://postgres@127.0.0.1:9/${crypto.randomUUID()}` });

/** Every console line written while `work` runs. */
async function consoleLines(work: () => Promise<unknown>): Promise<string> {
  const lines: string[] = [];
  const spies = (["log", "info", "warn", "error", "debug"] as const).map((m) =>
    vi.spyOn(console, m).mockImplementation((...args: unknown[]) => {
      lines.push(args.map(String).join(" "));
    }),
  );
  try {
    await work();
  } finally {
    for (const s of spies) s.mockRestore();
  }
  return lines.join("\n");
}

afterEach(() => vi.restoreAllMocks());

describe("a Postgres outage", () => {
  let key: string;
  let keyHash: string;
  beforeAll(async () => {
    key = await createApiKey(["read"], "outage reader");
    keyHash = await hashApiKey(key, env.API_KEY_PEPPER);
  });

  it("keeps a known key working from the last good answer, for a bounded time", async () => {
    const t0 = Date.now();
    const fresh = await findClient(env, keyHash, t0);
    expect(fresh?.scopes).toEqual(["read"]);
    const down = postgresDown();
    // Past the 5 s cache: Postgres is asked, fails, and the last good answer is served.
    expect((await findClient(down, keyHash, t0 + 10_000))?.id).toBe(fresh?.id);
    expect((await findClient(down, keyHash, t0 + KEY_STALE_IF_ERROR_MS - 1_000))?.id).toBe(fresh?.id);
    // Beyond the stale-if-error bound it is refused, and told when to retry.
    const late = await findClient(down, keyHash, t0 + KEY_STALE_IF_ERROR_MS + 1_000).catch((e: unknown) => e);
    expect(late).toBeInstanceOf(ApiError);
    expect((late as ApiError).status).toBe(503);
    expect((late as ApiError).headers["retry-after"]).toBeTruthy();
  });

  it("answers an unknown key 503 dependency_unavailable with Retry-After, never 401", async () => {
    const err = await findClient(postgresDown(), "0".repeat(64)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    const body = (err as ApiError).toBody();
    expect(body.error.code).toBe("dependency_unavailable");
    expect(Number((err as ApiError).headers["retry-after"])).toBeGreaterThan(0);
  });

  it("never serves a key this isolate revoked, even while Postgres is down", async () => {
    const t0 = Date.now();
    const client = (await findClient(env, keyHash, t0)) as ApiClient;
    forgetClient(client.id);
    const err = await findClient(postgresDown(), keyHash, t0 + 10_000).catch((e: unknown) => e);
    expect((err as ApiError).code).toBe("dependency_unavailable");
  });

  it("logs the failure without the key or its hash", async () => {
    const other = await createApiKey(["read"], "log check");
    const otherHash = await hashApiKey(other, env.API_KEY_PEPPER);
    const plainHash = [...new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(other)))]
      .map((b) => b.toString(16).padStart(2, "0"))
      .join("");
    // The database error itself carries the query's parameters: this is what must not reach the log.
    const raw = await withPostgres(postgresDown(), ({ db }) => activeClientByKeyHash(db, otherHash)).catch(
      (e: unknown) => e,
    );
    expect(raw instanceof Error ? raw.message : "").toContain(otherHash);
    const text = await consoleLines(() => findClient(postgresDown(), otherHash).catch(() => undefined));
    expect(text).toContain("api key lookup failed");
    for (const secret of [other, otherHash, plainHash]) expect(text).not.toContain(secret);
  });
});

describe("API keys", () => {
  it("are stored as an HMAC under the server's pepper, not a plain digest", async () => {
    const a = await hashApiKey("mp_example", "pepper-one");
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(a).not.toBe(await hashApiKey("mp_example", "pepper-two"));
    const plain = [...new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode("mp_example")))]
      .map((b) => b.toString(16).padStart(2, "0"))
      .join("");
    expect(a).not.toBe(plain);
    await expect(hashApiKey("mp_example", "")).rejects.toThrow(/API_KEY_PEPPER/);
  });
});

describe("a Redis outage", () => {
  const redisErrors = () =>
    Number(/matchpulse_dependency_errors_total\{dependency="redis"\} (\d+)/.exec(renderMetrics())?.[1] ?? 0);

  it("trips one breaker: after the dedup claim failed, neither dedup nor the rate limiter waits on Redis", async () => {
    const noRedis: Env = { ...env, UPSTASH_REDIS_REST_URL: deadUrl("http") };
    const before = redisErrors();
    const first = await acceptEvents(noRedis, [footballEvent(uniqueMatchId("breaker"), "match_start")], "t-breaker");
    expect(first.accepted).toBe(1);
    expect(redisErrors()).toBe(before + 1);

    const client: ApiClient = {
      id: crypto.randomUUID(),
      tenantId: "default",
      quotas: { eventsPerDay: null, liveSockets: null, storedMatches: null },
      name: "x",
      scopes: ["ingest"],
      ingestPerMinute: 10,
      readPerMinute: 10,
    };
    const decision = await takeBudget(noRedis, client, "ingest", 1);
    expect(decision).toMatchObject({ allowed: true, failedOpen: true });
    const second = await acceptEvents(noRedis, [footballEvent(uniqueMatchId("breaker"), "match_start")], "t-breaker");
    expect(second.accepted).toBe(1);
    // No further call went to Redis: the breaker answered for both uses.
    expect(redisErrors()).toBe(before + 1);
  });
});

describe("logs", () => {
  it("never carry a ?token= key: requests are logged by route, not URL", async () => {
    const key = await createApiKey(["read", "ingest"], "token in query");
    const matchId = uniqueMatchId("token-log");
    expect((await postEvents(key, footballEvent(matchId, "match_start"))).status).toBe(202);
    await eventually(async () => (await getState(key, matchId)).status === 200);
    const text = await consoleLines(async () => {
      await (await SELF.fetch(`${BASE}/v1/matches/${matchId}/state?token=${key}`)).text();
      await (await SELF.fetch(`${BASE}/v1/matches/${matchId}/live?token=${key}`)).text(); // 426: no upgrade
      const res = await SELF.fetch(`${BASE}/v1/matches/${matchId}/live?token=${key}&since=0`, {
        headers: { upgrade: "websocket" },
      });
      expect(res.status).toBe(101);
      res.webSocket?.accept();
      res.webSocket?.send("not a protocol message");
      res.webSocket?.close(1000, "done");
      await new Promise((r) => setTimeout(r, 100));
    });
    expect(text).toContain('"msg":"request"');
    expect(text).not.toContain(key);
    expect(text).not.toContain("token=");
  });
});

describe("forwarding to the room", () => {
  it("drops ?token= from the URL (the runtime logs the URLs it forwards), keeping the rest", () => {
    const req = new Request("http://x/v1/matches/m/live?since=3&token=mp_secret", {
      headers: { upgrade: "websocket" },
    });
    const forwarded = withoutQueryToken(req);
    expect(forwarded.url).toBe("http://x/v1/matches/m/live?since=3");
    expect(forwarded.headers.get("upgrade")).toBe("websocket");
  });
});

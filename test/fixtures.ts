// Test fixtures that go through the same clients as the Worker: API keys in the real Postgres, rows in
// the real ClickHouse, events built to contract v1.
import { env, SELF } from "cloudflare:test";
import { eq } from "drizzle-orm";
import {
  type ConnectionState,
  type ConnectMatchOptions,
  connectMatch,
  type LiveUpdate,
  liveSocket,
  type Transport,
  UpgradeRejected,
} from "../packages/client/src";
import { type ServerFrame, serverFrameSchema } from "../shared/contract/live-protocol";
import { hashApiKey, keyPrefix, newApiKey } from "../workers/api/api-keys";
import { openClickHouse } from "../workers/clients/clickhouse";
import { withPostgres } from "../workers/clients/postgres";
import { apiClients } from "../workers/clients/postgres-schema";

export const BASE = "http://matchpulse.test";

export async function createApiKey(
  scopes: string[],
  name = "test client",
  limits: { ingestPerMinute?: number; readPerMinute?: number } = {},
): Promise<string> {
  const key = newApiKey();
  const keyHash = await hashApiKey(key, env.API_KEY_PEPPER);
  await withPostgres(env, ({ db }) =>
    db.insert(apiClients).values({ name, keyHash, keyPrefix: keyPrefix(key), scopes, ...limits }),
  );
  return key;
}

/**
 * The rate limits' sliding window weighs the previous minute in: keep a test's requests inside one minute
 * (a test of budgets should make them within the next few seconds).
 */
export async function awayFromWindowEdge(): Promise<void> {
  const intoMinute = Date.now() % 60_000;
  if (intoMinute > 57_000) await new Promise((r) => setTimeout(r, 60_000 - intoMinute + 100));
}

/** The id of the API client a key belongs to (as rate-limit keys and logs name it). */
export async function clientIdOf(key: string): Promise<string> {
  const hash = await hashApiKey(key, env.API_KEY_PEPPER);
  const [row] = await withPostgres(env, ({ db }) =>
    db.select({ id: apiClients.id }).from(apiClients).where(eq(apiClients.keyHash, hash)),
  );
  if (!row) throw new Error("no API client for this key");
  return row.id;
}

/** A JSON call to the Worker: `body` is serialized, the key sent as a bearer token. */
export function call(
  key: string | null,
  path: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Response> {
  return SELF.fetch(`${BASE}${path}`, {
    method: init.method ?? (init.body === undefined ? "GET" : "POST"),
    headers: {
      ...(init.body === undefined ? {} : { "content-type": "application/json" }),
      ...(key ? { authorization: `Bearer ${key}` } : {}),
      ...init.headers,
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
}

export const uniqueMatchId = (label: string) => `${label}-${crypto.randomUUID().slice(0, 8)}`;

export { footballEvent } from "../shared/testing/events";

export function postEvents(key: string | null, body: unknown, contentType = "application/json"): Promise<Response> {
  return SELF.fetch(`${BASE}/v1/events`, {
    method: "POST",
    headers: { "content-type": contentType, ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

export async function getState(key: string, matchId: string): Promise<Response> {
  return SELF.fetch(`${BASE}/v1/matches/${matchId}/state`, { headers: { authorization: `Bearer ${key}` } });
}

/** Polls until `probe` returns a value (the queue delivers asynchronously). */
export async function eventually<T>(
  probe: () => Promise<T | undefined | null | false>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${String(last)}` : ""}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function clickhouseRows<T>(query: string, params: Record<string, unknown>): Promise<T[]> {
  const client = openClickHouse(env);
  try {
    const rs = await client.query({ query, query_params: params, format: "JSONEachRow" });
    return (await rs.json()) as T[];
  } finally {
    await client.close();
  }
}

/**
 * A raw socket on a match's live endpoint, collecting its frames, each checked against the live protocol:
 * for tests of the server protocol (see watchMatch for the client).
 */
export async function openLive(key: string, matchId: string, since?: number) {
  const qs = since === undefined ? "" : `?since=${since}`;
  const res = await SELF.fetch(`${BASE}/v1/matches/${matchId}/live${qs}`, {
    headers: { upgrade: "websocket", authorization: `Bearer ${key}` },
  });
  const ws = res.webSocket;
  if (!ws) throw new Error(`no WebSocket: ${res.status} ${await res.text()}`);
  const frames: (ServerFrame & { receivedAt: number })[] = [];
  ws.addEventListener("message", (m) => {
    if (m.data === "pong") return;
    frames.push({ ...serverFrameSchema.parse(JSON.parse(String(m.data))), receivedAt: Date.now() });
  });
  ws.accept();
  return { ws, frames, close: () => ws.close(1000, "done") };
}

/** The client package's transport inside the test runtime: the upgrade goes through SELF.fetch. */
export const selfTransport: Transport = async (url) => {
  const res = await SELF.fetch(url.replace(/^ws/, "http"), { headers: { upgrade: "websocket" } });
  const ws = res.webSocket;
  if (!ws) throw new UpgradeRejected(res.status, await res.text());
  const socket = liveSocket(ws);
  ws.accept();
  return socket;
};

/**
 * A live client of a match through the client package (`connectMatch`), recording what it delivers:
 * `updates` in order, `states` the connection went through, `urls` it connected to (tokens included).
 */
export function watchMatch(key: string, matchId: string, options: Partial<ConnectMatchOptions> = {}) {
  const updates: LiveUpdate[] = [];
  const states: ConnectionState[] = [];
  const urls: URL[] = [];
  const connection = connectMatch({
    baseUrl: BASE,
    matchId,
    token: key,
    transport: (url) => {
      urls.push(new URL(url));
      return selfTransport(url);
    },
    ...options,
    onFrame: (u) => {
      updates.push(u);
      options.onFrame?.(u);
    },
    onState: (state, detail) => {
      states.push(state);
      options.onState?.(state, detail);
    },
  });
  return { connection, updates, states, urls, events: () => updates.flatMap((u) => u.events) };
}

// The live route's choice of object: the match's room while its audience is small, else one of its relays,
// picked by a hash of the connection. The relay count comes from the room, cached per isolate for
// ROUTE_CACHE_MS, so a reconnect storm asks the room about once per isolate per second, not per socket.
// Rooms and relays are named by room name (workers/tenants/tenant.ts: the tenant and the match id).
import type { Context } from "hono";
import type { AppEnv } from "../api/app-env";
import { withoutQueryToken } from "../api/auth";
import type { Env } from "../env";
import { CLIENT_ID_HEADER, VIEWER_HEADER } from "../match-room/sockets";
import { withSocketLease } from "../tenants/live-sockets";
import { matchOwner } from "../tenants/match-owner";
import { roomName } from "../tenants/tenant";
import { RELAY_INDEX_HEADER, RELAY_MATCH_HEADER } from "./match-relay";
import { relayIndex, relayName } from "./plan";

const ROUTE_CACHE_MS = 1_000;
const MAX_CACHED_MATCHES = 1_000;
const routes = new Map<string, { relays: number; at: number }>();

async function relaysOf(env: Env, room: string, now: number): Promise<number> {
  const hit = routes.get(room);
  if (hit && now - hit.at < ROUTE_CACHE_MS) return hit.relays;
  const { relays } = await env.MATCH_ROOM.get(env.MATCH_ROOM.idFromName(room)).liveRoute();
  routes.delete(room);
  for (const oldest of routes.keys()) {
    if (routes.size < MAX_CACHED_MATCHES) break;
    routes.delete(oldest);
  }
  routes.set(room, { relays, at: now });
  return relays;
}

/** Forwards a live upgrade (already authenticated, token stripped) to the room `room` or one of its relays. */
export async function forwardLive(env: Env, room: string, url: string, headers: Headers): Promise<Response> {
  const relays = await relaysOf(env, room, Date.now());
  if (relays === 0) return env.MATCH_ROOM.get(env.MATCH_ROOM.idFromName(room)).fetch(new Request(url, { headers }));
  const k = relayIndex(headers.get("cf-ray") ?? crypto.randomUUID(), relays);
  headers.set(RELAY_MATCH_HEADER, room);
  headers.set(RELAY_INDEX_HEADER, String(k));
  return env.MATCH_RELAY.get(env.MATCH_RELAY.idFromName(relayName(room, k))).fetch(new Request(url, { headers }));
}

/**
 * An authenticated upgrade of a match's socket (/live, the graphql-ws route) to the room of the match the
 * caller reads (its own, or one shared with it) or one of that room's relays.
 */
export async function forwardMatchSocket(c: Context<AppEnv>, matchId: string): Promise<Response> {
  const owner = await matchOwner(c, matchId, "read");
  // The room keeps the client with the socket: it closes it if the key is revoked and caps sockets per client.
  // It gets the request without ?token=: the runtime may log the URL it forwards.
  const forwarded = withoutQueryToken(c.req.raw);
  const headers = new Headers(forwarded.headers);
  headers.set(CLIENT_ID_HEADER, c.get("client").id);
  // A viewer's socket is checked against its issuer's revocation but not counted in the key's socket cap.
  if (c.get("viewer")) headers.set(VIEWER_HEADER, "1");
  // The key's tenant spends its live-sockets quota (whoever owns the match), before any room is asked.
  return withSocketLease(c, headers, () => forwardLive(c.env, roomName(owner, matchId), forwarded.url, headers));
}

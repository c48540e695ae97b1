// Socket lifecycle for the room's hibernating WebSockets: per-socket state kept in the socket's
// attachment (so it survives hibernation) with an in-memory mirror, quiet closes, and which errors are
// ordinary teardown.
import { PONG_TEXT, parseClientMessage } from "../../shared/contract/live-protocol";
import type { GraphqlSocketState } from "../graphql/room-sockets";
import type { SocketLease } from "../tenants/live-sockets";

/** The API puts the authenticated client's id on the upgrade request it forwards to the room. */
export const CLIENT_ID_HEADER = "x-matchpulse-client-id";
/** Set on the upgrade when a viewer token (not the client's key) opened the socket: not counted in the cap. */
export const VIEWER_HEADER = "x-matchpulse-viewer";

/** What the room knows about one socket. */
export interface SocketState {
  /** The API client whose key opened it (null for sockets opened before clients were recorded). */
  clientId: string | null;
  /** The last seq the client acknowledged; null until it sends an ack (then it is judged on them). */
  acked: number | null;
  /** The socket's lease in its tenant's live-sockets quota (workers/tenants/live-sockets.ts), if it took one. */
  lease?: SocketLease;
  /** A graphql-ws socket's protocol state and subscriptions (workers/graphql/room-sockets.ts); absent on /live. */
  graphql?: GraphqlSocketState;
}

/** Tag of a client's sockets: `ctx.getWebSockets(tag)` counts them, also after hibernation. */
export const clientTag = (clientId: string): string => `client:${clientId}`;

function readAttachment(ws: WebSocket): SocketState {
  const value: unknown = ws.deserializeAttachment();
  if (typeof value !== "object" || value === null) return { clientId: null, acked: null };
  const clientId = "clientId" in value && typeof value.clientId === "string" ? value.clientId : null;
  const acked = "acked" in value && typeof value.acked === "number" ? value.acked : null;
  const lease = "lease" in value ? readLease(value.lease) : null;
  const graphql = "graphql" in value && typeof value.graphql === "object" && value.graphql !== null;
  return {
    clientId,
    acked,
    ...(lease ? { lease } : {}),
    ...(graphql ? { graphql: value.graphql as GraphqlSocketState } : {}),
  };
}

function readLease(value: unknown): SocketLease | null {
  if (typeof value !== "object" || value === null) return null;
  const { tenantId, id } = value as Record<string, unknown>;
  return typeof tenantId === "string" && typeof id === "string" ? { tenantId, id } : null;
}

/** The leases of open sockets, for their renewal. */
export function leasesOf(sockets: readonly WebSocket[], registry: SocketRegistry): SocketLease[] {
  return sockets.flatMap((ws) => {
    const { lease } = registry.state(ws);
    return lease ? [lease] : [];
  });
}

export class SocketRegistry {
  private readonly states = new Map<WebSocket, SocketState>();

  /**
   * `counted`: tag the socket with its client, for the per-key socket cap (viewers' sockets are not);
   * `tags`: more tags (e.g. the graphql-ws sockets').
   */
  accept(ctx: DurableObjectState, ws: WebSocket, state: SocketState, counted = true, tags: string[] = []): void {
    ctx.acceptWebSocket(ws, [...(state.clientId === null || !counted ? [] : [clientTag(state.clientId)]), ...tags]);
    ws.serializeAttachment(state);
    this.states.set(ws, state);
  }

  state(ws: WebSocket): SocketState {
    let state = this.states.get(ws);
    if (state === undefined) {
      state = readAttachment(ws);
      this.states.set(ws, state);
    }
    return state;
  }

  /** A plain stream client's message (the room's and the relays'): a ping not auto-answered, or an ack. */
  answer(ws: WebSocket, message: string | ArrayBuffer): void {
    const msg = parseClientMessage(message);
    if (msg?.type === "ping") ws.send(PONG_TEXT);
    else if (msg?.type === "ack") this.acknowledge(ws, msg.seq);
  }

  acknowledge(ws: WebSocket, seq: number): void {
    const state = this.state(ws);
    if (state.acked !== null && seq <= state.acked) return;
    const next = { ...state, acked: seq };
    ws.serializeAttachment(next);
    this.states.set(ws, next);
  }

  /** Replaces a socket's state (in its attachment, so it survives hibernation). */
  update(ws: WebSocket, next: SocketState): void {
    ws.serializeAttachment(next);
    this.states.set(ws, next);
  }

  forget(ws: WebSocket): void {
    this.states.delete(ws);
  }
}

/** Closes a socket that may already be closing or closed, without throwing. */
export function closeQuietly(ws: WebSocket, code: number, reason = ""): void {
  try {
    ws.close(code, reason);
  } catch {
    // Already closed by the peer or the runtime.
  }
}

/**
 * The code to complete a closing handshake with: the client's own, unless it is one that is reported but
 * never sent (1005 no status, 1006 abnormal, 1015 TLS) or outside the sendable ranges, then 1000.
 */
export function echoCloseCode(code: number): number {
  const sendable =
    code === 1000 || (code >= 1001 && code <= 1014 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999);
  return sendable ? code : 1000;
}

/** Errors a socket reports when its peer simply went away: not worth a warning. */
export function isBenignTeardownError(err: unknown): boolean {
  const message = err instanceof Error ? err.message : String(err);
  return /closed|reset|disconnect|network connection lost|aborted/i.test(message);
}

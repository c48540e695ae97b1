// Fixtures of the GraphQL tests: graphql-ws connections (the upgrade, and a client speaking the protocol
// with graphql-ws's own message helpers, collecting each subscription's payloads) and another tenant's key.
import { SELF } from "cloudflare:test";
import { MessageType, parseMessage, stringifyMessage } from "graphql-ws";
import { expect } from "vitest";
import { BASE, eventually } from "./fixtures";
import { createTenant, tenantKey } from "./tenant-fixtures";

export const PROTOCOL = "graphql-transport-ws";

export type Payload = { data?: Record<string, unknown>; errors?: unknown[] };

export function upgrade(matchId: string, key: string | null, protocol: string | null = PROTOCOL) {
  return SELF.fetch(`${BASE}/v1/matches/${matchId}/graphql`, {
    headers: {
      upgrade: "websocket",
      ...(key ? { authorization: `Bearer ${key}` } : {}),
      ...(protocol ? { "sec-websocket-protocol": protocol } : {}),
    },
  });
}

/** A graphql-ws connection, acknowledged, collecting each subscription's payloads by id. */
export async function connect(matchId: string, key: string) {
  const res = await upgrade(matchId, key);
  expect(res.status).toBe(101);
  expect(res.headers.get("sec-websocket-protocol")).toBe(PROTOCOL);
  const ws = res.webSocket;
  if (!ws) throw new Error("no WebSocket");
  const payloads = new Map<string, Payload[]>();
  const errors = new Map<string, unknown>();
  let acked = false;
  let closed: { code: number; reason: string } | null = null;
  ws.addEventListener("message", (m) => {
    const message = parseMessage(String(m.data));
    if (message.type === MessageType.ConnectionAck) acked = true;
    if (message.type === MessageType.Next) {
      const list = payloads.get(message.id) ?? [];
      list.push(message.payload as { data?: Record<string, unknown> });
      payloads.set(message.id, list);
    }
    if (message.type === MessageType.Error) errors.set(message.id, message.payload);
  });
  ws.addEventListener("close", (e) => {
    closed = { code: e.code, reason: e.reason };
  });
  ws.accept();
  ws.send(stringifyMessage({ type: MessageType.ConnectionInit }));
  await eventually(async () => acked);
  const subscribe = (id: string, query: string, variables: Record<string, unknown>) =>
    ws.send(stringifyMessage({ id, type: MessageType.Subscribe, payload: { query, variables } }));
  return { ws, payloads, errors, subscribe, closed: () => closed, close: () => ws.close(1000, "done") };
}

/** A read key of a fresh tenant of its own (made by the operator, test/tenant-fixtures.ts). */
export async function otherTenantKey(): Promise<string> {
  return (await tenantKey(await createTenant("gql"), ["read"])).key;
}

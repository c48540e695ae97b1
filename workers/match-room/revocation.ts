// Revoked keys lose their open sockets: the room and its relays ask the metadata store (through the
// per-isolate key cache) which of their sockets' API clients may still read, and close the others with 4001.
import { closeCodes, closeReasons } from "../../shared/contract/live-protocol";
import { activeClients } from "../api/auth";
import type { Env } from "../env";
import { closeQuietly, type SocketRegistry } from "./sockets";

/**
 * Closes, with 4001, the sockets whose API key (or viewer token's issuer) was revoked or lost the read scope;
 * `forget` drops a socket from the caller's bookkeeping first. An unreachable metadata store keeps the sockets
 * (logged by activeClients): the next check asks again.
 */
export async function closeRevokedSockets(
  env: Env,
  sockets: readonly WebSocket[],
  registry: SocketRegistry,
  forget: (ws: WebSocket) => void,
): Promise<void> {
  const byClient = new Map<string, WebSocket[]>();
  for (const ws of sockets) {
    const { clientId } = registry.state(ws);
    if (clientId === null) continue;
    const list = byClient.get(clientId);
    if (list) list.push(ws);
    else byClient.set(clientId, [ws]);
  }
  if (byClient.size === 0) return;
  const allowed = await activeClients(env, [...byClient.keys()], ["read"]);
  if (allowed === null) return;
  for (const [clientId, revoked] of byClient) {
    if (allowed.has(clientId)) continue;
    for (const ws of revoked) {
      forget(ws);
      closeQuietly(ws, closeCodes.unauthorized, closeReasons[closeCodes.unauthorized]);
    }
  }
}

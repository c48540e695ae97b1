// Live sockets: accepting (with resume from a seq) and fan-out. Sockets use the hibernation API, so an
// idle room with thousands of fans costs nothing between events.
import type { LiveFrame } from "../../shared/contract/frames";
import { stateView, type RoomRecord, type RoomStore } from "./store";

export function broadcast(sockets: WebSocket[], frames: LiveFrame[]): void {
  if (frames.length === 0 || sockets.length === 0) return;
  for (const frame of frames) {
    const text = JSON.stringify(frame);
    for (const ws of sockets) {
      try {
        ws.send(text);
      } catch {
        // A socket closing under us; the runtime calls webSocketClose for it.
      }
    }
  }
}

export function openLiveSocket(ctx: DurableObjectState, store: RoomStore, record: RoomRecord, since: number | null): Response {
  const pair = new WebSocketPair();
  const [client, server] = [pair[0], pair[1]];
  ctx.acceptWebSocket(server);
  const missed = since !== null && Number.isInteger(since) && since >= 0 ? store.historySince(since, record.seq) : null;
  if (missed) for (const frame of missed) server.send(JSON.stringify(frame));
  else {
    const snapshot: LiveFrame = {
      type: "snapshot",
      seq: record.seq,
      event: null,
      state: stateView(record),
      prediction: record.prediction,
      ...(since !== null ? { resumed: false } : {}),
    };
    server.send(JSON.stringify(snapshot));
  }
  return new Response(null, { status: 101, webSocket: client });
}

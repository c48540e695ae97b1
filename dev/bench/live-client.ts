// A Node WebSocket client of /v1/matches/{id}/live for the benchmarks: records when each event id
// first arrived (frames may carry one event or, coalesced, several).
import WebSocket from "ws";
import { eventsOf, type ServerFrame } from "../../shared/contract/live-protocol";

export interface LiveClient {
  socket: WebSocket;
  /** eventId → performance.now() at arrival. */
  arrivals: Map<string, number>;
  lastSeq: number;
  onEvent?: (eventId: string, at: number) => void;
  close(): void;
}

export function openLiveClient(baseUrl: string, key: string, matchId: string): Promise<LiveClient> {
  const url = `${baseUrl.replace(/^http/, "ws")}/v1/matches/${encodeURIComponent(matchId)}/live?token=${encodeURIComponent(key)}`;
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { perMessageDeflate: false });
    const client: LiveClient = { socket, arrivals: new Map(), lastSeq: 0, close: () => socket.terminate() };
    socket.on("message", (data) => {
      const at = performance.now();
      const text = data.toString();
      if (text === "pong") return;
      const frame = JSON.parse(text) as ServerFrame;
      client.lastSeq = frame.seq;
      for (const e of eventsOf(frame)) {
        if (!client.arrivals.has(e.eventId)) {
          client.arrivals.set(e.eventId, at);
          client.onEvent?.(e.eventId, at);
        }
      }
    });
    socket.once("open", () => resolve(client));
    // `on`, not `once`: a refused upgrade can emit more than one error, and an unheard one kills the process.
    socket.on("error", reject);
  });
}

/** Round trip of "ping" → "pong", answered by the runtime for the room (no room code runs). */
export function pingRoundTrip(client: LiveClient): Promise<number> {
  return new Promise((resolve) => {
    const started = performance.now();
    const onMessage = (data: WebSocket.RawData) => {
      if (data.toString() === "pong") {
        client.socket.off("message", onMessage);
        resolve(performance.now() - started);
      }
    };
    client.socket.on("message", onMessage);
    client.socket.send("ping");
  });
}

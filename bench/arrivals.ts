// The benches watch matches through the client package, recording when each event id first arrived
// (performance.now(), taken in onFrame, which runs in the socket's message handler).
import { WebSocket } from "ws";
import { connectMatch, type MatchConnection } from "../packages/client/src";

/** `ws` without per-message deflate, as before the client package: figures stay comparable across runs. */
class BenchSocket extends WebSocket {
  constructor(url: string) {
    super(url, { perMessageDeflate: false });
  }
}

export interface ArrivalWatcher {
  connection: MatchConnection;
  /** eventId → performance.now() at arrival. */
  arrivals: Map<string, number>;
  onEvent?: (eventId: string, at: number) => void;
  close(): void;
}

/** Resolves once the socket is open; rejects (and stops) if the first attempt fails: the bench counts refusals. */
export function watchArrivals(baseUrl: string, key: string, matchId: string): Promise<ArrivalWatcher> {
  return new Promise((resolve, reject) => {
    const arrivals = new Map<string, number>();
    let opened = false;
    let lastError = "";
    const connection = connectMatch({
      baseUrl,
      matchId,
      token: key,
      WebSocket: BenchSocket,
      onFrame: (update) => {
        const at = performance.now();
        for (const e of update.events) {
          if (arrivals.has(e.eventId)) continue;
          arrivals.set(e.eventId, at);
          watcher.onEvent?.(e.eventId, at);
        }
      },
      onError: (e) => {
        lastError = e.message;
      },
      onState: (state) => {
        if (opened) return;
        if (state === "open") {
          opened = true;
          resolve(watcher);
        } else if (state === "reconnecting" || state === "unauthorized") {
          connection.close();
          reject(new Error(lastError || state));
        }
      },
    });
    const watcher: ArrivalWatcher = { connection, arrivals, close: () => connection.close() };
  });
}

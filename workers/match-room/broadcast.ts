// Live sockets: accepting (with resume from a seq) and fan-out. Sockets use the hibernation API, so an
// idle room with thousands of fans costs nothing between events. Under bursts the room sends at most
// one frame per COALESCE_MS, carrying every change since the previous one, instead of flooding clients.
import { closeCodes, closeReasons, type LiveFrame } from "../../shared/contract/frames";
import { stateView, type RoomRecord, type RoomStore } from "./store";

export const COALESCE_MS = 50;

/** Folds consecutive updates into one frame: the last state, and every event in order. */
export function coalesce(frames: LiveFrame[]): LiveFrame {
  if (frames.length === 1) return frames[0]!;
  const last = frames[frames.length - 1]!;
  return {
    ...last,
    fromSeq: frames[0]!.fromSeq ?? frames[0]!.seq,
    events: frames.flatMap((f) => f.events ?? (f.event ? [f.event] : [])),
  };
}

export class Broadcaster {
  private pending: LiveFrame[] = [];
  private lastSentAt = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly sockets: () => WebSocket[]) {}

  /** Queues frames for every socket; sends now unless a frame went out less than COALESCE_MS ago. */
  publish(frames: LiveFrame[]): void {
    if (frames.length === 0) return;
    this.pending.push(...frames);
    if (this.timer) return;
    const wait = this.lastSentAt + COALESCE_MS - Date.now();
    if (wait <= 0 && frames.length === this.pending.length) this.flush();
    else this.timer = setTimeout(() => this.flush(), Math.max(wait, 0));
  }

  flush(): void {
    this.timer = null;
    if (this.pending.length === 0) return;
    const text = JSON.stringify(coalesce(this.pending));
    this.pending = [];
    this.lastSentAt = Date.now();
    for (const ws of this.sockets()) {
      try {
        ws.send(text);
      } catch {
        // The socket is closing or its buffer is full: close it with the documented code; it resumes with ?since=.
        try {
          ws.close(closeCodes.slowConsumer, closeReasons[closeCodes.slowConsumer]);
        } catch {
          // already closed
        }
      }
    }
  }
}

export function openLiveSocket(ctx: DurableObjectState, store: RoomStore, record: RoomRecord, since: number | null): Response {
  const pair = new WebSocketPair();
  const [client, server] = [pair[0], pair[1]];
  ctx.acceptWebSocket(server);
  const missed = since !== null ? store.historySince(since, record.seq) : null;
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

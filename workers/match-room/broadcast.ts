// Live sockets: accepting (with resume from a seq) and fan-out. Sockets use the hibernation API, so an
// idle room with thousands of fans costs nothing between events. Under bursts the room sends at most
// one frame per COALESCE_MS, carrying every change since the previous one, instead of flooding clients.
import { closeCodes, closeReasons, type LiveFrame } from "../../shared/contract/frames";
import type { MatchEvent } from "../../shared/sports/sport";
import { HISTORY_LIMIT, type RoomRecord, type RoomStore, stateView } from "./store";

export const COALESCE_MS = 50;

/** The frame announcing updates fromSeq..record.seq: one event as `event`, several also as `events`. */
export function updateFrame(record: RoomRecord, events: MatchEvent[], fromSeq: number): LiveFrame {
  const frame: LiveFrame = {
    type: "update",
    seq: record.seq,
    event: events[events.length - 1]!,
    state: stateView(record),
    prediction: record.prediction,
  };
  return events.length === 1 ? frame : { ...frame, fromSeq, events };
}

/** Folds consecutive update frames into one: the last state, and every event in order. */
export function coalesce(frames: LiveFrame[]): LiveFrame {
  if (frames.length === 1) return frames[0]!;
  const last = frames[frames.length - 1]!;
  return {
    ...last,
    fromSeq: frames[0]!.fromSeq ?? frames[0]!.seq,
    events: frames.flatMap((f) => f.events ?? (f.event ? [f.event] : [])),
  };
}

/**
 * How many updates a client may fall behind the last seq it acknowledged before it is closed as too slow
 * (4008). It equals the history's depth, so the closed client can still resume with ?since=.
 */
export const MAX_UNACKED = HISTORY_LIMIT;

/** Clients that want flow control send `{"type":"ack","seq":N}` after handling the frame with seq N. */
export function parseAck(message: string | ArrayBuffer): number | null {
  if (typeof message !== "string" || !message.startsWith("{")) return null;
  try {
    const value = JSON.parse(message) as { type?: unknown; seq?: unknown };
    return value.type === "ack" && Number.isInteger(value.seq) && (value.seq as number) >= 0
      ? (value.seq as number)
      : null;
  } catch {
    return null;
  }
}

export class Broadcaster {
  private pending: LiveFrame[] = [];
  private lastSentAt = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** Last seq each acknowledging socket confirmed (in memory: a woken room learns it again from the next ack). */
  private readonly acked = new Map<WebSocket, number>();

  acknowledge(ws: WebSocket, seq: number): void {
    this.acked.set(ws, Math.max(seq, this.acked.get(ws) ?? 0));
  }

  forget(ws: WebSocket): void {
    this.acked.delete(ws);
  }

  constructor(private readonly sockets: () => WebSocket[]) {}

  /** Queues a frame for every socket; sends now unless a frame went out less than COALESCE_MS ago. */
  publish(frame: LiveFrame | null): void {
    if (!frame) return;
    this.pending.push(frame);
    if (this.timer) return;
    const wait = this.lastSentAt + COALESCE_MS - Date.now();
    if (wait <= 0 && this.pending.length === 1) this.flush();
    else this.timer = setTimeout(() => this.flush(), Math.max(wait, 0));
  }

  flush(): void {
    this.timer = null;
    if (this.pending.length === 0) return;
    const sockets = this.sockets();
    // Nobody listening (a feed without fans, or a bench): nothing to serialise.
    const frame = coalesce(this.pending);
    const text = sockets.length > 0 ? JSON.stringify(frame) : "";
    this.pending = [];
    this.lastSentAt = Date.now();
    for (const ws of sockets) {
      const acked = this.acked.size > 0 ? this.acked.get(ws) : undefined;
      if (acked !== undefined && frame.seq - acked > MAX_UNACKED) {
        this.forget(ws);
        try {
          ws.close(closeCodes.slowConsumer, closeReasons[closeCodes.slowConsumer]);
        } catch {
          // already closed
        }
        continue;
      }
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

export function openLiveSocket(
  ctx: DurableObjectState,
  store: RoomStore,
  record: RoomRecord,
  since: number | null,
): Response {
  const pair = new WebSocketPair();
  const [client, server] = [pair[0], pair[1]];
  ctx.acceptWebSocket(server);
  const missed = since !== null ? store.historySince(since, record.seq) : null;
  if (missed) {
    // Every missed event, in order, in one frame with the current state (like a coalesced update).
    if (missed.length > 0) server.send(JSON.stringify(updateFrame(record, missed, since! + 1)));
  } else {
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

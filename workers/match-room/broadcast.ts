// Fan-out over the room's hibernating WebSockets: an idle room with thousands of fans costs nothing
// between events. Under bursts the room sends at most one round of frames per COALESCE_MS, carrying every
// change since the previous one (coalesced, frames.ts), instead of flooding clients.
import { closeCodes, closeReasons } from "../../shared/contract/live-protocol";
import { coalesce, type RoomFrame } from "./frames";
import { closeQuietly, type SocketRegistry } from "./sockets";
import { HISTORY_LIMIT } from "./store";

export const COALESCE_MS = 50;

/**
 * How many updates a client may fall behind the last seq it acknowledged before it is closed as too slow
 * (4008). It equals the history's depth, so the closed client can still resume with ?since=.
 */
export const MAX_UNACKED = HISTORY_LIMIT;

/** Whether a socket that acknowledged `acked` is too far behind `seq` (never, for a client that never acks). */
export const tooFarBehind = (acked: number | null, seq: number): boolean => acked !== null && seq - acked > MAX_UNACKED;

/** Where frames also go: the match's relays, each frame once (workers/relay/publisher.ts). */
export interface FrameSink {
  active(): boolean;
  publish(frames: RoomFrame[], texts: string[]): void;
}

/** Several sinks as one: active when any is, each active one given the frames. */
export function sinks(...list: FrameSink[]): FrameSink {
  return {
    active: () => list.some((s) => s.active()),
    publish: (frames, texts) => {
      for (const s of list) if (s.active()) s.publish(frames, texts);
    },
  };
}

export class Broadcaster {
  private pending: RoomFrame[] = [];
  private lastSentAt = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly sockets: () => WebSocket[],
    private readonly registry: SocketRegistry,
    /** Called when frames go out to at least one socket (the room re-checks its clients' keys then). */
    private readonly onSend: () => void = () => {},
    private readonly relays: FrameSink | null = null,
  ) {}

  /** Queues frames for every socket; sends now unless frames went out less than COALESCE_MS ago. */
  publish(frames: RoomFrame[]): void {
    if (frames.length === 0) return;
    const wasEmpty = this.pending.length === 0;
    this.pending.push(...frames);
    if (this.timer) return;
    const wait = this.lastSentAt + COALESCE_MS - Date.now();
    if (wait <= 0 && wasEmpty) this.flush();
    else this.timer = setTimeout(() => this.flush(), Math.max(wait, 0));
  }

  flush(): void {
    this.timer = null;
    if (this.pending.length === 0) return;
    const sockets = this.sockets();
    const frames = coalesce(this.pending);
    this.pending = [];
    this.lastSentAt = Date.now();
    const relaying = this.relays?.active() ?? false;
    // Nobody listening (a feed without fans, or a bench): nothing to serialise.
    if (sockets.length === 0 && !relaying) return;
    const texts = frames.map((f) => JSON.stringify(f));
    // Each frame once to every relay, before the room's own sockets: relays fan out in parallel.
    if (relaying) this.relays?.publish(frames, texts);
    if (sockets.length === 0) return;
    this.onSend();
    fanOut(sockets, this.registry, texts, frames[frames.length - 1]?.seq ?? 0);
  }
}

/**
 * Sends serialized frames to every socket, closing with 4008 those too far behind their last ack or whose
 * send fails (they resume with ?since=). The room and the relays fan out alike.
 */
export function fanOut(sockets: WebSocket[], registry: SocketRegistry, texts: string[], lastSeq: number): void {
  for (const ws of sockets) {
    if (tooFarBehind(registry.state(ws).acked, lastSeq)) {
      registry.forget(ws);
      closeQuietly(ws, closeCodes.slowConsumer, closeReasons[closeCodes.slowConsumer]);
      continue;
    }
    try {
      for (const text of texts) ws.send(text);
    } catch {
      // The socket is closing or its buffer is full: close it with the documented code; it resumes with ?since=.
      closeQuietly(ws, closeCodes.slowConsumer, closeReasons[closeCodes.slowConsumer]);
    }
  }
}

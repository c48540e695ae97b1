// connectMatch: one match's live stream that survives drops. It remembers the last room seq it applied,
// reconnects with ?since=<seq> (a fresh token from the token function each time) after a back-off with
// jitter, resumes at once when the server closes it as too slow (4008), stops on 4001 unless the token
// function gives a new token, and hands each update to the caller exactly once, in order.
import { applyFrame, isServerFrame } from "./apply";
import { type Backoff, defaultBackoff, reconnectDelay } from "./backoff";
import {
  type AckMessage,
  closeCodes,
  type MatchEvent,
  type MatchStateView,
  type PredictionView,
  type ServerFrame,
} from "./protocol";
import {
  type LiveSocket,
  redact,
  type Transport,
  UpgradeRejected,
  type WebSocketConstructor,
  webSocketTransport,
} from "./socket";

export type ConnectionState = "connecting" | "open" | "reconnecting" | "unauthorized" | "closed";

/** One delivered change: the state after it and the events that led to it (each delivered once). */
export interface LiveUpdate {
  type: ServerFrame["type"];
  /** The room seq this update brings the client to; the next reconnect resumes from it. */
  seq: number;
  state: MatchStateView;
  prediction: PredictionView | null;
  /** The new events in order (empty for a snapshot). */
  events: MatchEvent[];
  /** On a snapshot that answered a resume: false means the history was gone and this state replaces yours. */
  resumed?: boolean;
  /** The frame as received. */
  frame: ServerFrame;
}

export interface LiveClientError {
  kind: "unauthorized" | "connect" | "protocol" | "handler";
  message: string;
  cause?: unknown;
}

export interface ConnectMatchOptions {
  /** The API's origin (http(s) or ws(s)), e.g. "https://api.example.com"; or give `url`. */
  baseUrl?: string;
  /** The live endpoint itself, if not at `${baseUrl}/v1/matches/{matchId}/live`. */
  url?: string;
  matchId: string;
  /** The credential, or a function evaluated again before every (re)connect. */
  token: string | (() => string | Promise<string>);
  /** The query parameter that carries the token (default "token"). */
  tokenParam?: string;
  /** Resume from this room seq on the first connect (a client that kept its state). */
  since?: number;
  onFrame?: (update: LiveUpdate) => void;
  onState?: (state: ConnectionState, detail: { attempt: number; delayMs?: number; code?: number }) => void;
  onError?: (error: LiveClientError) => void;
  /** Send {"type":"ack","seq":N} after each handled frame: opts into the server's flow control. */
  ack?: boolean;
  backoff?: Partial<Backoff>;
  /** Give up on an opening socket after this long and back off (default 10 s). */
  connectTimeoutMs?: number;
  /** A WebSocket class where the platform has none (Node < 22: the `ws` package). */
  WebSocket?: WebSocketConstructor;
  /** Replaces the WebSocket entirely (tests). */
  transport?: Transport;
  /** [0, 1) source for the jitter (tests). */
  random?: () => number;
}

export interface MatchConnection {
  readonly state: ConnectionState;
  /** The last room seq applied (null before the first frame). */
  readonly lastSeq: number | null;
  /** The latest update delivered. */
  readonly latest: LiveUpdate | null;
  /** "ping" → "pong" round trip in ms (answered without waking the room). */
  ping(): Promise<number>;
  /** Stops for good: no more reconnects. */
  close(): void;
}

/** How long a socket must stay up (without frames) before its close counts as a fresh drop. */
const STABLE_MS = 5_000;

export function connectMatch(options: ConnectMatchOptions): MatchConnection {
  return new LiveMatchConnection(options);
}

class LiveMatchConnection implements MatchConnection {
  state: ConnectionState = "connecting";
  lastSeq: number | null;
  latest: LiveUpdate | null = null;
  private socket: LiveSocket | null = null;
  /** Bumped per socket: events of a socket that was replaced are ignored. */
  private generation = 0;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;
  /** The token the server refused (4001 / HTTP 401/403): never sent again. */
  private refusedToken: string | null = null;
  /** The token the current socket was opened with. */
  private sentToken: string | null = null;
  private readonly pongs: { resolve: () => void; reject: (err: Error) => void }[] = [];
  /** When the current socket opened, and whether it delivered a frame: a socket that proved itself resets the back-off. */
  private openedAt = 0;
  private framesOnSocket = 0;
  private readonly backoff: Backoff;
  private readonly transport: Transport;

  constructor(private readonly options: ConnectMatchOptions) {
    if (!options.url && !options.baseUrl) throw new Error("connectMatch needs url or baseUrl");
    this.lastSeq = options.since ?? null;
    this.backoff = { ...defaultBackoff, ...options.backoff };
    this.transport = options.transport ?? webSocketTransport(options.WebSocket);
    void this.open();
  }

  close(): void {
    this.stopped = true;
    this.generation++;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.socket?.close(1000, "client closed");
    this.socket = null;
    this.setState("closed");
  }

  ping(): Promise<number> {
    const socket = this.socket;
    if (!socket) return Promise.reject(new Error("not connected"));
    const started = performance.now();
    return new Promise((resolve, reject) => {
      this.pongs.push({ resolve: () => resolve(performance.now() - started), reject });
      socket.send("ping");
    });
  }

  liveUrl(token: string): string {
    const o = this.options;
    const base = o.url ?? `${o.baseUrl!.replace(/\/+$/, "")}/v1/matches/${encodeURIComponent(o.matchId)}/live`;
    const url = new URL(base.replace(/^http/, "ws"));
    url.searchParams.set(o.tokenParam ?? "token", token);
    if (this.lastSeq !== null) url.searchParams.set("since", String(this.lastSeq));
    return url.toString();
  }

  private setState(state: ConnectionState, detail: { delayMs?: number; code?: number } = {}): void {
    this.state = state;
    this.options.onState?.(state, { attempt: this.attempt, ...detail });
  }

  private report(kind: LiveClientError["kind"], message: string, cause?: unknown): void {
    this.options.onError?.({ kind, message, cause });
  }

  private token(): Promise<string> {
    const t = this.options.token;
    return Promise.resolve(typeof t === "function" ? t() : t);
  }

  private async open(): Promise<void> {
    const gen = ++this.generation;
    if (this.state !== "connecting") this.setState("reconnecting");
    let token: string;
    try {
      token = await this.token();
    } catch (err) {
      if (gen !== this.generation) return;
      this.report("connect", "the token function failed", err);
      this.scheduleReconnect();
      return;
    }
    if (gen !== this.generation) return;
    if (token === this.refusedToken) {
      this.stopUnauthorized();
      return;
    }
    this.sentToken = token;
    const url = this.liveUrl(token);
    let socket: LiveSocket;
    try {
      socket = await withTimeout(this.transport(url), this.options.connectTimeoutMs ?? 10_000);
    } catch (err) {
      if (gen !== this.generation) return;
      if (err instanceof UpgradeRejected && (err.status === 401 || err.status === 403)) {
        await this.refused(token);
        return;
      }
      this.report("connect", err instanceof Error ? err.message : `cannot connect to ${redact(url)}`, err);
      this.scheduleReconnect();
      return;
    }
    if (gen !== this.generation) {
      socket.close(1000, "superseded");
      return;
    }
    this.socket = socket;
    this.openedAt = performance.now();
    this.framesOnSocket = 0;
    this.refusedToken = null;
    this.setState("open");
    socket.listen({
      message: (text) => gen === this.generation && this.receive(text),
      close: (code) => gen === this.generation && void this.closed(code),
    });
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    const delayMs = reconnectDelay(this.attempt, this.backoff, this.options.random);
    this.setState("reconnecting", { delayMs });
    this.attempt++;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.open();
    }, delayMs);
  }

  private async closed(code: number): Promise<void> {
    this.socket = null;
    for (const pong of this.pongs.splice(0)) pong.reject(new Error(`closed (${code})`));
    if (this.stopped) return;
    // A server that accepts and drops at once must not reset the back-off: only a socket that delivered
    // a frame or stayed up a while counts as a recovery.
    if (this.framesOnSocket > 0 || performance.now() - this.openedAt >= STABLE_MS) this.attempt = 0;
    if (code === closeCodes.unauthorized) {
      await this.refused(this.sentToken);
      return;
    }
    // Too slow: the server keeps our place in its history; resume at once.
    if (code === closeCodes.slowConsumer) {
      void this.open();
      return;
    }
    this.scheduleReconnect();
  }

  /** The server refused `token`: stop, unless the token function now gives another one. */
  private async refused(token: string | null): Promise<void> {
    this.refusedToken = token;
    this.report("unauthorized", "the server refused the token");
    let next: string | null = null;
    try {
      next = await this.token();
    } catch {
      // treated like the same token
    }
    if (this.stopped) return;
    if (next === null || next === token) this.stopUnauthorized();
    else this.scheduleReconnect();
  }

  private stopUnauthorized(): void {
    this.stopped = true;
    this.generation++;
    this.setState("unauthorized");
  }

  private receive(text: string): void {
    if (text === "pong") {
      this.pongs.shift()?.resolve();
      return;
    }
    let frame: unknown;
    try {
      frame = JSON.parse(text);
    } catch (err) {
      this.report("protocol", "a message that is not JSON", err);
      return;
    }
    if (!isServerFrame(frame)) {
      this.report("protocol", "a message that is not a live frame");
      return;
    }
    this.framesOnSocket++;
    const applied = applyFrame(this.lastSeq, frame);
    if (applied.kind === "repeat") return;
    if (applied.kind === "gap") {
      // Updates went missing between frames: reopen from the last one applied rather than skip them.
      this.socket?.close(1000, "resuming");
      this.socket = null;
      void this.open();
      return;
    }
    const update: LiveUpdate = {
      type: frame.type,
      seq: frame.seq,
      state: frame.state,
      prediction: frame.prediction,
      events: applied.kind === "update" ? applied.events : [],
      ...(applied.kind === "snapshot" && applied.resumed !== undefined ? { resumed: applied.resumed } : {}),
      frame,
    };
    this.lastSeq = frame.seq;
    this.latest = update;
    try {
      this.options.onFrame?.(update);
    } catch (err) {
      this.report("handler", "onFrame threw", err);
      return;
    }
    if (this.options.ack) this.socket?.send(JSON.stringify({ type: "ack", seq: frame.seq } satisfies AckMessage));
  }
}

function withTimeout<T extends LiveSocket>(opening: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`no connection within ${ms} ms`));
      // A socket that opens after all is closed at once.
      void opening.then((late) => late.close(1000, "timed out")).catch(() => {});
    }, ms);
  });
  return Promise.race([opening, timeout]).finally(() => clearTimeout(timer));
}

// The transport under the client: something that opens a socket to a URL. By default the platform's
// WebSocket (browsers, Node >= 22, Workers); any class with the same surface (e.g. `ws` in older Node)
// or a function (tests open sockets through Miniflare's SELF.fetch) can stand in.

/** The part of the WebSocket API the client uses (browsers, Node's global, `ws`, Workers all have it). */
export interface WebSocketLike {
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: string, listener: (event: SocketEvent) => void): void;
}

/** The fields the client reads from message, close and error events. */
export interface SocketEvent {
  type: string;
  data?: unknown;
  code?: number;
  reason?: string;
  message?: string;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** An open socket. Messages that arrive before `listen` are kept and handed over first. */
export interface LiveSocket {
  send(text: string): void;
  close(code?: number, reason?: string): void;
  listen(handlers: { message(text: string): void; close(code: number, reason: string): void }): void;
}

/** Opens a socket to a URL; resolves once it is open, rejects if it cannot be opened. */
export type Transport = (url: string) => Promise<LiveSocket>;

/** The server refused the upgrade with an HTTP status (seen by transports that can read it). */
export class UpgradeRejected extends Error {
  constructor(
    readonly status: number,
    detail = "",
  ) {
    super(`WebSocket upgrade refused: HTTP ${status}${detail ? ` ${detail}` : ""}`);
    this.name = "UpgradeRejected";
  }
}

/** Wraps a socket that is already open (or will be), buffering what arrives until someone listens. */
export function liveSocket(ws: WebSocketLike): LiveSocket {
  let handlers: Parameters<LiveSocket["listen"]>[0] | null = null;
  const early: (() => void)[] = [];
  ws.addEventListener("message", (e) => {
    if (typeof e.data !== "string") return; // the live endpoint only sends text
    const text = e.data;
    if (handlers) handlers.message(text);
    else early.push(() => handlers?.message(text));
  });
  ws.addEventListener("close", (e) => {
    const code = e.code ?? 1006;
    const reason = e.reason ?? "";
    if (handlers) handlers.close(code, reason);
    else early.push(() => handlers?.close(code, reason));
  });
  return {
    send: (text) => ws.send(text),
    close: (code, reason) => {
      try {
        ws.close(code, reason);
      } catch {
        // already closing
      }
    },
    listen(h) {
      handlers = h;
      for (const deliver of early.splice(0)) deliver();
    },
  };
}

/** The default transport: `new WebSocket(url)`, resolved on open. */
export function webSocketTransport(WebSocketClass?: WebSocketConstructor): Transport {
  return (url) =>
    new Promise((resolve, reject) => {
      const Impl = WebSocketClass ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
      if (!Impl) {
        reject(new Error("no global WebSocket here: pass one as the WebSocket option (e.g. from the ws package)"));
        return;
      }
      let settled = false;
      const ws = new Impl(url);
      const socket = liveSocket(ws);
      ws.addEventListener("open", () => {
        settled = true;
        resolve(socket);
      });
      const fail = (e: SocketEvent) => {
        if (settled) return;
        settled = true;
        reject(new Error(`WebSocket to ${redact(url)} failed${e.message ? `: ${e.message}` : ""}`));
      };
      ws.addEventListener("error", fail);
      ws.addEventListener("close", fail);
    });
}

/** The URL without its query, which carries the token: never put that in an error or a log. */
export function redact(url: string): string {
  const q = url.indexOf("?");
  return q < 0 ? url : `${url.slice(0, q)}?…`;
}

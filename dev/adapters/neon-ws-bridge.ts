// Dev-only: the proxy @neondatabase/serverless speaks to, in front of a local PostgreSQL, as Neon's does:
// WebSocket sessions (ws://…/v1?address=host:port, the Postgres wire protocol in binary frames piped to a
// TCP socket) and one-shot queries over HTTP (POST /sql?address=host:port, neon-http-sql.ts). Only
// loopback targets are allowed, so this can never be used to reach another machine. Never imported by
// workers/.
import { createServer, type IncomingMessage } from "node:http";
import { connect, isIP, type Socket } from "node:net";
import { type RawData, type WebSocket, WebSocketServer } from "ws";
import { listenLocal } from "./listen";
import { neonHttpSql } from "./neon-http-sql";

export interface NeonWsBridgeOptions {
  port: number;
  host?: string;
}

export interface RunningBridge {
  url: string;
  close(): Promise<void>;
}

export async function startNeonWsBridge(opts: NeonWsBridgeOptions): Promise<RunningBridge> {
  const sql = neonHttpSql();
  const server = createServer((req, res) => {
    const target = parseTarget(req, "/sql");
    if (typeof target !== "string") return sql.handle(req, res, target);
    const [status = 400, ...reason] = target.split(" ");
    res
      .writeHead(Number(status), { "content-type": "text/plain" })
      .end(`${reason.join(" ")}: POST /sql?address=127.0.0.1:5432 or ws://host/v1?address=127.0.0.1:5432\n`);
  });
  const wss = new WebSocketServer({ noServer: true });
  const sockets = new Set<Socket>();

  server.on("upgrade", (req, socket, head) => {
    const target = parseTarget(req, "/v1");
    if (typeof target === "string") {
      socket.end(`HTTP/1.1 ${target}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => pipe(ws, target, sockets));
  });

  // Bridged sockets first: closing the server waits for every connection to end.
  const release = async () => {
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    await sql.close();
  };
  const adapter = await listenLocal(server, { port: opts.port, host: opts.host, scheme: "ws" }, release);
  return {
    url: adapter.url,
    close: async () => {
      for (const ws of wss.clients) ws.terminate();
      for (const tcp of sockets) tcp.destroy();
      await adapter.close();
    },
  };
}

/** The loopback host:port from `<path>?address=`, or an HTTP status line explaining the refusal. */
function parseTarget(req: IncomingMessage, path: "/v1" | "/sql"): { host: string; port: number } | string {
  const url = new URL(req.url ?? "/", "http://bridge");
  if (url.pathname !== path) return "404 Not Found";
  const address = url.searchParams.get("address") ?? "";
  const match = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(address);
  const port = Number(match?.[2]);
  if (!match?.[1] || !(port > 0 && port < 65536)) return "400 Bad Request";
  const host = match[1].toLowerCase();
  const loopback = host === "localhost" || host === "::1" || (isIP(host) === 4 && host.startsWith("127."));
  return loopback ? { host: host === "localhost" ? "127.0.0.1" : host, port } : "403 Forbidden";
}

function pipe(ws: WebSocket, target: { host: string; port: number }, sockets: Set<Socket>): void {
  const tcp = connect(target.port, target.host);
  sockets.add(tcp);
  tcp.setNoDelay(true);
  // Frames the driver sends before the TCP connection is up are written once it is (net.Socket
  // buffers writes made while connecting).
  ws.on("message", (data: RawData) => {
    const chunks = Array.isArray(data) ? data : [Buffer.from(data as ArrayBuffer | Buffer)];
    for (const chunk of chunks) tcp.write(chunk);
  });
  tcp.on("data", (chunk: Buffer) => {
    if (ws.readyState === ws.OPEN) ws.send(chunk, { binary: true });
  });
  const closeBoth = () => {
    sockets.delete(tcp);
    tcp.destroy();
    if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close();
  };
  ws.on("close", closeBoth);
  ws.on("error", closeBoth);
  tcp.on("close", closeBoth);
  tcp.on("error", (err) => {
    console.error(`[neon-ws-bridge] ${target.host}:${target.port}: ${err.message}`);
    closeBoth();
  });
}

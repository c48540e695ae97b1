// The default transport on the platform's own WebSocket (Node >= 22's global), against an in-process
// server: frames sent the moment the socket opens are not lost, and a 4008 close resumes with since.
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { WebSocketServer } from "ws";
import { connectMatch, type LiveUpdate } from "../src";
import { snapshot, update } from "./frames";

let server: WebSocketServer;
let baseUrl: string;
const urls: URL[] = [];

beforeAll(async () => {
  server = new WebSocketServer({ port: 0, host: "127.0.0.1" });
  await new Promise((r) => server.once("listening", r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  server.on("connection", (ws, req) => {
    const url = new URL(req.url ?? "/", baseUrl);
    urls.push(url);
    if (url.searchParams.get("since") === null) {
      ws.send(JSON.stringify(snapshot(1)));
      ws.send(JSON.stringify(update(2)));
      ws.close(4008, "too slow");
    } else ws.send(JSON.stringify(update(3)));
  });
});
afterAll(() => new Promise((r) => server.close(r)));

it("the global WebSocket: frames right after open arrive, and 4008 resumes with since", async () => {
  expect(typeof globalThis.WebSocket).toBe("function");
  const updates: LiveUpdate[] = [];
  const connection = connectMatch({ baseUrl, matchId: "m", token: "t", onFrame: (u) => updates.push(u) });
  const deadline = Date.now() + 5_000;
  while (connection.lastSeq !== 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  connection.close();
  expect(updates.map((u) => u.seq)).toEqual([1, 2, 3]);
  expect(urls.map((u) => u.pathname)).toEqual(["/v1/matches/m/live", "/v1/matches/m/live"]);
  expect(urls.map((u) => u.searchParams.get("since"))).toEqual([null, "2"]);
});

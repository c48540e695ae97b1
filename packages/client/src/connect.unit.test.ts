// The connection's policy over a scripted transport (no network): what URL each (re)connect uses, how
// long it waits, what each close code does, and that acks follow handled frames.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { snapshot, update } from "../test/frames";
import { type ConnectionState, type ConnectMatchOptions, connectMatch, type LiveUpdate } from "./connect";
import { type LiveSocket, UpgradeRejected } from "./socket";

interface FakeSocket {
  url: URL;
  sent: string[];
  closedBy: number | null;
  serverSends(frame: unknown): void;
  serverCloses(code: number): void;
}

function fakeServer(refuse?: (url: URL) => number | null) {
  const sockets: FakeSocket[] = [];
  const transport = async (url: string): Promise<LiveSocket> => {
    const parsed = new URL(url);
    const status = refuse?.(parsed) ?? null;
    if (status) throw new UpgradeRejected(status);
    let handlers: Parameters<LiveSocket["listen"]>[0] | null = null;
    const fake: FakeSocket = {
      url: parsed,
      sent: [],
      closedBy: null,
      serverSends: (frame) => handlers?.message(typeof frame === "string" ? frame : JSON.stringify(frame)),
      serverCloses: (code) => handlers?.close(code, ""),
    };
    sockets.push(fake);
    return {
      send: (text) => fake.sent.push(text),
      close: (code) => {
        fake.closedBy = code ?? 1000;
      },
      listen: (h) => {
        handlers = h;
      },
    };
  };
  return { sockets, transport };
}

function watch(options: Partial<ConnectMatchOptions> & Pick<ConnectMatchOptions, "transport">) {
  const updates: LiveUpdate[] = [];
  const states: { state: ConnectionState; delayMs?: number }[] = [];
  const errors: string[] = [];
  const connection = connectMatch({
    baseUrl: "https://api.example.test",
    matchId: "m 1",
    token: "key-1",
    random: () => 0.5,
    onFrame: (u) => updates.push(u),
    onState: (state, d) => states.push({ state, delayMs: d.delayMs }),
    onError: (e) => errors.push(e.kind),
    ...options,
  });
  return { connection, updates, states, errors };
}

const settle = () => vi.advanceTimersByTimeAsync(0);

describe("connectMatch", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("connects to the match's live URL with the token as a query parameter", async () => {
    const server = fakeServer();
    const { connection } = watch({ transport: server.transport, tokenParam: "access_token" });
    await settle();
    expect(server.sockets[0]!.url.toString()).toBe("wss://api.example.test/v1/matches/m%201/live?access_token=key-1");
    connection.close();
  });

  it("resumes after a drop with since=<last seq>, a fresh token, after a jittered back-off", async () => {
    const server = fakeServer();
    let n = 0;
    const { connection, updates, states } = watch({ transport: server.transport, token: async () => `key-${++n}` });
    await settle();
    server.sockets[0]!.serverSends(snapshot(3));
    server.sockets[0]!.serverSends(update(4, 5));
    server.sockets[0]!.serverCloses(1006);
    await settle();
    expect(server.sockets).toHaveLength(1);
    expect(states.at(-1)).toEqual({ state: "reconnecting", delayMs: 1_500 }); // half of the 3 s window at random 0.5
    await vi.advanceTimersByTimeAsync(1_500);
    const again = server.sockets[1]!;
    expect(Object.fromEntries(again.url.searchParams)).toEqual({ token: "key-2", since: "5" });
    // The resume frame overlaps what was seen: only 6 is new.
    again.serverSends(update(5, 6));
    again.serverSends(update(6));
    expect(updates.map((u) => [u.type, u.seq, u.events.length])).toEqual([
      ["snapshot", 3, 0],
      ["update", 5, 2],
      ["update", 6, 1],
    ]);
    expect(connection.lastSeq).toBe(6);
    connection.close();
  });

  it("back-off grows while the server is unreachable and resets once connected", async () => {
    let down = 3;
    const server = fakeServer(() => (down-- > 0 ? 503 : null));
    const { connection, states } = watch({ transport: server.transport, random: () => 0 });
    await settle();
    for (const ms of [3_000, 6_000, 12_000]) await vi.advanceTimersByTimeAsync(ms);
    expect(states.filter((s) => s.delayMs !== undefined).map((s) => s.delayMs)).toEqual([3_000, 6_000, 12_000]);
    expect(connection.state).toBe("open");
    server.sockets[0]!.serverSends(snapshot(1));
    server.sockets[0]!.serverCloses(1001);
    await settle();
    expect(states.at(-1)?.delayMs).toBe(3_000);
    connection.close();
  });

  it("a server that accepts and drops at once does not reset the back-off", async () => {
    const server = fakeServer();
    const { connection, states } = watch({ transport: server.transport, random: () => 0 });
    await settle();
    for (const ms of [3_000, 6_000]) {
      server.sockets.at(-1)!.serverCloses(1011);
      await vi.advanceTimersByTimeAsync(ms);
    }
    server.sockets.at(-1)!.serverCloses(1011);
    await settle();
    expect(states.filter((s) => s.delayMs !== undefined).map((s) => s.delayMs)).toEqual([3_000, 6_000, 12_000]);
    connection.close();
  });

  it("4008 (too slow) resumes at once with since", async () => {
    const server = fakeServer();
    const { connection } = watch({ transport: server.transport });
    await settle();
    server.sockets[0]!.serverSends(snapshot(10));
    server.sockets[0]!.serverCloses(4008);
    await settle();
    expect(server.sockets[1]!.url.searchParams.get("since")).toBe("10");
    connection.close();
  });

  it("4001 stops for good when the token function gives the same token", async () => {
    const server = fakeServer();
    const { connection, errors } = watch({ transport: server.transport, token: () => "revoked" });
    await settle();
    server.sockets[0]!.serverCloses(4001);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(server.sockets).toHaveLength(1);
    expect(connection.state).toBe("unauthorized");
    expect(errors).toEqual(["unauthorized"]);
  });

  it("a refused upgrade (HTTP 401) with a new token from the token function is retried with it", async () => {
    const server = fakeServer((url) => (url.searchParams.get("token") === "old" ? 401 : null));
    let token = "old";
    const { connection, errors } = watch({
      transport: server.transport,
      token: () => {
        const t = token;
        token = "new";
        return t;
      },
    });
    await vi.advanceTimersByTimeAsync(3_000);
    expect(errors).toEqual(["unauthorized"]);
    expect(server.sockets.map((s) => s.url.searchParams.get("token"))).toEqual(["new"]);
    expect(connection.state).toBe("open");
    connection.close();
  });

  it("acks each handled frame when asked, and not a frame whose handler threw", async () => {
    const server = fakeServer();
    const { connection, errors } = watch({
      transport: server.transport,
      ack: true,
      onFrame: (u) => {
        if (u.seq === 2) throw new Error("boom");
      },
    });
    await settle();
    const socket = server.sockets[0]!;
    socket.serverSends(snapshot(1));
    socket.serverSends(update(2));
    socket.serverSends(update(3));
    socket.serverSends(update(3)); // a repeat: not acked again
    expect(socket.sent).toEqual(['{"type":"ack","seq":1}', '{"type":"ack","seq":3}']);
    expect(errors).toEqual(["handler"]);
    connection.close();
  });

  it("a frame after missing updates reopens with since instead of skipping them", async () => {
    const server = fakeServer();
    const { connection, updates } = watch({ transport: server.transport });
    await settle();
    server.sockets[0]!.serverSends(snapshot(1));
    server.sockets[0]!.serverSends(update(3));
    await settle();
    expect(server.sockets[0]!.closedBy).toBe(1000);
    expect(server.sockets[1]!.url.searchParams.get("since")).toBe("1");
    expect(updates.map((u) => u.seq)).toEqual([1]);
    connection.close();
  });

  it("a resume answered by a fresh snapshot (resumed:false) replaces the state", async () => {
    const server = fakeServer();
    const { connection, updates } = watch({ transport: server.transport, since: 5_000 });
    await settle();
    expect(server.sockets[0]!.url.searchParams.get("since")).toBe("5000");
    server.sockets[0]!.serverSends(snapshot(12, false));
    server.sockets[0]!.serverSends(update(13));
    expect(updates.map((u) => [u.type, u.seq, u.resumed])).toEqual([
      ["snapshot", 12, false],
      ["update", 13, undefined],
    ]);
    connection.close();
  });

  it("close() stops reconnecting and ignores the old socket", async () => {
    const server = fakeServer();
    const { connection, updates } = watch({ transport: server.transport });
    await settle();
    connection.close();
    server.sockets[0]!.serverSends(snapshot(1));
    server.sockets[0]!.serverCloses(1006);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(server.sockets).toHaveLength(1);
    expect(updates).toEqual([]);
    expect(connection.state).toBe("closed");
  });

  it("ignores what is not a frame and reports it", async () => {
    const server = fakeServer();
    const { connection, updates, errors } = watch({ transport: server.transport });
    await settle();
    server.sockets[0]!.serverSends("not json");
    server.sockets[0]!.serverSends({ hello: 1 });
    expect(updates).toEqual([]);
    expect(errors).toEqual(["protocol", "protocol"]);
    connection.close();
  });
});

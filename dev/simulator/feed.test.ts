import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { MatchEvent } from "../../shared/sports/sport";
import {
  DEMO_FANS,
  demoGuesses,
  FeedAuthError,
  type FeedStats,
  mergeByTime,
  releaseOffsets,
  runDemoFeed,
  streamEvents,
} from "./feed";

interface Received {
  at: number;
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  events: MatchEvent[];
}

/** A stand-in for POST /v1/events: records requests; `reply` decides each answer (default: 202, all accepted). */
let server: Server;
let baseUrl: string;
let received: Received[];
let reply: (req: Received, res: ServerResponse, n: number) => void;

const accept = (req: Received, res: ServerResponse) => {
  res.writeHead(202, { "content-type": "application/json" });
  res.end(JSON.stringify({ accepted: req.events.length, duplicates: 0, rejected: [] }));
};

beforeEach(async () => {
  received = [];
  reply = accept;
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      const ndjson = (req.headers["content-type"] ?? "").includes("ndjson");
      const events = (
        ndjson
          ? text
              .split("\n")
              .filter((l: string) => l !== "")
              .map((l: string) => JSON.parse(l) as unknown)
          : JSON.parse(text)
      ) as MatchEvent[];
      const r: Received = {
        at: performance.now(),
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        events,
      };
      received.push(r);
      reply(r, res, received.length);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** n events of one match, `stepMs` apart in source time. */
function events(n: number, stepMs = 1000): MatchEvent[] {
  const start = Date.parse("2025-01-01T12:00:00Z");
  return Array.from({ length: n }, (_, i) => ({
    eventId: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
    matchId: "feed-test",
    sport: "football",
    type: "pass",
    timestamp: new Date(start + i * stepMs).toISOString(),
    seq: i + 1,
    teamId: 1,
    payload: { minute: 1 },
  }));
}

describe("streamEvents", () => {
  it("posts JSON batches in order to /v1/events with the bearer key", async () => {
    const stats = await streamEvents({
      baseUrl: `${baseUrl}/`,
      apiKey: "mp_test_key",
      events: events(1200),
      batchSize: 500,
    });
    expect(received.map((r) => r.events.length)).toEqual([500, 500, 200]);
    for (const r of received) {
      expect(r.method).toBe("POST");
      expect(r.url).toBe("/v1/events");
      expect(r.headers.authorization).toBe("Bearer mp_test_key");
      expect(r.headers["content-type"]).toBe("application/json");
    }
    expect(received.flatMap((r) => r.events.map((e) => e.seq))).toEqual(events(1200).map((e) => e.seq));
    expect(stats).toMatchObject({
      sent: 1200,
      accepted: 1200,
      duplicates: 0,
      rejected: 0,
      errors: 0,
      requests: 3,
      retries: 0,
    });
  });

  it("sends NDJSON when asked, and never more than 1,000 events a request", async () => {
    await streamEvents({ baseUrl, apiKey: "k", events: events(2500), batchSize: 5000, format: "ndjson" });
    expect(received.map((r) => r.events.length)).toEqual([1000, 1000, 500]);
    expect(received[0]!.headers["content-type"]).toBe("application/x-ndjson");
  });

  it("counts duplicates and rejections as the API reports them", async () => {
    reply = (req, res, n) => {
      if (n === 2) {
        res.writeHead(400, { "content-type": "application/json" });
        res.end(
          JSON.stringify({
            error: {
              code: "invalid_event",
              message: "no event in the request is valid",
              rejected: req.events.map((e, index) => ({
                index,
                eventId: e.eventId,
                issues: [{ path: "type", message: "bad" }],
              })),
            },
          }),
        );
        return;
      }
      res.writeHead(202, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          accepted: 6,
          duplicates: 3,
          rejected: [{ index: 0, eventId: "x", issues: [{ path: "teamId", message: "is required" }] }],
        }),
      );
    };
    const stats = await streamEvents({ baseUrl, apiKey: "k", events: events(20), batchSize: 10 });
    expect(stats).toMatchObject({ sent: 20, accepted: 6, duplicates: 3, rejected: 11, errors: 0 });
    expect(stats.rejections[0]).toEqual({ eventId: "x", issues: [{ path: "teamId", message: "is required" }] });
  });

  it("retries a 503 after the Retry-After it names, without losing or repeating counts", async () => {
    reply = (req, res, n) => {
      if (n === 1) {
        res.writeHead(503, { "content-type": "application/json", "retry-after": "1" });
        res.end(JSON.stringify({ error: { code: "queue_unavailable", message: "retry later" } }));
      } else accept(req, res);
    };
    const stats = await streamEvents({ baseUrl, apiKey: "k", events: events(5) });
    expect(received).toHaveLength(2);
    expect(received[1]!.at - received[0]!.at).toBeGreaterThanOrEqual(950);
    expect(received[1]!.events).toEqual(received[0]!.events);
    expect(stats).toMatchObject({ sent: 5, accepted: 5, errors: 0, requests: 2, retries: 1 });
  });

  it("retries 429 and dropped connections with backoff", async () => {
    reply = (req, res, n) => {
      if (n === 1) {
        res.writeHead(429, { "retry-after": "0" });
        res.end();
      } else if (n === 2) res.socket?.destroy();
      else accept(req, res);
    };
    const stats = await streamEvents({ baseUrl, apiKey: "k", events: events(3) });
    expect(received).toHaveLength(3);
    expect(stats).toMatchObject({ accepted: 3, errors: 0, retries: 2 });
  });

  it("gives up after maxRetries and counts the batch as errors, then carries on", async () => {
    reply = (req, res, n) => {
      if (n <= 3) {
        res.writeHead(503, { "retry-after": "0" });
        res.end();
      } else accept(req, res);
    };
    const stats = await streamEvents({ baseUrl, apiKey: "k", events: events(4), batchSize: 2, maxRetries: 2 });
    expect(stats).toMatchObject({ sent: 4, accepted: 2, errors: 2, retries: 2 });
    expect(stats.lastError).toMatch(/503/);
  });

  it("stops at once when the key is refused", async () => {
    reply = (_req, res) => {
      res.writeHead(401, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { code: "unauthorized", message: "invalid API key" } }));
    };
    await expect(streamEvents({ baseUrl, apiKey: "wrong", events: events(3000) })).rejects.toBeInstanceOf(
      FeedAuthError,
    );
    expect(received).toHaveLength(1);
  });

  it("halves a batch the API finds too large", async () => {
    reply = (req, res) => {
      if (req.events.length > 2) {
        res.writeHead(413);
        res.end();
      } else accept(req, res);
    };
    const stats = await streamEvents({ baseUrl, apiKey: "k", events: events(8), batchSize: 8 });
    expect(stats).toMatchObject({ accepted: 8, errors: 0 });
    expect(received.filter((r) => r.events.length <= 2).map((r) => r.events.length)).toEqual([2, 2, 2, 2]);
  });

  it("paces by timestamp at the given speed, sending what is due together", async () => {
    // Source offsets 0, 0, 1 s, 2 s at speed 5: due at 0, 0, 200 and 400 ms.
    const list = events(4);
    list[1]!.timestamp = list[0]!.timestamp;
    list[2]!.timestamp = new Date(Date.parse(list[0]!.timestamp) + 1000).toISOString();
    list[3]!.timestamp = new Date(Date.parse(list[0]!.timestamp) + 2000).toISOString();
    const started = performance.now();
    await streamEvents({ baseUrl, apiKey: "k", events: list, speed: 5 });
    expect(received.map((r) => r.events.length)).toEqual([2, 1, 1]);
    expect(received[1]!.at - started).toBeGreaterThanOrEqual(195);
    expect(received[2]!.at - started).toBeGreaterThanOrEqual(395);
    expect(received[2]!.at - started).toBeLessThan(1500);
  });

  it("caps the rate, in small batches", async () => {
    const started = performance.now();
    const stats = await streamEvents({ baseUrl, apiKey: "k", events: events(30), rate: 100, batchSize: 500 });
    expect(received.every((r) => r.events.length <= 25)).toBe(true);
    // 30 events at 100/s: the last batch cannot leave before ~250 ms.
    expect(performance.now() - started).toBeGreaterThanOrEqual(240);
    expect(stats.accepted).toBe(30);
  });

  it("restamps events to the moment they are released, leaving the input alone", async () => {
    const list = events(3, 60_000);
    const before = Date.now();
    await streamEvents({ baseUrl, apiKey: "k", events: list, speed: 600_000, restamp: true });
    const sent = received.flatMap((r) => r.events);
    for (const e of sent) {
      expect(Date.parse(e.timestamp)).toBeGreaterThanOrEqual(before - 5);
      expect(Date.parse(e.timestamp)).toBeLessThanOrEqual(Date.now());
    }
    expect(list[0]!.timestamp).toBe("2025-01-01T12:00:00.000Z");
  });

  it("stops when aborted and reports progress", async () => {
    const controller = new AbortController();
    const progress: FeedStats[] = [];
    const stats = await streamEvents({
      baseUrl,
      apiKey: "k",
      events: events(100, 60_000),
      speed: 300, // one event every 200 ms
      signal: controller.signal,
      onProgress: (s) => {
        progress.push(s);
        if (s.sent >= 3) controller.abort();
      },
    });
    expect(stats.sent).toBe(3);
    expect(progress.map((p) => p.sent)).toEqual([1, 2, 3]);
  });
});

describe("pacing helpers", () => {
  it("mergeByTime interleaves matches by timestamp, keeping each match's order", () => {
    const a = events(3, 1000).map((e) => ({ ...e, matchId: "a" }));
    const b = events(3, 1500).map((e) => ({ ...e, matchId: "b" }));
    const merged = mergeByTime([a, b]);
    expect(merged.map((e) => `${e.matchId}${e.seq}`)).toEqual(["a1", "b1", "a2", "b2", "a3", "b3"]);
  });

  it("releaseOffsets scales source time and shrinks long gaps", () => {
    const list = events(3, 1000);
    list[2]!.timestamp = new Date(Date.parse(list[1]!.timestamp) + 86_400_000).toISOString();
    expect(releaseOffsets(list, 10)).toEqual([0, 100, 100 + 8_640_000]);
    expect(releaseOffsets(list, 10, 60_000)).toEqual([0, 100, 6_100]);
  });
});

describe("runDemoFeed", () => {
  it("plays football and CS2 matches concurrently with per-run ids, and stops", async () => {
    const log: string[] = [];
    const demo = await runDemoFeed({
      baseUrl,
      apiKey: "demo-key",
      log: (m) => log.push(m),
      runId: "t1",
      footballSpeed: 2000,
      cs2Speed: 2000,
    });
    expect(demo.matches).toEqual([
      { matchId: "demo-football-t1-1", sport: "football" },
      { matchId: "demo-football-t1-2", sport: "football" },
      { matchId: "demo-cs2-t1-1", sport: "cs2" },
      { matchId: "demo-cs2-t1-2", sport: "cs2" },
    ]);
    await new Promise((r) => setTimeout(r, 400));
    await demo.stop();
    const posts = received.filter((r) => r.url === "/v1/events");
    const seen = new Set(posts.flatMap((r) => r.events.map((e) => e.matchId)));
    expect(seen).toEqual(new Set(demo.matches.map((m) => m.matchId)));
    expect(received.every((r) => r.headers.authorization === "Bearer demo-key")).toBe(true);
    // Each match and its two rated teams were registered before its events, so predictions use the ratings.
    const registered = received
      .filter((r) => r.url === "/v1/matches")
      .map((r) => (r.events as unknown as { id: string }).id);
    expect(new Set(registered)).toEqual(new Set(demo.matches.map((m) => m.matchId)));
    const teams = received
      .filter((r) => r.url === "/v1/teams")
      .map((r) => r.events as unknown as { id: string; rating: number });
    expect(teams).toHaveLength(2 * demo.matches.length);
    for (const t of teams) expect(t.rating).toBeGreaterThan(1000);
    // Each football match gets a prediction game whose fans guess before its first event (guesses lock then).
    for (const m of demo.matches.filter((x) => x.sport === "football")) {
      const game = received.findIndex(
        (r) => r.url === "/v1/games" && (r.events as unknown as { matchIds: string[] }).matchIds[0] === m.matchId,
      );
      const firstEvent = received.findIndex((r) => r.url === "/v1/events" && r.events[0]?.matchId === m.matchId);
      expect(game).toBeGreaterThanOrEqual(0);
      expect(game).toBeLessThan(firstEvent);
    }
    // Restamped to the wall clock: nothing from the future.
    const latest = Math.max(...posts.flatMap((r) => r.events.map((e) => Date.parse(e.timestamp))));
    expect(latest).toBeLessThanOrEqual(Date.now());
    // A request aborted in flight may still land; after that, nothing more arrives.
    await new Promise((r) => setTimeout(r, 50));
    const after = received.length;
    await new Promise((r) => setTimeout(r, 200));
    expect(received.length).toBe(after);
  });

  it("simulated fans guess plausible, seeded scores, the stronger side favoured", () => {
    const guesses = demoGuesses("demo-football-x-1", [1900, 1500]);
    expect(guesses).toHaveLength(DEMO_FANS);
    expect(new Set(guesses.map((g) => g.fanId)).size).toBe(DEMO_FANS);
    expect(demoGuesses("demo-football-x-1", [1900, 1500])).toEqual(guesses);
    const homeWins = guesses.filter((g) => g.home > g.away).length;
    const awayWins = guesses.filter((g) => g.home < g.away).length;
    expect(homeWins).toBeGreaterThan(2 * awayWins);
    expect(guesses.every((g) => g.home >= 0 && g.home <= 9 && g.away >= 0 && g.away <= 9)).toBe(true);
  });

  it("plays a real match first when given one, under its own id and team names, as a knockout", async () => {
    const real = events(5).map((e) => ({ ...e, matchId: "demo-wyscout-x" }));
    const demo = await runDemoFeed({
      baseUrl,
      apiKey: "k",
      log: () => {},
      football: 1,
      cs2: 0,
      footballSpeed: 2000,
      realFootball: { matchId: "demo-wyscout-x", events: real, teamNames: ["France", "Croatia"], knockout: true },
    });
    expect(demo.matches).toEqual([{ matchId: "demo-wyscout-x", sport: "football" }]);
    await new Promise((r) => setTimeout(r, 300));
    await demo.stop();
    const names = received
      .filter((r) => r.url === "/v1/teams")
      .map((r) => (r.events as unknown as { name: string }).name);
    expect(names.slice(0, 2)).toEqual(["France", "Croatia"]);
    const match = received.find((r) => r.url === "/v1/matches")?.events as unknown as { id: string; knockout: boolean };
    expect(match).toMatchObject({ id: "demo-wyscout-x", knockout: true });
    const sent = received.filter((r) => r.url === "/v1/events").flatMap((r) => r.events.map((e) => e.eventId));
    expect(sent.slice(0, 5)).toEqual(real.map((e) => e.eventId));
  });

  it("uses fresh ids on every run by default", async () => {
    const a = await runDemoFeed({ baseUrl, apiKey: "k", log: () => {}, football: 1, cs2: 0 });
    await a.stop();
    await new Promise((r) => setTimeout(r, 5));
    const b = await runDemoFeed({ baseUrl, apiKey: "k", log: () => {}, football: 1, cs2: 0 });
    await b.stop();
    expect(a.matches[0]!.matchId).toMatch(/^demo-football-[0-9a-z]+-1$/);
    expect(a.matches[0]!.matchId).not.toBe(b.matches[0]!.matchId);
  });
});

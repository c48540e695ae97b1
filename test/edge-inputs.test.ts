// What a hostile client sends to the edge, and what it gets: what the stores cannot keep is refused per
// item with the field and why; error bodies never amplify the request; request ids are validated; label
// values stay bounded; events of another sport than their registered match are refused.
import { env, SELF } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { openRedis } from "../workers/clients/redis";
import { claimEventIds } from "../workers/ingest/dedup";
import { BASE, call, createApiKey, footballEvent, postEvents, uniqueMatchId } from "./fixtures";

let ingestKey: string;
let adminKey: string;
beforeAll(async () => {
  ingestKey = await createApiKey(["ingest"]);
  adminKey = await createApiKey(["admin"]);
});

interface ErrorJson {
  error: {
    code: string;
    message: string;
    issues?: { path: string; message: string }[];
    issuesOmitted?: number;
    rejected?: { index: number; issues: { path: string; message: string }[]; issuesOmitted?: number }[];
  };
}

const postRaw = (body: BodyInit, headers: Record<string, string> = {}) =>
  SELF.fetch(`${BASE}/v1/events`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${ingestKey}`, ...headers },
    body,
  });

describe("text the stores cannot keep", () => {
  it("refuses a lone surrogate (valid JSON) with the field and why, before anything is queued", async () => {
    const event = footballEvent(uniqueMatchId("surrogate"), "goal", { teamId: 1, payload: { minute: 3 } });
    const text = JSON.stringify(event).replace(/}$/, ',"playerId":"\\ud800"}');
    const res = await postRaw(text);
    expect(res.status).toBe(400);
    const body = (await res.json()) as ErrorJson;
    expect(body.error.code).toBe("invalid_event");
    expect(body.error.issues).toEqual([{ path: "playerId", message: expect.stringMatching(/not valid Unicode/) }]);
  });

  it("refuses a batch item whose payload key is not valid Unicode, and accepts the others", async () => {
    const matchId = uniqueMatchId("surrogate-key");
    const good = footballEvent(matchId, "match_start");
    const bad = footballEvent(matchId, "goal", { teamId: 1 });
    const text = `[${JSON.stringify(good)},${JSON.stringify(bad).replace(/}$/, ',"payload":{"minute":1,"\\udc00":2}}')}]`;
    const res = await postRaw(text);
    expect(res.status).toBe(202);
    const body = (await res.json()) as { accepted: number; rejected: { index: number; issues: { path: string }[] }[] };
    expect(body.accepted).toBe(1);
    expect(body.rejected[0]?.index).toBe(1);
    expect(body.rejected[0]?.issues.map((i) => i.path)).toContain("payload");
  });

  it("refuses bytes that are not UTF-8 instead of rewriting them to U+FFFD", async () => {
    const json = new TextEncoder().encode(JSON.stringify(footballEvent(uniqueMatchId("utf8"), "match_start")));
    const at = json.indexOf("u".charCodeAt(0)); // inside "eventId"…: any position inside a string
    const bytes = new Uint8Array([...json.slice(0, at), 0xff, 0xfe, ...json.slice(at)]);
    const res = await postRaw(bytes);
    expect(res.status).toBe(400);
    const body = (await res.json()) as ErrorJson;
    expect(body.error.code).toBe("invalid_json");
    expect(body.error.message).toMatch(/not valid UTF-8/);
  });

  it("refuses timestamps before 1900 and seq beyond UInt32 per item, and keeps a 2018 replay", async () => {
    const matchId = uniqueMatchId("window");
    const res = await postEvents(ingestKey, [
      footballEvent(matchId, "match_start", { timestamp: "2018-07-15T16:00:00Z", seq: 1 }),
      footballEvent(matchId, "match_end", { timestamp: "0001-01-01T00:00:00Z", seq: 2 }),
      footballEvent(matchId, "shot", { teamId: 1, payload: { minute: 1 }, seq: 4_294_967_296 }),
    ]);
    expect(res.status).toBe(202);
    const body = (await res.json()) as { accepted: number; rejected: { index: number; issues: { path: string }[] }[] };
    expect(body.accepted).toBe(1);
    expect(body.rejected.map((r) => [r.index, r.issues.map((i) => i.path)])).toEqual([
      [1, expect.arrayContaining(["timestamp"])],
      [2, ["seq"]],
    ]);
  });

  it('refuses the match ids "." and ".." in events and in admin writes', async () => {
    const res = await postEvents(ingestKey, footballEvent("..", "match_start"));
    expect(res.status).toBe(400);
    expect(((await res.json()) as ErrorJson).error.issues?.[0]?.path).toBe("matchId");
    const team = await call(adminKey, "/v1/teams", { body: { id: ".", sport: "football", name: "Dot" } });
    expect(team.status).toBe(400);
    expect(((await team.json()) as ErrorJson).error.issues?.[0]?.path).toBe("body.id");
  });
});

describe("bounded error bodies", () => {
  it("caps the issues of one event, lists them once, and clips echoed field names", async () => {
    const event: Record<string, unknown> = { ...footballEvent(uniqueMatchId("amplify"), "match_start") };
    for (let i = 0; i < 5_000; i++) event[`${i}${"x".repeat(150)}`] = 1;
    const request = JSON.stringify(event);
    const res = await postRaw(request);
    expect(res.status).toBe(400);
    const text = await res.text();
    const body = JSON.parse(text) as ErrorJson;
    expect(body.error.issues).toHaveLength(100);
    expect(body.error.issuesOmitted).toBe(4_900);
    expect(body.error.rejected).toBeUndefined();
    expect(text.length).toBeLessThan(request.length / 10);
  });

  it("a batch of bad items answers less than it was sent", async () => {
    const items = Array.from({ length: 1_000 }, () => {
      const e: Record<string, unknown> = { ...footballEvent(uniqueMatchId("amp"), "match_start") };
      for (let i = 0; i < 20; i++) e[`${i}${"y".repeat(30)}`] = 1;
      return e;
    });
    const request = JSON.stringify(items);
    const res = await postRaw(request);
    expect(res.status).toBe(400);
    const text = await res.text();
    const body = JSON.parse(text) as ErrorJson;
    expect(body.error.rejected).toHaveLength(1_000);
    expect(body.error.rejected?.[0]?.issues).toHaveLength(10);
    expect(body.error.rejected?.[0]?.issuesOmitted).toBe(10);
    expect(text.length).toBeLessThan(request.length);
  });

  it("refuses a streamed (chunked) body over 1 MB with 413 payload_too_large", async () => {
    const chunk = new TextEncoder().encode(" ".repeat(64 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 20) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const res = await postRaw(stream);
    expect(res.status).toBe(413);
    expect(((await res.json()) as ErrorJson).error.code).toBe("payload_too_large");
  });
});

describe("request ids", () => {
  it("keeps a plain incoming X-Request-ID and replaces a long or odd one", async () => {
    const ok = await SELF.fetch(`${BASE}/health`, { headers: { "x-request-id": "feed-42_abc=" } });
    expect(ok.headers.get("x-request-id")).toBe("feed-42_abc=");
    for (const sent of ["r".repeat(15_000), "a b", "x\u00e9", "<script>"]) {
      const res = await SELF.fetch(`${BASE}/health`, { headers: { "x-request-id": sent } });
      const got = res.headers.get("x-request-id") ?? "";
      expect(got).not.toBe(sent);
      expect(got).toMatch(/^[0-9a-f-]{36}$/);
    }
    const failed = await SELF.fetch(`${BASE}/v1/events`, {
      method: "POST",
      headers: { "x-request-id": "z".repeat(500) },
    });
    expect(failed.status).toBe(401);
    expect(failed.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe("edge dedup claims", () => {
  it("accepts a retry of an event another request claimed but never enqueued (a crash in between)", async () => {
    const event = footballEvent(uniqueMatchId("crash"), "match_start");
    // What a request does before enqueuing; it then dies (no enqueue, no release).
    const claims = await claimEventIds(openRedis(env), [event.eventId]);
    expect(claims.get(event.eventId)).toBe("claimed");
    const retry = await postEvents(ingestKey, event);
    expect(retry.status).toBe(202);
    expect(await retry.json()).toMatchObject({ accepted: 1, status: "accepted" });
    // Once the queue took it, the id is remembered: the next repeat is a duplicate.
    const again = await postEvents(ingestKey, event);
    expect(await again.json()).toMatchObject({ duplicates: 1, status: "duplicate" });
  });
});

describe("events of another sport than their registered match", () => {
  it("are refused per item, naming the registered sport", async () => {
    const matchId = uniqueMatchId("registered-cs2");
    const created = await call(adminKey, "/v1/matches", { body: { id: matchId, sport: "cs2" } });
    expect(created.status).toBe(201);
    const football = footballEvent(matchId, "match_start");
    const single = await postEvents(ingestKey, football);
    expect(single.status).toBe(400);
    const body = (await single.json()) as ErrorJson;
    expect(body.error.issues).toEqual([{ path: "sport", message: expect.stringContaining("registered as cs2") }]);

    const other = uniqueMatchId("unregistered");
    const batch = await postEvents(ingestKey, [
      footballEvent(other, "match_start"),
      footballEvent(matchId, "match_end"),
    ]);
    expect(batch.status).toBe(202);
    expect(await batch.json()).toMatchObject({ accepted: 1, rejected: [{ index: 1, issues: [{ path: "sport" }] }] });
  });
});

describe("metric labels", () => {
  it("never take client text: unknown fields, methods and routes collapse to fixed values", async () => {
    const marker = `zzlabel${crypto.randomUUID().slice(0, 8)}`;
    for (let i = 0; i < 5; i++) {
      const e: Record<string, unknown> = { ...footballEvent(uniqueMatchId("labels"), "match_start") };
      e[`${marker}${i}`] = 1;
      await postEvents(ingestKey, [e, { [`${marker}x${i}`]: 1 }]);
    }
    await SELF.fetch(`${BASE}/${marker}/nowhere`, { method: "PROPFIND" });
    const text = await (await SELF.fetch(`${BASE}/metrics`)).text();
    expect(text).not.toContain(marker);
    expect(text).not.toContain("PROPFIND");
    const reasons = [...text.matchAll(/matchpulse_events_rejected_total\{reason="([^"]*)"\}/g)].map((m) => m[1]);
    expect(reasons.length).toBeGreaterThan(0);
    for (const r of reasons)
      expect([
        "event",
        "eventId",
        "matchId",
        "sport",
        "type",
        "timestamp",
        "seq",
        "teamId",
        "playerId",
        "payload",
        "other",
      ]).toContain(r);
  });
});

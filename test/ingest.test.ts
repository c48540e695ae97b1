// POST /v1/events over real HTTP into the Worker, with real Postgres (keys), Redis (dedup) and queue.
import { SELF } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { BASE, createApiKey, footballEvent, postEvents, uniqueMatchId } from "./fixtures";

let ingestKey: string;
let readKey: string;

beforeAll(async () => {
  ingestKey = await createApiKey(["ingest"]);
  readKey = await createApiKey(["read"]);
});

describe("authentication", () => {
  it("401 without a key, with the error shape", async () => {
    const res = await postEvents(null, footballEvent(uniqueMatchId("auth"), "match_start"));
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: { code: "unauthorized", message: expect.any(String) } });
  });

  it("401 with an unknown key", async () => {
    const res = await postEvents("mp_not_a_real_key", footballEvent(uniqueMatchId("auth"), "match_start"));
    expect(res.status).toBe(401);
  });

  it("403 with a key lacking the ingest scope", async () => {
    const res = await postEvents(readKey, footballEvent(uniqueMatchId("auth"), "match_start"));
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("forbidden");
  });
});

describe("body handling", () => {
  it("415 for a content type other than JSON or NDJSON", async () => {
    const res = await postEvents(ingestKey, "eventId=1", "application/x-www-form-urlencoded");
    expect(res.status).toBe(415);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("unsupported_media_type");
  });

  it("400 for unparsable JSON", async () => {
    const res = await postEvents(ingestKey, "{not json");
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("invalid_json");
  });

  it("413 for a body over 1 MB", async () => {
    const res = await postEvents(ingestKey, `[${" ".repeat(1_048_600)}]`);
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("payload_too_large");
  });

  it("413 for more than 1,000 events", async () => {
    const matchId = uniqueMatchId("many");
    const events = Array.from({ length: 1001 }, () =>
      footballEvent(matchId, "pass", { teamId: 1, payload: { minute: 1 } }),
    );
    const res = await postEvents(ingestKey, events);
    expect(res.status).toBe(413);
  });

  it("accepts NDJSON", async () => {
    const matchId = uniqueMatchId("ndjson");
    const lines = [
      footballEvent(matchId, "match_start"),
      footballEvent(matchId, "pass", { teamId: 2, payload: { minute: 1 } }),
    ]
      .map((e) => JSON.stringify(e))
      .join("\n");
    const res = await postEvents(ingestKey, `${lines}\n`, "application/x-ndjson");
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: 2, duplicates: 0, rejected: [] });
  });

  it("400 naming the line of bad NDJSON", async () => {
    const res = await postEvents(
      ingestKey,
      `${JSON.stringify(footballEvent("m", "match_start"))}\n{oops`,
      "application/x-ndjson",
    );
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/line 2/);
  });
});

describe("validation", () => {
  it("400 for an invalid single event, with the field paths", async () => {
    const bad = { ...footballEvent(uniqueMatchId("bad"), "goal", { payload: { minute: 131 } }), colour: "red" };
    const res = await postEvents(ingestKey, bad);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; issues: { path: string; message: string }[] } };
    expect(body.error.code).toBe("invalid_event");
    const paths = body.error.issues.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(["payload.minute", "teamId"]));
    expect(JSON.stringify(body.error.issues)).toMatch(/colour/);
  });

  it("accepts the valid events of a batch and reports each invalid one with its index", async () => {
    const matchId = uniqueMatchId("mixed");
    const good = footballEvent(matchId, "match_start");
    const res = await postEvents(ingestKey, [
      good,
      { ...footballEvent(matchId, "shot"), teamId: 3 },
      { nonsense: true },
    ]);
    expect(res.status).toBe(202);
    const body = (await res.json()) as { accepted: number; rejected: { index: number; issues: { path: string }[] }[] };
    expect(body.accepted).toBe(1);
    expect(body.rejected.map((r) => r.index)).toEqual([1, 2]);
    expect(body.rejected[0]!.issues.map((i) => i.path)).toContain("teamId");
  });

  it("400 when no event of a batch is valid", async () => {
    const res = await postEvents(ingestKey, [{ nonsense: true }, { eventId: "x" }]);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; rejected: unknown[] } };
    expect(body.error.code).toBe("invalid_event");
    expect(body.error.rejected).toHaveLength(2);
  });
});

describe("edge deduplication", () => {
  it("a single event reports its id and status; the same event again is a duplicate", async () => {
    const event = footballEvent(uniqueMatchId("dup"), "match_start");
    const first = await postEvents(ingestKey, event);
    expect(first.status).toBe(202);
    expect(await first.json()).toEqual({
      accepted: 1,
      duplicates: 0,
      rejected: [],
      eventId: event.eventId,
      status: "accepted",
    });
    const second = await postEvents(ingestKey, event);
    expect(await second.json()).toEqual({
      accepted: 0,
      duplicates: 1,
      rejected: [],
      eventId: event.eventId,
      status: "duplicate",
    });
  });

  it("the same eventId twice in one request is accepted once", async () => {
    const event = footballEvent(uniqueMatchId("dup"), "match_start");
    const res = await postEvents(ingestKey, [event, event]);
    expect(await res.json()).toEqual({ accepted: 1, duplicates: 1, rejected: [] });
  });
});

describe("routing", () => {
  it("unknown routes get the JSON error shape", async () => {
    const res = await SELF.fetch(`${BASE}/v1/nope`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("not_found");
  });
});

// The match room through the real local queue: ordering and exactly-once under shuffled, duplicated and
// gapped delivery, state that survives eviction, resumable streams, and coalescing under bursts.
import { env, evictDurableObject, runDurableObjectAlarm, runInDurableObject, SELF } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { eventsOf } from "../shared/contract/live-protocol";
import type { MatchEvent } from "../shared/sports/sport";
import { hashApiKey } from "../workers/api/api-keys";
import { withPostgres } from "../workers/clients/postgres";
import { apiClients } from "../workers/clients/postgres-schema";
import { ACCESS_CHECK_MS, DEFAULT_SOCKETS_PER_CLIENT } from "../workers/match-room/match-room";
import { versionOneRecord } from "../workers/match-room/record-v1.fixture";
import { RoomStore } from "../workers/match-room/store";
import {
  BASE,
  createApiKey,
  eventually,
  footballEvent,
  getState,
  openLive,
  postEvents,
  uniqueMatchId,
} from "./fixtures";

let ingestKey: string;
let readKey: string;
beforeAll(async () => {
  ingestKey = await createApiKey(["ingest"]);
  readKey = await createApiKey(["read"]);
});

const roomOf = (matchId: string) => env.MATCH_ROOM.get(env.MATCH_ROOM.idFromName(matchId));

type State = Record<string, unknown> & {
  eventsApplied: number;
  score: [number, number];
  gaps: unknown[];
  lastSeq: number;
  seq: number;
};

async function stateWhen(matchId: string, predicate: (s: State) => boolean, timeoutMs = 10_000): Promise<State> {
  return eventually(async () => {
    const res = await getState(readKey, matchId);
    if (res.status !== 200) return null;
    const s = (await res.json()) as State;
    return predicate(s) ? s : null;
  }, timeoutMs);
}

/** A football match as a source would number it: seq 1..n. */
function footballMatch(matchId: string): MatchEvent[] {
  const plan: [string, Partial<MatchEvent>][] = [
    ["match_start", {}],
    ["period_start", { payload: { period: 1 } }],
  ];
  for (let minute = 1; minute <= 90; minute += 3) {
    plan.push(["pass", { teamId: minute % 2 ? 1 : 2, payload: { minute } }]);
    if (minute % 15 === 1) plan.push(["shot", { teamId: 1, payload: { minute } }]);
    if (minute === 22 || minute === 61) plan.push(["goal", { teamId: 1, payload: { minute } }]);
    if (minute === 40) plan.push(["yellow_card", { teamId: 2, playerId: "p7", payload: { minute } }]);
    if (minute === 70) plan.push(["goal", { teamId: 2, payload: { minute } }]);
    if (minute === 43)
      plan.push(["period_end", { payload: { period: 1 } }], ["period_start", { payload: { period: 2 } }]);
  }
  plan.push(["period_end", { payload: { period: 2 } }], ["match_end", {}]);
  return plan.map(([type, extra], i) => footballEvent(matchId, type, { ...extra, seq: i + 1 }));
}

/** State fields that must not depend on delivery order (ids and clocks differ between two runs). */
function comparable(s: State) {
  const {
    matchId: _m,
    updatedAt: _u,
    lastEvents,
    ...rest
  } = s as State & { lastEvents?: { type: string; teamId?: number }[] };
  return { ...rest, lastEvents: lastEvents?.map((e) => ({ type: e.type, teamId: e.teamId })), prediction: undefined };
}

function shuffled<T>(items: T[], seed: number): T[] {
  const out = [...items];
  let x = seed;
  for (let i = out.length - 1; i > 0; i--) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    const j = x % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe("ordering and exactly-once", () => {
  it("shuffled, duplicated delivery through the queue ends in the state of in-order delivery", async () => {
    const inOrderId = uniqueMatchId("inorder");
    const shuffledId = uniqueMatchId("shuffled");
    const inOrder = footballMatch(inOrderId);
    const other = footballMatch(shuffledId);
    expect(inOrder.length).toBe(other.length);

    await postEvents(ingestKey, inOrder);
    const mixed = shuffled([...other, ...other.slice(5, 25), ...other.slice(40)], 7);
    for (let i = 0; i < mixed.length; i += 13) await postEvents(ingestKey, mixed.slice(i, i + 13));

    const a = await stateWhen(inOrderId, (s) => s.eventsApplied === inOrder.length);
    const b = await stateWhen(shuffledId, (s) => s.eventsApplied === other.length);
    expect(comparable(b)).toEqual(comparable(a));
    expect(b.score).toEqual([2, 1]);
    expect(b.gaps).toEqual([]);
    expect(b.lastSeq).toBe(other.length);
  });

  it("holds events behind a gap, records the gap after the hold, and applies a late event once", async () => {
    const matchId = uniqueMatchId("gap");
    const [e1, e2, e3] = [
      footballEvent(matchId, "match_start", { seq: 1 }),
      footballEvent(matchId, "goal", { seq: 2, teamId: 1, payload: { minute: 3 } }),
      footballEvent(matchId, "goal", { seq: 3, teamId: 2, payload: { minute: 4 } }),
    ];
    await postEvents(ingestKey, [e1, e3]);
    const held = await stateWhen(matchId, (s) => s.eventsApplied === 1);
    expect(held.score).toEqual([0, 0]);
    // The hold passes without waiting for it: the held row is backdated, then the alarm fired by hand.
    const stub = roomOf(matchId);
    await runInDurableObject(stub, async (_room, state) => {
      expect(await state.storage.getAlarm()).not.toBeNull();
      state.storage.sql.exec(`UPDATE held SET held_at = held_at - 60000`);
    });
    await runDurableObjectAlarm(stub);
    const released = await stateWhen(matchId, (s) => s.eventsApplied === 2, 1_000);
    expect(released.gaps).toEqual([{ from: 2, to: 2 }]);
    expect(released.score).toEqual([0, 1]);
    await postEvents(ingestKey, [e2, e3]);
    const late = await stateWhen(matchId, (s) => s.eventsApplied === 3);
    expect(late.gaps).toEqual([]);
    expect(late.score).toEqual([1, 1]);
    expect(late.lateEvents).toBe(1);
  });
});

describe("durability", () => {
  it("an evicted room resumes with the same state and its held events", async () => {
    const matchId = uniqueMatchId("evict");
    const events = footballMatch(matchId).slice(0, 12);
    await postEvents(ingestKey, events.slice(0, 6));
    const before = await stateWhen(matchId, (s) => s.eventsApplied === 6);
    await postEvents(ingestKey, events.slice(7)); // seq 8.. wait behind the missing seq 7

    const stub = roomOf(matchId);
    await evictDurableObject(stub);
    const after = await stateWhen(matchId, () => true);
    expect(after).toEqual(before);

    await postEvents(ingestKey, [events[6]!]);
    const done = await stateWhen(matchId, (s) => s.eventsApplied === 12);
    expect(done.gaps).toEqual([]);
    expect(done.lastSeq).toBe(12);
  });
});

describe("live stream", () => {
  it("a client reconnecting with since receives every update it missed, in order, then live ones", async () => {
    const matchId = uniqueMatchId("since");
    const events = footballMatch(matchId);
    await postEvents(ingestKey, events.slice(0, 5));
    await stateWhen(matchId, (s) => s.eventsApplied === 5);
    const first = await openLive(readKey, matchId);
    await eventually(async () => first.frames.length >= 1);
    const lastSeen = first.frames.at(-1)!.seq;
    first.close();

    await postEvents(ingestKey, events.slice(5, 9));
    await stateWhen(matchId, (s) => s.eventsApplied === 9);
    const again = await openLive(readKey, matchId, lastSeen);
    await eventually(async () => again.frames.length >= 1);
    // Everything missed arrives in order in one frame, with the current state.
    const resumed = again.frames[0]!;
    expect(resumed).toMatchObject({ type: "update", seq: 9, fromSeq: lastSeen + 1, state: { eventsApplied: 9 } });
    expect(eventsOf(resumed).map((e) => e.eventId)).toEqual(events.slice(5, 9).map((e) => e.eventId));

    await postEvents(ingestKey, events[9]);
    await eventually(async () => again.frames.length >= 2);
    expect(again.frames[1]).toMatchObject({ type: "update", seq: 10, event: { eventId: events[9]!.eventId } });
    again.close();
  });

  it("a burst reaches clients as few frames that together carry every change in order", async () => {
    const matchId = uniqueMatchId("burst");
    await postEvents(ingestKey, footballEvent(matchId, "match_start"));
    await stateWhen(matchId, (s) => s.eventsApplied === 1);
    const live = await openLive(readKey, matchId);
    await eventually(async () => live.frames.length >= 1);

    const burst = Array.from({ length: 300 }, (_, i) =>
      footballEvent(matchId, "pass", { teamId: 1, payload: { minute: i % 90 } }),
    );
    for (let i = 0; i < burst.length; i += 100) void postEvents(ingestKey, burst.slice(i, i + 100));
    await eventually(async () => live.frames.at(-1)!.seq === 301);
    const updates = live.frames.slice(1);
    expect(updates.length).toBeLessThan(burst.length);
    const carried = updates.flatMap(eventsOf).map((e) => e.eventId);
    expect(new Set(carried).size).toBe(burst.length);
    expect(carried.sort()).toEqual(burst.map((e) => e.eventId).sort());
    live.close();
  });

  it("a client resuming from further back than the history gets a fresh snapshot flagged as such", async () => {
    const matchId = uniqueMatchId("toofar");
    const events = Array.from({ length: 1_100 }, (_, i) =>
      footballEvent(matchId, "pass", { teamId: 1, payload: { minute: i % 90 } }),
    );
    await postEvents(ingestKey, events.slice(0, 1_000));
    await postEvents(ingestKey, events.slice(1_000));
    await stateWhen(matchId, (s) => s.eventsApplied === 1_100, 20_000);
    const live = await openLive(readKey, matchId, 5);
    await eventually(async () => live.frames.length >= 1);
    expect(live.frames[0]).toMatchObject({
      type: "snapshot",
      seq: 1_100,
      resumed: false,
      state: { eventsApplied: 1_100 },
    });
    live.close();
  });

  it("closes an acknowledging client that falls more than the history behind with 4008; others stay", async () => {
    const matchId = uniqueMatchId("slow");
    await postEvents(ingestKey, footballEvent(matchId, "match_start"));
    await stateWhen(matchId, (s) => s.eventsApplied === 1);
    const slow = await openLive(readKey, matchId);
    const silent = await openLive(readKey, matchId);
    const closed: { code: number; reason: string }[] = [];
    slow.ws.addEventListener("close", (e) => closed.push({ code: e.code, reason: e.reason }));
    await eventually(async () => slow.frames.length >= 1 && silent.frames.length >= 1);
    slow.ws.send(JSON.stringify({ type: "ack", seq: slow.frames[0]!.seq })); // then never again

    const burst = Array.from({ length: 1_100 }, (_, i) =>
      footballEvent(matchId, "pass", { teamId: 2, payload: { minute: i % 90 } }),
    );
    await postEvents(ingestKey, burst.slice(0, 1_000));
    await postEvents(ingestKey, burst.slice(1_000));
    await eventually(async () => closed.length > 0 && silent.frames.at(-1)!.seq === 1_101, 20_000);
    expect(closed[0]).toEqual({ code: 4008, reason: "too slow: resume with ?since=" });
    silent.close();
  });
});

describe("durability across versions", () => {
  it("a room whose record was written in the old shape (no version, `live`) loads and carries on", async () => {
    const matchId = uniqueMatchId("v1");
    const stub = roomOf(matchId);
    await runInDurableObject(stub, (_room, state) => {
      new RoomStore(state.storage.sql).ensureSchema();
      state.storage.sql.exec(
        `INSERT INTO room (key, value) VALUES ('record', ?)`,
        JSON.stringify({ ...versionOneRecord, matchId }),
      );
    });
    await evictDurableObject(stub);
    const loaded = await stateWhen(matchId, () => true);
    expect(loaded).toMatchObject({ seq: 2, eventsApplied: 2, score: [1, 0], minute: 12, yellowCards: [0, 0] });
    await postEvents(ingestKey, footballEvent(matchId, "goal", { seq: 3, teamId: 2, payload: { minute: 20 } }));
    const next = await stateWhen(matchId, (s) => s.eventsApplied === 3);
    expect(next).toMatchObject({ score: [1, 1], lastSeq: 3, lateEvents: 0 });
  });
});

describe("reads create nothing", () => {
  it("reading an unknown match (state, detail, live) leaves the room without storage", async () => {
    const matchId = uniqueMatchId("ghost");
    expect((await getState(readKey, matchId)).status).toBe(404);
    const live = await SELF.fetch(`${BASE}/v1/matches/${matchId}/live`, {
      headers: { upgrade: "websocket", authorization: `Bearer ${readKey}` },
    });
    expect(live.status).toBe(404);
    expect(((await live.json()) as { error: { code: string } }).error.code).toBe("not_found");
    await runInDurableObject(roomOf(matchId), async (_room, state) => {
      const tables = state.storage.sql
        .exec<{ name: string }>(
          `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '_cf_%' ESCAPE '\\'`,
        )
        .toArray();
      expect(tables).toEqual([]);
      expect(await state.storage.getAlarm()).toBeNull();
    });
  });
});

describe("live stream edges", () => {
  it("a client resuming from a seq ahead of the room gets a snapshot flagged resumed:false", async () => {
    const matchId = uniqueMatchId("ahead");
    await postEvents(ingestKey, footballEvent(matchId, "match_start"));
    await stateWhen(matchId, (s) => s.eventsApplied === 1);
    const live = await openLive(readKey, matchId, 50);
    await eventually(async () => live.frames.length >= 1);
    expect(live.frames[0]).toMatchObject({ type: "snapshot", seq: 1, resumed: false });
    live.close();
  });

  it("closes the sockets of a revoked key with 4001 at the next check; other keys' sockets stay", async () => {
    const matchId = uniqueMatchId("revoke");
    const doomedKey = await createApiKey(["read"], "revoked soon");
    await postEvents(ingestKey, footballEvent(matchId, "match_start"));
    await stateWhen(matchId, (s) => s.eventsApplied === 1);
    const doomed = await openLive(doomedKey, matchId);
    const kept = await openLive(readKey, matchId);
    const closed: { code: number; reason: string }[] = [];
    doomed.ws.addEventListener("close", (e) => closed.push({ code: e.code, reason: e.reason }));
    let keptClosed = false;
    kept.ws.addEventListener("close", () => {
      keptClosed = true;
    });
    await eventually(async () => doomed.frames.length >= 1 && kept.frames.length >= 1);
    const stub = roomOf(matchId);
    // While sockets are open, the room's alarm re-checks their keys within the revocation bound.
    await runInDurableObject(stub, async (_room, state) => {
      const alarm = await state.storage.getAlarm();
      expect(alarm).not.toBeNull();
      expect(alarm! - Date.now()).toBeLessThanOrEqual(ACCESS_CHECK_MS);
    });
    const hash = await hashApiKey(doomedKey, env.API_KEY_PEPPER);
    await withPostgres(env, ({ db }) =>
      db.update(apiClients).set({ revokedAt: new Date() }).where(eq(apiClients.keyHash, hash)),
    );
    await runDurableObjectAlarm(stub);
    await eventually(async () => closed.length > 0, 3_000);
    expect(closed[0]?.code).toBe(4001);
    // The kept socket still gets updates.
    await postEvents(ingestKey, footballEvent(matchId, "goal", { teamId: 1, payload: { minute: 5 } }));
    await eventually(async () => kept.frames.length >= 2);
    expect(keptClosed).toBe(false);
    kept.close();
  });

  it("also re-checks the keys when it sends frames: a revoked key's socket closes after the next update", async () => {
    const matchId = uniqueMatchId("revoke-send");
    const doomedKey = await createApiKey(["read"], "revoked while watching");
    await postEvents(ingestKey, footballEvent(matchId, "match_start"));
    await stateWhen(matchId, (s) => s.eventsApplied === 1);
    const doomed = await openLive(doomedKey, matchId);
    const closed: number[] = [];
    doomed.ws.addEventListener("close", (e) => closed.push(e.code));
    await eventually(async () => doomed.frames.length >= 1);
    const hash = await hashApiKey(doomedKey, env.API_KEY_PEPPER);
    await withPostgres(env, ({ db }) =>
      db
        .update(apiClients)
        .set({ scopes: ["ingest"] })
        .where(eq(apiClients.keyHash, hash)),
    );
    await postEvents(ingestKey, footballEvent(matchId, "goal", { teamId: 1, payload: { minute: 5 } }));
    await eventually(async () => closed.length > 0, 3_000);
    expect(closed).toEqual([4001]);
  });

  it("refuses a key's sockets beyond the per-client cap with 429 rate_limited", async () => {
    const matchId = uniqueMatchId("cap");
    const greedyKey = await createApiKey(["read"], "greedy", { readPerMinute: 10_000 });
    await postEvents(ingestKey, footballEvent(matchId, "match_start"));
    await stateWhen(matchId, (s) => s.eventsApplied === 1);
    const open = [];
    for (let i = 0; i < DEFAULT_SOCKETS_PER_CLIENT; i++) open.push(await openLive(greedyKey, matchId));
    const refused = await SELF.fetch(`${BASE}/v1/matches/${matchId}/live`, {
      headers: { upgrade: "websocket", authorization: `Bearer ${greedyKey}` },
    });
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("rate_limited");
    // Another key is not affected.
    const other = await openLive(readKey, matchId);
    await eventually(async () => other.frames.length >= 1);
    other.close();
    for (const s of open) s.close();
  });
});

describe("corrections", () => {
  it("a retracted goal goes back on the live socket as a correction frame, and a resume carries it", async () => {
    const matchId = uniqueMatchId("var");
    const goal = footballEvent(matchId, "goal", { seq: 2, teamId: 1, payload: { minute: 30 } });
    await postEvents(ingestKey, [footballEvent(matchId, "match_start", { seq: 1 }), goal]);
    await stateWhen(matchId, (s) => s.eventsApplied === 2);
    const live = await openLive(readKey, matchId);
    await eventually(async () => live.frames.length >= 1);
    expect(live.frames[0]!.state.score).toEqual([1, 0]);
    await postEvents(ingestKey, [
      footballEvent(matchId, "var_review", { seq: 3, payload: { minute: 31 } }),
      footballEvent(matchId, "retract", { seq: 4, payload: { targetEventId: goal.eventId, reason: "var_no_goal" } }),
    ]);
    await eventually(async () => live.frames.some((f) => f.type === "correction"));
    const correction = live.frames.find((f) => f.type === "correction")!;
    expect(correction).toMatchObject({
      seq: 4,
      correction: { kind: "retract", targetEventId: goal.eventId, reason: "var_no_goal" },
      state: { score: [0, 0], eventsApplied: 4 },
    });
    const state = await stateWhen(matchId, (s) => s.eventsApplied === 4);
    expect(state.score).toEqual([0, 0]);
    live.close();
    const again = await openLive(readKey, matchId, 2);
    await eventually(async () => again.frames.length >= 1);
    expect(eventsOf(again.frames[0]!).map((e) => e.type)).toEqual(["var_review", "retract"]);
    expect(again.frames[0]!.state.score).toEqual([0, 0]);
    again.close();
  });
});

// Relay fan-out through the real local runtime. This file runs in the "relays" project, where relays are
// promoted at 3 sockets with 2 planned per relay (vitest.config.ts), so a dozen sockets spread over the
// room and several relays. Every socket must see every update exactly once, in order: under a burst, with
// a correction, and when resuming with ?since= (from a relay's buffer or, beyond it, from the room).
import { env, listDurableObjectIds, runInDurableObject, SELF } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import type { ServerFrame } from "../shared/contract/live-protocol";
import { relayName } from "../workers/relay/plan";
import { roomName } from "../workers/tenants/tenant";
import {
  BASE,
  call,
  createApiKey,
  eventually,
  footballEvent,
  getState,
  openLive,
  postEvents,
  uniqueMatchId,
} from "./fixtures";
import { createTenant, tenantKey } from "./tenant-fixtures";

let ingestKey: string;
let readKey: string;

beforeAll(async () => {
  ingestKey = await createApiKey(["ingest"]);
  readKey = await createApiKey(["read"], "relay reader", { readPerMinute: 100_000 });
});

type Live = Awaited<ReturnType<typeof openLive>>;

const passes = (matchId: string, n: number, seq0: number) =>
  Array.from({ length: n }, (_, i) =>
    footballEvent(matchId, "pass", { seq: seq0 + i, teamId: 1, payload: { minute: 10 + (i % 60) } }),
  );

async function applied(matchId: string, n: number): Promise<void> {
  await eventually(async () => {
    const res = await getState(readKey, matchId);
    return res.status === 200 && ((await res.json()) as { eventsApplied: number }).eventsApplied >= n;
  }, 15_000);
}

/** The (seq, eventId) pairs a socket received after its opening frame, failing on any repeat or gap. */
function received(live: Live): { seqs: number[]; ids: string[]; last: number } {
  const [opening, ...rest] = live.frames;
  if (!opening) throw new Error("no opening frame");
  let last = opening.seq;
  const seqs: number[] = [];
  const ids: string[] = [];
  for (const f of rest as ServerFrame[]) {
    const events = "events" in f && f.events ? f.events : f.event ? [f.event] : [];
    const from = f.seq - events.length + 1;
    expect(from, `frame ${f.seq} follows ${last}`).toBe(last + 1);
    events.forEach((e, i) => {
      seqs.push(from + i);
      ids.push(e.eventId);
    });
    last = f.seq;
  }
  return { seqs, ids, last };
}

async function relaySockets(matchId: string): Promise<number[]> {
  const counts: number[] = [];
  for (let k = 0; k < 4; k++) {
    const stub = env.MATCH_RELAY.get(env.MATCH_RELAY.idFromName(relayName(matchId, k)));
    counts.push(await runInDurableObject(stub, (_relay, state) => state.getWebSockets().length));
  }
  return counts;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("relay fan-out", () => {
  it("a match over the room and several relays: every frame to every socket once, in order (burst, correction, resume)", async () => {
    const matchId = uniqueMatchId("relay");
    const goal = footballEvent(matchId, "goal", { seq: 2, teamId: 1, payload: { minute: 5 } });
    await postEvents(ingestKey, [footballEvent(matchId, "match_start", { seq: 1 }), goal]);
    await applied(matchId, 2);

    // Waves, so the room's plan (re-planned from reports at most each second) grows the relays.
    const sockets: Live[] = [];
    for (const wave of [3, 3, 4, 4]) {
      for (let i = 0; i < wave; i++) sockets.push(await openLive(readKey, matchId));
      await pause(1_300);
    }
    await eventually(async () => sockets.every((s) => s.frames.length >= 1));
    const perRelay = await relaySockets(matchId);
    const onRelays = perRelay.reduce((a, b) => a + b, 0);
    expect(perRelay.filter((n) => n > 0).length).toBeGreaterThanOrEqual(2);
    expect(onRelays).toBeGreaterThan(0);
    expect(onRelays).toBeLessThan(sockets.length); // the first ones stayed on the room

    // A burst (one batch of 40), a correction (the goal retracted), then single events.
    const burst = passes(matchId, 40, 3);
    await postEvents(ingestKey, burst);
    const retract = footballEvent(matchId, "retract", {
      seq: 43,
      payload: { targetEventId: goal.eventId, reason: "var_no_goal" },
    });
    await postEvents(ingestKey, [retract]);
    const tail = passes(matchId, 5, 44);
    for (const e of tail) await postEvents(ingestKey, e);
    await applied(matchId, 48);
    await eventually(async () => sockets.every((s) => (s.frames.at(-1)?.seq ?? 0) >= 48), 15_000);

    const expected = [...burst, retract, ...tail].map((e) => e.eventId);
    for (const s of sockets) {
      const { ids, seqs } = received(s);
      expect(seqs).toEqual(Array.from({ length: 46 }, (_, i) => i + 3));
      expect(ids).toEqual(expected);
      const correction = s.frames.find((f) => f.type === "correction");
      expect(correction).toMatchObject({ seq: 43, correction: { kind: "retract", targetEventId: goal.eventId } });
      expect(s.frames.at(-1)?.state.score).toEqual([0, 0]);
    }

    // Resume: drop half the sockets, post while they are away, reconnect with since.
    const dropped = sockets.splice(0, 6);
    for (const s of dropped) s.close();
    const away = passes(matchId, 7, 49);
    await postEvents(ingestKey, away);
    await applied(matchId, 55);
    const resumed: Live[] = [];
    for (const s of dropped) resumed.push(await openLive(readKey, matchId, s.frames.at(-1)?.seq));
    await eventually(async () => resumed.every((s) => (s.frames.at(-1)?.seq ?? 0) >= 55), 15_000);
    for (const s of resumed) {
      const first = s.frames[0];
      expect(first?.type).toBe("update");
      const events = [...s.frames.flatMap((f) => ("events" in f && f.events ? f.events : f.event ? [f.event] : []))];
      expect(events.map((e) => e.eventId)).toEqual(away.map((e) => e.eventId));
    }
    // From before the burst: further back than the relays' buffers reach in frames is still served in order.
    const early = await openLive(readKey, matchId, 2);
    await eventually(async () => (early.frames.at(-1)?.seq ?? 0) >= 55);
    const earlyEvents = early.frames.flatMap((f) => ("events" in f && f.events ? f.events : f.event ? [f.event] : []));
    expect(earlyEvents.map((e) => e.eventId)).toEqual([...expected, ...away.map((e) => e.eventId)]);
    for (const s of [...sockets, ...resumed, early]) s.close();
  });

  it("relays retire when the audience leaves: new sockets go back to the room", async () => {
    const matchId = uniqueMatchId("relay-retire");
    await postEvents(ingestKey, [footballEvent(matchId, "match_start", { seq: 1 })]);
    await applied(matchId, 1);
    const sockets: Live[] = [];
    for (let i = 0; i < 3; i++) sockets.push(await openLive(readKey, matchId));
    await pause(1_300);
    for (let i = 0; i < 4; i++) sockets.push(await openLive(readKey, matchId));
    await eventually(async () => (await relaySockets(matchId)).some((n) => n > 0));
    for (const s of sockets) s.close();
    // Reports reach the room within a second; the Worker's cache expires within another.
    await pause(2_600);
    const later = await openLive(readKey, matchId);
    await eventually(async () => later.frames.length >= 1);
    const room = env.MATCH_ROOM.get(env.MATCH_ROOM.idFromName(matchId));
    expect(await runInDurableObject(room, (_room, state) => state.getWebSockets().length)).toBe(1);
    later.close();
    expect((await listDurableObjectIds(env.MATCH_RELAY)).length).toBeGreaterThan(0);
  });

  it("a tenant's match: relays named after its room, its live-sockets quota counted on them too", async () => {
    const tenantId = await createTenant("relay", { liveSockets: 6 });
    const { key } = await tenantKey(tenantId, ["ingest", "read"]);
    const matchId = uniqueMatchId("relay-tenant");
    await postEvents(key, [footballEvent(matchId, "match_start", { seq: 1 })]);
    await eventually(async () => (await getState(key, matchId)).status === 200);
    const sockets: Live[] = [];
    for (let i = 0; i < 3; i++) sockets.push(await openLive(key, matchId));
    await pause(1_300);
    for (let i = 0; i < 3; i++) sockets.push(await openLive(key, matchId));
    const room = roomName(tenantId, matchId);
    await eventually(async () => (await relaySockets(room)).reduce((a, b) => a + b, 0) > 0);
    // The quota counts the sockets on the room and on its relays alike.
    const refused = await SELF.fetch(`${BASE}/v1/matches/${matchId}/live`, {
      headers: { upgrade: "websocket", authorization: `Bearer ${key}` },
    });
    expect(refused.status).toBe(429);
    await postEvents(key, [footballEvent(matchId, "pass", { seq: 2, teamId: 1, payload: { minute: 1 } })]);
    await eventually(async () => sockets.every((s) => s.frames.some((f) => f.seq === 2)));
    // A socket closed on a relay gives its lease back.
    const onRelay = sockets.pop()!;
    onRelay.close();
    const again = await eventually(async () => {
      const res = await SELF.fetch(`${BASE}/v1/matches/${matchId}/live`, {
        headers: { upgrade: "websocket", authorization: `Bearer ${key}` },
      });
      return res.status === 101 ? res : null;
    });
    again.webSocket?.accept();
    again.webSocket?.close(1000, "done");
    for (const s of sockets) s.close();
  });

  it("a relay closes with 4001 the sockets of a viewer token whose issuer was revoked", async () => {
    const matchId = uniqueMatchId("relay-revoke");
    await postEvents(ingestKey, [footballEvent(matchId, "match_start", { seq: 1 })]);
    await applied(matchId, 1);
    const onRoom: Live[] = [];
    for (let i = 0; i < 3; i++) onRoom.push(await openLive(readKey, matchId));
    await pause(1_300);
    const admin = await createApiKey(["admin"]);
    const created = await call(admin, "/v1/api-clients", { body: { name: "relay issuer", scopes: ["read"] } });
    const { client, key } = (await created.json()) as { client: { id: string }; key: string };
    const minted = await call(key, "/v1/viewer-tokens", { body: { matchIds: [matchId] } });
    const { token } = (await minted.json()) as { token: string };
    const closes: number[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await SELF.fetch(`${BASE}/v1/matches/${matchId}/live?access_token=${token}`, {
        headers: { upgrade: "websocket" },
      });
      const ws = res.webSocket;
      if (!ws) throw new Error(`no socket: ${res.status}`);
      ws.addEventListener("close", (e) => closes.push(e.code));
      ws.accept();
    }
    expect((await relaySockets(matchId)).reduce((a, b) => a + b, 0)).toBe(3);
    expect((await call(admin, `/v1/api-clients/${client.id}/revoke`, { method: "POST" })).status).toBe(200);
    await eventually(async () => closes.length === 3, 12_000);
    expect(closes).toEqual([4001, 4001, 4001]);
    // The key's own sockets on the room are untouched.
    await postEvents(ingestKey, [footballEvent(matchId, "pass", { seq: 2, teamId: 1, payload: { minute: 1 } })]);
    await eventually(async () => onRoom.every((s) => s.frames.some((f) => f.seq === 2)));
    for (const s of onRoom) s.close();
  });
});

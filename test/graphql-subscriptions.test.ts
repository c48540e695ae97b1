// GraphQL subscriptions over graphql-ws at /v1/matches/{id}/graphql against the real stack: the upgrade
// (subprotocol echoed, credentials as /live, another tenant's match as missing as a nonexistent one), and
// payloads equal to the plain socket's frames for the same events, a `since` resume, a correction, and
// one execution per distinct subscription per broadcast.
import { env, evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { MessageType, stringifyMessage } from "graphql-ws";
import { beforeAll, describe, expect, it } from "vitest";
import type { ServerFrame } from "../shared/contract/live-protocol";
import { CONNECTION_INIT_TIMEOUT_MS, type GraphqlSockets } from "../workers/graphql/room-sockets";
import type { MatchRoom } from "../workers/match-room/match-room";
import { createApiKey, eventually, footballEvent, getState, openLive, postEvents, uniqueMatchId } from "./fixtures";
import { connect, otherTenantKey, upgrade } from "./graphql-fixtures";

const FRAME_FIELDS = `v type seq fromSeq resumed
  state { json }
  prediction { pTeam1 pDraw pTeam2 pAdvanceTeam1 pAdvanceTeam2 modelVersion at }
  event { eventId matchId sport type timestamp seq teamId playerId payload }
  events { eventId matchId sport type timestamp seq teamId playerId payload }
  correction { kind targetEventId reason }`;

const MATCH_UPDATED = `subscription Updates($id: String!, $since: Int) { matchUpdated(matchId: $id, since: $since) { ${FRAME_FIELDS} } }`;

/** A plain /live frame as the selection above shows it (absent fields are null in GraphQL). */
function asSelected(frame: ServerFrame) {
  const event = (e: Record<string, unknown> | null) =>
    e && { teamId: null, seq: null, playerId: null, payload: null, ...e };
  return {
    v: frame.v,
    type: frame.type,
    seq: frame.seq,
    fromSeq: "fromSeq" in frame ? frame.fromSeq : null,
    resumed: "resumed" in frame ? (frame.resumed ?? null) : null,
    state: { json: frame.state },
    prediction: frame.prediction && {
      pDraw: null,
      pAdvanceTeam1: null,
      pAdvanceTeam2: null,
      ...frame.prediction,
    },
    event: event(frame.event as Record<string, unknown> | null),
    events: "events" in frame ? frame.events.map((e) => event(e as unknown as Record<string, unknown>)) : null,
    correction: "correction" in frame ? { reason: null, ...frame.correction } : null,
  };
}

let ingestKey: string;
let readKey: string;

beforeAll(async () => {
  ingestKey = await createApiKey(["ingest"]);
  readKey = await createApiKey(["read"]);
});

async function startedMatch(label: string): Promise<string> {
  const matchId = uniqueMatchId(label);
  expect((await postEvents(ingestKey, footballEvent(matchId, "match_start", { seq: 1 }))).status).toBe(202);
  await eventually(async () => (await getState(readKey, matchId)).status === 200);
  return matchId;
}

describe("GraphQL subscriptions", () => {
  it("deliver the plain socket's frames: snapshot, updates, a correction; and resume with since", async () => {
    const matchId = await startedMatch("gql-sub");
    const plain = await openLive(readKey, matchId);
    const gql = await connect(matchId, readKey);
    gql.subscribe("u", MATCH_UPDATED, { id: matchId });
    gql.subscribe(
      "p",
      `subscription { predictionUpdated(matchId: "${matchId}") { seq prediction { pTeam1 pTeam2 } } }`,
      {},
    );
    await eventually(async () => gql.payloads.get("u")?.length === 1 && plain.frames.length === 1);

    const goal = footballEvent(matchId, "goal", { seq: 2, teamId: 1, payload: { minute: 10 } });
    expect(
      (
        await postEvents(ingestKey, [
          goal,
          footballEvent(matchId, "shot", { seq: 3, teamId: 2, payload: { minute: 11 } }),
        ])
      ).status,
    ).toBe(202);
    const retract = footballEvent(matchId, "retract", {
      seq: 4,
      payload: { targetEventId: goal.eventId, reason: "VAR" },
    });
    await eventually(async () => plain.frames.some((f) => f.seq >= 3));
    expect((await postEvents(ingestKey, retract)).status).toBe(202);
    await eventually(async () => plain.frames.some((f) => f.type === "correction"));
    await eventually(async () => (gql.payloads.get("u")?.length ?? 0) === plain.frames.length);

    const updates = gql.payloads.get("u")?.map((p) => p.data?.matchUpdated);
    expect(updates).toEqual(plain.frames.map(({ receivedAt: _, ...f }) => asSelected(f as ServerFrame)));
    expect(updates?.map((u) => (u as { type: string }).type)).toContain("correction");
    const predictions = gql.payloads.get("p")?.map((p) => p.data?.predictionUpdated);
    expect(predictions).toEqual(
      plain.frames.map((f) => ({
        seq: f.seq,
        prediction: f.prediction && { pTeam1: f.prediction.pTeam1, pTeam2: f.prediction.pTeam2 },
      })),
    );

    // A subscriber that saw seq 1 gets what it missed, as /live?since=1 sends it.
    const resumed = await connect(matchId, readKey);
    resumed.subscribe("r", MATCH_UPDATED, { id: matchId, since: 1 });
    const plainResumed = await openLive(readKey, matchId, 1);
    await eventually(async () => resumed.payloads.get("r")?.length === 1 && plainResumed.frames.length === 1);
    const [first] = plainResumed.frames;
    expect(first?.type).not.toBe("snapshot");
    const { receivedAt: _, ...frame } = first as ServerFrame & { receivedAt: number };
    expect(resumed.payloads.get("r")?.[0]?.data?.matchUpdated).toEqual(asSelected(frame as ServerFrame));
    for (const c of [plain, plainResumed, gql, resumed]) c.close();
  });

  it("execute a selection once per distinct subscription per broadcast, and refuse another match's", async () => {
    const matchId = await startedMatch("gql-once");
    const sockets = await Promise.all([
      connect(matchId, readKey),
      connect(matchId, readKey),
      connect(matchId, readKey),
    ]);
    const seqOnly = `subscription S($id: String!) { matchUpdated(matchId: $id) { seq } }`;
    for (const s of sockets) s.subscribe("a", seqOnly, { id: matchId });
    sockets[0]?.subscribe("b", MATCH_UPDATED, { id: matchId });
    sockets[0]?.subscribe("c", seqOnly, { id: "another-match" });
    await eventually(
      async () => sockets.every((s) => s.payloads.get("a")?.length === 1) && sockets[0]?.errors.has("c"),
    );
    expect(JSON.stringify(sockets[0]?.errors.get("c"))).toMatch(/serves match/);

    const room = env.MATCH_ROOM.get(env.MATCH_ROOM.idFromName(matchId));
    const executions = () =>
      runInDurableObject(
        room,
        (instance: MatchRoom) => (instance as unknown as { graphql: GraphqlSockets }).graphql.executions,
      );
    const before = await executions();
    expect(
      (await postEvents(ingestKey, footballEvent(matchId, "pass", { seq: 2, teamId: 1, payload: { minute: 1 } })))
        .status,
    ).toBe(202);
    await eventually(async () => sockets.every((s) => s.payloads.get("a")?.length === 2));
    // Two distinct subscriptions (seqOnly and MATCH_UPDATED) over one frame: two executions for four subscribers.
    expect((await executions()) - before).toBe(2);
    for (const s of sockets) s.close();
  });

  it("keep subscriptions in the sockets' attachments, and serve them after the room is evicted", async () => {
    const matchId = await startedMatch("gql-hibernate");
    const gql = await connect(matchId, readKey);
    gql.subscribe("h", MATCH_UPDATED, { id: matchId });
    await eventually(async () => gql.payloads.get("h")?.length === 1);
    const room = env.MATCH_ROOM.get(env.MATCH_ROOM.idFromName(matchId));
    const attachments = await runInDurableObject(room, (_instance: MatchRoom, state) =>
      state.getWebSockets("graphql").map((ws) => ws.deserializeAttachment()),
    );
    expect(attachments).toEqual([
      {
        clientId: expect.any(String),
        acked: null,
        graphql: {
          ready: true,
          // `after`: the seq of its opening snapshot (frames up to it are in there).
          subscriptions: { h: { query: MATCH_UPDATED, variables: { id: matchId }, operationName: null, after: 1 } },
        },
      },
    ]);
    await evictDurableObject(room);
    expect(
      (await postEvents(ingestKey, footballEvent(matchId, "pass", { seq: 2, teamId: 1, payload: { minute: 2 } })))
        .status,
    ).toBe(202);
    await eventually(async () => gql.payloads.get("h")?.length === 2);
    expect(gql.payloads.get("h")?.[1]?.data?.matchUpdated).toMatchObject({ type: "update", seq: 2 });
    gql.close();
  });

  it("close a subscriber that acks (pong {ack}) and falls more than the history behind with 4008", async () => {
    const matchId = await startedMatch("gql-slow");
    const slow = await connect(matchId, readKey);
    const silent = await connect(matchId, readKey);
    const seqOnly = `subscription { matchUpdated(matchId: "${matchId}") { seq } }`;
    slow.subscribe("s", seqOnly, {});
    silent.subscribe("s", seqOnly, {});
    await eventually(async () => slow.payloads.get("s")?.length === 1 && silent.payloads.get("s")?.length === 1);
    slow.ws.send(stringifyMessage({ type: MessageType.Pong, payload: { ack: 1 } })); // then never again
    const burst = Array.from({ length: 1_100 }, (_, i) =>
      footballEvent(matchId, "pass", { teamId: 2, payload: { minute: i % 90 } }),
    );
    await postEvents(ingestKey, burst.slice(0, 1_000));
    await postEvents(ingestKey, burst.slice(1_000));
    const lastSeq = () => (silent.payloads.get("s")?.at(-1)?.data?.matchUpdated as { seq: number } | undefined)?.seq;
    await eventually(async () => slow.closed() !== null && lastSeq() === 1_101, 20_000);
    expect(slow.closed()).toEqual({ code: 4008, reason: "too slow: resume with ?since=" });
    expect(silent.closed()).toBeNull();
    silent.close();
  });

  it("take /live's credentials, the subprotocol, and find another tenant's match as missing as a nonexistent one", async () => {
    const matchId = await startedMatch("gql-auth");
    expect((await upgrade(matchId, null)).status).toBe(401);
    const noProtocol = await upgrade(matchId, readKey, null);
    expect(noProtocol.status).toBe(400);
    expect(await noProtocol.json()).toMatchObject({ error: { code: "invalid_request" } });

    const key = await otherTenantKey();
    const theirs = await upgrade(matchId, key);
    const none = await upgrade(uniqueMatchId("gql-none"), key);
    expect(theirs.status).toBe(404);
    expect(none.status).toBe(404);
    expect(await theirs.json()).toEqual(await none.json());
  });

  it("close a socket that subscribes before connection_init (4401)", async () => {
    const matchId = await startedMatch("gql-init");
    const res = await upgrade(matchId, readKey);
    const ws = res.webSocket;
    if (!ws) throw new Error("no WebSocket");
    let code = 0;
    ws.addEventListener("close", (e) => {
      code = e.code;
    });
    ws.accept();
    ws.send(
      stringifyMessage({
        id: "x",
        type: MessageType.Subscribe,
        payload: { query: MATCH_UPDATED, variables: { id: matchId } },
      }),
    );
    await eventually(async () => code === 4401);
  });

  it("close a socket that sends no connection_init in time (4408), and keep one that did", async () => {
    const matchId = await startedMatch("gql-init-timeout");
    const open = async (init: boolean) => {
      const ws = (await upgrade(matchId, readKey)).webSocket;
      if (!ws) throw new Error("no WebSocket");
      const seen = { code: 0, acked: false };
      ws.addEventListener("close", (e) => {
        seen.code = e.code;
      });
      ws.addEventListener("message", (e) => {
        if (String(e.data).includes(MessageType.ConnectionAck)) seen.acked = true;
      });
      ws.accept();
      if (init) ws.send(stringifyMessage({ type: MessageType.ConnectionInit }));
      return seen;
    };
    const openedAt = Date.now();
    const silent = await open(false);
    const polite = await open(true);
    await eventually(async () => polite.acked);
    const room = env.MATCH_ROOM.get(env.MATCH_ROOM.idFromName(matchId));
    // The alarm is set for the handshake's deadline, not the next key check (5 s).
    const alarm = await runInDurableObject(room, (_: MatchRoom, state) => state.storage.getAlarm());
    expect(alarm).not.toBeNull();
    expect(alarm!).toBeLessThanOrEqual(Date.now() + CONNECTION_INIT_TIMEOUT_MS);
    expect(alarm!).toBeGreaterThanOrEqual(openedAt + CONNECTION_INIT_TIMEOUT_MS);
    await new Promise((r) => setTimeout(r, Math.max(0, alarm! - Date.now()) + 50));
    await runDurableObjectAlarm(room);
    await eventually(async () => silent.code === 4408);
    expect(polite.code).toBe(0);
  });
});

// The client package against the real Worker in Miniflare (real queue, room, hibernating sockets): a
// deploy-style drop and resume, the server's 4008, a refused token, and a resume from beyond the history.
import { env, runInDurableObject } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { serverFrameSchema } from "../../../shared/contract/live-protocol";
import {
  call,
  createApiKey,
  eventually,
  footballEvent,
  getState,
  postEvents,
  uniqueMatchId,
  watchMatch,
} from "../../../test/fixtures";
import { signViewerToken, viewerKeySet } from "../../../workers/auth/viewer-token";

let ingestKey: string;
let readKey: string;
beforeAll(async () => {
  ingestKey = await createApiKey(["ingest"]);
  readKey = await createApiKey(["read"]);
});

const passes = (matchId: string, n: number) =>
  Array.from({ length: n }, (_, i) => footballEvent(matchId, "pass", { teamId: 1, payload: { minute: i % 90 } }));

async function appliedAtLeast(matchId: string, n: number, timeoutMs = 10_000): Promise<void> {
  await eventually(async () => {
    const res = await getState(readKey, matchId);
    return res.status === 200 && ((await res.json()) as { eventsApplied: number }).eventsApplied >= n;
  }, timeoutMs);
}

/** Closes every socket of the match's room from the server side, as a deploy or an overload would. */
async function serverCloses(matchId: string, code: number, reason: string): Promise<void> {
  const stub = env.MATCH_ROOM.get(env.MATCH_ROOM.idFromName(matchId));
  await runInDurableObject(stub, (_room, state) => {
    for (const ws of state.getWebSockets()) ws.close(code, reason);
  });
}

describe("connectMatch against the live endpoint", () => {
  it("after the server drops the socket it resumes with since: every event once, in order, none missed", async () => {
    const matchId = uniqueMatchId("client-resume");
    const events = passes(matchId, 25);
    await postEvents(ingestKey, events.slice(0, 5));
    await appliedAtLeast(matchId, 5);
    // The token function is evaluated on every connect: holding it keeps the client away while we post.
    let release: () => void = () => {};
    let gate: Promise<void> = Promise.resolve();
    const client = watchMatch(readKey, matchId, {
      token: async () => {
        await gate;
        return readKey;
      },
      backoff: { minMs: 50, maxMs: 200 },
    });
    await eventually(async () => client.connection.lastSeq === 5);
    await postEvents(ingestKey, events.slice(5, 10));
    await eventually(async () => client.connection.lastSeq === 10);

    gate = new Promise((r) => (release = r));
    await serverCloses(matchId, 1001, "deploy");
    await eventually(async () => client.states.at(-1) === "reconnecting");
    await postEvents(ingestKey, events.slice(10, 20)); // while it is away
    await appliedAtLeast(matchId, 20);
    release();
    await eventually(async () => client.connection.lastSeq === 20);
    await postEvents(ingestKey, events.slice(20));
    await eventually(async () => client.connection.lastSeq === 25);

    expect(client.urls.map((u) => u.searchParams.get("since"))).toEqual([null, "10"]);
    const delivered = client.events().map((e) => e.eventId);
    expect(delivered).toHaveLength(20);
    expect(new Set(delivered)).toEqual(new Set(events.slice(5).map((e) => e.eventId)));
    // Seqs strictly increase and each update's events account exactly for its seq step.
    for (let i = 1; i < client.updates.length; i++) {
      const [prev, cur] = [client.updates[i - 1]!, client.updates[i]!];
      expect(cur.seq - prev.seq).toBe(cur.events.length);
    }
    // The resume came as one batched frame of the ten missed events, valid against the contract.
    const resumeFrame = client.updates.find((u) => u.events.length === 10)?.frame;
    expect(serverFrameSchema.parse(resumeFrame)).toMatchObject({ type: "update", fromSeq: 11, seq: 20 });
    client.connection.close();
  });

  it("4008 from the server: resumes at once with since, not after a back-off", async () => {
    const matchId = uniqueMatchId("client-4008");
    await postEvents(ingestKey, passes(matchId, 3));
    await appliedAtLeast(matchId, 3);
    const client = watchMatch(readKey, matchId, { backoff: { minMs: 60_000, maxMs: 60_000 } });
    await eventually(async () => client.connection.lastSeq === 3);
    await serverCloses(matchId, 4008, "too slow: resume with ?since=");
    await eventually(async () => client.urls.length === 2 && client.connection.state === "open", 5_000);
    expect(client.urls[1]!.searchParams.get("since")).toBe("3");
    const [next] = passes(matchId, 1);
    await postEvents(ingestKey, [next]);
    await eventually(async () => client.connection.lastSeq === 4);
    expect(client.events().map((e) => e.eventId)).toEqual([next!.eventId]);
    client.connection.close();
  });

  it("a refused token stops the client; a new one from the token function is used", async () => {
    const matchId = uniqueMatchId("client-auth");
    await postEvents(ingestKey, passes(matchId, 1));
    await appliedAtLeast(matchId, 1);
    const stuck = watchMatch("mp_not_a_key", matchId, { backoff: { minMs: 10, maxMs: 10 } });
    await eventually(async () => stuck.connection.state === "unauthorized");
    await new Promise((r) => setTimeout(r, 100));
    expect(stuck.urls).toHaveLength(1);

    const tokens = ["mp_not_a_key", readKey];
    const renewed = watchMatch("unused", matchId, { token: () => tokens.shift() ?? readKey, backoff: { minMs: 10 } });
    await eventually(async () => renewed.connection.lastSeq === 1);
    expect(renewed.urls.map((u) => u.searchParams.get("token"))).toEqual(["mp_not_a_key", readKey]);
    expect(renewed.states).toContain("open");
    renewed.connection.close();
  });

  it("an expired viewer token (access_token) is replaced by the token function before the resume", async () => {
    const matchId = uniqueMatchId("client-viewer");
    const events = passes(matchId, 6);
    await postEvents(ingestKey, events.slice(0, 3));
    await appliedAtLeast(matchId, 3);
    const mint = async (): Promise<string> => {
      const res = await call(readKey, "/v1/viewer-tokens", { body: { matchIds: [matchId], ttlSeconds: 60 } });
      expect(res.status).toBe(201);
      return ((await res.json()) as { token: string }).token;
    };
    // A token of the same client that expires in about a second (minted tokens live 30 s at least).
    const fresh = await mint();
    const payload = JSON.parse(atob(fresh.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/"))) as { sub: string };
    const now = Math.floor(Date.now() / 1000);
    const keys = viewerKeySet(env.VIEWER_TOKEN_KEYS);
    const shortLived = (await signViewerToken(keys, { clientId: payload.sub, matchIds: [matchId], ttlSeconds: 2 }, now))
      .token;
    // First connect: the short-lived token; after the drop the page's cached (expired) token, then a new one.
    const issued = [shortLived, shortLived];
    const client = watchMatch("unused", matchId, {
      token: async () => issued.shift() ?? mint(),
      tokenParam: "access_token",
      backoff: { minMs: 10, maxMs: 50 },
    });
    await eventually(async () => client.connection.lastSeq === 3);
    await new Promise((r) => setTimeout(r, (now + 3) * 1000 - Date.now()));
    await serverCloses(matchId, 1001, "deploy");
    await postEvents(ingestKey, events.slice(3));
    await eventually(async () => client.connection.lastSeq === 6);
    const sent = client.urls.map((u) => u.searchParams.get("access_token"));
    expect(sent.slice(0, 2)).toEqual([shortLived, shortLived]);
    expect(sent[2]).not.toBe(shortLived);
    expect(client.urls.every((u) => u.searchParams.get("token") === null)).toBe(true);
    expect(client.urls.map((u) => u.searchParams.get("since"))).toEqual([null, "3", "3"]);
    expect(client.events().map((e) => e.eventId)).toEqual(events.slice(3).map((e) => e.eventId));
    client.connection.close();
  });

  it("resuming from further back than the history: the fresh snapshot (resumed:false) replaces the state", async () => {
    const matchId = uniqueMatchId("client-fresh");
    const events = passes(matchId, 1_100);
    await postEvents(ingestKey, events.slice(0, 1_000));
    await postEvents(ingestKey, events.slice(1_000));
    await appliedAtLeast(matchId, 1_100, 20_000);
    const client = watchMatch(readKey, matchId, { since: 5 });
    await eventually(async () => client.updates.length >= 1);
    expect(client.updates[0]).toMatchObject({ type: "snapshot", seq: 1_100, resumed: false, events: [] });
    expect(client.updates[0]!.state.eventsApplied).toBe(1_100);
    const [next] = passes(matchId, 1);
    await postEvents(ingestKey, [next]);
    await eventually(async () => client.connection.lastSeq === 1_101);
    expect(client.events().map((e) => e.eventId)).toEqual([next!.eventId]);
    client.connection.close();
  });
});

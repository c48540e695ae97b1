// GraphQL subscriptions past the relay threshold. This file runs in the "relays" project (relays promoted
// at 3 sockets, 2 planned per relay): once a match has relays, its graphql-ws sockets go to them as /live's
// do, and each subscriber still gets every update once, in order, with the correction, and resumes with
// `since` from a relay.
import { env, runInDurableObject } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import type { MatchEvent } from "../shared/contract/event";
import { relayName } from "../workers/relay/plan";
import { createApiKey, eventually, footballEvent, getState, openLive, postEvents, uniqueMatchId } from "./fixtures";
import { connect, type Payload } from "./graphql-fixtures";

let ingestKey: string;
let readKey: string;

beforeAll(async () => {
  ingestKey = await createApiKey(["ingest"]);
  readKey = await createApiKey(["read"], "relay reader", { readPerMinute: 100_000 });
});

const SUBSCRIPTION = `subscription ($id: String!, $since: Int) {
  matchUpdated(matchId: $id, since: $since) { type seq event { eventId } events { eventId } correction { kind } }
}`;

type Update = { type: string; seq: number; event: { eventId: string } | null; events: { eventId: string }[] | null };

/** The event ids a subscriber received after its opening payload, in order. */
const eventIds = (payloads: Payload[]): string[] =>
  payloads.slice(1).flatMap((p) => {
    const u = p.data?.matchUpdated as Update;
    return (u.events ?? (u.event ? [u.event] : [])).map((e) => e.eventId);
  });

const lastSeq = (payloads: Payload[] | undefined): number =>
  (payloads?.at(-1)?.data?.matchUpdated as Update | undefined)?.seq ?? 0;

const passes = (matchId: string, n: number, seq0: number): MatchEvent[] =>
  Array.from({ length: n }, (_, i) =>
    footballEvent(matchId, "pass", { seq: seq0 + i, teamId: 1, payload: { minute: 10 + (i % 60) } }),
  );

async function graphqlOnRelays(matchId: string): Promise<number> {
  let n = 0;
  for (let k = 0; k < 4; k++) {
    const stub = env.MATCH_RELAY.get(env.MATCH_RELAY.idFromName(relayName(matchId, k)));
    n += await runInDurableObject(stub, (_relay, state) => state.getWebSockets("graphql").length);
  }
  return n;
}

describe("GraphQL subscriptions over relays", () => {
  it("reach every subscriber once, in order, with the correction, and resume with since", async () => {
    const matchId = uniqueMatchId("gql-relay");
    const goal = footballEvent(matchId, "goal", { seq: 2, teamId: 1, payload: { minute: 5 } });
    await postEvents(ingestKey, [footballEvent(matchId, "match_start", { seq: 1 }), goal]);
    await eventually(async () => (await getState(readKey, matchId)).status === 200);
    // Plain sockets in waves grow the relays (the room re-plans from their reports at most each second).
    const plain = [];
    for (const wave of [3, 3, 2]) {
      for (let i = 0; i < wave; i++) plain.push(await openLive(readKey, matchId));
      await new Promise((r) => setTimeout(r, 1_300));
    }
    const subscribers: Awaited<ReturnType<typeof connect>>[] = [];
    for (let i = 0; i < 4; i++) {
      const s = await connect(matchId, readKey);
      s.subscribe("m", SUBSCRIPTION, { id: matchId });
      subscribers.push(s);
    }
    await eventually(async () => subscribers.every((s) => s.payloads.get("m")?.length === 1));
    expect(await graphqlOnRelays(matchId)).toBe(4);

    const burst = passes(matchId, 20, 3);
    await postEvents(ingestKey, burst);
    const retract = footballEvent(matchId, "retract", {
      seq: 23,
      payload: { targetEventId: goal.eventId, reason: "var_no_goal" },
    });
    await postEvents(ingestKey, [retract]);
    const tail = passes(matchId, 3, 24);
    for (const e of tail) await postEvents(ingestKey, e);
    await eventually(async () => subscribers.every((s) => lastSeq(s.payloads.get("m")) >= 26), 15_000);
    const expected = [...burst, retract, ...tail].map((e) => e.eventId);
    for (const s of subscribers) {
      const payloads = s.payloads.get("m") ?? [];
      expect(eventIds(payloads)).toEqual(expected);
      const correction = payloads.map((p) => p.data?.matchUpdated as Update).find((u) => u.type === "correction");
      expect(correction).toMatchObject({ seq: 23, correction: { kind: "retract" } });
    }

    // A subscriber that saw seq 22 resumes from a relay: the three passes after the correction, nothing else.
    const resumed = await connect(matchId, readKey);
    resumed.subscribe("r", SUBSCRIPTION, { id: matchId, since: 23 });
    await eventually(async () => lastSeq(resumed.payloads.get("r")) >= 26);
    const missed = (resumed.payloads.get("r") ?? []).flatMap((p) => {
      const u = p.data?.matchUpdated as Update;
      return (u.events ?? (u.event ? [u.event] : [])).map((e) => e.eventId);
    });
    expect(missed).toEqual(tail.map((e) => e.eventId));
    for (const s of [...plain, ...subscribers, resumed]) s.close();
  });
});

// Corrections in the analytics (issue 10 §1): ClickHouse keeps every event, corrections included, and
// metrics, timeline and rounds read the corrected truth. Property: a feed with retractions, amendments,
// duplicates and any arrival order gives the same analytics (and room state) as the corrected feed sent in
// order. Then the real-data scenario: a replayed World Cup final where a goal is retracted after a VAR review.
import { describe, expect, inject, it } from "vitest";
import { seededRng } from "../shared/random";
import { type WyscoutMatchMeta, wyscoutEvents, wyscoutOfficial } from "../shared/sources/wyscout/parse";
import type { MatchEvent } from "../shared/sports/sport";
import { cs2Event, footballEvent } from "../shared/testing/events";
import {
  call,
  clickhouseRows,
  createApiKey,
  eventually,
  getState,
  openLive,
  postEvents,
  uniqueMatchId,
} from "./fixtures";

type Rng = ReturnType<typeof seededRng>;

async function post(key: string, events: MatchEvent[]): Promise<void> {
  for (let i = 0; i < events.length; i += 500) {
    const res = await postEvents(key, events.slice(i, i + 500));
    expect(res.status).toBe(202);
    expect(((await res.json()) as { rejected: unknown[] }).rejected).toEqual([]);
  }
}

async function json<T>(key: string, path: string): Promise<T> {
  const res = await call(key, path);
  expect(res.status).toBe(200);
  return (await res.json()) as T;
}

/** Sends a feed the way a messy source does: shuffled, a fifth of it twice, in requests of 5-40 events. */
async function postMessily(key: string, events: MatchEvent[], rng: Rng): Promise<void> {
  const shuffled = rng.shuffle([...events, ...events.filter(() => rng.chance(0.2))]);
  for (let i = 0; i < shuffled.length; ) {
    const n = rng.int(5, 40);
    await post(key, shuffled.slice(i, i + n));
    i += n;
  }
}

/** Waits until ClickHouse holds `n` distinct events of the match (corrections included). */
async function logged(matchId: string, n: number): Promise<void> {
  await eventually(async () => {
    const [row] = await clickhouseRows<{ n: string }>(
      "SELECT toString(uniqExact(event_id)) AS n FROM events WHERE match_id = {m:String}",
      { m: matchId },
    );
    return Number(row?.n) === n;
  }, 60_000);
}

/** A random CS2 map with a restart after its second round: the rounds before it never count. */
function cs2Feed(matchId: string, rng: Rng): MatchEvent[] {
  const events: MatchEvent[] = [cs2Event(matchId, "match_start", { payload: { bestOf: 1 } })];
  const map = () =>
    events.push(
      cs2Event(matchId, "map_start", {
        payload: { mapNumber: 1, mapName: "de_nuke", startingSide: "CT", maxRounds: 6, overtimeMaxRounds: 0 },
      }),
    );
  const round = (n: number) => {
    events.push(cs2Event(matchId, "round_start", { payload: { round: n } }));
    for (let k = rng.int(1, 5); k > 0; k--)
      events.push(
        cs2Event(matchId, "kill", {
          teamId: rng.chance(0.5) ? 1 : 2,
          playerId: `p${rng.int(1, 10)}`,
          payload: { round: n, victimPlayerId: `v${rng.int(1, 10)}`, weapon: "ak47", headshot: rng.chance(0.4) },
        }),
      );
    events.push(
      cs2Event(matchId, "round_end", {
        teamId: rng.chance(0.5) ? 1 : 2,
        payload: { round: n, reason: rng.pick(["elimination", "bomb_defused", "time"] as const) },
      }),
    );
  };
  map();
  round(1);
  round(2);
  events.push(cs2Event(matchId, "map_restart", { payload: {} }));
  map();
  for (let n = 1; n <= 6; n++) round(n);
  return events.map((e, i) => ({ ...e, seq: i + 1 }));
}

interface Corrected {
  /** The feed as the source sent it: originals, then its corrections. */
  sent: MatchEvent[];
  /** What the corrections say the feed should have been. */
  truth: MatchEvent[];
  retracted: Set<string>;
}

/** Retracts a few kills and a round end, amends kills (headshot), round ends (winner, reason), twice for one. */
function correct(feed: MatchEvent[], rng: Rng): Corrected {
  const truth = new Map(feed.map((e) => [e.eventId, structuredClone(e)]));
  const corrections: MatchEvent[] = [];
  let seq = feed.length;
  const at = feed.at(-1)!.timestamp;
  const correction = (type: "retract" | "amend", payload: Record<string, unknown>) =>
    corrections.push(cs2Event(feed[0]!.matchId, type, { seq: ++seq, timestamp: at, payload }));
  const kills = feed.filter((e) => e.type === "kill");
  const ends = feed.filter((e) => e.type === "round_end");
  const retracted = new Set<string>();
  for (const target of [rng.pick(kills), rng.pick(kills), rng.pick(ends)]) {
    if (retracted.has(target.eventId)) continue;
    retracted.add(target.eventId);
    correction("retract", { targetEventId: target.eventId, reason: "deleted" });
  }
  const live = (list: MatchEvent[]) => list.filter((e) => !retracted.has(e.eventId));
  for (const target of [rng.pick(live(kills)), rng.pick(live(kills))]) {
    const headshot = !(target.payload?.headshot === true);
    correction("amend", { targetEventId: target.eventId, changes: { payload: { headshot } } });
    truth.get(target.eventId)!.payload = { ...truth.get(target.eventId)!.payload, headshot };
  }
  // Two amends of one round end: the winner from the first, the reason from the second, merged field by field.
  const end = rng.pick(live(ends).slice(2));
  const winner = end.teamId === 1 ? 2 : 1;
  correction("amend", { targetEventId: end.eventId, changes: { teamId: winner, payload: { reason: "time" } } });
  correction("amend", { targetEventId: end.eventId, changes: { payload: { reason: "bomb_defused" } } });
  const t = truth.get(end.eventId)!;
  t.teamId = winner;
  t.payload = { ...t.payload, reason: "bomb_defused" };
  return {
    sent: [...feed, ...corrections],
    truth: [...truth.values()].filter((e) => !retracted.has(e.eventId)),
    retracted,
  };
}

const analytics = async (key: string, matchId: string) => {
  const m = await json<Record<string, unknown>>(key, `/v1/matches/${matchId}/metrics`);
  const { rounds } = await json<{ rounds: unknown[] }>(key, `/v1/matches/${matchId}/rounds`);
  const { buckets } = await json<{ buckets: unknown[] }>(key, `/v1/matches/${matchId}/timeline?bucket=1m`);
  const { latency: _latency, matchId: _id, ...metrics } = m;
  return { metrics, rounds, buckets };
};

describe("corrections in the analytics: any delivery of a corrected feed reads as the corrected feed", () => {
  for (const seed of [1, 2]) {
    it(`CS2, seed ${seed}: retractions, amendments, duplicates, shuffled arrival`, async () => {
      const key = await createApiKey(["ingest", "read"]);
      const rng = seededRng("corrections-analytics", seed);
      const messy = uniqueMatchId("corr-messy");
      const clean = uniqueMatchId("corr-clean");
      const feed = cs2Feed(messy, rng);
      const { sent, truth, retracted } = correct(feed, rng);

      // The corrected feed, in order, as another match: same events renumbered without gaps, under new ids
      // (eventIds are global: the edge would drop the same ids as repeats).
      const truthFeed = truth.map((e, i) => ({ ...e, eventId: crypto.randomUUID(), matchId: clean, seq: i + 1 }));
      await post(key, truthFeed);
      // The real feed: shuffled, a fifth of it sent twice, in several requests.
      await postMessily(key, sent, rng);
      await logged(clean, truthFeed.length);
      await logged(messy, sent.length);

      const got = await analytics(key, messy);
      const want = await analytics(key, clean);
      expect(got).toEqual(want);
      // The corrections are in the log, not in the numbers.
      expect(got.metrics.eventsByType).not.toHaveProperty("retract");
      expect(got.metrics.eventsByType).not.toHaveProperty("amend");
      expect(got.metrics.totalEvents).toBe(sent.length - retracted.size - (sent.length - feed.length));
      // The rounds before the restart never count: only the six rounds of the restarted map are listed.
      expect((got.rounds as { round: number }[]).map((r) => r.round)).toEqual([1, 2, 3, 4, 5, 6]);
      // And the room agrees with the analytics.
      const room = await eventually(async () => {
        const res = await getState(key, messy);
        const s = (await res.json()) as { eventsApplied: number; roundScore: number[]; kills: number[] };
        return s.eventsApplied >= truth.length ? s : undefined;
      }, 30_000);
      const cs2 = got.metrics.cs2 as { roundWinsByTeam: number[]; kills: number };
      expect(room.roundScore).toEqual(cs2.roundWinsByTeam);
      expect(room.kills[0]! + room.kills[1]!).toBe(cs2.kills);
    }, 120_000);
  }
});

/** A random football match: passes, shots, goals and cards, then its corrections (goals and cards retracted, goals re-credited). */
function correctedFootball(matchId: string, rng: Rng): Corrected & { feed: MatchEvent[] } {
  const events: MatchEvent[] = [footballEvent(matchId, "match_start", { payload: {} })];
  for (let minute = 1; minute <= 90; minute += rng.int(1, 3)) {
    const teamId = rng.chance(0.5) ? 1 : 2;
    const roll = rng.next();
    const type =
      roll < 0.06 ? "goal" : roll < 0.12 ? "yellow_card" : roll < 0.14 ? "red_card" : roll < 0.3 ? "shot" : "pass";
    events.push(footballEvent(matchId, type, { teamId, payload: { minute } }));
  }
  events.push(footballEvent(matchId, "match_end", { payload: { minute: 90 } }));
  const feed = events.map((e, i) => ({ ...e, seq: i + 1 }));
  const truth = new Map(feed.map((e) => [e.eventId, structuredClone(e)]));
  const retracted = new Set<string>();
  const corrections: MatchEvent[] = [];
  let seq = feed.length;
  const at = feed.at(-1)!.timestamp;
  const correction = (type: "retract" | "amend", payload: Record<string, unknown>) =>
    corrections.push(footballEvent(matchId, type, { seq: ++seq, timestamp: at, payload }));
  const goals = feed.filter((e) => e.type === "goal");
  const cards = feed.filter((e) => e.type === "yellow_card" || e.type === "red_card");
  for (const target of [rng.pick(goals), rng.pick(cards)]) {
    if (!target || retracted.has(target.eventId)) continue;
    retracted.add(target.eventId);
    correction("retract", { targetEventId: target.eventId, reason: "var_no_goal" });
  }
  const credited = goals.filter((g) => !retracted.has(g.eventId));
  if (credited.length > 0) {
    const target = rng.pick(credited);
    const teamId = target.teamId === 1 ? 2 : 1;
    correction("amend", { targetEventId: target.eventId, changes: { teamId } });
    truth.get(target.eventId)!.teamId = teamId;
  }
  return {
    feed,
    sent: [...feed, ...corrections],
    truth: [...truth.values()].filter((e) => !retracted.has(e.eventId)),
    retracted,
  };
}

describe("corrections in the analytics, football", () => {
  for (const seed of [1, 2]) {
    it(`football, seed ${seed}: a shuffled, repeated, corrected feed reads as the corrected feed`, async () => {
      const key = await createApiKey(["ingest", "read"]);
      const rng = seededRng("corrections-analytics-football", seed);
      const messy = uniqueMatchId("fcorr-messy");
      const clean = uniqueMatchId("fcorr-clean");
      const { feed, sent, truth } = correctedFootball(messy, rng);
      const truthFeed = truth.map((e, i) => ({ ...e, eventId: crypto.randomUUID(), matchId: clean, seq: i + 1 }));
      await post(key, truthFeed);
      await postMessily(key, sent, rng);
      await logged(clean, truthFeed.length);
      await logged(messy, sent.length);
      const got = await analytics(key, messy);
      const want = await analytics(key, clean);
      expect(got.metrics).toEqual(want.metrics);
      expect(got.buckets).toEqual(want.buckets);
      expect(got.metrics.eventsByType).not.toHaveProperty("retract");
      // The room agrees: its score is the corrected feed's.
      const score = (id: string, n: number) =>
        eventually(async () => {
          const s = (await (await getState(key, id)).json()) as { eventsApplied: number; score: number[] };
          return s.eventsApplied >= n ? s.score : undefined;
        }, 30_000);
      expect(await score(messy, feed.length)).toEqual(await score(clean, truthFeed.length));
    }, 120_000);
  }
});

const data = inject("sourcesReplay");

describe("a real match with a goal retracted after a VAR review", () => {
  it("the 2018 final: the score goes back, a correction frame goes out, the metrics lose the goal", async () => {
    const key = await createApiKey(["ingest", "read"]);
    const match = data.wyscout.find((m) => m.wyId === 2058017)!;
    const meta = JSON.parse(match.meta) as WyscoutMatchMeta;
    const matchId = uniqueMatchId("wy-var");
    const replay = wyscoutEvents(JSON.parse(match.file), {
      matchId,
      meta,
      kickoff: new Date(Date.now() - 4 * 3600_000),
    });
    await post(key, replay.events);
    const official = wyscoutOfficial(meta, replay.teams);
    await eventually(async () => {
      const s = (await (await getState(key, matchId)).json()) as { status?: string };
      return s.status === "finished";
    }, 60_000);
    await logged(matchId, replay.events.length);
    const before = await json<{ goals: number; eventsByType: Record<string, number> }>(
      key,
      `/v1/matches/${matchId}/metrics`,
    );

    // The last goal (Mbappé's, 65'), reviewed and overturned.
    const goal = replay.events.findLast((e) => e.type === "goal")!;
    const minute = goal.payload!.minute as number;
    const live = await openLive(key, matchId);
    await eventually(async () => live.frames.some((f) => f.type === "snapshot"));
    let seq = replay.events.at(-1)!.seq!;
    const at = new Date().toISOString();
    const review = { sport: "football", matchId, timestamp: at, teamId: goal.teamId };
    const injected: MatchEvent[] = [
      { ...review, eventId: crypto.randomUUID(), type: "var_review", seq: ++seq, payload: { minute } },
      {
        ...review,
        eventId: crypto.randomUUID(),
        type: "var_decision",
        seq: ++seq,
        payload: { minute, outcome: "overturned" },
      },
      {
        eventId: crypto.randomUUID(),
        sport: "football",
        matchId,
        timestamp: at,
        type: "retract",
        seq: ++seq,
        payload: { targetEventId: goal.eventId, reason: "var_no_goal" },
      },
    ];
    await post(key, injected);

    const frame = await eventually(async () => live.frames.find((f) => f.type === "correction"), 30_000);
    expect(frame).toMatchObject({
      type: "correction",
      correction: { kind: "retract", targetEventId: goal.eventId, reason: "var_no_goal" },
    });
    const expectedScore = [...official.score];
    expectedScore[goal.teamId! - 1]! -= 1;
    const state = (await (await getState(key, matchId)).json()) as { score: number[] };
    expect(state.score).toEqual(expectedScore);
    live.close();

    await logged(matchId, replay.events.length + injected.length);
    const after = await json<{ goals: number; eventsByType: Record<string, number> }>(
      key,
      `/v1/matches/${matchId}/metrics`,
    );
    expect(after.goals).toBe(before.goals - 1);
    expect(after.eventsByType).toEqual({
      ...before.eventsByType,
      goal: before.eventsByType.goal! - 1,
      var_review: 1,
      var_decision: 1,
    });
    // The prediction series marks the correction: its point is keyed by the retraction (eventType
    // "retract"), and the points published before it stay (auditable).
    const retraction = injected.at(-1)!;
    const series = await eventually(async () => {
      const page = await json<{ data: { eventId: string; eventType: string }[] }>(
        key,
        `/v1/matches/${matchId}/predictions?limit=1000`,
      );
      return page.data.some((p) => p.eventId === retraction.eventId) ? page.data : undefined;
    }, 30_000);
    expect(series.find((p) => p.eventId === retraction.eventId)?.eventType).toBe("retract");
    expect(series.length).toBeGreaterThan(1);
    // The event log itself keeps everything: the goal and the correction are both there.
    const kept = await clickhouseRows<{ type: string }>(
      "SELECT DISTINCT type FROM events WHERE match_id = {m:String} AND event_id IN ({ids:Array(UUID)})",
      { m: matchId, ids: [goal.eventId, injected[2]!.eventId] },
    );
    expect(kept.map((r) => r.type).sort()).toEqual(["goal", "retract"]);
  }, 180_000);
});

// Real feeds through the whole path (POST /v1/events → queue → room → ClickHouse): a few real Wyscout
// matches and the real CS2 server log, each turned into contract events by its source adapter running
// here inside workerd. The data comes from ../shared/data via vitest.config.ts (see sources-replay-data.ts).
import { describe, expect, inject, it } from "vitest";
import { type Cs2LogCursor, newCs2LogCursor, parseCs2LogBatch } from "../shared/sources/cs2-log/parse";
import { type WyscoutMatchMeta, wyscoutEvents, wyscoutOfficial } from "../shared/sources/wyscout/parse";
import type { MatchEvent } from "../shared/sports/sport";
import { BASE, createApiKey, eventually, getState, postEvents, uniqueMatchId } from "./fixtures";

const data = inject("sourcesReplay");

async function post(key: string, events: MatchEvent[]): Promise<void> {
  for (let i = 0; i < events.length; i += 1000) {
    const res = await postEvents(key, events.slice(i, i + 1000));
    expect(res.status).toBe(202);
    const body = (await res.json()) as { accepted: number; rejected: unknown[] };
    expect(body.rejected).toEqual([]);
  }
}

const countByType = (events: MatchEvent[]) => {
  const out: Record<string, number> = {};
  for (const e of events) out[e.type] = (out[e.type] ?? 0) + 1;
  return out;
};

async function metrics(
  key: string,
  matchId: string,
): Promise<{ totalEvents: number; eventsByType: Record<string, number> }> {
  const res = await fetchJson(key, `/v1/matches/${matchId}/metrics`);
  return res as { totalEvents: number; eventsByType: Record<string, number> };
}

async function fetchJson(key: string, path: string): Promise<unknown> {
  const { SELF } = await import("cloudflare:test");
  const res = await SELF.fetch(`${BASE}${path}`, { headers: { authorization: `Bearer ${key}` } });
  expect(res.status).toBe(200);
  return res.json();
}

describe("real Wyscout matches through the pipeline", () => {
  for (const match of data.wyscout) {
    it(`match ${match.wyId}: the room ends at the official score and cards, ClickHouse has every event`, async () => {
      const key = await createApiKey(["ingest", "read"]);
      const meta = JSON.parse(match.meta) as WyscoutMatchMeta;
      const matchId = uniqueMatchId(`wy-${match.wyId}`);
      const replay = wyscoutEvents(JSON.parse(match.file), {
        matchId,
        meta,
        // Recent timestamps: the event log keeps 2 years by event time, so 2018's would expire at once.
        kickoff: new Date(Date.now() - 4 * 3600_000),
      });
      expect(replay.issues).toEqual([]);
      await post(key, replay.events);
      const official = wyscoutOfficial(meta, replay.teams);
      const state = await eventually(async () => {
        const res = await getState(key, matchId);
        if (res.status !== 200) return undefined;
        const body = (await res.json()) as Record<string, unknown>;
        return body.status === "finished" ? body : undefined;
      }, 60_000);
      expect({
        score: state.score,
        penaltyShootout: state.penaltyShootout,
        yellowCards: state.yellowCards,
        redCards: state.redCards,
      }).toEqual(official);
      const expected = countByType(replay.events);
      const m = await eventually(async () => {
        const got = await metrics(key, matchId);
        return got.totalEvents === replay.events.length ? got : undefined;
      }, 60_000);
      expect(m.eventsByType).toEqual(expected);
    }, 120_000);
  }
});

describe("the real CS2 server log through the pipeline", () => {
  it("batches as a server posts them end at the server's Game Over score, with no round from before the restart", async () => {
    const key = await createApiKey(["ingest", "read"]);
    const matchId = uniqueMatchId("cs-log");
    // The HTTP form a CS2 server streams (logaddress_add_http), ~200 lines a POST.
    const lines = data.cs2Log
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => l.replace(/^L (\d\d\/\d\d\/\d{4} - \d\d:\d\d:\d\d): /, "$1.000 - "));
    let cursor: Cs2LogCursor = newCs2LogCursor({
      sourceId: "src-nuel",
      matchId,
      // Read the 2018 server clock as if the map had started two hours ago (the event log expires old events).
      utcOffsetMinutes: Math.round((Date.UTC(2018, 1, 24, 15, 54) - (Date.now() - 2 * 3600_000)) / 60_000),
    });
    const events: MatchEvent[] = [];
    for (let i = 0; i < lines.length; i += 200) {
      const r = parseCs2LogBatch(lines.slice(i, i + 200).join("\n"), cursor);
      cursor = r.cursor;
      events.push(...r.events);
    }
    const gameOver = /Game Over: .* score (\d+):(\d+)/.exec(data.cs2Log)!;
    // Team 1 (Warwick Stretchyboiz) ended the map on CT, so CT:T is team 1:team 2.
    const finalScore = [Number(gameOver[1]), Number(gameOver[2])];
    await post(key, events);
    const state = await eventually(async () => {
      const res = await getState(key, matchId);
      if (res.status !== 200) return undefined;
      const body = (await res.json()) as Record<string, unknown>;
      return body.status === "finished" ? body : undefined;
    }, 60_000);
    expect(state.mapResults).toEqual([{ number: 1, name: "de_overpass", roundScore: finalScore, winner: 2 }]);
    expect(state.winner).toBe(2);
    // The rounds that count are those after the last map_start: 1..30, each once.
    const lastStart = events.map((e) => e.type).lastIndexOf("map_start");
    const counted = events.slice(lastStart).filter((e) => e.type === "round_end");
    expect(counted.map((e) => e.payload?.round)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(events.slice(0, lastStart).filter((e) => e.type === "round_end")).toHaveLength(1); // the knife round
    const m = await eventually(async () => {
      const got = await metrics(key, matchId);
      return got.totalEvents === events.length ? got : undefined;
    }, 60_000);
    expect(m.eventsByType).toEqual(countByType(events));
  }, 120_000);
});

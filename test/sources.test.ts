// Sources as a resource, end to end in the local runtime: an admin registers a CS2 server log or a GSI
// client, the source POSTs to its ingest URL the way a real one does (batches retried, overlapping, sent
// concurrently), and the match room ends where the real feed says. The real files come from ../shared/data
// through vitest.config.ts (see sources-replay-data.ts).
import { SELF } from "cloudflare:test";
import { describe, expect, inject, it } from "vitest";
import { seededRng } from "../shared/random";
import { newGsiCursor, parseGsiPost } from "../shared/sources/cs2-gsi/parse";
import { cs2 } from "../shared/sports/cs2";
import type { Cs2State } from "../shared/sports/cs2/state";
import type { MatchEvent } from "../shared/sports/sport";
import { BASE, call, createApiKey, eventually, getState, uniqueMatchId } from "./fixtures";

const data = inject("sourcesReplay");

interface Created {
  id: string;
  kind: string;
  matchId: string;
  token: string;
  ingestUrl: string;
}

async function register(key: string, body: Record<string, unknown>): Promise<Created> {
  const res = await call(key, "/v1/sources", { body });
  expect(res.status).toBe(201);
  return (await res.json()) as Created;
}

function ingest(url: string, body: string, contentType = "text/plain"): Promise<Response> {
  return SELF.fetch(url.replace(/^https?:\/\/[^/]+/, BASE), {
    method: "POST",
    headers: { "content-type": contentType },
    body,
  });
}

async function finishedState(key: string, matchId: string): Promise<Record<string, unknown>> {
  return eventually(async () => {
    const res = await getState(key, matchId);
    if (res.status !== 200) return undefined;
    const body = (await res.json()) as Record<string, unknown>;
    return body.status === "finished" ? body : undefined;
  }, 60_000);
}

/** The HTTP form a CS2 server streams (logaddress_add_http): no "L ", milliseconds, " - " before the event. */
const httpForm = (line: string) => line.replace(/^L (\d\d\/\d\d\/\d{4} - \d\d:\d\d:\d\d): /, "$1.000 - ");
const logLines = () =>
  data.cs2Log
    .split("\n")
    .filter((l) => l !== "")
    .map(httpForm);
/** Read the 2018 server clock as if the map had started two hours ago (the event log expires old events). */
const utcOffsetMinutes = () => Math.round((Date.UTC(2018, 1, 24, 15, 54) - (Date.now() - 2 * 3600_000)) / 60_000);

describe("sources: a CS2 server's log through POST /v1/sources/{id}/ingest", () => {
  it("registers, lists, and takes the real log in retried, overlapping and concurrent batches", async () => {
    const key = await createApiKey(["admin", "read"]);
    const matchId = uniqueMatchId("src-log");
    const source = await register(key, { kind: "cs2-log", matchId, utcOffsetMinutes: utcOffsetMinutes() });
    expect(source).toMatchObject({ kind: "cs2-log", matchId });
    expect(source.token).toMatch(/^mps_[0-9a-f]{48}$/);
    expect(new URL(source.ingestUrl).pathname).toBe(`/v1/sources/${source.id}/ingest`);
    expect(new URL(source.ingestUrl).searchParams.get("token")).toBe(source.token);

    const listed = await call(key, `/v1/sources?matchId=${matchId}`);
    expect(listed.status).toBe(200);
    const list = (await listed.json()) as { data: { id: string; tokenPrefix: string; revokedAt: null }[] };
    expect(list.data).toEqual([expect.objectContaining({ id: source.id, revokedAt: null })]);
    expect(JSON.stringify(list)).not.toContain(source.token);

    const lines = logLines();
    const rng = seededRng("sources-log-batches");
    let queued = 0;
    for (let i = 0; i < lines.length; ) {
      const n = rng.int(50, 400);
      const back = rng.int(0, Math.min(i, 60)); // the server resends lines it already sent
      const batch = lines.slice(i - back, i + n).join("\n");
      if (rng.chance(0.25)) {
        // Two overlapping batches at once (a retry racing the original): they must not share a cursor.
        const overlap = lines.slice(i - back, i + Math.floor(n / 2)).join("\n");
        const [a, b] = await Promise.all([ingest(source.ingestUrl, overlap), ingest(source.ingestUrl, batch)]);
        expect([a.status, b.status]).toEqual([200, 200]);
        for (const r of [a, b]) queued += ((await r.json()) as { events: number }).events;
      } else {
        const res = await ingest(source.ingestUrl, batch);
        expect(res.status).toBe(200);
        queued += ((await res.json()) as { events: number }).events;
        if (rng.chance(0.2)) {
          const again = await ingest(source.ingestUrl, batch); // a retried batch adds nothing
          expect(again.status).toBe(200);
          expect(((await again.json()) as { events: number }).events).toBe(0);
        }
      }
      i += n;
    }

    const gameOver = /Game Over: .* score (\d+):(\d+)/.exec(data.cs2Log)!;
    // Team 1 (Warwick Stretchyboiz) ended the map on CT, so the server's CT:T is team 1:team 2.
    const finalScore = [Number(gameOver[1]), Number(gameOver[2])];
    const state = await finishedState(key, matchId);
    // A round from before the restart (the knife round) would make the round score one too many.
    expect(state.mapResults).toEqual([{ number: 1, name: "de_overpass", roundScore: finalScore, winner: 2 }]);
    expect(state.winner).toBe(2);
    // Every event the source emitted reached the room in order: no gap, nothing applied twice.
    expect(state.gaps).toEqual([]);
    expect(state.lastSeq).toBe(queued);
    expect(state.eventsApplied).toBe(queued);
  }, 180_000);

  it("garbage lines are answered 200 with their count; nothing is queued", async () => {
    const key = await createApiKey(["admin"]);
    const source = await register(key, { kind: "cs2-log", matchId: uniqueMatchId("src-garbage") });
    const res = await ingest(source.ingestUrl, "garbage\n\u0000\u0001\nL 99/99/9999 nonsense\n");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ events: 0, issues: 3 });
  });

  it("refuses with 401: no token, a wrong token, another source's token, a revoked source, an unknown id", async () => {
    const key = await createApiKey(["admin"]);
    const a = await register(key, { kind: "cs2-log", matchId: uniqueMatchId("src-a") });
    const b = await register(key, { kind: "cs2-log", matchId: uniqueMatchId("src-b") });
    const line = '02/24/2018 - 16:01:13.000 - World triggered "Round_Start"';
    const withToken = (url: string, token: string | null) => {
      const u = new URL(url);
      if (token === null) u.searchParams.delete("token");
      else u.searchParams.set("token", token);
      return u.toString();
    };
    const expect401 = async (res: Response) => {
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("unauthorized");
    };
    await expect401(await ingest(withToken(a.ingestUrl, null), line));
    await expect401(await ingest(withToken(a.ingestUrl, `${a.token}x`), line));
    await expect401(await ingest(withToken(a.ingestUrl, b.token), line));
    await expect401(await ingest(withToken(a.ingestUrl.replace(a.id, crypto.randomUUID()), a.token), line));
    await expect401(await ingest(withToken(a.ingestUrl.replace(a.id, "not-a-uuid"), a.token), line));
    expect((await ingest(a.ingestUrl, line)).status).toBe(200);

    const revoked = await call(key, `/v1/sources/${a.id}/revoke`, { method: "POST" });
    expect(revoked.status).toBe(200);
    expect(((await revoked.json()) as { revokedAt: string | null }).revokedAt).not.toBeNull();
    await expect401(await ingest(a.ingestUrl, line));
    expect((await ingest(b.ingestUrl, line)).status).toBe(200); // the other source is untouched
    expect((await call(key, `/v1/sources/${crypto.randomUUID()}/revoke`, { method: "POST" })).status).toBe(404);
    const active = (await (await call(key, `/v1/sources?matchId=${a.matchId}`)).json()) as { data: unknown[] };
    expect(active.data).toEqual([]);
  });

  it("needs the admin scope and a CS2 match to register", async () => {
    const key = await createApiKey(["ingest", "read"]);
    const res = await call(key, "/v1/sources", { body: { kind: "cs2-log", matchId: "m-1" } });
    expect(res.status).toBe(403);
    const admin = await createApiKey(["admin"]);
    const bad = await call(admin, "/v1/sources", { body: { kind: "csgo", matchId: "m-1" } });
    expect(bad.status).toBe(400);
    // A match registered as football cannot take a CS2 source.
    const football = uniqueMatchId("src-football");
    expect((await call(admin, "/v1/matches", { body: { id: football, sport: "football" } })).status).toBe(201);
    const wrong = await call(admin, "/v1/sources", { body: { kind: "cs2-log", matchId: football } });
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toMatchObject({ error: { code: "invalid_request", issues: [{ path: "matchId" }] } });
  });
});

describe("sources: a CS2 GSI client through POST /v1/sources/{id}/ingest", () => {
  it("replays the 192 real POSTs; the room ends at the last state's score; a body with another token is refused", async () => {
    const key = await createApiKey(["admin", "read"]);
    const matchId = uniqueMatchId("src-gsi");
    const source = await register(key, { kind: "cs2-gsi", matchId });
    expect(new URL(source.ingestUrl).searchParams.get("token")).toBeNull();
    const other = await register(key, { kind: "cs2-gsi", matchId: uniqueMatchId("src-gsi-other") });
    const withAuth = (text: string, token: string) => {
      const body = JSON.parse(text) as Record<string, unknown>;
      return JSON.stringify({ ...body, auth: { token } });
    };
    const bodies = data.cs2Gsi.map((b) => withAuth(b, source.token));

    // Another source's token in the body, and a body without any, are refused.
    const refused = await ingest(source.ingestUrl, withAuth(data.cs2Gsi[0]!, other.token), "application/json");
    expect(refused.status).toBe(401);
    expect((await ingest(source.ingestUrl, data.cs2Gsi[0]!, "application/json")).status).toBe(401);

    let queued = 0;
    for (const [i, body] of bodies.entries()) {
      const res = await ingest(source.ingestUrl, body, "application/json");
      expect(res.status).toBe(200);
      queued += ((await res.json()) as { events: number }).events;
      if (i % 17 === 0) {
        const replayed = await ingest(source.ingestUrl, body, "application/json"); // the client retries
        expect(((await replayed.json()) as { events: number }).events).toBe(0);
      }
    }
    // Truncated JSON: its token cannot be read, so it is refused like any unauthenticated body.
    const truncated = await ingest(source.ingestUrl, bodies[0]!.slice(0, 40), "application/json");
    expect(truncated.status).toBe(401);

    // What the adapter makes of the same POSTs, folded directly: the room must end at the same state.
    let cursor = newGsiCursor({ sourceId: source.id, matchId });
    const events: MatchEvent[] = [];
    for (const body of bodies) {
      const r = parseGsiPost(JSON.parse(body), cursor);
      cursor = r.cursor;
      events.push(...r.events);
    }
    expect(queued).toBe(events.length);
    const expected = events.reduce<Cs2State>(cs2.applyEvent, cs2.initialState());
    const state = await eventually(async () => {
      const res = await getState(key, matchId);
      if (res.status !== 200) return undefined;
      const body = (await res.json()) as Cs2State & { eventsApplied: number };
      return body.eventsApplied === events.length ? body : undefined;
    }, 60_000);
    expect({ roundScore: state.roundScore, mapsWon: state.mapsWon, currentMap: state.currentMap }).toEqual({
      roundScore: expected.roundScore,
      mapsWon: expected.mapsWon,
      currentMap: expected.currentMap,
    });
    // …which is the last GSI state's own map score, seen from team 1's side.
    const last = data.cs2Gsi
      .map((b) => JSON.parse(b) as { map?: { name?: string; team_ct?: { score: number }; team_t?: { score: number } } })
      .findLast((b) => b.map?.name !== undefined && b.map.team_ct !== undefined)!;
    const [ct, t] = [last.map!.team_ct!.score, last.map!.team_t!.score];
    expect(state.roundScore).toEqual(state.currentMap!.team1Side === "CT" ? [ct, t] : [t, ct]);
  }, 180_000);
});

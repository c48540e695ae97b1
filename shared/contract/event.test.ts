import { describe, expect, it } from "vitest";
import { type ContractIssue, eventSchema, PAYLOAD_MAX_BYTES, parseEvent } from "./event";

const NOW = new Date("2026-03-01T12:00:00Z");

const football = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  eventId: "3f2b8c1e-9a4d-4e7b-8c2a-1d5e6f7a8b9c",
  matchId: "epl-2026:ars.che",
  sport: "football",
  type: "goal",
  timestamp: "2026-03-01T11:59:00Z",
  teamId: 1,
  payload: { minute: 12 },
  ...over,
});

const cs2 = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  eventId: "0b6c7d8e-1f2a-4b3c-9d4e-5f6a7b8c9d0e",
  matchId: "iem_katowice_final",
  sport: "cs2",
  type: "kill",
  timestamp: "2026-03-01T13:00:00.123+01:00",
  teamId: 2,
  payload: { round: 3, victimPlayerId: "s1mple", weapon: "ak47", headshot: true },
  ...over,
});

const paths = (issues: ContractIssue[]): string[] => issues.map((i) => i.path);

describe("parseEvent: valid events", () => {
  const valid: [string, Record<string, unknown>][] = [
    ["football goal", football()],
    [
      "football own goal with seq and player",
      football({ seq: 7, playerId: "p-9", payload: { minute: 33, ownGoal: true } }),
    ],
    [
      "football match_start without payload or team",
      football({ type: "match_start", teamId: undefined, payload: undefined }),
    ],
    [
      "football period_start",
      football({ type: "period_start", teamId: undefined, payload: { period: 2, minute: 45 } }),
    ],
    [
      "football period_end of the shoot-out",
      football({ type: "period_end", teamId: undefined, payload: { period: 5 } }),
    ],
    [
      "football substitution",
      football({ type: "substitution", payload: { minute: 60, playerIn: "a", playerOut: "b" } }),
    ],
    ["football shot on target", football({ type: "shot", payload: { minute: 130, onTarget: true } })],
    ["football yellow card with reason", football({ type: "yellow_card", payload: { minute: 0, reason: "dissent" } })],
    ["timestamp with negative offset", football({ timestamp: "2026-03-01T07:00:00-05:00" })],
    ["timestamp exactly 24h ahead", football({ timestamp: "2026-03-02T12:00:00Z" })],
    ["timestamp under 24h ahead once the offset is applied", football({ timestamp: "2026-03-02T12:30:00+01:00" })],
    ["timestamp with nanoseconds", football({ timestamp: "2026-03-01T11:59:00.123456789Z" })],
    ["uppercase UUID", football({ eventId: "3F2B8C1E-9A4D-4E7B-8C2A-1D5E6F7A8B9C" })],
    ["matchId of 64 chars", football({ matchId: "m".repeat(64) })],
    ["cs2 kill", cs2()],
    ["cs2 team kill", cs2({ payload: { round: 3, victimPlayerId: "x", weapon: "molotov", victimTeamId: 2 } })],
    ["cs2 match_start", cs2({ type: "match_start", teamId: undefined, payload: { bestOf: 3 } })],
    [
      "cs2 map_start",
      cs2({ type: "map_start", teamId: undefined, payload: { mapNumber: 1, mapName: "de_mirage", startingSide: "T" } }),
    ],
    [
      "cs2 round_start with equipment",
      cs2({
        type: "round_start",
        teamId: undefined,
        payload: { round: 1, equipmentValue: { team1: 4000, team2: 4250 } },
      }),
    ],
    ["cs2 round_start without equipment", cs2({ type: "round_start", teamId: undefined, payload: { round: 2 } })],
    ["cs2 bomb_planted", cs2({ type: "bomb_planted", teamId: 1, payload: { round: 4, site: "B" } })],
    ["cs2 round_end", cs2({ type: "round_end", payload: { round: 4, reason: "bomb_exploded" } })],
    ["cs2 map_end", cs2({ type: "map_end", payload: undefined })],
    ["cs2 match_end without winner", cs2({ type: "match_end", teamId: undefined, payload: undefined })],
    ["cs2 match_end with winner", cs2({ type: "match_end", teamId: 1, payload: {} })],
  ];

  it.each(valid)("%s", (_name, input) => {
    const result = parseEvent(input, NOW);
    expect(result).toEqual({ ok: true, event: expect.any(Object) });
  });

  it("returns the event without absent optional fields and with a lowercase eventId", () => {
    const result = parseEvent(
      football({
        eventId: "3F2B8C1E-9A4D-4E7B-8C2A-1D5E6F7A8B9C",
        type: "match_end",
        teamId: undefined,
        payload: undefined,
      }),
      NOW,
    );
    expect(result).toEqual({
      ok: true,
      event: {
        eventId: "3f2b8c1e-9a4d-4e7b-8c2a-1d5e6f7a8b9c",
        matchId: "epl-2026:ars.che",
        sport: "football",
        type: "match_end",
        timestamp: "2026-03-01T11:59:00Z",
      },
    });
  });

  it("defaults now to the current time", () => {
    const soon = new Date(Date.now() + 60 * 60 * 1000).toISOString();
    expect(parseEvent(football({ timestamp: soon })).ok).toBe(true);
  });
});

describe("parseEvent: invalid events", () => {
  const invalid: [string, unknown, string[]][] = [
    ["not an object", "goal", [""]],
    ["null", null, [""]],
    ["an array", [football()], [""]],
    ["unknown root field", football({ eventType: "goal" }), ["eventType"]],
    ["two unknown root fields", football({ a: 1, b: 2 }), ["a", "b"]],
    ["missing eventId", football({ eventId: undefined }), ["eventId"]],
    ["bad uuid", football({ eventId: "not-a-uuid" }), ["eventId"]],
    ["uuid without dashes", football({ eventId: "3f2b8c1e9a4d4e7b8c2a1d5e6f7a8b9c" }), ["eventId"]],
    ["empty matchId", football({ matchId: "" }), ["matchId"]],
    ["matchId with a space", football({ matchId: "ars che" }), ["matchId"]],
    ["matchId with a slash", football({ matchId: "a/b" }), ["matchId"]],
    ["matchId of 65 chars", football({ matchId: "m".repeat(65) }), ["matchId"]],
    ["numeric matchId", football({ matchId: 42 }), ["matchId"]],
    ["unknown sport", football({ sport: "tennis" }), ["sport"]],
    ["missing sport", football({ sport: undefined }), ["sport"]],
    ["unknown type for football", football({ type: "kill" }), ["type"]],
    ["unknown type for cs2", cs2({ type: "goal" }), ["type"]],
    ["missing type", football({ type: undefined }), ["type"]],
    ["missing teamId on a goal", football({ teamId: undefined }), ["teamId"]],
    ["missing teamId on a cs2 kill", cs2({ teamId: undefined }), ["teamId"]],
    [
      "missing teamId on a round_end",
      cs2({ type: "round_end", teamId: undefined, payload: { round: 1, reason: "time" } }),
      ["teamId"],
    ],
    ["teamId 3", football({ teamId: 3 }), ["teamId"]],
    ["teamId as string", football({ teamId: "1" }), ["teamId"]],
    ["payload.minute 131", football({ payload: { minute: 131 } }), ["payload.minute"]],
    ["payload.minute -1", football({ payload: { minute: -1 } }), ["payload.minute"]],
    ["payload.minute 12.5", football({ payload: { minute: 12.5 } }), ["payload.minute"]],
    ["missing payload.minute on a goal", football({ payload: {} }), ["payload.minute"]],
    ["missing payload on a goal", football({ payload: undefined }), ["payload.minute"]],
    ["ownGoal not a boolean", football({ payload: { minute: 3, ownGoal: "yes" } }), ["payload.ownGoal"]],
    ["period 6", football({ type: "period_start", teamId: undefined, payload: { period: 6 } }), ["payload.period"]],
    [
      "substitution without playerIn",
      football({ type: "substitution", payload: { minute: 50, playerOut: "b" } }),
      ["payload.playerIn"],
    ],
    ["unknown payload field", football({ payload: { minute: 12, scorer: "Saka" } }), ["payload.scorer"]],
    ["payload is an array", football({ payload: [1] }), ["payload"]],
    ["payload is a string", football({ payload: "minute=12" }), ["payload"]],
    ["payload too large", football({ payload: { minute: 12, blob: "x".repeat(PAYLOAD_MAX_BYTES) } }), ["payload"]],
    ["payload too large in UTF-8 only", football({ payload: { minute: 12, note: "€".repeat(3000) } }), ["payload"]],
    ["timestamp without offset", football({ timestamp: "2026-03-01T11:59:00" }), ["timestamp"]],
    ["timestamp without seconds", football({ timestamp: "2026-03-01T11:59Z" }), ["timestamp"]],
    ["timestamp as a date only", football({ timestamp: "2026-03-01" }), ["timestamp"]],
    ["timestamp as epoch millis", football({ timestamp: 1772366340000 }), ["timestamp"]],
    ["timestamp of an impossible date", football({ timestamp: "2026-02-30T10:00:00Z" }), ["timestamp"]],
    ["timestamp more than 24h in the future", football({ timestamp: "2026-03-02T12:00:01Z" }), ["timestamp"]],
    [
      "more than 24h ahead once the offset is applied",
      football({ timestamp: "2026-03-02T13:00:01+01:00" }),
      ["timestamp"],
    ],
    ["seq 0", football({ seq: 0 }), ["seq"]],
    ["seq 1.5", football({ seq: 1.5 }), ["seq"]],
    ["seq as string", football({ seq: "1" }), ["seq"]],
    ["empty playerId", football({ playerId: "" }), ["playerId"]],
    ["playerId of 65 chars", football({ playerId: "p".repeat(65) }), ["playerId"]],
    ["cs2 bestOf 2", cs2({ type: "match_start", teamId: undefined, payload: { bestOf: 2 } }), ["payload.bestOf"]],
    [
      "cs2 match_start without bestOf",
      cs2({ type: "match_start", teamId: undefined, payload: {} }),
      ["payload.bestOf"],
    ],
    [
      "cs2 startingSide X",
      cs2({ type: "map_start", teamId: undefined, payload: { mapNumber: 1, mapName: "de_nuke", startingSide: "X" } }),
      ["payload.startingSide"],
    ],
    [
      "cs2 mapNumber 0",
      cs2({ type: "map_start", teamId: undefined, payload: { mapNumber: 0, mapName: "de_nuke", startingSide: "CT" } }),
      ["payload.mapNumber"],
    ],
    ["cs2 round 0", cs2({ type: "round_start", teamId: undefined, payload: { round: 0 } }), ["payload.round"]],
    [
      "cs2 negative equipment",
      cs2({ type: "round_start", teamId: undefined, payload: { round: 1, equipmentValue: { team1: -1, team2: 0 } } }),
      ["payload.equipmentValue.team1"],
    ],
    [
      "cs2 equipment as a pair",
      cs2({ type: "round_start", teamId: undefined, payload: { round: 1, equipmentValue: [1, 2] } }),
      ["payload.equipmentValue"],
    ],
    [
      "cs2 unknown equipment field",
      cs2({
        type: "round_start",
        teamId: undefined,
        payload: { round: 1, equipmentValue: { team1: 1, team2: 2, team3: 3 } },
      }),
      ["payload.equipmentValue.team3"],
    ],
    ["cs2 round_end reason", cs2({ type: "round_end", payload: { round: 1, reason: "defuse" } }), ["payload.reason"]],
    ["cs2 kill without weapon", cs2({ payload: { round: 3, victimPlayerId: "x" } }), ["payload.weapon"]],
    [
      "cs2 payload field on match_end",
      cs2({ type: "match_end", teamId: undefined, payload: { mapsWon: [2, 1] } }),
      ["payload.mapsWon"],
    ],
  ];

  it.each(invalid)("%s", (_name, input, expected) => {
    const result = parseEvent(input, NOW);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(paths(result.issues)).toEqual(expected);
    for (const issue of result.issues) expect(issue.message.length).toBeGreaterThan(0);
  });

  it("says an unknown field is not allowed", () => {
    const result = parseEvent(football({ eventType: "goal", payload: { minute: 1, scorer: "x" } }), NOW);
    expect(result).toEqual({
      ok: false,
      issues: [
        { path: "eventType", message: 'field "eventType" is not allowed' },
        { path: "payload.scorer", message: 'field "scorer" is not allowed' },
      ],
    });
  });

  it("says required and names the rule", () => {
    const result = parseEvent(football({ eventId: undefined, teamId: undefined }), NOW);
    expect(result).toEqual({
      ok: false,
      issues: [
        { path: "eventId", message: "is required" },
        { path: "teamId", message: "is required for goal events" },
      ],
    });
  });

  it("says required for missing payload fields too", () => {
    const result = parseEvent(cs2({ payload: { round: 1 } }), NOW);
    expect(result).toEqual({
      ok: false,
      issues: [
        { path: "payload.victimPlayerId", message: "is required" },
        { path: "payload.weapon", message: "is required" },
      ],
    });
  });

  it("names the allowed values", () => {
    const team = parseEvent(football({ teamId: 3 }), NOW);
    expect(team.ok || team.issues).toEqual([{ path: "teamId", message: "must be 1 or 2" }]);
    const bestOf = parseEvent(cs2({ type: "match_start", teamId: undefined, payload: { bestOf: 2 } }), NOW);
    expect(bestOf.ok || bestOf.issues).toEqual([{ path: "payload.bestOf", message: "must be 1, 3 or 5" }]);
  });

  it("returns every issue at once: envelope, team and payload", () => {
    const result = parseEvent(
      football({
        eventId: "x",
        matchId: "",
        timestamp: "2030-01-01T00:00:00Z",
        seq: 0,
        teamId: undefined,
        payload: { minute: 131, extra: 1 },
        foo: 1,
      }),
      NOW,
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(paths(result.issues).sort()).toEqual(
      ["eventId", "foo", "matchId", "payload.extra", "payload.minute", "seq", "teamId", "timestamp"].sort(),
    );
  });

  it("skips the per-type payload check when the payload itself is rejected", () => {
    const result = parseEvent(football({ payload: { blob: "x".repeat(PAYLOAD_MAX_BYTES) } }), NOW);
    expect(result.ok || paths(result.issues)).toEqual(["payload"]);
  });

  it("does not resolve sports through the prototype chain", () => {
    const result = parseEvent(football({ sport: "constructor", type: "goal" }), NOW);
    expect(result.ok || paths(result.issues)).toEqual(["sport"]);
  });
});

describe("eventSchema", () => {
  it("documents a strict envelope", () => {
    expect(eventSchema.safeParse(football()).success).toBe(true);
    expect(eventSchema.safeParse(football({ extra: 1 })).success).toBe(false);
  });

  it("validates fast enough to run on every event", () => {
    const events = Array.from({ length: 20_000 }, (_, i) => football({ seq: i + 1, payload: { minute: i % 90 } }));
    const start = performance.now();
    for (const e of events) parseEvent(e, NOW);
    const perEventMs = (performance.now() - start) / events.length;
    expect(perEventMs).toBeLessThan(0.2); // generous: measured ~0.005 ms
  });
});

describe("parseEvent: what the stores cannot keep is rejected at the edge", () => {
  const issueAt = (input: unknown, path: string) => {
    const r = parseEvent(input, NOW);
    expect(r.ok, JSON.stringify(input)).toBe(false);
    const issues = r.ok ? [] : r.issues;
    expect(paths(issues)).toContain(path);
    return issues.find((i) => i.path === path)?.message ?? "";
  };

  it("rejects strings that are not valid Unicode anywhere, naming the field and why", () => {
    expect(issueAt(cs2({ playerId: "\ud800" }), "playerId")).toMatch(/not valid Unicode/);
    expect(issueAt(cs2({ playerId: "ab\udc00" }), "playerId")).toMatch(/lone UTF-16 surrogate/);
    expect(
      issueAt(cs2({ payload: { round: 3, victimPlayerId: "x\ud83d", weapon: "ak47" } }), "payload.victimPlayerId"),
    ).toMatch(/not valid Unicode/);
    const badKey = issueAt(football({ payload: { minute: 12, "\udfff": 1 } }), "payload");
    expect(badKey).toMatch(/field name that is not valid Unicode/);
    expect(badKey).not.toContain("\udfff");
    // A well-formed pair (an emoji) is valid Unicode.
    expect(parseEvent(cs2({ playerId: "zywoo\ud83d\ude00" }), NOW).ok).toBe(true);
  });

  it("keeps source timestamps in the window the event log can keep: 1900-01-01 up to 24 h ahead", () => {
    expect(issueAt(football({ timestamp: "0001-01-01T00:00:00Z" }), "timestamp")).toMatch(/before 1900-01-01/);
    expect(issueAt(football({ timestamp: "1899-12-31T23:59:59Z" }), "timestamp")).toMatch(/before 1900-01-01/);
    expect(issueAt(football({ timestamp: "0000-01-01T00:00:00Z" }), "timestamp")).toBeTruthy();
    // Replays of real old matches stay accepted.
    expect(parseEvent(football({ timestamp: "1900-01-01T00:00:00Z" }), NOW).ok).toBe(true);
    expect(parseEvent(football({ timestamp: "2018-07-15T16:45:00+03:00" }), NOW).ok).toBe(true);
  });

  it("bounds seq to the event log's UInt32 and payload numbers to their columns", () => {
    expect(parseEvent(football({ seq: 4_294_967_295 }), NOW).ok).toBe(true);
    expect(issueAt(football({ seq: 4_294_967_296 }), "seq")).toMatch(/<= 4294967295/);
    expect(issueAt(football({ seq: 1e300 }), "seq")).toBeTruthy();
    // cs2_rounds keeps round as UInt16 and mapNumber as UInt8: the payload schemas stay inside them.
    expect(
      issueAt(cs2({ payload: { round: 65_536, victimPlayerId: "s1mple", weapon: "ak47" } }), "payload.round"),
    ).toBeTruthy();
    expect(issueAt(cs2({ type: "map_end", payload: { mapNumber: 256 } }), "payload.mapNumber")).toBeTruthy();
    expect(issueAt(football({ payload: { minute: 1e20 } }), "payload.minute")).toBeTruthy();
  });

  it('rejects the match ids "." and "..", which a URL path cannot carry', () => {
    expect(issueAt(football({ matchId: "." }), "matchId")).toMatch(/URL path/);
    expect(issueAt(football({ matchId: ".." }), "matchId")).toMatch(/URL path/);
    expect(parseEvent(football({ matchId: "..." }), NOW).ok).toBe(true);
    expect(parseEvent(football({ matchId: ".a" }), NOW).ok).toBe(true);
  });
});

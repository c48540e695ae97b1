import { describe, expect, it } from "vitest";
import { MATCH_ID_PATTERN, parseEvent } from "../../shared/contract/event";
import { football } from "../../shared/sports/football";
import type { FootballState } from "../../shared/sports/football/state";
import type { MatchEvent } from "../../shared/sports/sport";
import { footballMatchId, replayFootball } from "./replay-football";

const RESULTS = `date,home_team,away_team,home_score,away_score,tournament,city,country,neutral
2021-06-11,Turkey,Italy,0,3,UEFA Euro,Rome,Italy,TRUE
2021-06-12,Côte d'Ivoire,Bosnia and Herzegovina,2,1,Friendly,"Washington, D.C.",United States,FALSE
2021-06-29,Sweden,Ukraine,1,2,UEFA Euro,Glasgow,Scotland,TRUE
2020-11-11,Andorra,San Marino,1,0,Friendly,Andorra la Vella,Andorra,FALSE
2021-09-01,Malta,Cyprus,0,0,Friendly,Ta' Qali,Malta,FALSE
2021-10-07,Latvia,Gibraltar,2,0,Friendly,Riga,Latvia,FALSE
`;

const GOALS = `date,home_team,away_team,team,scorer,minute,own_goal,penalty
2021-06-11,Turkey,Italy,Italy,Merih Demiral,53,TRUE,FALSE
2021-06-11,Turkey,Italy,Italy,Ciro Immobile,66,FALSE,FALSE
2021-06-11,Turkey,Italy,Italy,Lorenzo Insigne,79,FALSE,FALSE
2021-06-12,Côte d'Ivoire,Bosnia and Herzegovina,Côte d'Ivoire,"Wilfried ""Willy"" Zaha",45,FALSE,TRUE
2021-06-12,Côte d'Ivoire,Bosnia and Herzegovina,Bosnia and Herzegovina,Edin Džeko,45,FALSE,FALSE
2021-06-12,Côte d'Ivoire,Bosnia and Herzegovina,Côte d'Ivoire,Sébastien Haller,90,FALSE,FALSE
2021-06-29,Sweden,Ukraine,Ukraine,Oleksandr Zinchenko,27,FALSE,FALSE
2021-06-29,Sweden,Ukraine,Sweden,Emil Forsberg,43,FALSE,FALSE
2021-06-29,Sweden,Ukraine,Ukraine,Artem Dovbyk,121,FALSE,FALSE
2021-10-07,Latvia,Gibraltar,Latvia,Someone,NA,FALSE,FALSE
2021-10-07,Latvia,Gibraltar,Latvia,Someone Else,12,FALSE,FALSE
`;

const NOW = new Date("2030-01-01T00:00:00Z");
const goals = (events: MatchEvent[]) => events.filter((e) => e.type === "goal");
const finalState = (events: MatchEvent[]) =>
  events.reduce((s, e) => football.applyEvent(s, e), football.initialState()) as FootballState;

describe("replayFootball", () => {
  it("replays matches with complete goal data by default, in file order", () => {
    const matches = replayFootball(RESULTS, GOALS);
    expect(matches.map((m) => m.matchId)).toEqual([
      "fb-2021-06-11-Turkey-Italy",
      "fb-2021-06-12-Cote_d_Ivoire-Bosnia_and_Herzegovina",
      "fb-2021-06-29-Sweden-Ukraine",
      "fb-2021-09-01-Malta-Cyprus", // 0-0 needs no goal rows
    ]);
    expect(matches[0]).toMatchObject({
      home: "Turkey",
      away: "Italy",
      tournament: "UEFA Euro",
      neutral: true,
      score: [0, 3],
      complete: true,
    });
  });

  it("emits valid events, numbered in order, ending at the recorded score", () => {
    for (const m of replayFootball(RESULTS, GOALS, { includeIncomplete: true })) {
      m.events.forEach((e, i) => {
        const result = parseEvent(e, NOW);
        expect(result.ok, `${m.matchId} ${JSON.stringify(e)} ${JSON.stringify(!result.ok && result.issues)}`).toBe(
          true,
        );
        expect(e.seq).toBe(i + 1);
        expect(e.matchId).toBe(m.matchId);
      });
      const state = finalState(m.events);
      expect(state.status).toBe("finished");
      expect(state.score).toEqual(m.score);
    }
  });

  it("puts goals at their minutes with the credited team, own-goal and penalty flags", () => {
    const [turkeyItaly, ivoryCoast] = replayFootball(RESULTS, GOALS);
    const g = goals(turkeyItaly!.events);
    expect(g.map((e) => [e.teamId, e.payload?.minute])).toEqual([
      [2, 53],
      [2, 66],
      [2, 79],
    ]);
    expect(g[0]!.payload).toEqual({ minute: 53, ownGoal: true });
    expect(g[0]!.playerId).toBeUndefined(); // the own goal's scorer plays for the other team
    expect(g[1]!.playerId).toBe("Ciro Immobile");

    const ic = goals(ivoryCoast!.events);
    expect(ic.map((e) => [e.teamId, e.payload?.minute, e.payload?.penalty ?? false])).toEqual([
      [1, 45, true],
      [2, 45, false],
      [1, 90, false],
    ]);
    expect(ic[0]!.playerId).toBe('Wilfried "Willy" Zaha');
    // Minute 45 belongs to the first half, 90 to the second.
    const halfTime = Date.parse(ivoryCoast!.events.find((e) => e.type === "period_end")!.timestamp);
    expect(Date.parse(ic[1]!.timestamp)).toBeLessThan(halfTime);
    expect(Date.parse(ic[2]!.timestamp)).toBeGreaterThan(halfTime);
  });

  it("kicks off at 15:00 UTC on the match date with fixed halves and a 15-minute break", () => {
    const [m] = replayFootball(RESULTS, GOALS);
    const lifecycle = m!.events.filter((e) => e.teamId === undefined);
    expect(lifecycle.map((e) => [e.type, e.timestamp, e.payload?.period])).toEqual([
      ["match_start", "2021-06-11T15:00:00.000Z", undefined],
      ["period_start", "2021-06-11T15:00:00.000Z", 1],
      ["period_end", "2021-06-11T15:47:00.000Z", 1],
      ["period_start", "2021-06-11T16:02:00.000Z", 2],
      ["period_end", "2021-06-11T16:51:00.000Z", 2],
      ["match_end", "2021-06-11T16:51:00.000Z", undefined],
    ]);
    expect(replayFootball(RESULTS, GOALS, { kickoffUtc: "19:45" })[0]!.events[0]!.timestamp).toBe(
      "2021-06-11T19:45:00.000Z",
    );
  });

  it("plays extra time when a goal comes after minute 90", () => {
    const sweden = replayFootball(RESULTS, GOALS).find((m) => m.matchId === "fb-2021-06-29-Sweden-Ukraine")!;
    const periods = sweden.events.filter((e) => e.type === "period_start").map((e) => e.payload?.period);
    expect(periods).toEqual([1, 2, 3, 4]);
    const winner = goals(sweden.events).at(-1)!;
    expect(winner.payload?.minute).toBe(121);
    const p4 = sweden.events.filter((e) => e.payload?.period === 4);
    expect(Date.parse(winner.timestamp)).toBeGreaterThan(Date.parse(p4[0]!.timestamp));
    expect(Date.parse(winner.timestamp)).toBeLessThan(Date.parse(p4[1]!.timestamp));
    expect(sweden.events.at(-1)).toMatchObject({ type: "match_end", payload: { minute: 121 } });
  });

  it("filters by date, inclusive", () => {
    expect(replayFootball(RESULTS, GOALS, { from: "2021-06-12", to: "2021-06-29" }).map((m) => m.date)).toEqual([
      "2021-06-12",
      "2021-06-29",
    ]);
  });

  it("can include incomplete matches, spreading the goals it cannot place", () => {
    const all = replayFootball(RESULTS, GOALS, { includeIncomplete: true });
    expect(all).toHaveLength(6);
    const andorra = all.find((m) => m.home === "Andorra")!;
    expect(andorra.complete).toBe(false);
    expect(goals(andorra.events).map((e) => [e.teamId, e.payload?.minute])).toEqual([[1, 45]]);
    const latvia = all.find((m) => m.home === "Latvia")!;
    // One goal at 12 from the data, the one without a minute invented.
    expect(goals(latvia.events).map((e) => e.payload?.minute)).toEqual([12, 45]);
  });

  it("derives the same eventIds on every replay, different ones per match", () => {
    const a = replayFootball(RESULTS, GOALS);
    const b = replayFootball(RESULTS.replace(/\n/g, "\r\n"), GOALS.replace(/\n/g, "\r\n"));
    expect(b).toEqual(a);
    const ids = a.flatMap((m) => m.events.map((e) => e.eventId));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("sanitises matchIds to the contract's pattern and keeps long ones unique", () => {
    const long = footballMatchId("1981-10-19", "Saint Vincent and the Grenadines", "Trinidad and Tobago");
    const other = footballMatchId("1981-10-19", "Saint Vincent and the Grenadines", "Trinidad and Tobago B");
    expect(long).toMatch(MATCH_ID_PATTERN);
    expect(long.length).toBeLessThanOrEqual(64);
    expect(long).not.toBe(other);
    expect(footballMatchId("1990-01-01", "São Tomé and Príncipe", "Curaçao")).toBe(
      "fb-1990-01-01-Sao_Tome_and_Principe-Curacao",
    );
  });

  it("tells apart two results rows with the same date and teams", () => {
    const twice = `date,home_team,away_team,home_score,away_score,tournament,city,country,neutral
1974-02-17,Tahiti,New Caledonia,2,1,Friendly,Papeete,Tahiti,FALSE
1974-02-17,Tahiti,New Caledonia,1,2,Friendly,Papeete,Tahiti,FALSE
`;
    const header = "date,home_team,away_team,team,scorer,minute,own_goal,penalty\n";
    expect(replayFootball(twice, header)).toHaveLength(0); // their goal rows could not be told apart
    const both = replayFootball(twice, header, { includeIncomplete: true });
    expect(both.map((m) => m.matchId)).toEqual([
      "fb-1974-02-17-Tahiti-New_Caledonia",
      "fb-1974-02-17-Tahiti-New_Caledonia-2",
    ]);
    expect(both.map((m) => finalState(m.events).score)).toEqual([
      [2, 1],
      [1, 2],
    ]);
  });
});

// Football match simulator: a whole match (two halves with stoppage time) as contract-v1 events.
// PURE and deterministic: the same options give the same events, eventIds included.
//
// Goals: each team scores as a Poisson process per match minute with intensity
//   λ_i / 97 · w(t) · state_i · red_i
// λ_i = expected goals per match from the Elo difference (log λ = ln 1.3 ± 0.8·x, x = (elo1 − elo2 + 100·home)/400),
// w(t) rises through the match (0.75 → 1.25), state_i nudges the trailing team up and the leader down, and a
// red card weakens the short-handed side. 97 ≈ minutes played including average stoppage time, so λ_i is
// per match. The constants are the simulator's own (not the fitted model's), so the model can be checked on them.

import { type Rng, seededRng } from "../../shared/random";
import type { MatchEvent, TeamSide } from "../../shared/sports/sport";
import { type DraftEvent, toMatchEvents } from "./draft-events";

export interface FootballSimOptions {
  matchId: string;
  seed: number | string;
  /** Pre-match Elo rating of team 1, the home side. */
  team1Rating: number;
  team2Rating: number;
  /** Kick-off instant: timestamps are kickoff + match clock (half-time break included). */
  kickoff: Date;
  /** No home advantage when true. */
  neutral?: boolean;
}

const HOME_ADVANTAGE_ELO = 100;
const GOALS_LEVEL = 1.3;
const GOALS_SLOPE = 0.8;
const MINUTES_PLAYED = 97;
const HALF_TIME_MS = 15 * 60_000;
const MINUTE_MS = 60_000;
const MAX_SUBSTITUTIONS = 5;
/** Both teams together: about 950 passes a match. */
const PASSES_PER_MINUTE = 10;
const SQUAD_SIZE = 23;
/** A team with fewer than 7 players is abandoned; the simulator stops sending players off before that. */
const MIN_PLAYERS = 8;

/** Expected goals per match [team 1, team 2] from the pre-match ratings. */
export function expectedGoals(team1Rating: number, team2Rating: number, neutral = false): [number, number] {
  const x = (team1Rating - team2Rating + (neutral ? 0 : HOME_ADVANTAGE_ELO)) / 400;
  const clamp = (v: number) => Math.min(5, Math.max(0.15, v));
  return [clamp(GOALS_LEVEL * Math.exp(GOALS_SLOPE * x)), clamp(GOALS_LEVEL * Math.exp(-GOALS_SLOPE * x))];
}

interface Team {
  side: TeamSide;
  goalsPerMatch: number;
  /** Share of the passes (possession). */
  share: number;
  onPitch: number[];
  bench: number[];
  cautioned: Set<number>;
  sentOff: number;
  substitutions: number;
  goals: number;
  /** Planned substitution windows: label minute → players to change (46 = at half-time). */
  subWindows: Map<number, number>;
}

const playerId = (team: TeamSide, shirt: number) => `t${team}-${shirt}`;
const other = (team: TeamSide): TeamSide => (team === 1 ? 2 : 1);

function newTeam(side: TeamSide, goalsPerMatch: number, share: number, rng: Rng): Team {
  const shirts = Array.from({ length: SQUAD_SIZE }, (_, i) => i + 1);
  return {
    side,
    goalsPerMatch,
    share,
    onPitch: shirts.slice(0, 11),
    bench: shirts.slice(11),
    cautioned: new Set(),
    sentOff: 0,
    substitutions: 0,
    goals: 0,
    subWindows: planSubstitutions(rng),
  };
}

/** Most teams use 3–5 substitutions, in at most three in-play windows, sometimes one at half-time. */
function planSubstitutions(rng: Rng): Map<number, number> {
  let count = [3, 4, 5][rng.weighted([0.2, 0.35, 0.45])]!;
  const windows = new Map<number, number>();
  if (rng.chance(0.3)) {
    const atHalfTime = rng.int(1, 2);
    windows.set(46, atHalfTime);
    count -= atHalfTime;
  }
  const inPlay = Math.min(3, count, rng.int(1, 3));
  const minutes = new Set<number>();
  while (minutes.size < inPlay) minutes.add(rng.int(55, 89));
  const sorted = [...minutes].sort((a, b) => a - b);
  sorted.forEach((m, i) => {
    // Spread the remaining players over the windows, the last window taking what is left.
    const n = i === sorted.length - 1 ? count : Math.max(1, Math.min(count - (sorted.length - 1 - i), rng.int(1, 2)));
    windows.set(m, (windows.get(m) ?? 0) + n);
    count -= n;
  });
  return windows;
}

/** Goal intensity profile: rises through the match, mean 1 over 90 minutes. */
const profile = (minute: number) => 0.75 + (0.5 * minute) / 90;

/** Trailing teams push, leaders sit back a little. */
function stateFactor(own: number, opponent: number): number {
  return own < opponent ? 1.12 : own > opponent ? 0.92 : 1;
}

/** Each missing player costs a quarter of the attack and gives the opponent a bit more. */
const redFactor = (team: Team, opponent: Team) => 0.75 ** team.sentOff * 1.15 ** opponent.sentOff;

export function simulateFootball(options: FootballSimOptions): MatchEvent[] {
  const { matchId, seed, kickoff } = options;
  const rng = seededRng("football", seed, matchId);
  const neutral = options.neutral ?? false;
  const [xg1, xg2] = expectedGoals(options.team1Rating, options.team2Rating, neutral);
  const x = (options.team1Rating - options.team2Rating + (neutral ? 0 : HOME_ADVANTAGE_ELO)) / 400;
  const share1 = 0.5 + 0.12 * Math.tanh(x);
  const teams: Record<TeamSide, Team> = { 1: newTeam(1, xg1, share1, rng), 2: newTeam(2, xg2, 1 - share1, rng) };

  const stoppage: [number, number] = [1 + Math.min(3, rng.poisson(1.2)), 2 + Math.min(6, rng.poisson(2.5))];
  const halfLengthMs = stoppage.map((s) => (45 + s) * MINUTE_MS) as [number, number];
  const halfStartMs: [number, number] = [0, halfLengthMs[0] + HALF_TIME_MS];
  const drafts: DraftEvent[] = [];

  /** Payload minute: stoppage time counts as 45 or 90, as in the results data the model is fitted on. */
  const minuteAt = (half: 1 | 2, msIntoHalf: number) =>
    half === 1
      ? Math.min(45, Math.floor(msIntoHalf / MINUTE_MS) + 1)
      : Math.min(90, 45 + Math.floor(msIntoHalf / MINUTE_MS) + 1);

  for (const half of [1, 2] as const) {
    const start = halfStartMs[half === 1 ? 0 : 1];
    const length = halfLengthMs[half === 1 ? 0 : 1];
    // Events stay strictly inside the half, so period_start/period_end bracket them.
    const at = (ms: number) => Math.min(length - 500, Math.max(500, ms));
    const draft = (ms: number, type: string, team: TeamSide, payload: Record<string, unknown>, player?: number) => {
      const msIn = at(ms);
      const event: DraftEvent = {
        atMs: start + msIn,
        type,
        teamId: team,
        payload: { minute: minuteAt(half, msIn), ...payload },
      };
      if (player !== undefined) event.playerId = playerId(team, player);
      drafts.push(event);
    };

    // Happenings run in time order, so who is on the pitch is always right at the moment an event names
    // a player; follow-ups (cards, free kicks) are scheduled like anything else.
    const queue: { t: number; order: number; run: (t: number) => void }[] = [];
    let order = 0;
    const schedule = (t: number, run: (t: number) => void) => queue.push({ t: at(t), order: order++, run });
    const runUntil = (end: number) => {
      for (;;) {
        queue.sort((a, b) => a.t - b.t || a.order - b.order);
        const next = queue[0];
        if (next === undefined || next.t >= end) return;
        queue.shift();
        next.run(next.t);
      }
    };
    /** Players named by an event still to come (a goal right after its shot) are not substituted before it. */
    const busyUntil = new Map<string, number>();
    const anyPlayer = (team: Team) => rng.pick(team.onPitch);
    // Goalkeepers (shirt 1) neither shoot nor score here.
    const outfielder = (team: Team) => {
      const field = team.onPitch.filter((s) => s !== 1);
      return rng.pick(field.length > 0 ? field : team.onPitch);
    };
    const sendOff = (team: Team, shirt: number) => {
      team.onPitch = team.onPitch.filter((s) => s !== shirt);
      team.sentOff++;
    };
    const caution = (team: Team, shirt: number, reason: string) => (t: number) => {
      // Booked players tread carefully; and a second yellow is not given once the team is down to the minimum.
      if (!team.onPitch.includes(shirt) || (team.cautioned.has(shirt) && team.onPitch.length <= MIN_PLAYERS)) return;
      draft(t, "yellow_card", team.side, { reason }, shirt);
      if (team.cautioned.has(shirt)) {
        // Feeds follow a second yellow with the red; the reducer counts the player off once.
        draft(t + 1000, "red_card", team.side, { reason: "second yellow card" }, shirt);
        sendOff(team, shirt);
      } else team.cautioned.add(shirt);
    };
    const straightRed = (team: Team, shirt: number) => (t: number) => {
      if (!team.onPitch.includes(shirt) || team.onPitch.length <= MIN_PLAYERS) return;
      draft(t, "red_card", team.side, { reason: "serious foul play" }, shirt);
      sendOff(team, shirt);
    };
    const freeKick = (team: Team) => (t: number) => draft(t, "free_kick", team.side, {}, anyPlayer(team));
    const goal = (team: Team, kind: "open_play" | "penalty") => (t: number) => {
      const scorer = outfielder(team);
      draft(t, "shot", team.side, { onTarget: true }, scorer);
      draft(t + 1500, "goal", team.side, kind === "penalty" ? { penalty: true } : {}, scorer);
      busyUntil.set(playerId(team.side, scorer), t + 1500);
      team.goals++;
    };
    const substitutions = (team: Team, count: number) => (t: number) => {
      for (let i = 0; i < count && team.substitutions < MAX_SUBSTITUTIONS; i++) {
        // Neither the goalkeeper, nor a player who came on earlier, nor one about to score.
        const candidates = team.onPitch.filter(
          (s) => s !== 1 && s <= 11 && (busyUntil.get(playerId(team.side, s)) ?? -1) < t,
        );
        const playerIn = team.bench.shift();
        if (candidates.length === 0 || playerIn === undefined) return;
        const playerOut = rng.pick(candidates);
        team.onPitch = team.onPitch.map((s) => (s === playerOut ? playerIn : s));
        team.substitutions++;
        draft(
          t + i,
          "substitution",
          team.side,
          { playerIn: playerId(team.side, playerIn), playerOut: playerId(team.side, playerOut) },
          playerIn,
        );
      }
    };

    if (half === 1) drafts.push({ atMs: 0, type: "match_start", payload: { minute: 0 } });
    drafts.push({ atMs: start, type: "period_start", payload: { period: half, minute: half === 1 ? 0 : 45 } });

    const bins = 45 + stoppage[half === 1 ? 0 : 1];
    for (let bin = 0; bin < bins; bin++) {
      const binStart = bin * MINUTE_MS;
      const label = minuteAt(half, binStart);
      const when = () => binStart + rng.between(500, MINUTE_MS - 500);

      for (const side of [1, 2] as const) {
        const team = teams[side];
        const opp = teams[other(side)];

        // Half-time changes (46) happen before the restart, the others during the minute.
        const subs = team.subWindows.get(label);
        if (subs !== undefined) {
          team.subWindows.delete(label);
          schedule(label === 46 ? 0 : when(), substitutions(team, subs));
        }

        // Rates come from the state at the start of the minute.
        const goalRate =
          (team.goalsPerMatch / MINUTES_PLAYED) *
          profile(label) *
          stateFactor(team.goals, opp.goals) *
          redFactor(team, opp);
        const strength = Math.sqrt(team.goalsPerMatch / GOALS_LEVEL) * 0.85 ** team.sentOff;

        for (let g = rng.poisson(goalRate); g > 0; g--) {
          const kind = rng.weighted([0.87, 0.1, 0.03]);
          if (kind === 0) schedule(when(), goal(team, "open_play"));
          else if (kind === 2) {
            schedule(when(), (t) => {
              draft(t, "goal", side, { ownGoal: true });
              team.goals++;
            });
          } else {
            // A penalty: the foul in the box, perhaps a card, then the kick about 50 s later.
            schedule(when(), (t) => {
              const fouler = anyPlayer(opp);
              draft(t, "foul", opp.side, { reason: "foul in the penalty area" }, fouler);
              if (rng.chance(0.35))
                schedule(t + rng.between(3000, 8000), caution(opp, fouler, "foul in the penalty area"));
              schedule(t + 50_000, goal(team, "penalty"));
            });
          }
        }
        for (let n = rng.poisson((10.5 / MINUTES_PLAYED) * strength * profile(label)); n > 0; n--) {
          schedule(when(), (t) => draft(t, "shot", side, { onTarget: rng.chance(0.3) }, outfielder(team)));
        }
        for (let n = rng.poisson(PASSES_PER_MINUTE * team.share * 0.95 ** team.sentOff); n > 0; n--) {
          schedule(when(), (t) => draft(t, "pass", side, {}, anyPlayer(team)));
        }
        for (let n = rng.poisson(10 / MINUTES_PLAYED); n > 0; n--) {
          schedule(when(), (t) => draft(t, "interception", side, {}, anyPlayer(team)));
        }
        for (let n = rng.poisson((5 / MINUTES_PLAYED) * strength); n > 0; n--) {
          schedule(when(), (t) => draft(t, "corner", side, {}, outfielder(team)));
        }
        for (let n = rng.poisson(2 / MINUTES_PLAYED); n > 0; n--) {
          schedule(when(), (t) => {
            draft(t, "offside", side, {}, outfielder(team));
            schedule(t + rng.between(10_000, 30_000), freeKick(opp));
          });
        }
        for (let n = rng.poisson(11 / MINUTES_PLAYED); n > 0; n--) {
          schedule(when(), (t) => {
            const fouler = anyPlayer(team);
            draft(t, "foul", side, {}, fouler);
            const cardAt = t + rng.between(3000, 8000);
            if (rng.chance(0.003)) schedule(cardAt, straightRed(team, fouler));
            else if (rng.chance(team.cautioned.has(fouler) ? 0.05 : 0.18))
              schedule(cardAt, caution(team, fouler, "unsporting behaviour"));
            schedule(t + rng.between(10_000, 30_000), freeKick(opp));
          });
        }
      }
      runUntil(binStart + MINUTE_MS);
    }
    // Follow-ups clamped to the last moments of the half.
    runUntil(Infinity);
    drafts.push({ atMs: start + length, type: "period_end", payload: { period: half, minute: half === 1 ? 45 : 90 } });
  }
  drafts.push({ atMs: halfStartMs[1] + halfLengthMs[1], type: "match_end", payload: { minute: 90 } });

  return toMatchEvents(drafts, {
    matchId,
    sport: "football",
    start: kickoff,
    ids: seededRng("football-ids", seed, matchId),
  });
}

// The room's persisted record: versioned and upcast on load, so a deploy that changes its shape (or
// adds a field to a sport's state) reads existing rooms correctly. Pure: no storage here.
import { GAPS_IN_VIEW, type MatchStateView } from "../../shared/contract/live-protocol";
import { type Prediction, predictionSchema } from "../../shared/contract/prediction";
import type { BaseSportState, SportModule, TeamStrength } from "../../shared/sports/sport";
import { type Gap, initialSequencing, type Sequencing } from "./sequencer";

export const RECORD_VERSION = 2;

export const DEFAULT_RATING = 1500;
/** Two 1500-rated teams, team 1 at home: a match or team the metadata store does not know. */
export const DEFAULT_STRENGTH: TeamStrength = { rating: [DEFAULT_RATING, DEFAULT_RATING], neutral: false };

export interface RoomRecord {
  /** 2: `sportState` (was `live`), `seqErrors`, `log`. Records without a version are version 1. */
  version: typeof RECORD_VERSION;
  matchId: string;
  sport: string;
  /** Update counter: +1 per applied event; frames carry it and clients resume from it. */
  seq: number;
  /** Highest source seq applied (wild seqs excluded). */
  lastSeq: number;
  eventsApplied: number;
  lateEvents: number;
  /** Events applied in arrival order because their seq was implausibly far ahead (see sequencer). */
  seqErrors: number;
  sequencing: Sequencing;
  /**
   * The event log (log.ts): the last position used, and whether it holds every applied event. Rooms
   * from before the log have an incomplete one: corrections are ignored there, late events go at the end.
   * `pendingTargets`: events that corrections name but that have not arrived (re-folded when they do).
   */
  log: { end: number; complete: boolean; pendingTargets: string[] };
  updatedAt: string | null;
  sportState: BaseSportState;
  prediction: Prediction | null;
  strength: TeamStrength;
  /** Set while the strength is a stand-in because the metadata store was unreachable: when to ask again. */
  strengthRetryAt?: number;
}

export function newRecord(matchId: string, sport: SportModule, strength: TeamStrength): RoomRecord {
  return {
    version: RECORD_VERSION,
    matchId,
    sport: sport.sport,
    seq: 0,
    lastSeq: 0,
    eventsApplied: 0,
    lateEvents: 0,
    seqErrors: 0,
    sequencing: initialSequencing(),
    log: { end: 0, complete: true, pendingTargets: [] },
    updatedAt: null,
    sportState: sport.initialState(),
    prediction: null,
    strength,
  };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const num = (v: unknown, fallback: number): number => (typeof v === "number" && Number.isFinite(v) ? v : fallback);

const isGap = (g: unknown): g is Gap => isObject(g) && typeof g.from === "number" && typeof g.to === "number";

function strengthOf(v: unknown): TeamStrength {
  if (!isObject(v) || !Array.isArray(v.rating)) return DEFAULT_STRENGTH;
  return { rating: [num(v.rating[0], DEFAULT_RATING), num(v.rating[1], DEFAULT_RATING)], neutral: v.neutral === true };
}

/**
 * Reads a stored record of any version. The sport's state is laid over its initial state, so a field
 * added to the sport since the record was written starts at its initial value instead of undefined.
 * Null when the stored value is not a record of a known sport (nothing is guessed).
 */
export function upcastRecord(stored: unknown, sportOf: (name: string) => SportModule | undefined): RoomRecord | null {
  if (!isObject(stored) || typeof stored.matchId !== "string" || typeof stored.sport !== "string") return null;
  const sport = sportOf(stored.sport);
  if (!sport) return null;
  // Version 1 (no `version`) kept the sport's state in `live`.
  const state = stored.version === undefined ? stored.live : stored.sportState;
  const sequencing = isObject(stored.sequencing) ? stored.sequencing : {};
  return {
    version: RECORD_VERSION,
    matchId: stored.matchId,
    sport: sport.sport,
    seq: num(stored.seq, 0),
    lastSeq: num(stored.lastSeq, 0),
    eventsApplied: num(stored.eventsApplied, 0),
    lateEvents: num(stored.lateEvents, 0),
    seqErrors: num(stored.seqErrors, 0),
    sequencing: {
      ...initialSequencing(),
      nextSeq: num(sequencing.nextSeq, 1),
      gaps: Array.isArray(sequencing.gaps) ? sequencing.gaps.filter(isGap) : [],
      ...(typeof sequencing.forgottenGaps === "number" ? { forgottenGaps: sequencing.forgottenGaps } : {}),
    },
    log:
      isObject(stored.log) && typeof stored.log.end === "number"
        ? {
            end: stored.log.end,
            complete: stored.log.complete === true,
            pendingTargets: Array.isArray(stored.log.pendingTargets)
              ? stored.log.pendingTargets.filter((t) => typeof t === "string")
              : [],
          }
        : { end: 0, complete: num(stored.seq, 0) === 0, pendingTargets: [] },
    updatedAt: typeof stored.updatedAt === "string" ? stored.updatedAt : null,
    sportState: { ...sport.initialState(), ...(isObject(state) ? state : {}) },
    prediction: predictionSchema.safeParse(stored.prediction).data ?? null,
    strength: strengthOf(stored.strength),
    ...(typeof stored.strengthRetryAt === "number" ? { strengthRetryAt: stored.strengthRetryAt } : {}),
  };
}

/** What a frame or /state shows: room metadata, a bounded summary of the gaps, and the sport's state. */
export function stateView(record: RoomRecord): MatchStateView<BaseSportState> {
  const gaps = record.sequencing.gaps;
  const forgotten = record.sequencing.forgottenGaps ?? 0;
  const summarised = gaps.length > GAPS_IN_VIEW || forgotten > 0;
  return {
    ...record.sportState,
    matchId: record.matchId,
    sport: record.sport,
    seq: record.seq,
    lastSeq: record.lastSeq,
    eventsApplied: record.eventsApplied,
    lateEvents: record.lateEvents,
    ...(record.seqErrors > 0 ? { seqErrors: record.seqErrors } : {}),
    gaps: summarised ? gaps.slice(0, GAPS_IN_VIEW) : gaps,
    ...(summarised
      ? { gapCount: gaps.length + forgotten, missingSeqs: gaps.reduce((n, g) => n + g.to - g.from + 1, 0) }
      : {}),
    updatedAt: record.updatedAt,
  };
}

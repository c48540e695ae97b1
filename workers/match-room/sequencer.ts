// Source ordering for one match, as pure functions. Events carrying `seq` are applied in seq order; one
// that arrives ahead of a gap is held until the gap fills or the room's hold deadline passes, when the
// room releases everything it holds and records what never came as a gap. An event that arrives after
// its gap was given up on is applied once, late, and the gap shrinks: history is never replayed.
// A seq implausibly far ahead (MAX_SEQ_AHEAD) is a source error: it is applied in arrival order and
// leaves the cursor where it is, so one wild value cannot make every later event "late".
import type { MatchEvent } from "../../shared/sports/sport";

/** A seq more than this far ahead of the cursor is not a gap but a source error. */
export const MAX_SEQ_AHEAD = 10_000;
/** At most this many missing ranges are remembered (the newest); older ones are only counted. */
export const MAX_GAPS = 1_000;

export interface Gap {
  from: number;
  to: number;
}

export interface Sequencing {
  /** The source seq the room expects next (sources number a match's events from 1). */
  nextSeq: number;
  /** Seq ranges given up on and still missing, oldest first (at most MAX_GAPS). */
  gaps: Gap[];
  /** Ranges dropped from `gaps` to keep it bounded (a late event for one of them is still applied once). */
  forgottenGaps?: number;
}

export interface Delivery {
  /** Events to apply now, in this order. */
  /** `late`: behind the cursor; `wild`: its seq was too far ahead to order (a source error). */
  apply: { event: MatchEvent; late: boolean; wild?: true }[];
  /** Events to keep holding (arrived ahead of a gap). */
  hold: MatchEvent[];
  sequencing: Sequencing;
}

export const initialSequencing = (): Sequencing => ({ nextSeq: 1, gaps: [] });

export function removeFromGaps(gaps: Gap[], seq: number): Gap[] {
  const out: Gap[] = [];
  for (const g of gaps) {
    if (seq < g.from || seq > g.to) out.push(g);
    else {
      if (g.from <= seq - 1) out.push({ from: g.from, to: seq - 1 });
      if (seq + 1 <= g.to) out.push({ from: seq + 1, to: g.to });
    }
  }
  return out;
}

/**
 * Decides what to apply and what to hold, given the events newly arrived (already deduplicated by
 * eventId, in arrival order) and those held from before. `releaseAll` is set when the hold deadline
 * passed: held events are then applied in seq order and the holes before them become gaps.
 */
export function planDelivery(
  sequencing: Sequencing,
  incoming: MatchEvent[],
  held: MatchEvent[],
  releaseAll: boolean,
): Delivery {
  let nextSeq = sequencing.nextSeq;
  let gaps = sequencing.gaps;
  let forgotten = sequencing.forgottenGaps ?? 0;
  const addGap = (gap: Gap) => {
    gaps = [...gaps, gap];
    if (gaps.length > MAX_GAPS) {
      forgotten += gaps.length - MAX_GAPS;
      gaps = gaps.slice(gaps.length - MAX_GAPS);
    }
  };
  const apply: Delivery["apply"] = [];
  const waiting = new Map<number, MatchEvent>();
  for (const e of held) if (e.seq !== undefined) waiting.set(e.seq, e);

  const drain = () => {
    for (let e = waiting.get(nextSeq); e; e = waiting.get(nextSeq)) {
      waiting.delete(nextSeq);
      apply.push({ event: e, late: false });
      nextSeq++;
    }
  };

  for (const e of incoming) {
    if (e.seq === undefined) apply.push({ event: e, late: false });
    else if (e.seq - nextSeq > MAX_SEQ_AHEAD) apply.push({ event: e, late: false, wild: true });
    else if (e.seq < nextSeq || waiting.has(e.seq)) {
      // Behind the cursor (its gap was given up on) or a second event with a seq already waiting:
      // apply it once, now, rather than rewrite what clients have already seen.
      apply.push({ event: e, late: true });
      gaps = removeFromGaps(gaps, e.seq);
    } else if (e.seq === nextSeq) {
      apply.push({ event: e, late: false });
      nextSeq++;
      drain();
    } else waiting.set(e.seq, e);
  }

  if (releaseAll && waiting.size > 0) {
    for (const seq of [...waiting.keys()].sort((a, b) => a - b)) {
      if (seq < nextSeq) continue; // already drained
      if (seq > nextSeq) addGap({ from: nextSeq, to: seq - 1 });
      nextSeq = seq;
      drain();
    }
  }
  return {
    apply,
    hold: [...waiting.values()],
    sequencing: forgotten > 0 ? { nextSeq, gaps, forgottenGaps: forgotten } : { nextSeq, gaps },
  };
}

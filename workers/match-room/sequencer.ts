// Source ordering for one match, as pure functions. Events carrying `seq` are applied in seq order; one
// that arrives ahead of a gap is held until the gap fills or the room's hold deadline passes, when the
// room releases everything it holds and records what never came as a gap. An event that arrives after
// its gap was given up on is applied once, late, and the gap shrinks: history is never replayed.
import type { MatchEvent } from "../../shared/sports/sport";

export interface Gap {
  from: number;
  to: number;
}

export interface Sequencing {
  /** The source seq the room expects next (sources number a match's events from 1). */
  nextSeq: number;
  /** Seq ranges given up on and still missing. */
  gaps: Gap[];
}

export interface Delivery {
  /** Events to apply now, in this order. */
  apply: { event: MatchEvent; late: boolean }[];
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
      if (seq > nextSeq) gaps = [...gaps, { from: nextSeq, to: seq - 1 }];
      nextSeq = seq;
      drain();
    }
  }
  return { apply, hold: [...waiting.values()], sequencing: { nextSeq, gaps } };
}

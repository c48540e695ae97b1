// Relay fan-out policy (pure): how many relay objects a match's audience needs, which relay a new
// connection goes to, and which frames a relay can replay from its own buffer.

export interface RelayPolicy {
  /** Below this audience the room serves every socket itself (and retires relays below half of it). */
  threshold: number;
  /** The sockets one relay is planned to hold. */
  perRelay: number;
  /** Upper bound on relays per match (a bound on the room's publish cost per frame). */
  maxRelays: number;
}

export const DEFAULT_RELAY_POLICY: RelayPolicy = { threshold: 2_000, perRelay: 5_000, maxRelays: 400 };

/**
 * How many relays should take new connections for an audience, given how many do now. Promotion at the
 * threshold, one more relay per `perRelay` sockets; retirement with hysteresis (a quarter of a relay's
 * room, and under half the threshold for all of them), so an audience at a boundary does not flap.
 */
export function relayTarget(audience: number, current: number, p: RelayPolicy): number {
  const needed = Math.min(p.maxRelays, Math.max(1, Math.ceil(audience / p.perRelay)));
  if (audience < p.threshold) return current > 0 && audience >= p.threshold / 2 ? Math.min(current, needed) : 0;
  if (needed >= current) return needed;
  return audience > (current - 1) * p.perRelay * 0.75 ? current : needed;
}

/** FNV-1a over a connection's id: spreads connections evenly over the relays. */
export function relayIndex(connectionId: string, relays: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < connectionId.length; i++) {
    h ^= connectionId.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % relays;
}

/** The name of relay k of a match (its Durable Object name), after the match room's name (tenant and match). */
export const relayName = (room: string, k: number): string => `${room}:relay:${k}`;

/** A frame as a relay keeps it: its text and the seqs it covers (fromSeq..seq). */
export interface RelayedFrame {
  fromSeq: number;
  seq: number;
  text: string;
}

/**
 * What a relay does with published frames given the last seq it passed on: frames at or before it are
 * repeats (dropped); a frame starting right after it follows; anything else means frames were lost on the
 * way, and the relay must catch up from the room before going on.
 */
export function classify(lastSeq: number | null, frame: { fromSeq: number; seq: number }): "repeat" | "next" | "gap" {
  if (lastSeq === null) return "next";
  if (frame.seq <= lastSeq) return "repeat";
  return frame.fromSeq === lastSeq + 1 ? "next" : "gap";
}

/** The frames that replay everything after `since`, or null when the buffer does not reach back that far. */
export function replayFrom(buffer: RelayedFrame[], since: number): RelayedFrame[] | null {
  const at = buffer.findIndex((f) => f.seq > since);
  if (at < 0) return null;
  const first = buffer[at];
  return first && first.fromSeq === since + 1 ? buffer.slice(at) : null;
}

/** The seqs a frame covers: a batch carries fromSeq; a single update or correction covers its own seq. */
export function spanOf(frame: { seq: number; fromSeq?: number }): { fromSeq: number; seq: number } {
  return { fromSeq: frame.fromSeq ?? frame.seq, seq: frame.seq };
}

// The room's side of relay fan-out: which relays take new connections (the target, from the audience
// the room and its relays report), and publishing each coalesced frame once to every relay that has
// sockets or takes connections, in order per relay. The room stays the only writer: relays only repeat
// what it publishes and ask it for what they miss.

import { type Env, numberVar } from "../env";
import type { RoomFrame } from "../match-room/frames";
import { errorMessage, log } from "../observability/log";
import { DEFAULT_RELAY_POLICY, type RelayPolicy, relayName, relayTarget, spanOf } from "./plan";

const STATE_KEY = "relays";
/** Deliveries queued for one relay beyond this are skipped: the relay sees a gap and catches up from the room. */
const MAX_QUEUED_PER_RELAY = 64;

interface Persisted {
  target: number;
  /** Relays that still hold sockets (including retired ones, until their audience has left). */
  live: number[];
}

export function relayPolicy(env: Env): RelayPolicy {
  return {
    threshold: numberVar(env.RELAY_THRESHOLD, DEFAULT_RELAY_POLICY.threshold),
    perRelay: numberVar(env.RELAY_SOCKETS, DEFAULT_RELAY_POLICY.perRelay),
    maxRelays: numberVar(env.RELAY_MAX, DEFAULT_RELAY_POLICY.maxRelays),
  };
}

export class RelayPublisher {
  private target: number;
  private readonly counts = new Map<number, number>();
  private readonly queues = new Map<number, { tail: Promise<void>; queued: number }>();
  private plannedAt = 0;

  constructor(
    private readonly ctx: DurableObjectState,
    private readonly env: Env,
    private readonly matchId: () => string | null,
    private readonly ownSockets: () => number,
  ) {
    const saved = ctx.storage.kv.get<Persisted>(STATE_KEY);
    this.target = saved?.target ?? 0;
    // Sockets of relays after a restart are unknown until they report: assume some, so they keep getting frames.
    for (const k of saved?.live ?? []) this.counts.set(k, 1);
  }

  active(): boolean {
    return this.target > 0 || this.counts.size > 0;
  }

  /** How many relays take new connections now (0: the room takes them itself); re-planned at most every 250 ms. */
  relays(now = Date.now()): number {
    if (now - this.plannedAt < 250) return this.target;
    this.plannedAt = now;
    let audience = this.ownSockets();
    for (const n of this.counts.values()) audience += n;
    const next = relayTarget(audience, this.target, relayPolicy(this.env));
    if (next !== this.target) {
      log("info", "relay target changed", { matchId: this.matchId(), audience, from: this.target, to: next });
      this.target = next;
      this.save();
    }
    return this.target;
  }

  /** A relay's socket count (after its sockets changed, or in answer to a delivery). */
  report(k: number, sockets: number): void {
    const had = this.counts.has(k);
    if (sockets > 0 || k < this.target) this.counts.set(k, sockets);
    else this.counts.delete(k);
    if (had !== this.counts.has(k)) this.save();
    this.relays();
  }

  publish(frames: RoomFrame[], texts: string[]): void {
    const matchId = this.matchId();
    if (matchId === null) return;
    const spans = frames.map(spanOf);
    const targets = new Set(this.counts.keys());
    for (let k = 0; k < this.target; k++) targets.add(k);
    for (const k of targets) {
      const q = this.queues.get(k) ?? { tail: Promise.resolve(), queued: 0 };
      if (q.queued >= MAX_QUEUED_PER_RELAY) continue;
      q.queued++;
      q.tail = q.tail
        .then(async () => {
          const stub = this.env.MATCH_RELAY.get(this.env.MATCH_RELAY.idFromName(relayName(matchId, k)));
          this.report(k, await stub.deliver(matchId, k, spans, texts));
        })
        .catch((err: unknown) => log("warn", "relay delivery failed", { matchId, relay: k, error: errorMessage(err) }))
        .finally(() => {
          q.queued--;
        });
      this.queues.set(k, q);
    }
  }

  private save(): void {
    this.ctx.storage.kv.put<Persisted>(STATE_KEY, { target: this.target, live: [...this.counts.keys()] });
  }
}

// Reconnect delays: capped exponential back-off with jitter, pure (the random source is a parameter).
// With full jitter (jitter = 1) the delay is uniform over (0, ceiling], so when a deploy drops every
// socket at once, the clients' first reconnects spread evenly over the first window instead of arriving
// together.

export interface Backoff {
  /** Ceiling of the first delay (ms). */
  minMs: number;
  /** Largest ceiling (ms). */
  maxMs: number;
  /** Growth of the ceiling per failed attempt. */
  factor: number;
  /** 0…1: the share of the ceiling that is random (1 = full jitter: uniform over (0, ceiling]). */
  jitter: number;
}

/** A 1,000-client deploy reconnects at about 330 a second over the first 3 s; a lone client waits 1.5 s on average. */
export const defaultBackoff: Backoff = { minMs: 3_000, maxMs: 30_000, factor: 2, jitter: 1 };

export function backoffCeiling(attempt: number, b: Backoff): number {
  return Math.min(b.maxMs, b.minMs * b.factor ** Math.max(0, attempt));
}

/** The delay before reconnect number `attempt` (0 = the first after a drop); `random` returns [0, 1). */
export function reconnectDelay(attempt: number, b: Backoff = defaultBackoff, random: () => number = Math.random) {
  const ceiling = backoffCeiling(attempt, b);
  const jitter = Math.min(1, Math.max(0, b.jitter));
  return ceiling * (1 - jitter * random());
}

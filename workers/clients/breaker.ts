// A circuit breaker per dependency endpoint: after a failed call the isolate stops calling that endpoint
// for `openMs`, so an outage costs one slow call per isolate and period, not one per request. Keyed by
// endpoint (a URL): the map holds one entry per configured endpoint, so it stays small.
export class Breaker {
  private readonly openUntil = new Map<string, number>();

  constructor(
    readonly dependency: string,
    readonly openMs: number,
  ) {}

  isOpen(endpoint: string, now = Date.now()): boolean {
    return (this.openUntil.get(endpoint) ?? 0) > now;
  }

  trip(endpoint: string, now = Date.now()): void {
    if (this.openUntil.size >= 100) this.openUntil.clear();
    this.openUntil.set(endpoint, now + this.openMs);
  }
}

// What a tenant has used of its Redis-counted quotas (the operator's view of a tenant): the events
// accepted this UTC day (the edge admission's counter) and the live sockets holding a lease now. Both are
// counted only while the tenant has the quota, so without it they are null; null too when Redis cannot be
// asked (the usage is informative, the quotas themselves fail open).
import { openRedis } from "../clients/redis";
import type { Env } from "../env";
import { dayQuotaKey } from "../ingest/dedup";
import { errorMessage, log } from "../observability/log";
import { liveSocketsKey } from "./live-sockets";
import type { TenantQuotas } from "./tenant";

export interface CountedUsage {
  eventsToday: number | null;
  liveSockets: number | null;
}

export async function countedUsage(
  env: Env,
  tenantId: string,
  quotas: Pick<TenantQuotas, "eventsPerDay" | "liveSockets">,
  now = Date.now(),
): Promise<CountedUsage> {
  if (quotas.eventsPerDay === null && quotas.liveSockets === null) return { eventsToday: null, liveSockets: null };
  try {
    const [events, sockets] = await openRedis(env)
      .pipeline()
      .get<number | string | null>(dayQuotaKey(tenantId, now))
      .zcount(liveSocketsKey(tenantId), `(${now}`, "+inf")
      .exec<[number | string | null, number]>();
    return {
      eventsToday: quotas.eventsPerDay === null ? null : Number(events ?? 0),
      liveSockets: quotas.liveSockets === null ? null : Number(sockets ?? 0),
    };
  } catch (err) {
    log("warn", "tenant usage unavailable from Redis", { tenantId, error: errorMessage(err) });
    return { eventsToday: null, liveSockets: null };
  }
}

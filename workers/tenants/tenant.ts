// Tenants: who owns a resource. Every key acts within its tenant; a match id is unique per tenant, so every
// place that names a match's room, rows or cache entries names its tenant too, through these functions.
import { DEFAULT_TENANT } from "../clients/postgres-schema";

export { DEFAULT_TENANT };

/** Tenant ids: lowercase, short, and never containing "/" (the separator in room names). */
export const TENANT_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,31}$/;

/** What a tenant may use on top of its clients' rate limits; null is unlimited. */
export interface TenantQuotas {
  eventsPerDay: number | null;
  liveSockets: number | null;
  storedMatches: number | null;
}

/**
 * The Durable Object name of a tenant's match room. The default tenant keeps the bare match id, so rooms
 * created before tenants existed keep their state; match ids cannot contain "/", so names never collide.
 */
export function roomName(tenantId: string, matchId: string): string {
  return tenantId === DEFAULT_TENANT ? matchId : `${tenantId}/${matchId}`;
}

/** The inverse of roomName. */
export function parseRoomName(name: string): { tenantId: string; matchId: string } {
  const slash = name.indexOf("/");
  return slash < 0
    ? { tenantId: DEFAULT_TENANT, matchId: name }
    : { tenantId: name.slice(0, slash), matchId: name.slice(slash + 1) };
}

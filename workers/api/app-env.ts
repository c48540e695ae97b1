import type { Env } from "../env";
import type { TenantQuotas } from "../tenants/tenant";

/**
 * Every scope a key can carry (the developer key carries them all). `admin` manages its own tenant;
 * `operator` is the deployment's own admin: it creates tenants and sets their quotas.
 */
export const scopes = ["ingest", "read", "admin", "games", "operator"] as const;
export type Scope = (typeof scopes)[number];

export interface ApiClient {
  id: string;
  /** The tenant the key acts within: every resource it names is looked up in this tenant. */
  tenantId: string;
  /** The tenant's quotas, cached with the key (a change applies within the key-cache bound). */
  quotas: TenantQuotas;
  name: string;
  scopes: string[];
  ingestPerMinute: number;
  readPerMinute: number;
}

/** Hono's environment for every route: bindings plus what middleware puts on the context. */
export interface AppEnv {
  Bindings: Env;
  /**
   * `viewer`: the request came with a viewer token of `client` (not with its API key). `readBudgetOwed`:
   * the route is yet to spend the request's unit of the read budget in its own command (rate-limit.ts).
   */
  Variables: { requestId: string; client: ApiClient; viewer?: boolean; readBudgetOwed?: boolean };
}

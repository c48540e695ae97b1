import type { Env } from "../env";

export type Scope = "ingest" | "read" | "admin" | "games";

export interface ApiClient {
  id: string;
  name: string;
  scopes: string[];
  ingestPerMinute: number;
  readPerMinute: number;
}

/** Hono's environment for every route: bindings plus what middleware puts on the context. */
export interface AppEnv {
  Bindings: Env;
  Variables: { requestId: string; client: ApiClient };
}

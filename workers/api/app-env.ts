import type { Env } from "../env";

/** Every scope a key can carry (the developer key carries them all). */
export const scopes = ["ingest", "read", "admin", "games"] as const;
export type Scope = (typeof scopes)[number];

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
  /** `viewer`: the request came with a viewer token of `client` (not with its API key). */
  Variables: { requestId: string; client: ApiClient; viewer?: boolean };
}

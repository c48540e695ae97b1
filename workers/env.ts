// The Worker's bindings and configuration: generated from wrangler.toml by `npm run types` into
// worker-configuration.d.ts (checked by `npm run lint`), so Env cannot drift from the configuration.
// Values come from [vars], `wrangler secret put` in production ([secrets] lists them), and the local
// stack's URLs under `npm start` / `npm test`.
/// <reference path="../worker-configuration.d.ts" />

export type Env = Cloudflare.Env;

// Kept for modules that still import it from here; its home is ./config.
export { numberVar } from "./config";

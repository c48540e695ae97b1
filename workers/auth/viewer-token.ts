// Viewer tokens: short-lived, match-scoped read credentials for browsers, as compact JWS (HS256) signed
// with hono/jwt. The edge verifies them without a database round trip; the token names the API client
// that minted it (`sub`), so revoking that client ends its tokens within the key cache's bound.
//
// Keys come from the secret VIEWER_TOKEN_KEYS, a small key set:
//   { "current": "2026-11", "keys": { "2026-11": "<base64 secret, 32+ bytes>", "2026-08": "<…>" } }
// Tokens are signed with `current` and carry its id in the header (`kid`); any listed key verifies.
// Rotation: add a new key, deploy; switch `current` to it, deploy; once MAX_VIEWER_TOKEN_TTL_SECONDS have
// passed, drop the old key. No token is ever refused for a rotation.
import { decode, sign, verify } from "hono/jwt";
import { z } from "zod";

export const MAX_VIEWER_TOKEN_TTL_SECONDS = 3_600;
export const DEFAULT_VIEWER_TOKEN_TTL_SECONDS = 900;
/** A token travels in a URL: at most this many matches per token. */
export const MAX_VIEWER_TOKEN_MATCHES = 20;
const ISSUER = "matchpulse";
const SCOPE = "live:read";
const MIN_KEY_BYTES = 32;

const keySetSchema = z
  .object({
    current: z.string().min(1).max(64),
    keys: z.record(z.string().min(1).max(64), z.string().min(1)),
  })
  .refine((s) => s.current in s.keys, { message: "current must name one of keys" });

export interface ViewerKey {
  kty: "oct";
  alg: "HS256";
  kid: string;
  k: string;
}
export interface ViewerKeySet {
  current: ViewerKey;
  byId: Map<string, ViewerKey>;
}

export class ViewerKeysError extends Error {}

function base64UrlOf(base64: string): string {
  const bytes = Uint8Array.from(atob(base64.replace(/-/g, "+").replace(/_/g, "/")), (ch) => ch.charCodeAt(0));
  if (bytes.length < MIN_KEY_BYTES) throw new ViewerKeysError(`each viewer token key needs ${MIN_KEY_BYTES}+ bytes`);
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

const parsedSets = new Map<string, ViewerKeySet>();

/** The key set of the secret's text (parsed once per isolate). Throws ViewerKeysError when unusable. */
export function viewerKeySet(secret: string | undefined): ViewerKeySet {
  if (!secret) throw new ViewerKeysError("VIEWER_TOKEN_KEYS is not set (wrangler secret put VIEWER_TOKEN_KEYS)");
  const hit = parsedSets.get(secret);
  if (hit) return hit;
  let parsed: z.infer<typeof keySetSchema>;
  try {
    parsed = keySetSchema.parse(JSON.parse(secret));
  } catch {
    // Never echo the secret: only that it does not have the documented shape.
    throw new ViewerKeysError('VIEWER_TOKEN_KEYS must be {"current": "<kid>", "keys": {"<kid>": "<base64>"}}');
  }
  const byId = new Map<string, ViewerKey>();
  for (const [kid, secretText] of Object.entries(parsed.keys)) {
    let k: string;
    try {
      k = base64UrlOf(secretText);
    } catch (err) {
      if (err instanceof ViewerKeysError) throw err;
      throw new ViewerKeysError(`VIEWER_TOKEN_KEYS key '${kid}' is not base64`);
    }
    byId.set(kid, { kty: "oct", alg: "HS256", kid, k });
  }
  const current = byId.get(parsed.current);
  if (!current) throw new ViewerKeysError("VIEWER_TOKEN_KEYS current must name one of keys");
  const set = { current, byId };
  if (parsedSets.size >= 4) parsedSets.clear();
  parsedSets.set(secret, set);
  return set;
}

export interface ViewerGrant {
  /** The API client that minted the token. */
  clientId: string;
  matchIds: string[];
  /** Seconds since the epoch. */
  expiresAt: number;
}

const claimsSchema = z.object({
  iss: z.literal(ISSUER),
  sub: z.string().min(1).max(64),
  scope: z.literal(SCOPE),
  mid: z.array(z.string()).min(1).max(MAX_VIEWER_TOKEN_MATCHES),
  iat: z.number(),
  exp: z.number(),
});

/** Signs a grant for `ttlSeconds` (already bounded by the caller) from `nowSeconds`. */
export async function signViewerToken(
  keys: ViewerKeySet,
  grant: { clientId: string; matchIds: string[]; ttlSeconds: number },
  nowSeconds = Math.floor(Date.now() / 1000),
): Promise<{ token: string; expiresAt: number }> {
  const expiresAt = nowSeconds + grant.ttlSeconds;
  const claims = {
    iss: ISSUER,
    sub: grant.clientId,
    scope: SCOPE,
    mid: grant.matchIds,
    iat: nowSeconds,
    exp: expiresAt,
  } satisfies z.infer<typeof claimsSchema>;
  return { token: await sign(claims, keys.current), expiresAt };
}

/**
 * The grant of a valid token, or null for anything else: malformed, unknown key, bad signature, expired,
 * not yet issued, or claims of another shape. Why is not told: a refused token is just refused.
 */
export async function verifyViewerToken(keys: ViewerKeySet, token: string): Promise<ViewerGrant | null> {
  if (token.length > 4_096) return null;
  try {
    const { header } = decode(token);
    const kid = typeof header.kid === "string" ? header.kid : null;
    const key = kid === null ? undefined : keys.byId.get(kid);
    if (!key) return null;
    const payload = await verify(token, key, { alg: "HS256", iss: ISSUER });
    const claims = claimsSchema.safeParse(payload);
    if (!claims.success) return null;
    // verify() checks exp only when present: the schema made it required, check it here too.
    if (claims.data.exp <= Math.floor(Date.now() / 1000)) return null;
    return { clientId: claims.data.sub, matchIds: claims.data.mid, expiresAt: claims.data.exp };
  } catch {
    return null;
  }
}

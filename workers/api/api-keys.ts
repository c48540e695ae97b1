// API keys: shown once, stored as HMAC-SHA-256 under a server-side secret (API_KEY_PEPPER), so a copy of
// the api_clients table alone cannot be used to test guesses. Keys are 192 random bits: a fast keyed hash
// is enough, no slow KDF. `mp_` prefix makes leaked keys easy to grep for.
import { hex } from "../../shared/digest";

const encoder = new TextEncoder();
// One imported HMAC key per pepper (there is one pepper per deployment).
const hmacKeys = new Map<string, Promise<CryptoKey>>();

function hmacKey(pepper: string): Promise<CryptoKey> {
  let key = hmacKeys.get(pepper);
  if (!key) {
    if (hmacKeys.size >= 4) hmacKeys.clear();
    key = crypto.subtle.importKey("raw", encoder.encode(pepper), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    hmacKeys.set(pepper, key);
  }
  return key;
}

export class MissingPepperError extends Error {
  constructor() {
    super("API_KEY_PEPPER is not set: API keys cannot be checked (wrangler secret put API_KEY_PEPPER)");
  }
}

export async function hashApiKey(key: string, pepper: string | undefined): Promise<string> {
  if (!pepper) throw new MissingPepperError();
  return hex(new Uint8Array(await crypto.subtle.sign("HMAC", await hmacKey(pepper), encoder.encode(key))));
}

export const newApiKey = (): string => `mp_${hex(crypto.getRandomValues(new Uint8Array(24)))}`;

export const keyPrefix = (key: string): string => key.slice(0, 10);

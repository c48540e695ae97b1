// API keys: shown once, stored as SHA-256 hex. `mp_` prefix makes leaked keys easy to grep for.
export async function hashApiKey(key: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(key));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export function newApiKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  return `mp_${[...bytes].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

export const keyPrefix = (key: string): string => key.slice(0, 10);

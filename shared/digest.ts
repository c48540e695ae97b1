// Hex encoding and WebCrypto digests, the same in Workers and Node.
export const hex = (bytes: Uint8Array): string => [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");

export async function digestHex(algorithm: "SHA-1" | "SHA-256", text: string): Promise<string> {
  return hex(new Uint8Array(await crypto.subtle.digest(algorithm, new TextEncoder().encode(text))));
}

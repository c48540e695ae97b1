// API keys: shown once, stored as SHA-256 hex. `mp_` prefix makes leaked keys easy to grep for.
import { digestHex, hex } from "../../shared/digest";

export const hashApiKey = (key: string): Promise<string> => digestHex("SHA-256", key);

export const newApiKey = (): string => `mp_${hex(crypto.getRandomValues(new Uint8Array(24)))}`;

export const keyPrefix = (key: string): string => key.slice(0, 10);

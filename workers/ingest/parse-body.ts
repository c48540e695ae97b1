// Request bodies for POST /v1/events: one JSON object, a JSON array, or NDJSON. The size limit is Hono's
// bodyLimit on the route (it refuses an oversized body while streaming); here the bytes must be UTF-8
// (invalid bytes are refused, not rewritten to U+FFFD) and the items are counted.
import { ApiError } from "../api/errors";

export const MAX_BODY_BYTES = 1_048_576;
export const MAX_EVENTS_PER_REQUEST = 1_000;

export type BodyKind = "json" | "ndjson";

export function bodyKind(contentType: string | null): BodyKind | null {
  const mediaType = (contentType ?? "").split(";")[0]?.trim().toLowerCase();
  if (mediaType === "application/json") return "json";
  if (mediaType === "application/x-ndjson" || mediaType === "application/ndjson") return "ndjson";
  return null;
}

export const bodyTooLarge = () =>
  new ApiError("payload_too_large", `request body exceeds ${MAX_BODY_BYTES} bytes; split it into several requests`);

/** The body as text; bytes that are not UTF-8 are a 400, never silently replaced. */
export function decodeBody(bytes: ArrayBuffer): string {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new ApiError("invalid_json", "the body is not valid UTF-8", {
      issues: [{ path: "", message: "holds bytes that are not valid UTF-8" }],
    });
  }
}

const tooMany = (n: number) =>
  new ApiError("payload_too_large", `${n} events in one request; at most ${MAX_EVENTS_PER_REQUEST} are allowed`);

export interface ParsedBody {
  items: unknown[];
  /** A single JSON object (not an array): the response also names its eventId and status. */
  single: boolean;
}

export function parseEventsBody(text: string, kind: BodyKind): ParsedBody {
  if (kind === "ndjson") {
    const lines = text.split("\n").filter((l) => l.trim() !== "");
    if (lines.length > MAX_EVENTS_PER_REQUEST) throw tooMany(lines.length);
    const items = lines.map((line, i) => {
      try {
        return JSON.parse(line) as unknown;
      } catch (err) {
        throw new ApiError("invalid_json", `line ${i + 1} is not valid JSON: ${(err as Error).message}`, {
          issues: [{ path: `[${i}]`, message: "not valid JSON" }],
        });
      }
    });
    if (items.length === 0) throw new ApiError("invalid_json", "the body holds no events");
    return { items, single: false };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ApiError("invalid_json", `body is not valid JSON: ${(err as Error).message}`);
  }
  if (Array.isArray(value)) {
    if (value.length > MAX_EVENTS_PER_REQUEST) throw tooMany(value.length);
    if (value.length === 0) throw new ApiError("invalid_json", "the body holds no events");
    return { items: value, single: false };
  }
  if (value !== null && typeof value === "object") return { items: [value], single: true };
  throw new ApiError("invalid_json", "body must be an event object, an array of events, or NDJSON");
}

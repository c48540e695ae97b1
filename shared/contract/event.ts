// Event contract v1: the envelope every source sends, validated in two steps. The zod envelope
// checks the shape shared by all sports; the sport module then checks teamId and the per-type
// payload. All schemas are built once at module load because parseEvent runs on every event.
import { z } from "zod";
import { sportNames, sportOf } from "../sports";

export interface ContractIssue {
  /** Dotted path to the offending field ("payload.minute", "teamId"); "" for the event itself. */
  path: string;
  message: string;
}

export type EventParseResult = { ok: true; event: MatchEvent } | { ok: false; issues: ContractIssue[] };

export const PAYLOAD_MAX_BYTES = 8 * 1024;
/** Sources' clocks drift, but an event a day ahead is a bug (wrong date or time zone). */
export const MAX_FUTURE_MS = 24 * 60 * 60 * 1000;
export const MATCH_ID_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/;
/**
 * The window of source timestamps the stores can keep: ClickHouse's DateTime64 starts at 1900-01-01, and
 * an event more than MAX_FUTURE_MS ahead is a clock or time zone bug. Old real matches (replays) are fine.
 */
export const MIN_TIMESTAMP_MS = Date.UTC(1900, 0, 1);
/** `seq` is stored as ClickHouse UInt32. */
export const MAX_SEQ = 4_294_967_295;

/** "." and ".." are valid characters but not ids: a URL path cannot carry them as a segment. */
export const isPathSafeId = (id: string): boolean => id !== "." && id !== "..";
export const PATH_SAFE_ID_MESSAGE = 'must not be "." or ".." (a URL path cannot carry them)';

// Outside a well-formed surrogate pair, a UTF-16 surrogate is not a character: such a string is not valid
// Unicode, cannot be encoded as UTF-8, and the stores reject it (ClickHouse fails the whole insert).
const LONE_SURROGATE = /\p{Surrogate}/u;

/** Every string (and object key) in `input` that is not valid Unicode, as issues at their paths. */
export function unicodeIssues(input: unknown): ContractIssue[] {
  const issues: ContractIssue[] = [];
  const stack: { value: unknown; path: string }[] = [{ value: input, path: "" }];
  while (stack.length > 0) {
    const { value, path } = stack.pop() ?? { value: undefined, path: "" };
    if (typeof value === "string") {
      if (LONE_SURROGATE.test(value)) issues.push({ path, message: "is not valid Unicode (a lone UTF-16 surrogate)" });
    } else if (Array.isArray(value)) {
      for (const [i, v] of value.entries()) stack.push({ value: v, path: path === "" ? String(i) : `${path}.${i}` });
    } else if (typeof value === "object" && value !== null) {
      for (const [key, v] of Object.entries(value)) {
        if (LONE_SURROGATE.test(key)) {
          // The key itself is not echoed: it is the invalid text.
          issues.push({ path, message: "has a field name that is not valid Unicode (a lone UTF-16 surrogate)" });
          continue;
        }
        stack.push({ value: v, path: path === "" ? key : `${path}.${key}` });
      }
    }
  }
  return issues;
}

// zod reports a missing key as a type error; say "required" instead of the rule it would have broken.
const rule =
  (message: string) =>
  (issue: { input?: unknown }): string =>
    issue.input === undefined ? "is required" : message;

// Same wording for missing fields inside payloads, whose schemas live in the sport modules.
const parseOptions = {
  error: (issue: { code?: string; input?: unknown }) =>
    issue.code === "invalid_type" && issue.input === undefined ? "is required" : undefined,
};

const encoder = new TextEncoder();

/** Whether the payload fits in PAYLOAD_MAX_BYTES as UTF-8 JSON; unserializable payloads never fit. */
function payloadFits(payload: unknown): boolean {
  let json: string | undefined;
  try {
    json = JSON.stringify(payload);
  } catch {
    return false;
  }
  if (json === undefined || json.length > PAYLOAD_MAX_BYTES) return false;
  // A UTF-16 unit is at most 3 UTF-8 bytes, so most payloads fit without being encoded.
  return json.length * 3 <= PAYLOAD_MAX_BYTES || encoder.encode(json).length <= PAYLOAD_MAX_BYTES;
}

const allTypes: string[] = [...new Set(sportNames.flatMap((name) => sportOf(name)?.eventTypes ?? []))];

export const eventSchema = z
  .strictObject({
    eventId: z
      .guid({ error: rule("must be a UUID (8-4-4-4-12 hex digits)") })
      // UUIDs are case-insensitive; one spelling keeps the idempotency key from splitting in two.
      .toLowerCase()
      .describe("Idempotency key: a UUID, unique per event. Stored lowercase."),
    matchId: z
      .string({ error: rule("must be a string") })
      .regex(MATCH_ID_PATTERN, { error: "must be 1-64 characters of A-Z a-z 0-9 . _ : -" })
      .refine(isPathSafeId, { error: PATH_SAFE_ID_MESSAGE })
      .describe("The match this event belongs to."),
    sport: z
      .enum(sportNames as [string, ...string[]], {
        error: rule(`must be one of: ${sportNames.join(", ")}`),
      })
      .describe("Registered sport."),
    type: z
      .string({ error: rule("must be a string") })
      .min(1, { error: "is required" })
      .describe(`Event type of the sport. Known types: ${allTypes.join(", ")}.`),
    timestamp: z.iso
      .datetime({ offset: true, error: rule("must be an RFC 3339 date-time with seconds and an offset (Z or +hh:mm)") })
      .describe("When it happened at the source, RFC 3339 with offset; at most 24 h in the future."),
    seq: z
      .int({ error: rule("must be an integer") })
      .min(1, { error: "must be >= 1" })
      .max(MAX_SEQ, { error: `must be <= ${MAX_SEQ}` })
      .optional()
      .describe("The source's per-match sequence number; lets the match room order events and spot gaps."),
    // A union of literals rather than z.literal([1, 2]): the OpenAPI generator renders the latter as enum [1].
    teamId: z
      .union([z.literal(1), z.literal(2)], { error: "must be 1 or 2" })
      .optional()
      .describe("1 or 2; required for team events (e.g. goal, kill)."),
    playerId: z
      .string({ error: "must be a string" })
      .min(1, { error: "must not be empty" })
      .max(64, { error: "must be at most 64 characters" })
      .optional(),
    payload: z
      .record(z.string(), z.unknown(), { error: "must be a JSON object" })
      .refine(payloadFits, {
        error: `must be at most ${PAYLOAD_MAX_BYTES} bytes as JSON`,
      })
      .optional()
      .describe("Type-specific fields (strict per type)."),
  })
  .meta({ id: "MatchEvent", description: "A live match event, contract v1." });

export type EventInput = z.input<typeof eventSchema>;
/** A validated event as it travels from ingest to the match room (contract v1). */
export type MatchEvent = z.output<typeof eventSchema>;

function pathOf(segments: readonly PropertyKey[]): string {
  return segments.map(String).join(".");
}

function issuesOf(error: z.ZodError, prefix: readonly PropertyKey[] = []): ContractIssue[] {
  const out: ContractIssue[] = [];
  for (const issue of error.issues) {
    const at = [...prefix, ...issue.path];
    if (issue.code === "unrecognized_keys") {
      // One issue per field, each at its own path, so clients can point at the exact key.
      for (const key of issue.keys) out.push({ path: pathOf([...at, key]), message: `field "${key}" is not allowed` });
    } else if (at.length === 0 && issue.code === "invalid_type") {
      out.push({ path: "", message: "event must be a JSON object" });
    } else {
      out.push({ path: pathOf(at), message: issue.message });
    }
  }
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Sport-specific rules; runs on the raw input so its issues add to the envelope's, not replace them. */
function sportIssues(
  raw: Record<string, unknown>,
  payloadOk: boolean,
): { issues: ContractIssue[]; payload?: Record<string, unknown> } {
  const sport = typeof raw.sport === "string" ? sportOf(raw.sport) : undefined;
  if (sport === undefined || typeof raw.type !== "string" || raw.type === "") return { issues: [] };
  const type = raw.type;
  if (!sport.eventTypes.includes(type)) {
    return { issues: [{ path: "type", message: `unknown type "${type}" for sport ${sport.sport}` }] };
  }
  const issues: ContractIssue[] = [];
  if (raw.teamId === undefined && sport.teamEventTypes.has(type)) {
    issues.push({ path: "teamId", message: `is required for ${type} events` });
  }
  if (!payloadOk) return { issues };
  const given = raw.payload as Record<string, unknown> | undefined;
  const schema = sport.payloadSchemas[type];
  if (schema === undefined) {
    // A type without a schema takes no payload fields at all.
    for (const key of Object.keys(given ?? {}))
      issues.push({ path: `payload.${key}`, message: `field "${key}" is not allowed` });
    return { issues };
  }
  // An absent payload is checked as {} so a type's required fields are still enforced.
  const result = schema.safeParse(given ?? {}, parseOptions);
  if (!result.success) return { issues: [...issues, ...issuesOf(result.error, ["payload"])] };
  return given === undefined ? { issues } : { issues, payload: result.data as Record<string, unknown> };
}

export function parseEvent(input: unknown, now: Date = new Date()): EventParseResult {
  if (!isPlainObject(input)) return { ok: false, issues: [{ path: "", message: "event must be a JSON object" }] };
  const envelope = eventSchema.safeParse(input, parseOptions);

  const issues = envelope.success ? [] : issuesOf(envelope.error);
  issues.push(...unicodeIssues(input));
  const payloadOk = !issues.some((i) => i.path === "payload" || i.path.startsWith("payload."));
  const sport = sportIssues(input, payloadOk);
  issues.push(...sport.issues);

  // The +24 h rule depends on `now`, so the window lives here rather than in the static schema.
  if (typeof input.timestamp === "string" && !issues.some((i) => i.path === "timestamp")) {
    const ts = Date.parse(input.timestamp);
    if (ts - now.getTime() > MAX_FUTURE_MS)
      issues.push({ path: "timestamp", message: "is more than 24 h in the future" });
    else if (ts < MIN_TIMESTAMP_MS)
      issues.push({
        path: "timestamp",
        message: "is before 1900-01-01T00:00:00Z, the earliest time the event log keeps",
      });
  }
  if (!envelope.success || issues.length > 0) return { ok: false, issues };

  const event: MatchEvent = envelope.data;
  if (sport.payload !== undefined) event.payload = sport.payload;
  return { ok: true, event };
}

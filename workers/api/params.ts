// Path and query parameters several routes share.
import { z } from "@hono/zod-openapi";
import {
  isPathSafeId,
  MATCH_ID_PATTERN,
  MIN_TIMESTAMP_MS,
  PATH_SAFE_ID_MESSAGE,
  unicodeIssues,
} from "../../shared/contract/event";
import { TENANT_ID_PATTERN } from "../tenants/tenant";
import { ApiError } from "./errors";

/** Ids clients choose (matches, teams, players) follow the event contract's matchId rule. */
export const entityId = z
  .string()
  .regex(MATCH_ID_PATTERN, { error: "must be 1-64 characters of A-Z a-z 0-9 . _ : -" })
  .refine(isPathSafeId, { error: PATH_SAFE_ID_MESSAGE });

export const matchIdParams = z.object({
  matchId: entityId.openapi({ param: { name: "matchId", in: "path" }, example: "epl-2026:ars.che" }),
});

/** `?includeRevoked=true` on lists of revocable credentials (API clients, sources); default false. */
export const includeRevokedQuery = z
  .enum(["true", "false"])
  .default("false")
  .transform((v) => v === "true")
  .openapi({ param: { name: "includeRevoked", in: "query" } });

/**
 * The match id of a WebSocket route (/live, the graphql-ws route), checked before anything is asked: the
 * id's format, then the Upgrade header. `what` names the protocol in the 426 message.
 */
export function socketMatchId(
  req: { param(name: "matchId"): string; header(name: string): string | undefined },
  what: string,
): string {
  const matchId = matchIdParams.shape.matchId.safeParse(req.param("matchId"));
  if (!matchId.success) {
    throw new ApiError("invalid_request", "matchId must be 1-64 characters of A-Z a-z 0-9 . _ : -", {
      issues: [{ path: "path.matchId", message: "invalid format" }],
    });
  }
  if (req.header("upgrade")?.toLowerCase() !== "websocket") {
    throw new ApiError(
      "upgrade_required",
      `this endpoint is a WebSocket${what}: send Upgrade: websocket`,
      {},
      {
        upgrade: "websocket",
      },
    );
  }
  return matchId.data;
}

/** Free text the metadata store can keep: Postgres text refuses NUL, and every store invalid Unicode. */
export const storableText = (min: number, max: number) =>
  z
    .string()
    .min(min)
    .max(max)
    .refine((s) => !s.includes("\u0000") && unicodeIssues(s).length === 0, {
      error: "must not contain NUL characters or lone UTF-16 surrogates",
    });

const MAX_INSTANT_MS = Date.UTC(10_000, 0, 1);
const inStoreRange = (s: string): boolean => {
  const t = Date.parse(s);
  return t >= MIN_TIMESTAMP_MS && t < MAX_INSTANT_MS;
};
const RANGE_MESSAGE = "must be between 1900-01-01 and 9999-12-31";

/** An RFC 3339 date-time with offset the stores can keep (years 1900 to 9999). */
export const storableInstant = z.iso.datetime({ offset: true }).refine(inStoreRange, { error: RANGE_MESSAGE });

/** An RFC 3339 date-time with offset in a query string, as epoch ms. */
export const instantQuery = (name: string, description: string) =>
  z.iso
    .datetime({ offset: true, error: "must be an RFC 3339 date-time with an offset" })
    .refine(inStoreRange, { error: RANGE_MESSAGE })
    .transform((s) => Date.parse(s))
    .optional()
    .openapi({ param: { name, in: "query" }, description, example: "2026-03-01T15:00:00Z" });

/** PATCH bodies must change something. */
export const changesSomething = (body: object): boolean => Object.keys(body).length > 0;
export const NOTHING_TO_CHANGE = "must name at least one field to change";

/** A tenant id (operators choose them): lowercase letters, digits and "-", at most 32. */
export const tenantId = z
  .string()
  .regex(TENANT_ID_PATTERN, { error: "must be 1-32 characters of a-z 0-9 -, starting with a letter or digit" });

export const tenantIdParams = z.object({
  tenantId: tenantId.openapi({ param: { name: "tenantId", in: "path" }, example: "acme-media" }),
});

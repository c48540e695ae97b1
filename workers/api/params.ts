// Path and query parameters several routes share.
import { z } from "@hono/zod-openapi";
import { isPathSafeId, MATCH_ID_PATTERN, PATH_SAFE_ID_MESSAGE } from "../../shared/contract/event";

/** Ids clients choose (matches, teams, players) follow the event contract's matchId rule. */
export const entityId = z
  .string()
  .regex(MATCH_ID_PATTERN, { error: "must be 1-64 characters of A-Z a-z 0-9 . _ : -" })
  .refine(isPathSafeId, { error: PATH_SAFE_ID_MESSAGE });

export const matchIdParams = z.object({
  matchId: entityId.openapi({ param: { name: "matchId", in: "path" }, example: "epl-2026:ars.che" }),
});

/** An RFC 3339 date-time with offset in a query string, as epoch ms. */
export const instantQuery = (name: string, description: string) =>
  z.iso
    .datetime({ offset: true, error: "must be an RFC 3339 date-time with an offset" })
    .transform((s) => Date.parse(s))
    .optional()
    .openapi({ param: { name, in: "query" }, description, example: "2026-03-01T15:00:00Z" });

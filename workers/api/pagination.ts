// Keyset pagination for every list: `limit` and an opaque `cursor` in, `nextCursor` out (null on the
// last page). A cursor is the position after the last item returned, as base64url JSON; clients must not
// build or parse one, so the ordering behind it can change without breaking them.
import { z } from "@hono/zod-openapi";
import { ApiError } from "./errors";

export const limitQuery = (fallback: number, max: number) =>
  z.coerce
    .number()
    .int()
    .min(1)
    .max(max)
    .default(fallback)
    .openapi({ param: { name: "limit", in: "query" }, description: `Page size, 1–${max} (default ${fallback}).` });

export const cursorQuery = z
  .string()
  .max(512)
  .optional()
  .openapi({ param: { name: "cursor", in: "query" }, description: "`nextCursor` of the previous page." });

export const nextCursorSchema = z
  .string()
  .nullable()
  .describe("Pass as `cursor` for the next page; null on the last page.");

export function encodeCursor(position: unknown): string {
  const bytes = new TextEncoder().encode(JSON.stringify(position));
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

export function decodeCursor<T>(cursor: string | undefined, schema: z.ZodType<T>): T | null {
  if (cursor === undefined || cursor === "") return null;
  try {
    const binary = atob(cursor.replace(/-/g, "+").replace(/_/g, "/"));
    const parsed = schema.safeParse(
      JSON.parse(new TextDecoder().decode(Uint8Array.from(binary, (ch) => ch.charCodeAt(0)))),
    );
    if (parsed.success) return parsed.data;
  } catch {
    // fall through: not base64 or not JSON
  }
  throw new ApiError("invalid_request", "cursor is not one this API returned", {
    issues: [{ path: "query.cursor", message: "invalid cursor" }],
  });
}

/** The page and its next cursor, from rows fetched with limit + 1. */
export function page<T>(
  rows: T[],
  limit: number,
  positionOf: (last: T) => unknown,
): { data: T[]; nextCursor: string | null } {
  const data = rows.slice(0, limit);
  return {
    data,
    nextCursor: rows.length > limit && data.length > 0 ? encodeCursor(positionOf(data[data.length - 1]!)) : null,
  };
}

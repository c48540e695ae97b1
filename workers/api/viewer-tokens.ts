// POST /v1/viewer-tokens: an operator's server (API key with scope read) mints a short-lived token that
// lets a browser read the live state and stream of the named matches, and nothing else. The page gets the
// token, never the key (workers/auth/viewer-token.ts signs and verifies it). A token reads as its issuing
// client: each read resolves the match id in the issuer's tenant (matchOwner: its own match, else one shared
// with it), so a token can only ever reach the issuer tenant's matches or those shared with it, and loses a
// shared match when the grant is revoked.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import {
  DEFAULT_VIEWER_TOKEN_TTL_SECONDS,
  MAX_VIEWER_TOKEN_MATCHES,
  MAX_VIEWER_TOKEN_TTL_SECONDS,
  signViewerToken,
  ViewerKeysError,
  viewerKeySet,
} from "../auth/viewer-token";
import { log } from "../observability/log";
import type { AppEnv } from "./app-env";
import { requireScope } from "./auth";
import { ApiError, validationHook } from "./errors";
import { bearerAuth, errors, okJson } from "./openapi";
import { entityId } from "./params";
import { requestBudget } from "./rate-limit";

const viewerTokenBody = z
  .object({
    matchIds: z
      .array(entityId)
      .min(1)
      .max(MAX_VIEWER_TOKEN_MATCHES)
      .describe(`The matches the token may read (1-${MAX_VIEWER_TOKEN_MATCHES}).`),
    ttlSeconds: z
      .int()
      .min(30)
      .max(MAX_VIEWER_TOKEN_TTL_SECONDS)
      .optional()
      .describe(`Lifetime in seconds (default ${DEFAULT_VIEWER_TOKEN_TTL_SECONDS}).`),
  })
  .strict()
  .meta({ id: "CreateViewerToken" });

const viewerTokenSchema = z
  .object({
    token: z.string().describe("Send as `?access_token=` to /v1/matches/{id}/live and /state."),
    expiresAt: z.string().describe("RFC 3339; mint a new token before then (the client package's token function)."),
  })
  .meta({ id: "ViewerToken" });

export const createViewerTokenRoute = createRoute({
  method: "post",
  path: "/v1/viewer-tokens",
  tags: ["live"],
  summary: "Mint a viewer token for browsers",
  description:
    "A short-lived token for reading the live state and stream of the named matches, for a page to hold instead " +
    "of an API key. It stops working when it expires or when the API client that minted it is revoked (within " +
    "5 s). Scope: read.",
  security: bearerAuth,
  middleware: [requireScope("read"), requestBudget],
  request: { body: { content: { "application/json": { schema: viewerTokenBody } }, required: true } },
  responses: {
    201: okJson(viewerTokenSchema, "The token"),
    ...errors(400, 401, 403, 415, 429, 503),
  },
});

const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

app.openapi(createViewerTokenRoute, async (c) => {
  const body = c.req.valid("json");
  let keys: ReturnType<typeof viewerKeySet>;
  try {
    keys = viewerKeySet(c.env.VIEWER_TOKEN_KEYS);
  } catch (err) {
    if (!(err instanceof ViewerKeysError)) throw err;
    log("error", err.message);
    throw new ApiError("internal", "the server cannot issue viewer tokens (misconfigured)");
  }
  const { token, expiresAt } = await signViewerToken(keys, {
    clientId: c.get("client").id,
    matchIds: [...new Set(body.matchIds)],
    ttlSeconds: body.ttlSeconds ?? DEFAULT_VIEWER_TOKEN_TTL_SECONDS,
  });
  return c.json({ token, expiresAt: new Date(expiresAt * 1000).toISOString() }, 201);
});

export const viewerTokensRoutes = app;

// Live reads of one match: its state with the current prediction, and the WebSocket stream.
import { Hono } from "hono";
import { MATCH_ID_PATTERN } from "../../shared/contract/event";
import type { AppEnv } from "./app-env";
import { requireScope } from "./auth";
import { ApiError } from "./errors";

function matchIdParam(raw: string): string {
  if (!MATCH_ID_PATTERN.test(raw)) {
    throw new ApiError(400, "invalid_match_id", "matchId must be 1-64 characters of A-Z a-z 0-9 . _ : -", {
      issues: [{ path: "matchId", message: "invalid format" }],
    });
  }
  return raw;
}

export const matchesRoutes = new Hono<AppEnv>()
  .get("/v1/matches/:matchId/state", requireScope("read", { allowQueryToken: true }), async (c) => {
    const matchId = matchIdParam(c.req.param("matchId"));
    const room = c.env.MATCH_ROOM.get(c.env.MATCH_ROOM.idFromName(matchId));
    const current = await room.getState();
    if (!current) throw new ApiError(404, "not_found", `no events have reached match '${matchId}'`);
    return c.json({ ...current.state, prediction: current.prediction });
  })
  .get("/v1/matches/:matchId/live", requireScope("read", { allowQueryToken: true }), async (c) => {
    const matchId = matchIdParam(c.req.param("matchId"));
    if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
      throw new ApiError(426, "upgrade_required", "this endpoint is a WebSocket: send Upgrade: websocket", {}, { upgrade: "websocket" });
    }
    const since = c.req.query("since");
    if (since !== undefined && !/^\d+$/.test(since)) {
      throw new ApiError(400, "invalid_query", "since must be a non-negative integer (the last seq you received)", {
        issues: [{ path: "since", message: "not a non-negative integer" }],
      });
    }
    const room = c.env.MATCH_ROOM.get(c.env.MATCH_ROOM.idFromName(matchId));
    return room.fetch(c.req.raw);
  });

// GET /v1/matches/{matchId}/graphql: the WebSocket of a match's GraphQL subscriptions (graphql-ws,
// subprotocol graphql-transport-ws). The same credentials as /live (a viewer token for the match, or a key
// with read scope, also as ?token=); the socket goes to the room of the match as the caller's tenant sees
// it (matchOwner, roomName), or past its relay threshold to one of its relays, as /live's sockets do; both
// serve the subscriptions on hibernating sockets (room-sockets.ts).
import { createRoute } from "@hono/zod-openapi";
import type { Hono } from "hono";
import { every } from "hono/combine";
import { liveAccess } from "../api/access";
import type { AppEnv } from "../api/app-env";
import { ApiError } from "../api/errors";
import { bearerAuth, errors } from "../api/openapi";
import { matchIdParams, socketMatchId } from "../api/params";
import { forwardMatchSocket } from "../relay/route";
import { GRAPHQL_TRANSPORT_WS_PROTOCOL } from "./room-sockets";

export const GRAPHQL_SOCKET_PATH = "/v1/matches/:matchId/graphql";

export const graphqlSocketRoute = createRoute({
  method: "get",
  path: "/v1/matches/{matchId}/graphql",
  tags: ["graphql"],
  summary: "GraphQL subscriptions of a match (graphql-ws)",
  description:
    "Upgrade to a WebSocket with `Sec-WebSocket-Protocol: graphql-transport-ws` (echoed), then speak graphql-ws: " +
    "`connection_init`, `subscribe` to `matchUpdated(matchId, since)` or `predictionUpdated(matchId, since)` (the " +
    "socket's match), `complete`. Payloads are /live's frames (snapshot first, coalesced updates, corrections; " +
    '`since` resumes). Same credentials as /live. Opt-in flow control: a `pong` with payload `{"ack": seq}`. ' +
    "4001: key revoked; 4008: too slow (resubscribe with since).",
  security: bearerAuth,
  request: { params: matchIdParams },
  responses: {
    101: { description: "Switching protocols: graphql-ws messages follow." },
    ...errors(400, 401, 403, 404, 426, 429, 503),
  },
});

export function mountGraphqlSocket(app: Hono<AppEnv>): void {
  app.get(GRAPHQL_SOCKET_PATH, every(...liveAccess), async (c) => {
    const matchId = socketMatchId(c.req, " (graphql-ws)");
    const protocols = (c.req.header("sec-websocket-protocol") ?? "").split(",").map((p) => p.trim());
    if (!protocols.includes(GRAPHQL_TRANSPORT_WS_PROTOCOL)) {
      throw new ApiError("invalid_request", `send Sec-WebSocket-Protocol: ${GRAPHQL_TRANSPORT_WS_PROTOCOL}`, {
        issues: [{ path: "header.sec-websocket-protocol", message: `must include ${GRAPHQL_TRANSPORT_WS_PROTOCOL}` }],
      });
    }
    // To the room, or past its relay threshold one of its relays, as for /live.
    return forwardMatchSocket(c, matchId);
  });
}

// MatchRelay: one of a match's fan-out Durable Objects (`{room}:relay:{k}`, room the match room's name:
// tenant and match, workers/tenants/tenant.ts; the `matchId` below is that name). It holds hibernating
// viewer sockets, receives each frame once from the match's room (deliver) and repeats it to them. A
// viewer sees what the room would send: a snapshot or the missed updates on open (from the relay's buffer
// of recent frames, else asked of the room), then every frame in order, the same pings, acks and 4008.
import { DurableObject } from "cloudflare:workers";
import { errorBody } from "../../shared/contract/errors";
import { PING_TEXT, PONG_TEXT, PROTOCOL_VERSION, type ServerFrame } from "../../shared/contract/live-protocol";
import { type Env, numberVar } from "../env";
import { GraphqlSockets, withoutGraphqlSockets } from "../graphql/room-sockets";
import { graphqlSchema } from "../graphql/schema";
import { fanOut } from "../match-room/broadcast";
import { ACCESS_CHECK_MS, DEFAULT_SOCKETS_PER_CLIENT } from "../match-room/match-room";
import { closeRevokedSockets } from "../match-room/revocation";
import {
  CLIENT_ID_HEADER,
  clientTag,
  closeQuietly,
  echoCloseCode,
  isBenignTeardownError,
  leasesOf,
  SocketRegistry,
  VIEWER_HEADER,
} from "../match-room/sockets";
import { HISTORY_LIMIT } from "../match-room/store";
import { errorMessage, log } from "../observability/log";
import { LEASE_HEADER, LeaseRenewal, leaseFromHeader, returnSocketLease } from "../tenants/live-sockets";
import { parseRoomName } from "../tenants/tenant";
import { classify, type RelayedFrame, relayName, replayFrom } from "./plan";

/** The upgrade the Worker forwards names the relay's room (tenant and match) and index. */
export const RELAY_MATCH_HEADER = "x-matchpulse-relay-match";
export const RELAY_INDEX_HEADER = "x-matchpulse-relay-index";
/** Recent frames kept for resumes: as many updates as the room's history, and at most this many bytes. */
const BUFFER_BYTES = 8 * 1024 * 1024;
const REPORT_MS = 1_000;
const HOME_KEY = "home";

interface Home {
  matchId: string;
  k: number;
}

export class MatchRelay extends DurableObject<Env> {
  private readonly sockets = new SocketRegistry();
  private buffer: RelayedFrame[] = [];
  private bufferBytes = 0;
  private lastSeq: number | null = null;
  private home: Home | null;
  /** Openings and deliveries run one at a time, in arrival order: a socket never sees frames out of order. */
  private work: Promise<unknown> = Promise.resolve();
  /** Sockets opened from the room's answer, ahead of this relay: frames up to that seq are not theirs. */
  private readonly openedAt = new Map<WebSocket, number>();
  private reportTimer: ReturnType<typeof setTimeout> | null = null;
  private lastAccessCheck = 0;
  private readonly leaseRenewal = new LeaseRenewal();
  /** GraphQL subscriptions on this relay's graphql-ws sockets (workers/graphql/room-sockets.ts). */
  private readonly graphql: GraphqlSockets;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.home = ctx.storage.kv.get<Home>(HOME_KEY) ?? null;
    this.graphql = new GraphqlSockets(
      ctx,
      this.sockets,
      graphqlSchema,
      // The relay's home names the room (tenant/match); subscriptions name the match.
      () => (this.home ? parseRoomName(this.home.matchId).matchId : null),
      (since) => this.graphqlOpening(since),
      () => {},
      (task) => this.serially(task),
    );
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(PING_TEXT, PONG_TEXT));
  }

  override async fetch(request: Request): Promise<Response> {
    const matchId = request.headers.get(RELAY_MATCH_HEADER);
    const k = Number(request.headers.get(RELAY_INDEX_HEADER));
    if (matchId === null || !Number.isSafeInteger(k)) {
      return Response.json(errorBody("invalid_request", "not a relay upgrade"), { status: 400 });
    }
    this.adopt(matchId, k);
    const clientId = request.headers.get(CLIENT_ID_HEADER);
    const viewer = request.headers.get(VIEWER_HEADER) === "1";
    if (clientId !== null && !viewer) {
      const cap = numberVar(this.env.LIVE_SOCKETS_PER_CLIENT, DEFAULT_SOCKETS_PER_CLIENT);
      if (this.ctx.getWebSockets(clientTag(clientId)).length >= cap) {
        return Response.json(
          errorBody("rate_limited", `at most ${cap} live sockets per API key on one match; close one first`),
          { status: 429 },
        );
      }
    }
    if (new URL(request.url).pathname.endsWith("/graphql")) {
      const accepted = this.graphql.accept(clientId, !viewer, leaseFromHeader(request.headers.get(LEASE_HEADER)));
      this.reportSoon();
      await this.scheduleAlarm();
      return accepted;
    }
    const sinceText = new URL(request.url).searchParams.get("since");
    const since = sinceText === null ? null : Number(sinceText);
    return this.serially(async () => {
      const opening = await this.opening(matchId, since);
      if (opening === "no_room") {
        return Response.json(errorBody("not_found", "no events for this match yet"), { status: 404 });
      }
      const pair = new WebSocketPair();
      const [client, server] = [pair[0], pair[1]];
      const lease = leaseFromHeader(request.headers.get(LEASE_HEADER));
      this.sockets.accept(this.ctx, server, { clientId, acked: null, ...(lease ? { lease } : {}) }, !viewer);
      for (const text of opening.texts) server.send(text);
      if (opening.fromRoomAt !== null && (this.lastSeq === null || opening.fromRoomAt > this.lastSeq)) {
        this.openedAt.set(server, opening.fromRoomAt);
      }
      this.reportSoon();
      await this.scheduleAlarm();
      return new Response(null, { status: 101, webSocket: client });
    });
  }

  /** Frames from the room, each once, in the room's order. Answers this relay's socket count. */
  async deliver(
    matchId: string,
    k: number,
    spans: { fromSeq: number; seq: number }[],
    texts: string[],
  ): Promise<number> {
    this.adopt(matchId, k);
    return this.serially(async () => {
      const sockets = this.ctx.getWebSockets();
      for (let i = 0; i < texts.length; i++) {
        const span = spans[i];
        const text = texts[i];
        if (span === undefined || text === undefined) continue;
        const kind = classify(this.lastSeq, span);
        if (kind === "repeat") continue;
        if (kind === "gap" && this.lastSeq !== null) {
          // A delivery was lost on the way (a failed or skipped call): the room's resume covers it.
          await this.catchUp(matchId, this.lastSeq, sockets);
          if (this.lastSeq !== null && span.seq <= this.lastSeq) continue;
        }
        this.send(sockets, [{ ...span, text }]);
      }
      if (Date.now() - this.lastAccessCheck >= ACCESS_CHECK_MS) void this.checkAccess();
      return sockets.length;
    });
  }

  override async alarm(): Promise<void> {
    this.graphql.closeUninitialised((ws) => this.forget(ws));
    if (this.ctx.getWebSockets().length > 0) await this.checkAccess();
    const sockets = this.ctx.getWebSockets();
    if (sockets.length > 0 && this.leaseRenewal.due())
      await this.leaseRenewal.renew(this.env, leasesOf(sockets, this.sockets));
    await this.scheduleAlarm();
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    if (this.graphql.isGraphql(ws)) return this.graphql.message(ws, message);
    this.sockets.answer(ws, message);
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    returnSocketLease(this.ctx, this.env, this.sockets.state(ws).lease);
    this.forget(ws);
    const echoed = echoCloseCode(code);
    closeQuietly(ws, echoed, echoed === code ? reason : "");
    this.reportSoon();
  }

  override async webSocketError(ws: WebSocket, error: unknown): Promise<void> {
    returnSocketLease(this.ctx, this.env, this.sockets.state(ws).lease);
    this.forget(ws);
    if (!isBenignTeardownError(error)) log("warn", "relay socket error", { error: errorMessage(error) });
    closeQuietly(ws, 1011, "internal error");
    this.reportSoon();
  }

  private serially<T>(task: () => Promise<T>): Promise<T> {
    const run = this.work.then(task, task);
    this.work = run.catch(() => {});
    return run;
  }

  private adopt(matchId: string, k: number): void {
    if (this.home?.matchId === matchId && this.home.k === k) return;
    this.home = { matchId, k };
    this.ctx.storage.kv.put(HOME_KEY, this.home);
  }

  private room(matchId: string) {
    return this.env.MATCH_ROOM.get(this.env.MATCH_ROOM.idFromName(matchId));
  }

  /** What a new socket gets first: from the buffer when it reaches back far enough, else from the room. */
  private async opening(
    matchId: string,
    since: number | null,
  ): Promise<{ texts: string[]; fromRoomAt: number | null } | "no_room"> {
    const valid = since !== null && Number.isSafeInteger(since) && since >= 0;
    if (this.lastSeq !== null) {
      if (!valid) return { texts: [this.snapshotText()], fromRoomAt: null };
      if (since === this.lastSeq) return { texts: [], fromRoomAt: null };
      const replay = since < this.lastSeq ? replayFrom(this.buffer, since) : null;
      if (replay) return { texts: replay.map((f) => f.text), fromRoomAt: null };
    }
    const answer = await this.room(matchId).openingFor(valid ? since : null);
    if (answer === null) return "no_room";
    return answer.text === null ? { texts: [], fromRoomAt: null } : { texts: [answer.text], fromRoomAt: answer.seq };
  }

  /**
   * A subscription's opening, as a /live socket's (from the buffer, else from the room), as frames; null
   * when the match has no events. Frames the room answers ahead of this relay are not sent again: the
   * subscription records the opening's seq.
   */
  private async graphqlOpening(since: number | null): Promise<ServerFrame[] | null> {
    const matchId = this.home?.matchId;
    if (!matchId) return null;
    const opening = await this.opening(matchId, since);
    return opening === "no_room" ? null : opening.texts.map((t) => JSON.parse(t) as ServerFrame);
  }

  /** The snapshot of the newest frame passed on: a frame carries the whole state, as a snapshot does. */
  private snapshotText(): string {
    const last = this.buffer[this.buffer.length - 1];
    if (!last) throw new Error("no frame to snapshot");
    const { state, prediction, seq } = JSON.parse(last.text) as { state: unknown; prediction: unknown; seq: number };
    return JSON.stringify({ v: PROTOCOL_VERSION, type: "snapshot", seq, event: null, state, prediction });
  }

  private async catchUp(matchId: string, since: number, sockets: WebSocket[]): Promise<void> {
    const answer = await this.room(matchId).openingFor(since);
    if (!answer || answer.text === null) return;
    const text = answer.text;
    if (answer.snapshot) {
      // Too far back for the room's history: every socket starts over from this state.
      this.buffer = [];
      this.bufferBytes = 0;
      fanOut(withoutGraphqlSockets(this.ctx, sockets), this.sockets, [text], answer.seq);
      if (this.graphql.active()) this.graphql.publish([JSON.parse(text) as ServerFrame]);
      this.lastSeq = answer.seq;
      return;
    }
    this.send(sockets, [{ fromSeq: since + 1, seq: answer.seq, text }]);
  }

  private send(sockets: WebSocket[], frames: RelayedFrame[]): void {
    const last = frames[frames.length - 1];
    if (!last) return;
    let targets = withoutGraphqlSockets(this.ctx, sockets);
    if (this.graphql.active()) this.graphql.publish(frames.map((f) => JSON.parse(f.text) as ServerFrame));
    if (this.openedAt.size > 0) {
      targets = targets.filter((ws) => (this.openedAt.get(ws) ?? -1) < last.seq);
      for (const [ws, at] of this.openedAt) if (at <= last.seq) this.openedAt.delete(ws);
    }
    fanOut(
      targets,
      this.sockets,
      frames.map((f) => f.text),
      last.seq,
    );
    for (const f of frames) {
      this.buffer.push(f);
      this.bufferBytes += f.text.length;
    }
    this.lastSeq = last.seq;
    // Keep about the room's history depth of updates, bounded in bytes.
    while (this.buffer.length > 1) {
      const first = this.buffer[0];
      if (!first || (this.lastSeq - first.seq < HISTORY_LIMIT && this.bufferBytes <= BUFFER_BYTES)) break;
      this.buffer.shift();
      this.bufferBytes -= first.text.length;
    }
  }

  private forget(ws: WebSocket): void {
    this.sockets.forget(ws);
    this.openedAt.delete(ws);
  }

  /** Tells the room this relay's audience, at most once per REPORT_MS (it plans the relays from it). */
  private reportSoon(): void {
    if (this.reportTimer || !this.home) return;
    const { matchId, k } = this.home;
    this.reportTimer = setTimeout(() => {
      this.reportTimer = null;
      this.room(matchId)
        .relayReport(k, this.ctx.getWebSockets().length)
        .catch((err: unknown) =>
          log("warn", "relay report failed", { relay: relayName(matchId, k), error: errorMessage(err) }),
        );
    }, REPORT_MS);
  }

  private async scheduleAlarm(): Promise<void> {
    if (this.ctx.getWebSockets().length === 0) return;
    // The next key check, or sooner a graphql-ws socket's connection_init deadline.
    const due = Math.min(Date.now() + ACCESS_CHECK_MS, this.graphql.awaitingInit().next ?? Number.POSITIVE_INFINITY);
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > due) await this.ctx.storage.setAlarm(due);
  }

  /** Closes, with 4001, the sockets whose key (or viewer token's issuer) was revoked, as the room does. */
  private async checkAccess(): Promise<void> {
    this.lastAccessCheck = Date.now();
    await closeRevokedSockets(this.env, this.ctx.getWebSockets(), this.sockets, (ws) => this.forget(ws));
  }
}

// MatchRoom: one Durable Object per match, a shell over pure functions: sequencing (./sequencer), the
// fold through the sport's reducer and predictor (./fold), frames (./frames). It adds storage (./store),
// hibernating sockets (./sockets, ./broadcast), the team strength (./strength, Postgres) and the check
// that the keys of open sockets are still valid (workers/api/auth).
import { DurableObject } from "cloudflare:workers";
import { errorBody } from "../../shared/contract/errors";
import { PING_TEXT, PONG_TEXT } from "../../shared/contract/live-protocol";
import type { Prediction } from "../../shared/contract/prediction";
import { sportOf } from "../../shared/sports";
import type { MatchEvent, SportModule } from "../../shared/sports/sport";
import { type Env, numberVar } from "../env";
import { settleReleasedEnd } from "../games/settlement";
import { GraphqlSockets, withoutGraphqlSockets } from "../graphql/room-sockets";
import { graphqlSchema } from "../graphql/schema";
import { errorMessage, log } from "../observability/log";
import type { ApplyResult } from "../queue/messages";
import { RelayPublisher } from "../relay/publisher";
import { LEASE_HEADER, LeaseRenewal, leaseFromHeader, returnSocketLease } from "../tenants/live-sockets";
import { DEFAULT_TENANT, parseRoomName } from "../tenants/tenant";
import { Broadcaster, sinks } from "./broadcast";
import { foldDelivery } from "./fold";
import { type RoomFrame, snapshotFrame, updateFrame } from "./frames";
import { DEFAULT_STRENGTH, newRecord, type RoomRecord, stateView } from "./record";
import { closeRevokedSockets } from "./revocation";
import { planDelivery } from "./sequencer";
import {
  CLIENT_ID_HEADER,
  clientTag,
  closeQuietly,
  echoCloseCode,
  isBenignTeardownError,
  leasesOf,
  SocketRegistry,
  VIEWER_HEADER,
} from "./sockets";
import { RoomStore, type SqlRowCounts } from "./store";
import { loadStrength } from "./strength";

const STRENGTH_RETRY_MS = 30_000;
/** The keys of open sockets are re-checked at least this often (the API's revocation bound, KEY_CACHE_TTL_MS). */
export const ACCESS_CHECK_MS = 5_000;
export const DEFAULT_SOCKETS_PER_CLIENT = 100;

interface Room {
  record: RoomRecord;
  sport: SportModule;
}

export class MatchRoom extends DurableObject<Env> {
  private readonly store: RoomStore;
  private readonly sockets = new SocketRegistry();
  private readonly broadcaster: Broadcaster;
  /** Past a threshold of sockets, frames also go once to each of the match's relays (workers/relay). */
  private readonly relays: RelayPublisher;
  /** GraphQL subscriptions over graphql-ws (workers/graphql/room-sockets.ts): frames reach them too. */
  private readonly graphql: GraphqlSockets;
  /** Null until the first event: such a room writes nothing (reads of unknown matches leave no storage). */
  private room: Room | null = null;
  /** The tenant owning the match, from the object's name (workers/tenants/tenant.ts roomName). */
  private readonly tenantId: string;
  /** The object's name, null when it was not made by name (tests): then the match id names it. */
  private readonly name: string | null;
  private lastAccessCheck = 0;
  private accessCheck: Promise<void> | null = null;
  private readonly leaseRenewal = new LeaseRenewal();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // The name the Worker addressed it by (idFromName), also inside the object and its alarms.
    this.name = ctx.id.name ?? null;
    this.tenantId = this.name === null ? DEFAULT_TENANT : parseRoomName(this.name).tenantId;
    this.store = new RoomStore(ctx.storage.sql);
    const record = this.store.loadRecord(sportOf);
    const sport = record && sportOf(record.sport);
    if (record && sport) this.room = { record, sport };
    this.relays = new RelayPublisher(
      ctx,
      env,
      // Relays are named after the room (tenant and match).
      () => (this.room ? (this.name ?? this.room.record.matchId) : null),
      () => ctx.getWebSockets().length,
    );
    this.graphql = new GraphqlSockets(
      ctx,
      this.sockets,
      graphqlSchema,
      () => this.room?.record.matchId ?? null,
      (since) => {
        if (!this.room) return null;
        const frame = this.openingFrame(this.room.record, since);
        return frame ? [frame] : [];
      },
      () => this.checkAccessSoon(),
    );
    this.broadcaster = new Broadcaster(
      () => withoutGraphqlSockets(ctx, ctx.getWebSockets()),
      this.sockets,
      () => this.checkAccessSoon(),
      sinks(this.relays, this.graphql),
    );
    // Keep-alive pings are answered by the runtime without waking a hibernated room.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(PING_TEXT, PONG_TEXT));
  }

  /**
   * Called by the queue consumer once per match per batch. Idempotent per eventId. `confirmedUpTo`: the
   * consumer wrote this room's predictions up to that seq (it rides here instead of a request of its own).
   */
  async applyEvents(matchId: string, events: MatchEvent[], confirmedUpTo?: number): Promise<ApplyResult> {
    if (confirmedUpTo !== undefined && Number.isSafeInteger(confirmedUpTo))
      this.store.confirmPredictions(confirmedUpTo);
    const result: ApplyResult = { applied: 0, duplicates: 0, held: 0, rejected: 0, rejectedIds: [], predictions: [] };
    const room = await this.openRoom(matchId, events[0]);
    if (!room) return { ...result, rejected: events.length, rejectedIds: events.map((e) => e.eventId) };

    const fresh: MatchEvent[] = [];
    const seen = this.store.knownIds(events.map((e) => e.eventId));
    for (const e of events) {
      if (e.sport !== room.record.sport || e.matchId !== room.record.matchId) {
        result.rejected++;
        result.rejectedIds?.push(e.eventId);
        log("warn", "event does not belong to this room", { matchId, eventId: e.eventId, sport: e.sport });
      } else if (seen.has(e.eventId)) result.duplicates++;
      else {
        seen.add(e.eventId);
        fresh.push(e);
      }
    }
    const { applied, frames, holding } = this.deliver(room, fresh, false);
    result.applied = applied;
    result.held = fresh.length - applied;
    if (holding) await this.scheduleAlarm();
    this.broadcaster.publish(frames);
    result.predictions = this.store.pendingPredictions();
    return result;
  }

  /** The consumer wrote predictions up to this room seq to the analytics store. */
  async confirmPredictions(upToSeq: number): Promise<void> {
    if (!this.room) return;
    // Kept in memory and written with the next delivery's record: no write of its own (store.ts).
    this.store.confirmPredictions(upToSeq);
  }

  /** SQLite rows this object read and wrote since it started (what the platform bills; bench and tests). */
  async sqlRowCounts(): Promise<SqlRowCounts> {
    return { ...this.store.sqlRows };
  }

  /** The current state and prediction, or null if no event has reached this match yet. */
  async getState(): Promise<{ state: ReturnType<typeof stateView>; prediction: Prediction | null } | null> {
    return this.room ? { state: stateView(this.room.record), prediction: this.room.record.prediction } : null;
  }

  /** How many relays take the match's new sockets (0: the room itself); the Worker caches it briefly. */
  async liveRoute(): Promise<{ relays: number }> {
    return { relays: this.room ? this.relays.relays() : 0 };
  }

  /** A relay's socket count, reported when its audience changes. */
  async relayReport(k: number, sockets: number): Promise<void> {
    this.relays.report(k, sockets);
  }

  /**
   * For a relay: what a socket opening with `since` gets (as from the room itself, serialized; null when
   * nothing was missed), whether that is a snapshot, and the room's seq; null before the first event.
   */
  async openingFor(since: number | null): Promise<{ text: string | null; snapshot: boolean; seq: number } | null> {
    const room = this.room;
    if (!room) return null;
    const frame = this.openingFrame(room.record, since);
    return { text: frame && JSON.stringify(frame), snapshot: frame?.type === "snapshot", seq: room.record.seq };
  }

  /** The live socket: a snapshot (or what a resuming client missed), then every update. */
  override async fetch(request: Request): Promise<Response> {
    const room = this.room;
    if (!room) return Response.json(errorBody("not_found", "no events for this match yet"), { status: 404 });
    const record = room.record;
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
    const lease = leaseFromHeader(request.headers.get(LEASE_HEADER));
    if (new URL(request.url).pathname.endsWith("/graphql")) {
      const accepted = this.graphql.accept(clientId, !viewer, lease);
      await this.scheduleAlarm();
      return accepted;
    }
    const sinceText = new URL(request.url).searchParams.get("since");
    const since = sinceText === null ? null : Number(sinceText);
    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    this.sockets.accept(this.ctx, server, { clientId, acked: null, ...(lease ? { lease } : {}) }, !viewer);
    const opening = this.openingFrame(record, since);
    if (opening) server.send(JSON.stringify(opening));
    await this.scheduleAlarm();
    return new Response(null, { status: 101, webSocket: client });
  }

  /** Releases events held past the gap hold, and re-checks the keys of open sockets. */
  override async alarm(): Promise<void> {
    const room = this.room;
    if (room) {
      const oldest = this.store.oldestHeldAt();
      if (oldest !== null && oldest + this.gapHoldMs() <= Date.now()) {
        const ended = stateView(room.record).status === "finished";
        this.broadcaster.publish(this.deliver(room, [], true).frames);
        // A match_end released here reaches no consumer: start the prediction game's settlement.
        if (!ended && this.room)
          await settleReleasedEnd(this.env, this.name ?? this.room.record.matchId, stateView(this.room.record));
      }
    }
    this.graphql.closeUninitialised((ws) => this.sockets.forget(ws));
    const sockets = this.ctx.getWebSockets();
    if (sockets.length > 0) await this.checkAccess();
    if (sockets.length > 0 && this.leaseRenewal.due())
      await this.leaseRenewal.renew(this.env, leasesOf(this.ctx.getWebSockets(), this.sockets));
    await this.scheduleAlarm();
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    if (this.graphql.isGraphql(ws)) return this.graphql.message(ws, message);
    this.sockets.answer(ws, message);
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    returnSocketLease(this.ctx, this.env, this.sockets.state(ws).lease);
    this.sockets.forget(ws);
    const echoed = echoCloseCode(code);
    closeQuietly(ws, echoed, echoed === code ? reason : "");
  }

  override async webSocketError(ws: WebSocket, error: unknown): Promise<void> {
    returnSocketLease(this.ctx, this.env, this.sockets.state(ws).lease);
    this.sockets.forget(ws);
    if (!isBenignTeardownError(error)) log("warn", "live socket error", { error: errorMessage(error) });
    closeQuietly(ws, 1011, "internal error");
  }

  /** The room of this match, created with the first event (and its strength); null for an event of no sport. */
  private async openRoom(matchId: string, first: MatchEvent | undefined): Promise<Room | null> {
    if (!this.room) {
      const sport = first && sportOf(first.sport);
      if (!sport) return null;
      // Strength is read once, before the first event, so every prediction of the match uses it.
      const strength = await this.ctx.blockConcurrencyWhile(() => loadStrength(this.env, this.tenantId, matchId));
      if (!this.room) {
        this.store.ensureSchema();
        const record = newRecord(matchId, sport, strength ?? DEFAULT_STRENGTH);
        if (!strength) record.strengthRetryAt = Date.now() + STRENGTH_RETRY_MS;
        this.room = { record, sport };
      }
    } else if (this.room.record.strengthRetryAt !== undefined && Date.now() >= this.room.record.strengthRetryAt) {
      const strength = await this.ctx.blockConcurrencyWhile(() => loadStrength(this.env, this.tenantId, matchId));
      const { strengthRetryAt: _, ...record } = this.room.record;
      this.room = {
        ...this.room,
        record: strength ? { ...record, strength } : { ...record, strengthRetryAt: Date.now() + STRENGTH_RETRY_MS },
      };
    }
    return this.room;
  }

  /**
   * Plan (sequencer) → fold (pure) → persist (one transaction) → adopt. Returns how many events were
   * applied, the frames announcing them, and whether events are held behind a gap afterwards.
   */
  private deliver(
    room: Room,
    incoming: MatchEvent[],
    releaseAll: boolean,
  ): { applied: number; frames: RoomFrame[]; holding: boolean } {
    // Nothing new and nothing to release (a delivery of duplicates): nothing to write.
    if (incoming.length === 0 && !releaseAll)
      return { applied: 0, frames: [], holding: this.store.heldEventCount() > 0 };
    // Only events with a seq can be held or release held ones: without any, the held set stays as it is.
    const withHeld = releaseAll || incoming.some((e) => e.seq !== undefined);
    const held = withHeld ? this.store.heldEvents() : [];
    const heldIds = new Set(held.map((e) => e.eventId));
    const plan = planDelivery(room.record.sequencing, incoming, held, releaseAll);
    const now = Date.now();
    const folded = foldDelivery(room.record, room.sport, plan, heldIds, now, () => this.store.loadLog());
    for (const { eventId, why } of folded.ignored) {
      log("info", "correction changed nothing (yet)", { matchId: room.record.matchId, eventId, why });
    }
    try {
      this.ctx.storage.transactionSync(() => {
        this.store.recordApplied(folded.rows, folded.logAppends);
        if (withHeld) this.store.holdAll(plan.hold, heldIds, now);
        this.store.saveRecord(folded.record);
      });
    } catch (err) {
      // The transaction rolled back: the store's mirrors may hold what SQLite no longer has.
      this.store.forgetCaches();
      throw err;
    }
    this.room = { ...room, record: folded.record };
    return { applied: plan.apply.length, frames: folded.frames, holding: this.store.heldEventCount() > 0 };
  }

  /** A snapshot; for ?since=, what was missed (nothing if nothing was), or a snapshot flagged resumed:false. */
  private openingFrame(record: RoomRecord, since: number | null) {
    if (since === null || !Number.isSafeInteger(since) || since < 0) return snapshotFrame(record);
    // Ahead of the room (another room's seq, or a room rebuilt): the client's view cannot be resumed.
    if (since > record.seq) return snapshotFrame(record, false);
    const missed = this.store.historySince(since, record.seq);
    if (missed === null) return snapshotFrame(record, false);
    return missed.length > 0 ? updateFrame(record, missed, since + 1) : null;
  }

  private gapHoldMs(): number {
    return numberVar(this.env.GAP_HOLD_MS, 2_000);
  }

  /**
   * One alarm serves all three: the oldest held event's deadline, the next key check while sockets are
   * open, and the next graphql-ws connection_init deadline.
   */
  private async scheduleAlarm(): Promise<void> {
    const oldest = this.room ? this.store.oldestHeldAt() : null;
    let due = oldest === null ? Number.POSITIVE_INFINITY : oldest + this.gapHoldMs();
    if (this.ctx.getWebSockets().length > 0) due = Math.min(due, Date.now() + ACCESS_CHECK_MS);
    due = Math.min(due, this.graphql.awaitingInit().next ?? Number.POSITIVE_INFINITY);
    if (due === Number.POSITIVE_INFINITY) return;
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > due) await this.ctx.storage.setAlarm(due);
  }

  /** While frames go out: re-check the keys if the last check is older than ACCESS_CHECK_MS. */
  private checkAccessSoon(): void {
    if (this.accessCheck || Date.now() - this.lastAccessCheck < ACCESS_CHECK_MS) return;
    this.accessCheck = this.checkAccess().finally(() => {
      this.accessCheck = null;
    });
  }

  /** Closes, with 4001, the sockets whose API key was revoked or lost the read scope. */
  private async checkAccess(): Promise<void> {
    this.lastAccessCheck = Date.now();
    await closeRevokedSockets(this.env, this.ctx.getWebSockets(), this.sockets, (ws) => this.sockets.forget(ws));
  }
}

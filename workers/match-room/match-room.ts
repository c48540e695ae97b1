// MatchRoom: one Durable Object per match. A thin shell over pure functions — sequencing
// (./sequencer), the sport's reducer and predictor (shared/sports) — that adds storage (./store) and
// hibernating WebSockets (./broadcast).
import { DurableObject } from "cloudflare:workers";
import type { LiveFrame, MatchStateView, PredictionView } from "../../shared/contract/frames";
import { sportOf } from "../../shared/sports";
import type { MatchEvent, SportModule } from "../../shared/sports/sport";
import { type Env, numberVar } from "../env";
import { log } from "../observability/log";
import { Broadcaster, openLiveSocket, parseAck, updateFrame } from "./broadcast";
import { type Delivery, initialSequencing, planDelivery } from "./sequencer";
import { type AppliedRow, type PublishedPrediction, type RoomRecord, RoomStore, stateView } from "./store";
import { DEFAULT_STRENGTH, loadStrength } from "./strength";

const STRENGTH_RETRY_MS = 30_000;
/** Confirmed predictions leave the room's SQLite outbox within about this long (with a delivery) or twice it (a quiet room). */
export const CONFIRM_FLUSH_MS = 1_000;

export interface ApplyResult {
  applied: number;
  duplicates: number;
  held: number;
  rejected: number;
  /** The ids of the rejected events (another sport or match than the room's): the consumer keeps them out of the event log. */
  rejectedIds?: string[];
  /** Predictions not yet confirmed by the consumer (this call's and any earlier ones), oldest first. */
  predictions: PublishedPrediction[];
}

export class MatchRoom extends DurableObject<Env> {
  private readonly store: RoomStore;
  private readonly broadcaster: Broadcaster;
  private record: RoomRecord | null;
  private confirmTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new RoomStore(ctx.storage.sql);
    this.record = this.store.loadRecord();
    this.broadcaster = new Broadcaster(() => ctx.getWebSockets());
    // Keep-alive pings are answered by the runtime without waking a hibernated room.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
  }

  /** Called by the queue consumer once per match per batch. Idempotent per eventId. */
  async applyEvents(matchId: string, events: MatchEvent[]): Promise<ApplyResult> {
    const result: ApplyResult = { applied: 0, duplicates: 0, held: 0, rejected: 0, rejectedIds: [], predictions: [] };
    if (!this.record) {
      const sport = events[0] && sportOf(events[0].sport);
      if (!sport) return { ...result, rejected: events.length, rejectedIds: events.map((e) => e.eventId) };
      // Strength is read once, before the first event, so every prediction of the match uses it.
      const strength = await this.ctx.blockConcurrencyWhile(() => loadStrength(this.env, matchId));
      if (!this.record) {
        this.record = {
          ...this.newRecord(matchId, events[0]!.sport, sport),
          strength: strength ?? DEFAULT_STRENGTH,
          ...(strength ? {} : { strengthRetryAt: Date.now() + STRENGTH_RETRY_MS }),
        };
      }
    } else if (this.record.strengthRetryAt !== undefined && Date.now() >= this.record.strengthRetryAt) {
      const strength = await this.ctx.blockConcurrencyWhile(() => loadStrength(this.env, matchId));
      if (strength) {
        this.record.strength = strength;
        delete this.record.strengthRetryAt;
      } else this.record.strengthRetryAt = Date.now() + STRENGTH_RETRY_MS;
    }
    const sport = sportOf(this.record.sport)!;

    // Confirmations ride in a delivery's commit, at most every CONFIRM_FLUSH_MS / 2.
    this.store.flushConfirmations(CONFIRM_FLUSH_MS / 2);
    const fresh: MatchEvent[] = [];
    const seen = this.store.knownIds(events.map((e) => e.eventId));
    for (const e of events) {
      if (e.sport !== this.record.sport || e.matchId !== this.record.matchId) {
        result.rejected++;
        result.rejectedIds?.push(e.eventId);
        log("warn", "event does not belong to this room", { matchId, eventId: e.eventId, sport: e.sport });
      } else if (seen.has(e.eventId)) result.duplicates++;
      else {
        seen.add(e.eventId);
        fresh.push(e);
      }
    }
    const { applied, frame, holding } = this.deliver(sport, fresh, false);
    const appliedIds = new Set(applied.map((e) => e.eventId));
    result.applied = applied.length;
    result.held = fresh.filter((e) => !appliedIds.has(e.eventId)).length;
    if (holding) await this.scheduleRelease();
    this.broadcaster.publish(frame);
    result.predictions = this.store.pendingPredictions();
    return result;
  }

  /** The consumer wrote predictions up to this room seq to the analytics store. */
  async confirmPredictions(upToSeq: number): Promise<void> {
    this.store.confirmPredictions(upToSeq);
    this.armConfirmTimer();
  }

  /** Under load a later applyEvents writes confirmations; this timer writes those of a quiet room. */
  private armConfirmTimer(): void {
    this.confirmTimer ??= setTimeout(() => {
      this.confirmTimer = null;
      this.store.flushConfirmations(CONFIRM_FLUSH_MS / 2);
      if (this.store.hasUnwrittenConfirmations()) this.armConfirmTimer();
    }, CONFIRM_FLUSH_MS);
  }

  /** The current state and prediction, or null if no event has reached this match yet. */
  async getState(): Promise<{ state: MatchStateView; prediction: PredictionView | null } | null> {
    return this.record ? { state: stateView(this.record), prediction: this.record.prediction } : null;
  }

  override async fetch(request: Request): Promise<Response> {
    if (!this.record)
      return Response.json({ error: { code: "not_found", message: "no events for this match yet" } }, { status: 404 });
    const since = new URL(request.url).searchParams.get("since");
    return openLiveSocket(this.ctx, this.store, this.record, since === null ? null : Number(since));
  }

  override async alarm(): Promise<void> {
    if (!this.record) return;
    this.broadcaster.publish(this.deliver(sportOf(this.record.sport)!, [], true).frame);
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    if (message === "ping") {
      ws.send("pong");
      return;
    }
    const acked = parseAck(message);
    if (acked !== null) this.broadcaster.acknowledge(ws, acked);
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    this.broadcaster.forget(ws);
    // Complete the closing handshake. 1005/1006/1015 are reported, never sent: answer those with 1000.
    const sendable =
      code === 1000 ||
      (code >= 1001 && code <= 1014 && code !== 1005 && code !== 1006) ||
      (code >= 3000 && code <= 4999);
    try {
      ws.close(sendable ? code : 1000, sendable ? reason : "");
    } catch {
      // Already closed by the runtime.
    }
  }

  private newRecord(matchId: string, sportName: string, sport: SportModule): RoomRecord {
    return {
      matchId,
      sport: sportName,
      seq: 0,
      lastSeq: 0,
      eventsApplied: 0,
      lateEvents: 0,
      sequencing: initialSequencing(),
      updatedAt: null,
      live: sport.initialState() as unknown as Record<string, unknown>,
      prediction: null,
      strength: DEFAULT_STRENGTH,
    };
  }

  /**
   * Plans, reduces and persists in one storage transaction. Returns the events applied, in order, the
   * one frame that announces them all (the state after the last; clients get every event), and whether
   * events are held behind a gap afterwards.
   */
  private deliver(
    sport: SportModule,
    incoming: MatchEvent[],
    releaseAll: boolean,
  ): { applied: MatchEvent[]; frame: LiveFrame | null; holding: boolean } {
    const record = this.record!;
    // Only events with a seq can be held or release held ones: without any, the held set stays as it is.
    const withHeld = releaseAll || incoming.some((e) => e.seq !== undefined);
    const held = withHeld ? this.store.heldEvents() : [];
    const heldIds = new Set(held.map((e) => e.eventId));
    const plan = planDelivery(record.sequencing, incoming, held, releaseAll);
    const fromSeq = record.seq + 1;
    const now = Date.now();
    try {
      this.ctx.storage.transactionSync(() => this.applyPlan(sport, plan, withHeld, heldIds, now));
    } catch (err) {
      // The transaction rolled back: drop the in-memory changes with it.
      this.store.forgetCaches();
      this.record = this.store.loadRecord();
      throw err;
    }
    const applied = plan.apply.map((a) => a.event);
    return {
      applied,
      frame: applied.length ? updateFrame(record, applied, fromSeq) : null,
      holding: this.store.heldEventCount() > 0,
    };
  }

  private applyPlan(sport: SportModule, plan: Delivery, withHeld: boolean, heldIds: Set<string>, now: number): void {
    const record = this.record!;
    let live = record.live as never;
    const rows: AppliedRow[] = [];
    // Every event of one delivery is applied at the same instant.
    const at = plan.apply.length > 0 ? new Date(now).toISOString() : record.updatedAt;
    for (const { event, late } of plan.apply) {
      live = sport.applyEvent(live, event) as never;
      record.seq++;
      record.eventsApplied++;
      if (late) record.lateEvents++;
      if (event.seq !== undefined) record.lastSeq = Math.max(record.lastSeq, event.seq);
      record.updatedAt = at;
      const p = sport.winProbability(live, record.strength);
      record.prediction = { ...p, at: at! };
      rows.push({
        event,
        updateSeq: record.seq,
        wasHeld: heldIds.has(event.eventId),
        prediction: {
          matchId: record.matchId,
          sport: record.sport,
          seq: record.seq,
          eventId: event.eventId,
          eventType: event.type,
          pTeam1: p.pTeam1,
          pDraw: p.pDraw ?? null,
          pTeam2: p.pTeam2,
          modelVersion: p.modelVersion,
          at: at!,
        },
      });
    }
    record.live = live;
    this.store.recordApplied(rows);
    if (withHeld) this.store.holdAll(plan.hold, heldIds, now);
    record.sequencing = plan.sequencing;
    this.store.saveRecord(record);
  }

  private async scheduleRelease(): Promise<void> {
    const oldest = this.store.oldestHeldAt();
    if (oldest === null) return;
    const due = oldest + numberVar(this.env.GAP_HOLD_MS, 2_000);
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > due) await this.ctx.storage.setAlarm(due);
  }
}

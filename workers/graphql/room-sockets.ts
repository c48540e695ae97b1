// GraphQL subscriptions in the match room and its relays, over the graphql-ws protocol (subprotocol graphql-transport-ws)
// on hibernating sockets. A socket's protocol state and subscriptions live in its attachment (so they
// survive hibernation; nothing keeps the room awake between frames), and the room's frames reach them as
// they reach /live: the same coalesced frames, corrections and `since` resume (the subscription's `since`
// argument). Each broadcast executes a subscription's selection once per distinct (query, variables,
// operation) and sends the result to every socket that subscribed with it.
import { costLimitRule } from "@escape.tech/graphql-armor-cost-limit";
import { maxDepthRule } from "@escape.tech/graphql-armor-max-depth";
import {
  type DocumentNode,
  executeSync,
  type GraphQLError,
  type GraphQLSchema,
  getArgumentValues,
  getOperationAST,
  getVariableValues,
  Kind,
  parse,
  specifiedRules,
  validate,
} from "graphql";
import { CloseCode, GRAPHQL_TRANSPORT_WS_PROTOCOL, MessageType, parseMessage, stringifyMessage } from "graphql-ws";
import { closeCodes, closeReasons, type ServerFrame } from "../../shared/contract/live-protocol";
import { type FrameSink, tooFarBehind } from "../match-room/broadcast";
import { closeQuietly, type SocketRegistry } from "../match-room/sockets";
import type { SocketLease } from "../tenants/live-sockets";
import { MAX_COST, MAX_DEPTH } from "./cost";
import { subscriptionRoot } from "./subscriptions";

export const GRAPHQL_SOCKET_TAG = "graphql";
export { GRAPHQL_TRANSPORT_WS_PROTOCOL };
/** Subscriptions one socket may hold, and the most text they may take (an attachment holds 16 KB). */
export const MAX_SUBSCRIPTIONS_PER_SOCKET = 10;
export const MAX_SUBSCRIPTIONS_CHARS = 12_000;
/**
 * graphql-ws's connectionInitWaitTimeout (its server's default): a socket that has not sent connection_init
 * by then is closed with 4408, so an idle handshake cannot hold a socket and its lease.
 */
export const CONNECTION_INIT_TIMEOUT_MS = 3_000;
/** Parsed and validated documents kept per room (re-parsed from the attachment after hibernation). */
const MAX_PREPARED = 500;

interface Subscription {
  query: string;
  variables: Record<string, unknown> | null;
  operationName: string | null;
  /** Frames up to this seq were in its opening (a relay's opening can come from the room, ahead of it). */
  after?: number;
}

/** What a graphql-ws socket's attachment holds. */
export interface GraphqlSocketState {
  /** connection_init received and acknowledged. */
  ready: boolean;
  /** When the socket was accepted (absent on sockets accepted before the init timeout existed). */
  openedAt?: number;
  subscriptions: Record<string, Subscription>;
}

interface Prepared {
  document: DocumentNode;
  variables: Record<string, unknown>;
}

/** What makes two subscriptions execute alike: one execution per frame serves both. */
const keyOf = (s: Subscription): string => JSON.stringify([s.query, s.variables, s.operationName]);

/** A `next` message around a payload serialized once for every socket that shares it. */
const nextText = (id: string, payload: string): string =>
  `{"id":${JSON.stringify(id)},"type":"${MessageType.Next}","payload":${payload}}`;

const errorText = (id: string, errors: readonly { message: string }[]): string =>
  stringifyMessage({ id, type: MessageType.Error, payload: errors.map((e) => ({ message: e.message })) });

/** The sockets that are not graphql-ws ones (those get their frames through GraphqlSockets.publish). */
export function withoutGraphqlSockets(ctx: DurableObjectState, sockets: WebSocket[]): WebSocket[] {
  const graphql = ctx.getWebSockets(GRAPHQL_SOCKET_TAG);
  if (graphql.length === 0) return sockets;
  const skip = new Set(graphql);
  return sockets.filter((ws) => !skip.has(ws));
}

export class GraphqlSockets implements FrameSink {
  private readonly prepared = new Map<string, Prepared>();
  /** Executions since the room started (tests check the once-per-distinct-subscription rule). */
  executions = 0;

  constructor(
    private readonly ctx: DurableObjectState,
    private readonly registry: SocketRegistry,
    private readonly schema: () => GraphQLSchema,
    /** The room's match id (as events name it), null before its first event. */
    private readonly matchId: () => string | null,
    /** What a subscriber with `since` gets first: a snapshot, what it missed, or nothing; null: no match yet. */
    private readonly opening: (since: number | null) => Promise<ServerFrame[] | null> | ServerFrame[] | null,
    /** Called when frames go out (the room re-checks its clients' keys then). */
    private readonly onSend: () => void,
    /** Runs a subscription's opening in turn with deliveries (a relay's openings may wait for the room). */
    private readonly serially: <T>(task: () => Promise<T>) => Promise<T> = (task) => task(),
  ) {}

  /** Accepts a graphql-ws socket (the Worker checked the credential and the subprotocol, and took its lease). */
  accept(clientId: string | null, counted: boolean, lease: SocketLease | null): Response {
    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    this.registry.accept(
      this.ctx,
      server,
      {
        clientId,
        acked: null,
        ...(lease ? { lease } : {}),
        graphql: { ready: false, openedAt: Date.now(), subscriptions: {} },
      },
      counted,
      [GRAPHQL_SOCKET_TAG],
    );
    return new Response(null, {
      status: 101,
      webSocket: client,
      headers: { "sec-websocket-protocol": GRAPHQL_TRANSPORT_WS_PROTOCOL },
    });
  }

  /**
   * The sockets still without connection_init past CONNECTION_INIT_TIMEOUT_MS (for the caller to close with
   * closeUninitialised), and the next such deadline, for the object's alarm.
   */
  awaitingInit(now = Date.now()): { expired: WebSocket[]; next: number | null } {
    const expired: WebSocket[] = [];
    let next: number | null = null;
    for (const ws of this.ctx.getWebSockets(GRAPHQL_SOCKET_TAG)) {
      const graphql = this.registry.state(ws).graphql;
      if (!graphql || graphql.ready || graphql.openedAt === undefined) continue;
      const due = graphql.openedAt + CONNECTION_INIT_TIMEOUT_MS;
      if (due <= now) expired.push(ws);
      else next = next === null ? due : Math.min(next, due);
    }
    return { expired, next };
  }

  /** Closes, with graphql-ws's 4408, the sockets that never sent connection_init; `forget` as on revocation. */
  closeUninitialised(forget: (ws: WebSocket) => void, now = Date.now()): void {
    for (const ws of this.awaitingInit(now).expired) {
      forget(ws);
      closeQuietly(ws, CloseCode.ConnectionInitialisationTimeout, "Connection initialisation timeout");
    }
  }

  isGraphql(ws: WebSocket): boolean {
    return this.registry.state(ws).graphql !== undefined;
  }

  /** One graphql-ws message from a client. Protocol violations close the socket with graphql-ws's codes. */
  async message(ws: WebSocket, data: string | ArrayBuffer): Promise<void> {
    const state = this.registry.state(ws);
    const graphql = state.graphql;
    if (!graphql) return;
    let message: ReturnType<typeof parseMessage>;
    try {
      message = parseMessage(typeof data === "string" ? data : new TextDecoder().decode(data));
    } catch (err) {
      closeQuietly(ws, CloseCode.BadRequest, (err instanceof Error ? err.message : "invalid message").slice(0, 120));
      return;
    }
    switch (message.type) {
      case MessageType.ConnectionInit:
        if (graphql.ready) {
          closeQuietly(ws, CloseCode.TooManyInitialisationRequests, "Too many initialisation requests");
          return;
        }
        this.registry.update(ws, { ...state, graphql: { ...graphql, ready: true } });
        ws.send(stringifyMessage({ type: MessageType.ConnectionAck }));
        return;
      case MessageType.Ping:
        ws.send(stringifyMessage({ type: MessageType.Pong }));
        return;
      case MessageType.Pong: {
        // Flow control, opt-in as on /live: a pong carrying {"ack": seq} acknowledges the frames up to seq;
        // a client that acks is closed with 4008 once it falls more than MAX_UNACKED updates behind.
        const ack = (message.payload as { ack?: unknown } | undefined)?.ack;
        if (typeof ack === "number" && Number.isSafeInteger(ack) && ack >= 0) this.registry.acknowledge(ws, ack);
        return;
      }
      case MessageType.Subscribe: {
        if (!graphql.ready) {
          closeQuietly(ws, CloseCode.Unauthorized, "Unauthorized");
          return;
        }
        if (message.id in graphql.subscriptions) {
          closeQuietly(ws, CloseCode.SubscriberAlreadyExists, `Subscriber for ${message.id} already exists`);
          return;
        }
        const subscription: Subscription = {
          query: message.payload.query,
          variables: message.payload.variables ?? null,
          operationName: message.payload.operationName ?? null,
        };
        const refused = this.refusal(graphql, message.id, subscription);
        if (refused) {
          ws.send(errorText(message.id, refused));
          return;
        }
        const id = message.id;
        await this.serially(async () => {
          const first = await this.opening(this.sinceOf(subscription));
          if (first === null) {
            ws.send(errorText(id, [{ message: "no events for this match yet" }]));
            return;
          }
          const after = first.at(-1)?.seq;
          const current = this.registry.state(ws);
          const subscriptions = {
            ...(current.graphql?.subscriptions ?? {}),
            [id]: after === undefined ? subscription : { ...subscription, after },
          };
          this.registry.update(ws, { ...current, graphql: { ready: true, subscriptions } });
          for (const payload of this.run(subscription, first)) ws.send(nextText(id, payload));
        });
        return;
      }
      case MessageType.Complete: {
        const { [message.id]: _, ...subscriptions } = graphql.subscriptions;
        this.registry.update(ws, { ...state, graphql: { ...graphql, subscriptions } });
        return;
      }
      default:
        closeQuietly(ws, CloseCode.BadRequest, `Unexpected message of type ${message.type} received`);
    }
  }

  // --- FrameSink: the room's broadcast reaches the graphql-ws sockets through here ---------------------

  active(): boolean {
    return this.ctx.getWebSockets(GRAPHQL_SOCKET_TAG).length > 0;
  }

  publish(frames: ServerFrame[]): void {
    const sockets = this.ctx.getWebSockets(GRAPHQL_SOCKET_TAG);
    if (sockets.length === 0 || frames.length === 0) return;
    this.onSend();
    const results = new Map<string, string[]>();
    const lastSeq = frames[frames.length - 1]?.seq ?? 0;
    for (const ws of sockets) {
      const state = this.registry.state(ws);
      if (tooFarBehind(state.acked, lastSeq)) {
        this.registry.forget(ws);
        closeQuietly(ws, closeCodes.slowConsumer, closeReasons[closeCodes.slowConsumer]);
        continue;
      }
      const subscriptions = state.graphql?.subscriptions ?? {};
      const texts: string[] = [];
      for (const [id, subscription] of Object.entries(subscriptions)) {
        const key = keyOf(subscription);
        let payloads = results.get(key);
        if (!payloads) {
          payloads = this.run(subscription, frames);
          results.set(key, payloads);
        }
        payloads.forEach((payload, i) => {
          if ((frames[i]?.seq ?? 0) > (subscription.after ?? -1)) texts.push(nextText(id, payload));
        });
      }
      try {
        for (const text of texts) ws.send(text);
      } catch {
        // Closing, or its buffer is full: as on /live, the client resumes with `since`.
        this.registry.forget(ws);
        closeQuietly(ws, closeCodes.slowConsumer, closeReasons[closeCodes.slowConsumer]);
      }
    }
  }

  /** The selection executed on each frame, serialized: one payload per frame. */
  private run(subscription: Subscription, frames: ServerFrame[]): string[] {
    const prepared = this.prepare(subscription);
    if (!("document" in prepared)) return frames.map(() => JSON.stringify({ errors: prepared }));
    return frames.map((frame) => {
      this.executions++;
      const result = executeSync({
        schema: this.schema(),
        document: prepared.document,
        rootValue: subscriptionRoot(frame),
        variableValues: prepared.variables,
        operationName: subscription.operationName,
      });
      return JSON.stringify(result.errors ? { ...result, errors: result.errors.map((e) => e.toJSON()) } : result);
    });
  }

  /** Parsed and validated (cached per distinct subscription), or the errors that refuse it. */
  private prepare(subscription: Subscription): Prepared | readonly { message: string }[] {
    const key = keyOf(subscription);
    const hit = this.prepared.get(key);
    if (hit) return hit;
    let document: DocumentNode;
    try {
      document = parse(subscription.query, { maxTokens: 2_000 });
    } catch (err) {
      return [err as GraphQLError];
    }
    let errors: readonly { message: string }[];
    try {
      errors = validate(this.schema(), document, [
        ...specifiedRules,
        maxDepthRule({ n: MAX_DEPTH, ignoreIntrospection: false }),
        costLimitRule({ maxCost: MAX_COST }),
      ]);
    } catch (err) {
      // graphql-armor throws its rejection.
      errors = [{ message: err instanceof Error ? err.message : String(err) }];
    }
    if (errors.length > 0) return errors;
    const operation = getOperationAST(document, subscription.operationName);
    if (operation?.operation !== "subscription") {
      return [{ message: "this socket serves subscriptions; send queries to POST /v1/graphql" }];
    }
    const coerced = getVariableValues(this.schema(), operation.variableDefinitions ?? [], subscription.variables ?? {});
    if (coerced.errors) return coerced.errors;
    const prepared = { document, variables: coerced.coerced };
    if (this.prepared.size >= MAX_PREPARED) this.prepared.clear();
    this.prepared.set(key, prepared);
    return prepared;
  }

  /** Why a new subscription is refused, or null: invalid, another match, or over the socket's bounds. */
  private refusal(graphql: GraphqlSocketState, id: string, subscription: Subscription) {
    if (Object.keys(graphql.subscriptions).length >= MAX_SUBSCRIPTIONS_PER_SOCKET) {
      return [{ message: `at most ${MAX_SUBSCRIPTIONS_PER_SOCKET} subscriptions per socket` }];
    }
    const size = JSON.stringify(graphql.subscriptions).length + keyOf(subscription).length + id.length;
    if (size > MAX_SUBSCRIPTIONS_CHARS) return [{ message: "this socket's subscriptions are too large" }];
    const prepared = this.prepare(subscription);
    if (!("document" in prepared)) return prepared;
    const { matchId } = this.rootArguments(subscription);
    if (matchId !== this.matchId()) {
      return [{ message: `this socket serves match '${this.matchId()}', not '${String(matchId)}'` }];
    }
    return null;
  }

  private sinceOf(subscription: Subscription): number | null {
    const { since } = this.rootArguments(subscription);
    return typeof since === "number" ? since : null;
  }

  /** The arguments of the subscription's root field, with its variables applied. */
  private rootArguments(subscription: Subscription): Record<string, unknown> {
    const prepared = this.prepare(subscription);
    if (!("document" in prepared)) return {};
    const field = getOperationAST(prepared.document, subscription.operationName)?.selectionSet.selections[0];
    if (field?.kind !== Kind.FIELD) return {};
    const definition = this.schema().getSubscriptionType()?.getFields()[field.name.value];
    return definition ? getArgumentValues(definition, field, prepared.variables) : {};
  }
}

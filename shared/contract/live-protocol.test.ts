import { describe, expect, it } from "vitest";
import { football } from "../sports/football";
import { footballEvent } from "../testing/events";
import {
  closeCodes,
  closeReasons,
  eventsOf,
  PROTOCOL_VERSION,
  parseClientMessage,
  type ServerFrame,
  serverFrameSchema,
} from "./live-protocol";

describe("live protocol: server frames", () => {
  const event = footballEvent("m1", "goal", { teamId: 1, payload: { minute: 3 } });
  const live = football.applyEvent(football.initialState(), event);
  const state = {
    ...live,
    matchId: "m1",
    sport: "football",
    seq: 1,
    lastSeq: 0,
    eventsApplied: 1,
    gaps: [],
    updatedAt: "2026-03-01T15:00:01.000Z",
  };
  const p = football.winProbability(live, { rating: [1500, 1500], neutral: false });
  const update = {
    v: PROTOCOL_VERSION,
    type: "update",
    seq: 1,
    event,
    state,
    prediction: { ...p, at: state.updatedAt },
  } satisfies ServerFrame;

  it("parses snapshots, updates, batched updates and corrections, each carrying the protocol version", () => {
    const wire = (f: unknown) => JSON.parse(JSON.stringify(f));
    expect(serverFrameSchema.parse(wire(update))).toMatchObject({ type: "update", v: 1 });
    const snapshot = { ...update, type: "snapshot", event: null, prediction: null, resumed: false };
    expect(serverFrameSchema.safeParse(snapshot).success).toBe(true);
    const batch = { ...update, fromSeq: 1, events: [event] };
    const parsed = serverFrameSchema.parse(wire(batch));
    expect(eventsOf(parsed)).toEqual([event]);
    const correction = {
      ...update,
      type: "correction",
      correction: { kind: "retract", targetEventId: event.eventId, reason: "VAR" },
    };
    expect(serverFrameSchema.safeParse(correction).success).toBe(true);
  });

  it("rejects frames of another version, unknown types, and a snapshot claiming to have resumed", () => {
    expect(serverFrameSchema.safeParse({ ...update, v: 2 }).success).toBe(false);
    expect(serverFrameSchema.safeParse({ ...update, type: "delta" }).success).toBe(false);
    expect(serverFrameSchema.safeParse({ ...update, type: "snapshot", event: null, resumed: true }).success).toBe(
      false,
    );
    expect(serverFrameSchema.safeParse({ ...update, fromSeq: 1, events: [] }).success).toBe(true); // a plain update
    expect(serverFrameSchema.safeParse({ ...update, event: { ...event, eventId: "x" } }).success).toBe(false);
  });
});

describe("live protocol: client messages", () => {
  it("parses ack and ping, and ignores anything else", () => {
    expect(parseClientMessage('{"type":"ack","seq":7}')).toEqual({ type: "ack", seq: 7 });
    expect(parseClientMessage("ping")).toEqual({ type: "ping" });
    expect(parseClientMessage('{"type":"ping"}')).toEqual({ type: "ping" });
    for (const bad of ['{"type":"ack","seq":-1}', '{"type":"ack","seq":1.5}', '{"type":"ack"}', "{nope", "ack", ""])
      expect(parseClientMessage(bad)).toBeNull();
    expect(parseClientMessage(new ArrayBuffer(4))).toBeNull();
    expect(parseClientMessage(`{"type":"ack","seq":1,"pad":"${"x".repeat(300)}"}`)).toBeNull();
  });

  it("has the close codes the room sends, with reasons that fit a close frame", () => {
    expect(closeCodes).toEqual({ unauthorized: 4001, slowConsumer: 4008 });
    expect(closeReasons[closeCodes.slowConsumer]).toBe("too slow: resume with ?since=");
    for (const r of Object.values(closeReasons)) expect(new TextEncoder().encode(r).length).toBeLessThanOrEqual(123);
  });
});

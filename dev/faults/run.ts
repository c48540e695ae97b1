// `npm run verify:faults` (minutes; not part of `npm test`): the local stack under faults. Streams events
// with known ids and seqs over several matches while it kills (SIGKILL) and restarts ClickHouse, Redis,
// Postgres and the local runtime (wrangler dev) in turn, then checks every accepted event (answered 202)
// exactly once in every room (/state eventsApplied and seq), in ClickHouse (per eventId, and the API's
// totalEvents) and on the sockets (one WebSocket per match, resumed with ?since= after the runtime
// restart), and prints the table that docs/faults.md records.
//
// The client behaves as a real one should: a request that is not answered 202 is sent again (same ids)
// until it is. What the local runtime loses by design (its queues live in memory: README "Known limits",
// D3(b)) is counted on its own line, then re-sent the way `npm run redrive` does (edge dedup released),
// and must then land exactly once too. Exit status 1 if any check fails.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "@upstash/redis";
import WebSocket from "ws";
import type { MatchEvent } from "../../shared/sports/sport";
import { forgetEventIds } from "../../workers/ingest/dedup";
import { migrate } from "../migrate";
import { DEFAULT_DEV_API_KEY, seedDevClient } from "../seed";
import { portsFrom, startStack } from "../stack";
import type { RunningService } from "../stack/service-process";
import { startWorker } from "../stack/worker";
import { ServiceKiller } from "./processes";

const MATCHES = Number(process.env.FAULTS_MATCHES ?? 6);
const TICK_MS = 100;
const PHASE_MS = Number(process.env.FAULTS_PHASE_MS ?? 6_000);
const DOWN_MS = Number(process.env.FAULTS_DOWN_MS ?? 6_000);
const say = (m: string) => console.log(`[faults] ${m}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Sent {
  event: MatchEvent;
  phase: string;
  accepted: boolean;
  acceptedAt?: number;
  /** Accepted, then lost with the runtime's in-memory queue. */
  lostToRuntime?: boolean;
}

interface Socket {
  matchId: string;
  ws?: WebSocket;
  lastSeq: number;
  /** eventId → the room seqs it arrived under (one seq each for exactly once). */
  seen: Map<string, Set<number>>;
  closed: boolean;
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), "matchpulse-faults-"));
  const ports = portsFrom(Number(process.env.MATCHPULSE_FAULTS_PORT_BASE ?? 36400));
  const port = Number(process.env.MATCHPULSE_FAULTS_PORT ?? 8799);
  const base = `http://127.0.0.1:${port}`;
  const key = DEFAULT_DEV_API_KEY;
  const stack = await startStack({ dataDir, ports, upstashToken: "faults-token", log: say });
  const killer = new ServiceKiller(dataDir);
  let worker: RunningService | undefined;
  const sockets: Socket[] = [];
  let ok = false;
  const abort = () =>
    void Promise.all([worker?.stop(), killer.stopRestarted()])
      .then(() => stack.stop())
      .finally(() => process.exit(130));
  process.once("SIGINT", abort);
  process.once("SIGTERM", abort);
  try {
    await migrate(stack.env, say);
    await seedDevClient(stack.env, key);
    const startRuntime = () => startWorker(stack.env, { port, dataDir, vars: { LOG_LEVEL: "warn" } });
    worker = await startRuntime();
    say("stack and runtime up");

    const run = crypto.randomUUID().slice(0, 6);
    const matchIds = Array.from({ length: MATCHES }, (_, i) => `faults-${run}-${i + 1}`);
    const seqs = new Map(matchIds.map((m) => [m, 0]));
    const sent: Sent[] = [];
    let phase = "baseline";
    let runtimeDown = false;
    const clock = Date.parse("2026-06-01T15:00:00Z");

    const nextEvent = (matchId: string): MatchEvent => {
      const seq = seqs.get(matchId)! + 1;
      seqs.set(matchId, seq);
      const minute = Math.min(90, Math.floor(seq / 10));
      return {
        eventId: crypto.randomUUID(),
        matchId,
        sport: "football",
        type: seq === 1 ? "match_start" : "pass",
        timestamp: new Date(clock + seq * 1000).toISOString(),
        seq,
        ...(seq === 1 ? {} : { teamId: ((seq % 2) + 1) as 1 | 2, payload: { minute } }),
      };
    };

    // Sockets: one per match, reconnecting with ?since=<last seq> whenever the connection drops.
    const connect = (s: Socket) => {
      if (s.closed) return;
      // since=0 on the first connection: the room sends its whole history (≤ 1,000 updates), so the socket
      // sees every event of the match, including those applied before it connected.
      const url = `${base.replace("http", "ws")}/v1/matches/${s.matchId}/live?token=${key}&since=${s.lastSeq}`;
      const ws = new WebSocket(url, { perMessageDeflate: false });
      s.ws = ws;
      ws.on("message", (data) => {
        const text = data.toString();
        if (text === "pong") return;
        const frame = JSON.parse(text) as { seq: number; fromSeq?: number; event?: MatchEvent; events?: MatchEvent[] };
        const events = frame.events ?? (frame.event ? [frame.event] : []);
        const first = frame.fromSeq ?? frame.seq - events.length + 1;
        events.forEach((e, i) => {
          const seqs = s.seen.get(e.eventId) ?? new Set<number>();
          seqs.add(first + i);
          s.seen.set(e.eventId, seqs);
        });
        s.lastSeq = Math.max(s.lastSeq, frame.seq);
      });
      ws.on("error", () => {});
      ws.on("close", () => {
        if (!s.closed) setTimeout(() => connect(s), 500);
      });
    };

    // The client: each tick one request with events for a few matches, re-sent until answered 202.
    const pending: Sent[][] = [];
    const post = async (batch: Sent[]): Promise<boolean> => {
      try {
        const res = await fetch(`${base}/v1/events`, {
          method: "POST",
          headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
          body: JSON.stringify(batch.map((s) => s.event)),
          signal: AbortSignal.timeout(10_000),
        });
        await res.body?.cancel();
        if (res.status !== 202) return false;
        for (const s of batch) {
          s.accepted = true;
          s.acceptedAt ??= Date.now();
        }
        return true;
      } catch {
        return false;
      }
    };
    let streaming = true;
    let tick = 0;
    const stream = (async () => {
      while (streaming) {
        tick++;
        const chosen = matchIds.filter((_, i) => (tick + i) % 2 === 0);
        const batch = chosen.map((m) => {
          const s: Sent = { event: nextEvent(m), phase, accepted: false };
          sent.push(s);
          return s;
        });
        if (!(await post(batch))) pending.push(batch);
        // Retries of earlier refused requests, oldest first, as far as they now succeed.
        while (pending.length > 0 && !runtimeDown && (await post(pending[0]!))) pending.shift();
        await sleep(TICK_MS);
      }
    })();

    // The match rooms must exist before a socket opens (a read of an unknown match creates nothing).
    await sleep(1_500);
    for (const matchId of matchIds) {
      const s: Socket = { matchId, lastSeq: 0, seen: new Map(), closed: false };
      sockets.push(s);
      connect(s);
    }
    await sleep(PHASE_MS);

    const faults: { name: string; service: string; port: number }[] = [
      { name: "ClickHouse killed", service: "clickhouse", port: ports.clickhouse },
      { name: "Redis killed", service: "redis", port: ports.redis },
      { name: "Postgres killed", service: "postgres", port: ports.postgres },
    ];
    for (const f of faults) {
      phase = f.name;
      say(`${f.name} (down ${DOWN_MS} ms)`);
      const image = await killer.kill(f.service, f.port);
      await sleep(DOWN_MS);
      await killer.restart(f.service, image, f.port);
      say(`${f.service} restarted`);
      await sleep(PHASE_MS);
    }

    phase = "runtime killed";
    say(`local runtime (wrangler dev) killed (down ${DOWN_MS} ms)`);
    runtimeDown = true;
    const killedAt = Date.now();
    await worker.stop();
    // Everything answered 202 until the runtime was gone, requests in flight during its shutdown included.
    const acceptedBeforeKill = new Set(sent.filter((s) => s.accepted).map((s) => s.event.eventId));
    await sleep(DOWN_MS);
    worker = await startRuntime();
    runtimeDown = false;
    say(`runtime restarted; ${sent.length} events sent so far`);
    await sleep(PHASE_MS);
    say(`${sent.length} events sent, ${pending.length} requests waiting for a retry`);
    streaming = false;
    await stream;
    while (pending.length > 0) {
      if (await post(pending[0]!)) pending.shift();
      else await sleep(500);
    }
    say(`stream done: ${sent.length} events sent, ${sent.filter((s) => s.accepted).length} accepted`);

    // Settle: rooms, ClickHouse and sockets catch up (retries back off up to a minute).
    const accepted = sent.filter((s) => s.accepted);
    const byMatch = new Map(matchIds.map((m) => [m, accepted.filter((s) => s.event.matchId === m)]));
    const roomState = async (m: string) => {
      const res = await fetch(`${base}/v1/matches/${m}/state`, { headers: { authorization: `Bearer ${key}` } });
      return res.ok ? ((await res.json()) as { eventsApplied: number; seq: number }) : { eventsApplied: 0, seq: 0 };
    };
    const logCounts = async () => {
      const res = await fetch(`${stack.env.CLICKHOUSE_URL}/?database=matchpulse&default_format=JSONEachRow`, {
        method: "POST",
        body: `SELECT toString(event_id) AS id, toUInt32(count()) AS n FROM events FINAL WHERE match_id IN (${matchIds.map((m) => `'${m}'`).join(",")}) GROUP BY id`,
      });
      const text = await res.text();
      return new Map(
        text
          .split("\n")
          .filter(Boolean)
          .map((l) => JSON.parse(l) as { id: string; n: number })
          .map((r) => [r.id, Number(r.n)]),
      );
    };
    // Waits until rooms and the log hold every accepted event, or nothing has moved for 45 s (retries
    // back off up to a minute, but after a few seconds of outage they wait 8–16 s).
    const settle = async (expected: number, timeoutMs: number) => {
      const deadline = Date.now() + timeoutMs;
      let last = -1;
      let lastMoved = Date.now();
      for (;;) {
        const applied = (await Promise.all(matchIds.map(roomState))).reduce((n, s) => n + s.eventsApplied, 0);
        const logged = (await logCounts()).size;
        if (applied + logged !== last) {
          last = applied + logged;
          lastMoved = Date.now();
        }
        if ((applied >= expected && logged >= expected) || Date.now() > deadline || Date.now() - lastMoved > 45_000)
          return;
        await sleep(2_000);
      }
    };
    say("settling…");
    await settle(accepted.length, 180_000);

    // What the runtime's in-memory queues lost: accepted before the kill, and then missing from its room
    // (lost from the events queue) or from the log (lost from the events queue or from the analytics
    // queue's batch window). A re-send reaches both: a room that applied the event already counts it a
    // duplicate, and the consumer still forwards its row, which the log counts once.
    const inLog = await logCounts();
    const appliedOnSockets = new Set(sockets.flatMap((s) => [...s.seen.keys()]));
    const lost = accepted.filter(
      (s) =>
        acceptedBeforeKill.has(s.event.eventId) &&
        (!inLog.has(s.event.eventId) || !appliedOnSockets.has(s.event.eventId)),
    );
    for (const s of lost) s.lostToRuntime = true;
    if (lost.length > 0) {
      say(
        `${lost.length} accepted events were lost with the runtime's in-memory queue; re-sending them as redrive does`,
      );
      const redis = new Redis({
        url: stack.env.UPSTASH_REDIS_REST_URL!,
        token: stack.env.UPSTASH_REDIS_REST_TOKEN!,
        enableTelemetry: false,
      });
      await forgetEventIds(
        redis,
        lost.map((s) => s.event.eventId),
      );
      for (let i = 0; i < lost.length; i += 500) {
        while (!(await post(lost.slice(i, i + 500)))) await sleep(500);
      }
      await settle(accepted.length, 120_000);
    }
    await sleep(3_000); // the last frames reach the sockets

    // The checks.
    const finalLog = await logCounts();
    const rows: string[][] = [];
    let failures = 0;
    for (const m of matchIds) {
      const events = byMatch.get(m)!;
      const state = await roomState(m);
      const socket = sockets.find((s) => s.matchId === m)!;
      const onSocket = events.filter((s) => socket.seen.get(s.event.eventId)?.size === 1).length;
      const twiceOnSocket = events.filter((s) => (socket.seen.get(s.event.eventId)?.size ?? 0) > 1).length;
      const inCh = events.filter((s) => finalLog.get(s.event.eventId) === 1).length;
      const metricsRes = await fetch(`${base}/v1/matches/${m}/metrics`, {
        headers: { authorization: `Bearer ${key}` },
      });
      const total = metricsRes.ok ? ((await metricsRes.json()) as { totalEvents: number }).totalEvents : 0;
      const good =
        state.eventsApplied === events.length &&
        state.seq === events.length &&
        inCh === events.length &&
        total === events.length &&
        onSocket === events.length &&
        twiceOnSocket === 0;
      if (!good) {
        failures++;
        const seqOf = (list: Sent[]) => list.map((x) => x.event.seq).join(",");
        say(
          `${m}: missing in ClickHouse seq ${events
            .filter((x) => finalLog.get(x.event.eventId) !== 1)
            .map((x) => `${x.event.seq}@${(x.acceptedAt ?? 0) - killedAt}ms`)
            .join(",")}; ` +
            `not once on the socket seq ${seqOf(events.filter((x) => socket.seen.get(x.event.eventId)?.size !== 1))}`,
        );
      }
      rows.push([
        m.replace(`faults-${run}-`, "match "),
        String(events.length),
        String(state.eventsApplied),
        String(state.seq),
        String(inCh),
        String(total),
        String(onSocket),
        String(twiceOnSocket),
        String(events.filter((s) => s.lostToRuntime).length),
        good ? "ok" : "FAIL",
      ]);
    }
    const phases = ["baseline", ...faults.map((f) => f.name), "runtime killed"];
    const phaseRows = phases.map((p) => {
      const evs = accepted.filter((s) => s.phase === p);
      return [
        p,
        String(sent.filter((s) => s.phase === p).length),
        String(evs.length),
        String(evs.filter((s) => finalLog.get(s.event.eventId) === 1).length),
        String(evs.filter((s) => s.lostToRuntime).length),
      ];
    });
    const table = (head: string[], body: string[][]) =>
      [
        `| ${head.join(" | ")} |`,
        `| ${head.map(() => "---").join(" | ")} |`,
        ...body.map((r) => `| ${r.join(" | ")} |`),
      ].join("\n");
    console.log(
      `\n${table(
        [
          "match",
          "accepted (202)",
          "room eventsApplied",
          "room seq",
          "ClickHouse once",
          "API totalEvents",
          "socket once",
          "socket twice",
          "lost to runtime crash, re-sent",
          "",
        ],
        rows,
      )}\n`,
    );
    console.log(
      `${table(["phase", "events sent", "accepted (202, after client retries)", "in ClickHouse once", "lost to runtime crash, re-sent"], phaseRows)}\n`,
    );
    const parked = await fetch(`${stack.env.CLICKHOUSE_URL}/?database=matchpulse`, {
      method: "POST",
      body: "SELECT source, count() FROM dead_letters GROUP BY source FORMAT TSV",
    });
    say(`dead_letters: ${(await parked.text()).trim().replace(/\n/g, "; ") || "empty"}`);
    ok = failures === 0;
    say(ok ? "every accepted event exactly once in rooms, ClickHouse and sockets" : `${failures} match(es) failed`);
  } finally {
    for (const s of sockets) {
      s.closed = true;
      s.ws?.terminate();
    }
    await worker?.stop().catch(() => {});
    await killer.stopRestarted().catch(() => {});
    await stack.stop().catch(() => {});
    if (process.env.FAULTS_KEEP === "1") say(`kept ${dataDir}`);
    else rmSync(dataDir, { recursive: true, force: true });
  }
  process.exit(ok ? 0 : 1);
}

await main();

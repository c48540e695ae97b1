// Relay fan-out bench: one update to 1,000 / 5,000 / 10,000 sockets of one match, all on the room versus
// spread over relays, in one run; workerd's CPU per update in each layout; and a reconnect storm (every
// socket dropped at once, the clients back with the client package's jittered back-off, resuming with
// ?since=). It drives workerd through Miniflare directly (wrangler dev's proxy would hold a second file
// descriptor per socket; the process limit here is 20,000), serving the production bundle with the
// bindings wrangler.toml declares.
import { execSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { convertV4MiniflareOptions, Miniflare, type V4MiniflareOptions } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { WebSocket } from "ws";
import { PROJECT_ROOT } from "../dev/stack";
import { connectMatch, type MatchConnection } from "../packages/client/src";
import { type BenchTarget, passEvent, pool, postEvents, timeOneUpdate } from "./pipeline";
import { round, summary } from "./stats";

export interface RelayFigure {
  name: string;
  value: number;
  unit: string;
  note?: string;
}

/** Sockets the bench's clients opened, so a storm can cut them all as a deploy would. */
const openSockets = new Set<WebSocket>();
class TrackedSocket extends WebSocket {
  constructor(url: string) {
    super(url, { perMessageDeflate: false });
    openSockets.add(this);
    this.on("close", () => openSockets.delete(this));
  }
}

interface Watcher {
  connection: MatchConnection;
  /** performance.now() of the last time the connection (re)opened. */
  openedAt: number;
  seen: Set<string>;
  repeats: number;
  onEvent?: (id: string, at: number) => void;
}

function watch(baseUrl: string, key: string, matchId: string): Promise<Watcher> {
  return new Promise((resolve, reject) => {
    let opened = false;
    const w: Watcher = {
      seen: new Set(),
      repeats: 0,
      openedAt: 0,
      connection: connectMatch({
        baseUrl,
        matchId,
        token: key,
        WebSocket: TrackedSocket,
        backoff: { minMs: 250, maxMs: 5_000 },
        onFrame: (update) => {
          const at = performance.now();
          for (const e of update.events) {
            if (w.seen.has(e.eventId)) w.repeats++;
            w.seen.add(e.eventId);
            w.onEvent?.(e.eventId, at);
          }
        },
        onState: (state) => {
          if (state === "open") w.openedAt = performance.now();
          if (opened) return;
          if (state === "open") {
            opened = true;
            resolve(w);
          } else if (state === "reconnecting" || state === "unauthorized") {
            w.connection.close();
            reject(new Error(state));
          }
        },
      }),
    };
  });
}

/** User + system CPU seconds of the workerd processes under this one (Miniflare's runtime). */
function workerdCpuSeconds(): number {
  const pids = execSync(`pgrep -P ${process.pid} -x workerd || true`).toString().trim().split(/\s+/).filter(Boolean);
  let ticks = 0;
  for (const pid of pids) {
    let stat = "";
    try {
      stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    } catch {
      continue;
    }
    const fields = stat.split(") ")[1]?.split(" ") ?? [];
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / 100;
}

async function applied(t: BenchTarget, matchId: string, n: number): Promise<void> {
  for (;;) {
    const res = await fetch(`${t.baseUrl}/v1/matches/${matchId}/state`, {
      headers: { authorization: `Bearer ${t.apiKey}` },
    });
    if (res.status === 200 && ((await res.json()) as { eventsApplied: number }).eventsApplied >= n) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function startRuntime(
  stackEnv: Record<string, string>,
  script: string,
  port: number,
  vars: Record<string, string>,
) {
  const { workerOptions } = unstable_getMiniflareWorkerOptions(join(PROJECT_ROOT, "wrangler.toml"));
  // wrangler derives Miniflare 4-style worker options from wrangler.toml; Miniflare 5 converts them.
  // The bundle is one ES module: no module rules; the rest (bindings, objects, queues) as wrangler.toml says.
  const { modulesRules: _rules, rootPath: _root, ...declared } = workerOptions;
  const options: V4MiniflareOptions = {
    verbose: process.env.MATCHPULSE_BENCH_VERBOSE === "1",
    ...declared,
    name: "matchpulse",
    host: "127.0.0.1",
    port,
    modules: true,
    scriptPath: script,
    modulesRoot: dirname(script),
    bindings: {
      ...(workerOptions.bindings ?? {}),
      ...stackEnv,
      LOG_LEVEL: "warn",
      LIVE_SOCKETS_PER_CLIENT: "100000",
      ...vars,
    },
  };
  const mf = new Miniflare(convertV4MiniflareOptions(options));
  await mf.ready;
  return mf;
}

/** One match, `n` sockets; `updates` single updates, each timed until every socket has it. */
async function fanOutOnce(t: BenchTarget, n: number, updates: number) {
  const matchId = `relayfan-${n}-${Date.now().toString(36)}`;
  await postEvents(t, [passEvent(matchId, 0)]);
  await applied(t, matchId, 1);
  const clients: Watcher[] = [];
  let refused = 0;
  const connectStarted = performance.now();
  await pool(
    Array.from({ length: n }, (_, i) => i),
    50,
    async () => {
      try {
        clients.push(await watch(t.baseUrl, t.apiKey, matchId));
      } catch {
        refused++;
      }
    },
  );
  const connectSeconds = (performance.now() - connectStarted) / 1000;
  await new Promise((r) => setTimeout(r, 2_500)); // relay reports settle
  const times: number[] = [];
  const cpuBefore = workerdCpuSeconds();
  for (let u = 0; u < updates; u++) {
    times.push(await timeOneUpdate(t, matchId, u + 1, clients));
    await new Promise((r) => setTimeout(r, 200));
  }
  const cpuPerUpdate = (workerdCpuSeconds() - cpuBefore) / updates;
  return {
    matchId,
    clients,
    refused,
    connectSeconds,
    allReachedMs: summary(times.filter((x) => !Number.isNaN(x))),
    cpuPerUpdate,
  };
}

/** Every socket cut at once; events keep coming; how long until every client has every event again. */
async function reconnectStorm(t: BenchTarget, matchId: string, clients: Watcher[], startSeq: number) {
  const posted: string[] = [];
  const cut = performance.now();
  for (const ws of [...openSockets]) ws.terminate();
  const feeding = (async () => {
    for (let i = 0; i < 10; i++) {
      const e = passEvent(matchId, startSeq + i);
      posted.push(e.eventId);
      await postEvents(t, [e]);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  await feeding;
  const feedEnded = performance.now();
  const resumedAt: number[] = [];
  const reopenedAfter: number[] = [];
  const deadline = performance.now() + 60_000;
  const pending = new Set(clients);
  while (pending.size > 0 && performance.now() < deadline) {
    for (const c of pending) {
      if (c.openedAt > cut && posted.every((id) => c.seen.has(id))) {
        resumedAt.push(performance.now() - cut);
        reopenedAfter.push(c.openedAt - cut);
        pending.delete(c);
      }
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    clients: clients.length,
    resumed: clients.length - pending.size,
    repeats: clients.reduce((n, c) => n + c.repeats, 0),
    completeMs: summary(resumedAt),
    reopenedMs: summary(reopenedAfter),
    feedMs: round(feedEnded - cut, 0),
  };
}

export async function benchRelays(
  stackEnv: Record<string, string>,
  apiKey: string,
  script: string,
  opts: { sizes: number[]; port: number; updates: number; stormSockets: number },
  record: (f: RelayFigure) => void,
): Promise<void> {
  const figures = { push: record };
  const layouts: { name: string; vars: Record<string, string> }[] = [
    // Relays from 500 sockets, 1,000 planned per relay.
    { name: "relays", vars: { RELAY_THRESHOLD: "500", RELAY_SOCKETS: "1000" } },
    // The room alone: relays never promoted (last: past the descriptor limit the runtime may not recover).
    { name: "room", vars: { RELAY_THRESHOLD: "1000000000" } },
  ];
  for (const layout of layouts) {
    const mf = await startRuntime(stackEnv, script, opts.port, layout.vars);
    const t: BenchTarget = { baseUrl: `http://127.0.0.1:${opts.port}`, apiKey, env: stackEnv };
    try {
      for (const n of opts.sizes) {
        let f: Awaited<ReturnType<typeof fanOutOnce>>;
        try {
          f = await fanOutOnce(t, n, opts.updates);
        } catch (err) {
          // Past the runtime's file descriptors (one workerd holds every object here) it may not recover.
          const why = err instanceof Error ? err.message : String(err);
          figures.push({
            name: `fanout_${layout.name}.${n}.p50`,
            value: -1,
            unit: "ms",
            note: `not measurable: ${why}`,
          });
          for (const ws of openSockets) ws.terminate();
          break;
        }
        const note = `${f.clients.length} sockets (${f.refused} refused), connected in ${round(f.connectSeconds, 1)} s`;
        figures.push({ name: `fanout_${layout.name}.${n}.p50`, value: f.allReachedMs.p50, unit: "ms", note });
        figures.push({
          name: `fanout_${layout.name}.${n}.max`,
          value: Math.max(f.allReachedMs.p99, f.allReachedMs.p50),
          unit: "ms",
        });
        figures.push({
          name: `fanout_${layout.name}.${n}.cpu_per_update`,
          value: round(f.cpuPerUpdate * 1000, 1),
          unit: "ms CPU (workerd, all objects)",
          note: `${round((f.cpuPerUpdate * 1e6) / Math.max(1, f.clients.length), 2)} µs per socket`,
        });
        if (layout.name === "relays" && n === opts.stormSockets) {
          // Every socket reconnecting at once can exhaust the runtime's file descriptors (20,000 per
          // process here): then the storm is not measurable on this machine, and the run goes on.
          const storm = await reconnectStorm(t, f.matchId, f.clients, opts.updates + 1).catch((err: unknown) => {
            figures.push({
              name: `storm.${n}.reconnected.p50`,
              value: -1,
              unit: "ms after the cut",
              note: `not measurable: ${err instanceof Error ? err.message : String(err)}`,
            });
            return null;
          });
          if (!storm) {
            // Closed, not only cut: a client left open reconnects forever and keeps the bench alive.
            for (const c of f.clients) c.connection.close();
            for (const ws of openSockets) ws.terminate();
            break;
          }
          figures.push({
            name: `storm.${n}.reconnected.p50`,
            value: storm.reopenedMs.p50,
            unit: "ms after the cut",
            note: `p99 ${storm.reopenedMs.p99} ms (client back-off 250 ms-5 s, full jitter)`,
          });
          figures.push({
            name: `storm.${n}.resumed_without_gap`,
            value: storm.resumed,
            unit: `of ${storm.clients} clients`,
            note: `every one of 10 events posted over ${storm.feedMs} ms during the storm, ${storm.repeats} repeats; all had them ${storm.completeMs.p99} ms after the cut (p99)`,
          });
        }
        for (const c of f.clients) c.connection.close();
        await new Promise((r) => setTimeout(r, 3_000));
      }
    } finally {
      await mf.dispose();
    }
  }
}

// GraphQL next to its REST and plain-socket baselines, measured in the same run on the same match:
// a one-resource query (liveState) against GET /state, a three-resource query against the same three REST
// reads in parallel, and the time from POST /v1/events to the update on a graphql-ws subscription against
// the plain /live socket, both open at once (graphql-ws's own client, over `ws`).
import { createClient } from "graphql-ws";
import { WebSocket } from "ws";
import { watchArrivals } from "./arrivals";
import { type BenchTarget, passEvent, postEvents } from "./pipeline";
import { round, summary } from "./stats";

interface Figure {
  name: string;
  value: number;
  unit: string;
  note?: string;
}

async function timed(work: () => Promise<Response>): Promise<number> {
  const at = performance.now();
  const res = await work();
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`status ${res.status}`);
  return performance.now() - at;
}

export async function benchGraphql(
  t: BenchTarget,
  { samples, updates }: { samples: number; updates: number },
  record: (f: Figure) => void,
): Promise<void> {
  const matchId = `gql-${Date.now().toString(36)}`;
  await postEvents(t, [passEvent(matchId, 0)]);
  const auth = { authorization: `Bearer ${t.apiKey}` };
  const rest = (path: string) => fetch(`${t.baseUrl}/v1/matches/${matchId}${path}`, { headers: auth });
  while ((await rest("/state")).status !== 200) await new Promise((r) => setTimeout(r, 20));
  const graphql = (query: string) =>
    fetch(`${t.baseUrl}/v1/graphql`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({ query, variables: { id: matchId } }),
    });
  const one = "query ($id: String!) { liveState(matchId: $id) { json } }";
  const three =
    "query ($id: String!) { liveState(matchId: $id) { json } timeline(matchId: $id) { buckets { start total byType } } predictions(matchId: $id) { data { seq pTeam1 pTeam2 } } }";
  const samplesOf = { rest1: [] as number[], gql1: [] as number[], rest3: [] as number[], gql3: [] as number[] };
  for (let i = 0; i < samples; i++) {
    // Interleaved, so a slow moment of the machine weighs on both sides alike.
    samplesOf.rest1.push(await timed(() => rest("/state")));
    samplesOf.gql1.push(await timed(() => graphql(one)));
    const at = performance.now();
    const answers = await Promise.all([rest("/state"), rest("/timeline"), rest("/predictions")]);
    await Promise.all(answers.map((a) => a.arrayBuffer()));
    samplesOf.rest3.push(performance.now() - at);
    samplesOf.gql3.push(await timed(() => graphql(three)));
  }
  const pairs = [
    ["rest.state", samplesOf.rest1, "GET /v1/matches/{id}/state"],
    ["graphql.live_state", samplesOf.gql1, "POST /v1/graphql { liveState { json } }"],
    ["rest.three_reads", samplesOf.rest3, "state, timeline, predictions: three GETs in parallel"],
    ["graphql.three_fields", samplesOf.gql3, "the same three as one GraphQL query"],
  ] as const;
  for (const [name, list, note] of pairs) {
    const s = summary(list);
    record({ name: `graphql.query.${name}.p50`, value: round(s.p50), unit: "ms", note: `${note}, ${s.n} samples` });
    record({ name: `graphql.query.${name}.p99`, value: round(s.p99), unit: "ms" });
  }

  // Subscription next to the plain socket: one update at a time, each past the coalescing window.
  const plain = await watchArrivals(t.baseUrl, t.apiKey, matchId);
  const wsUrl = `${t.baseUrl.replace(/^http/, "ws")}/v1/matches/${matchId}/graphql?token=${encodeURIComponent(t.apiKey)}`;
  const client = createClient({ url: wsUrl, webSocketImpl: WebSocket, lazy: false, retryAttempts: 0 });
  const graphqlArrivals = new Map<string, number>();
  let onGraphql: ((id: string) => void) | undefined;
  let subscribed!: () => void;
  const ready = new Promise<void>((resolve) => {
    subscribed = resolve;
  });
  const dispose = client.subscribe<{
    matchUpdated: { events: { eventId: string }[] | null; event: { eventId: string } | null };
  }>(
    {
      query: "subscription ($id: String!) { matchUpdated(matchId: $id) { seq event { eventId } events { eventId } } }",
      variables: { id: matchId },
    },
    {
      next: (result) => {
        const at = performance.now();
        subscribed();
        const frame = result.data?.matchUpdated;
        for (const e of frame?.events ?? (frame?.event ? [frame.event] : [])) {
          if (graphqlArrivals.has(e.eventId)) continue;
          graphqlArrivals.set(e.eventId, at);
          onGraphql?.(e.eventId);
        }
      },
      error: (err) => console.error("[bench] graphql subscription error", err),
      complete: () => {},
    },
  );
  await ready; // the snapshot arrived
  const toPlain: number[] = [];
  const toGraphql: number[] = [];
  for (let i = 0; i < updates; i++) {
    const e = passEvent(matchId, i + 1);
    const both = Promise.all([
      new Promise<void>((resolve) => {
        plain.onEvent = (id) => id === e.eventId && resolve();
      }),
      new Promise<void>((resolve) => {
        onGraphql = (id) => id === e.eventId && resolve();
      }),
    ]);
    const at = performance.now();
    await postEvents(t, [e]);
    await Promise.race([both, new Promise((r) => setTimeout(r, 10_000))]);
    const p = plain.arrivals.get(e.eventId);
    const g = graphqlArrivals.get(e.eventId);
    if (p !== undefined) toPlain.push(p - at);
    if (g !== undefined) toGraphql.push(g - at);
    await new Promise((r) => setTimeout(r, 60));
  }
  dispose();
  await client.dispose();
  plain.close();
  const p = summary(toPlain);
  const g = summary(toGraphql);
  record({
    name: "graphql.subscription.plain_socket.p50",
    value: round(p.p50),
    unit: "ms",
    note: `POST → /live frame, ${p.n} of ${updates} updates`,
  });
  record({ name: "graphql.subscription.plain_socket.p99", value: round(p.p99), unit: "ms" });
  record({
    name: "graphql.subscription.graphql_ws.p50",
    value: round(g.p50),
    unit: "ms",
    note: `POST → graphql-ws next, ${g.n} of ${updates} updates, same match and moment`,
  });
  record({ name: "graphql.subscription.graphql_ws.p99", value: round(g.p99), unit: "ms" });
}

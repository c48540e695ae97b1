// The live match page: a list of matches (GET /v1/matches) and one match's view (#/match/<id>) kept live
// through the client package. The credential comes from the page's own URL (see location.ts) and is kept
// for the tab in sessionStorage, then stripped from the address bar.
import {
  type ConnectionState,
  connectMatch,
  type LiveUpdate,
  type MatchConnection,
  type MatchEvent,
} from "../../packages/client/src";
import { ApiFailure, getMatch, getPredictions, listMatches, tokenRefused } from "./api";
import { type ProbabilityChart, probabilityChart } from "./chart";
import { matchHref, parseLocation, tokenParamFor, viewerMatchIds } from "./location";
import {
  clockText,
  correctionOf,
  cs2Details,
  type FeedItem,
  feedItemsOf,
  type MatchSummary,
  money,
  orderMatches,
  ProbabilitySeries,
  percent,
  recentFeedItems,
  statusText,
  teamName,
} from "./view-model";

const TOKEN_KEY = "matchpulse.token";
/** Feed rows kept on screen; older ones drop off the bottom. */
const FEED_MAX = 100;
const LIST_REFRESH_MS = 10_000;

const main = document.getElementById("main")!;
let teardown: (() => void) | null = null;

/** The browser's WebSocket, remembering the latest one so the test hook can drop it like a network would. */
let currentSocket: WebSocket | null = null;
class TrackedWebSocket extends WebSocket {
  constructor(url: string) {
    super(url);
    currentSocket = this;
  }
}

interface PageHook {
  /** Closes the live socket from the client side (a dropped connection); the client then resumes. */
  dropSocket(): boolean;
  connection: MatchConnection | null;
}
const hook: PageHook = {
  dropSocket: () => {
    if (!currentSocket || currentSocket.readyState !== WebSocket.OPEN) return false;
    currentSocket.close(4000, "dropped by the page's test hook");
    return true;
  },
  connection: null,
};
(window as unknown as { matchpulsePage: PageHook }).matchpulsePage = hook;

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  node.append(...children);
  return node;
}

function setText(node: Element, text: string): void {
  if (node.textContent !== text) node.textContent = text;
}

function show(...nodes: Node[]): void {
  teardown?.();
  teardown = null;
  main.replaceChildren(...nodes);
}

function notice(title: string, ...body: (Node | string)[]): HTMLElement {
  return el(
    "section",
    { class: "notice", "aria-labelledby": "notice-title" },
    el("h2", { id: "notice-title" }, title),
    el("p", {}, ...body),
  );
}

function route(): void {
  const loc = parseLocation(location.search, location.hash);
  if (loc.token) {
    sessionStorage.setItem(TOKEN_KEY, loc.token);
    // Out of the address bar (and so out of screenshots, shared links and history).
    history.replaceState(null, "", `${location.pathname}${loc.cleanHash}`);
  }
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (!token) {
    show(
      notice(
        "No access token",
        "Open this page with a token in its address, e.g. ",
        el("code", {}, "/#token=<token>"),
        ". `npm start` prints such a link for the demo matches.",
      ),
    );
    return;
  }
  if (loc.route.view === "match") void showMatch(loc.route.matchId, token);
  else void showList(token);
  main.focus({ preventScroll: true });
}

async function showList(token: string): Promise<void> {
  const status = el("p", { role: "status", class: "status" }, "Loading matches…");
  const body = el("tbody");
  const table = el(
    "table",
    { class: "matches" },
    el("caption", {}, "Live and recent matches"),
    el(
      "thead",
      {},
      el(
        "tr",
        {},
        el("th", { scope: "col" }, "Match"),
        el("th", { scope: "col" }, "Sport"),
        el("th", { scope: "col" }, "Status"),
        el("th", { scope: "col" }, "Win probability"),
      ),
    ),
    body,
  );
  show(el("section", { "aria-labelledby": "list-title" }, el("h2", { id: "list-title" }, "Matches"), status, table));
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  teardown = () => {
    stopped = true;
    clearTimeout(timer);
  };
  const load = async () => {
    try {
      // A viewer token lists only its own matches (it may not read the directory).
      const own = viewerMatchIds(token);
      const data = own
        ? (await Promise.all(own.map((id) => getMatch(id, token)))).filter((m): m is MatchSummary => m !== null)
        : (await listMatches(token)).data;
      if (stopped) return;
      body.replaceChildren(...orderMatches(data).map(matchRow));
      setText(
        status,
        data.length === 0 ? "No matches yet: post events or start the demo feed." : `${data.length} matches`,
      );
    } catch (err) {
      if (stopped) return;
      setText(status, describeFailure(err));
    }
    if (!stopped) timer = setTimeout(load, LIST_REFRESH_MS);
  };
  await load();
}

function matchRow(m: MatchSummary): HTMLTableRowElement {
  const p = m.activity?.prediction;
  const prob = p
    ? `${teamName(m, 1)} ${percent(p.pTeam1)}${p.pDraw !== undefined ? ` · draw ${percent(p.pDraw)}` : ""} · ${teamName(m, 2)} ${percent(p.pTeam2)}`
    : "–";
  return el(
    "tr",
    { "data-match-id": m.id },
    el(
      "th",
      { scope: "row" },
      el("a", { href: matchHref(m.id) }, `${teamName(m, 1)} vs ${teamName(m, 2)}`),
      el("span", { class: "sub" }, m.tournament ? `${m.tournament} · ${m.id}` : m.id),
    ),
    el("td", {}, m.sport === "cs2" ? "CS2" : m.sport),
    el("td", {}, el("span", { class: `badge ${m.status}` }, statusText(m.status))),
    el("td", {}, prob),
  );
}

function describeFailure(err: unknown): string {
  if (err instanceof ApiFailure && (err.status === 401 || err.status === 403)) {
    return `The token was refused (${err.code}). Open the page again with a valid token.`;
  }
  return `Cannot reach the API: ${err instanceof Error ? err.message : String(err)}`;
}

async function showMatch(matchId: string, token: string): Promise<void> {
  const title = el("h2", { id: "match-title" }, matchId);
  const meta = el("p", { class: "sub" }, "");
  const team1 = el("span", { class: "team t1" }, "Team 1");
  const team2 = el("span", { class: "team t2" }, "Team 2");
  const score = el("span", { class: "score", id: "score", "data-score": "" }, "–");
  const scoreboard = el(
    "div",
    { class: "scoreboard", "aria-live": "polite", "aria-atomic": "true", "aria-label": "Score" },
    team1,
    score,
    team2,
  );
  const clock = el("p", { class: "clock", id: "clock" }, "");
  const cs2 = el("dl", { class: "cs2", id: "cs2", hidden: "" });
  const connection = el("p", { class: "status", role: "status", id: "connection" }, "Connecting…");
  const chartHost = el("div", { id: "chart", class: "chart", "data-points": "0" });
  const chartText = el("figcaption", { id: "chart-text" }, "No prediction yet.");
  const feed = el("ol", { id: "feed", class: "feed", "aria-label": "Events, newest first" });
  show(
    el("nav", { "aria-label": "Breadcrumb" }, el("a", { href: "#/", class: "back" }, "← All matches")),
    el(
      "section",
      { class: "match", "aria-labelledby": "match-title" },
      title,
      meta,
      scoreboard,
      clock,
      cs2,
      connection,
    ),
    el(
      "section",
      { "aria-labelledby": "chart-title" },
      el("h3", { id: "chart-title" }, "Win probability"),
      el("figure", {}, chartHost, chartText),
    ),
    el("section", { "aria-labelledby": "feed-title" }, el("h3", { id: "feed-title" }, "Events"), feed),
  );

  let stopped = false;
  let connectionHandle: MatchConnection | null = null;
  let chart: ProbabilityChart | null = null;
  teardown = () => {
    stopped = true;
    connectionHandle?.close();
    chart?.destroy();
    hook.connection = null;
  };

  // Metadata (team names, tournament) is optional: a credential that may only read the live stream, or
  // an unreachable metadata store, leaves "Team 1"/"Team 2" and the match still plays live.
  const match: MatchSummary | null = await getMatch(matchId, token).catch((err: unknown) => {
    console.warn(`match metadata: ${describeFailure(err)}`);
    return null;
  });
  if (stopped) return;
  const names: [string, string] = [teamName(match, 1), teamName(match, 2)];
  setText(title, `${names[0]} vs ${names[1]}`);
  setText(team1, names[0]);
  setText(team2, names[1]);
  document.title = `${names[0]} vs ${names[1]} · Matchpulse`;
  setText(
    meta,
    [match?.tournament, match?.sport === "cs2" ? "CS2" : match?.sport, matchId].filter(Boolean).join(" · "),
  );

  const series = new ProbabilitySeries();
  const shownIds = new Set<string>();
  const redrawChart = (sport: string) => {
    chart ??= probabilityChart(chartHost, names, sport === "football");
    chart.update(series);
    chartHost.dataset.points = String(series.size);
  };

  const addFeed = (items: FeedItem[], events: MatchEvent[] = []) => {
    for (const item of items) {
      // One row per event; a correction is a row of its own.
      const key = item.kind === "event" ? item.id : `${item.kind}:${item.id}`;
      if (shownIds.has(key)) continue;
      shownIds.add(key);
      const row = el(
        "li",
        {
          class: `feed-item ${item.kind}${item.team ? ` team${item.team}` : ""}`,
          "data-event-id": item.id,
          "data-kind": item.kind,
        },
        el("span", { class: "when" }, item.when),
        el("span", { class: "what" }, item.text),
      );
      feed.prepend(row);
    }
    for (const event of events) {
      const correction = correctionOf(event);
      const target =
        correction && feed.querySelector<HTMLElement>(`li[data-event-id="${CSS.escape(correction.targetEventId)}"]`);
      if (!correction || !target) continue;
      target.classList.add(correction.kind === "retract" ? "retracted" : "amended");
      target.append(el("span", { class: "note" }, correction.kind === "retract" ? " (withdrawn)" : " (changed)"));
    }
    while (feed.children.length > FEED_MAX) {
      const last = feed.lastElementChild as HTMLElement;
      shownIds.delete(
        last.dataset.kind === "event" ? last.dataset.eventId! : `${last.dataset.kind}:${last.dataset.eventId}`,
      );
      last.remove();
    }
  };

  const render = (update: LiveUpdate) => {
    const { state, prediction } = update;
    setText(score, `${state.score[0]} – ${state.score[1]}`);
    score.dataset.score = `${state.score[0]}-${state.score[1]}`;
    main.dataset.seq = String(update.seq);
    setText(clock, clockText(state));
    const d = cs2Details(state);
    if (d) {
      cs2.hidden = false;
      cs2.replaceChildren(
        ...[
          ["Round score", `${d.roundScore[0]} – ${d.roundScore[1]}`],
          ["Sides", `${names[0]} ${d.sides[0]} · ${names[1]} ${d.sides[1]}`],
          ["Economy", `${money(d.economy[0])} – ${money(d.economy[1])}`],
          ["Alive", `${d.alive[0]} – ${d.alive[1]}`],
          ["Bomb", d.bomb],
          ["Maps", d.maps],
        ].map(([k, v]) => el("div", {}, el("dt", {}, k!), el("dd", {}, v!))),
      );
    }
    if (update.type === "snapshot") addFeed(recentFeedItems(state, match));
    addFeed(feedItemsOf(update, match), update.events);
    if (prediction) {
      series.add({ seq: update.seq, ...prediction });
      const draw = prediction.pDraw !== undefined ? `, draw ${percent(prediction.pDraw)}` : "";
      setText(
        chartText,
        `Now: ${names[0]} ${percent(prediction.pTeam1)}${draw}, ${names[1]} ${percent(prediction.pTeam2)} (model ${prediction.modelVersion}).`,
      );
    }
    redrawChart(state.sport);
  };

  const stateText: Record<ConnectionState, string> = {
    connecting: "Connecting…",
    open: "Live",
    reconnecting: "Reconnecting…",
    unauthorized: "The token was refused: open the page again with a valid token.",
    closed: "Closed",
  };
  let probing = false;
  connectionHandle = connectMatch({
    baseUrl: location.origin,
    matchId,
    token: () => sessionStorage.getItem(TOKEN_KEY) ?? token,
    tokenParam: tokenParamFor(token),
    WebSocket: TrackedWebSocket,
    onFrame: render,
    onState: (s, detail) => {
      document.body.dataset.connection = s;
      const wait =
        s === "reconnecting" && detail.delayMs !== undefined ? ` (in ${(detail.delayMs / 1000).toFixed(1)} s)` : "";
      setText(connection, stateText[s] + wait);
    },
    onError: (e) => {
      console.warn(`live: ${e.kind}: ${e.message}`);
      if (e.kind !== "connect" || probing) return;
      probing = true;
      void tokenRefused(matchId, token).then((refused) => {
        probing = false;
        if (!refused || stopped) return;
        connectionHandle?.close();
        document.body.dataset.connection = "unauthorized";
        setText(connection, stateText.unauthorized);
      });
    },
  });
  hook.connection = connectionHandle;

  // The history before this page opened; live frames fill in from there (merged by seq).
  getPredictions(matchId, token)
    .then((points) => {
      if (stopped) return;
      for (const p of points) series.add(p);
      if (series.size > 0) redrawChart(match?.sport ?? "football");
    })
    .catch((err: unknown) => console.warn(`predictions: ${err instanceof Error ? err.message : String(err)}`));
}

window.addEventListener("hashchange", route);
route();
